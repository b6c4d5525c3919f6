#!/usr/bin/env bash
# Runs every package's benchmark scripts (packages/*/benchmarks/bench_*.py) in the dev workspace,
# which has all packages and every anchor library installed. Pass-through arguments go to each
# script. Results are recorded by hand in BENCHMARKS.md and in each package README.
source "$(dirname "$0")/../scripts/_hatch.sh"
for script in packages/*/benchmarks/bench_*.py; do
  echo "=== $script"
  "$HATCH" run dev:python "$script" "$@"
done
