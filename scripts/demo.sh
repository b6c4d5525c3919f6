#!/usr/bin/env bash
# The main job: the end-to-end demo on Cranfield (demo/), in its own hatch environment.
#
#   bash scripts/demo.sh [--out DIR] [--queries N] ...   BM25 variants, fusion, evaluation and
#                                                        significance tests (no torch, no ONNX)
#   bash scripts/demo.sh --full [...]                    + dense retrieval and MaxSim reranking with
#                                                        the bundled MiniLM through ONNX (its env
#                                                        installs torch's CPU wheel)
#   bash scripts/demo.sh --help                          every option
source "$(dirname "$0")/_hatch.sh"
env=demo
if [ "${1:-}" = "--full" ]; then
  env=demo-full
  shift
fi
"$HATCH" run "$env:run" "$@"
