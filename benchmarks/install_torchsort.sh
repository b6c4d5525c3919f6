#!/usr/bin/env bash
# Installs torchsort (rank-soft's anchor) into the current environment with its CPU extension only:
# its setup.py builds the CUDA extension whenever an `nvcc` runs, so every PATH entry holding an
# nvcc is left out. torch must already be installed (no build isolation: it compiles against it).
set -euo pipefail
path=""
IFS=: read -ra entries <<<"$PATH"
for entry in "${entries[@]}"; do
  [ -x "$entry/nvcc" ] || path="${path:+$path:}$entry"
done
PATH="$path" python -m pip install --no-build-isolation "torchsort>=0.1.9"
