#!/usr/bin/env bash
# Runs every package's benchmark scripts (packages/*/benchmarks/bench_*.py) through
# benchmarks/run_all.py in the hatch env `bench` (every package with its extras, every anchor
# library, torch and torchsort installed): each script with the arguments its README records
# (--quick: small sizes, a smoke run), its whole output in benchmarks/results/, and the generated
# table at the end of BENCHMARKS.md rewritten (ratios, machine, versions, date).
# Options: bash benchmarks/run_all.sh --help.
source "$(dirname "$0")/../scripts/_hatch.sh"
"$HATCH" run bench:all "$@"
