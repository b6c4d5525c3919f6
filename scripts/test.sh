#!/usr/bin/env bash
# The whole test suite, as CI runs it: ruff, then every package installed ALONE (+ rank-core) in
# its own fresh hatch environment running its own tests, then the extras environments.
# Exits non-zero if anything fails; ends with one "total: N passed, N failed, N skipped" line.
#
# The environments run in two lanes at once: most of the time goes to numba compiling each
# fresh environment's kernels, which is single-threaded, so two lanes use both cores of a CI
# machine. Each environment's output is printed whole when it finishes (prefixed by its lane).
source "$(dirname "$0")/_hatch.sh"

# "env:package" pairs; the iso.* envs install one package alone, the others a package with one
# extra (demo-test: the end-to-end demo's pipeline on a slice of the queries). The two lanes are
# balanced by measured duration, and the torch envs (large installs) share a lane.
lane_a=(iso.rank-core:rank-core iso.rank-fusion:rank-fusion iso.rank-retrieve:rank-retrieve
        fusion-optimize:rank-fusion retrieve-extras:rank-retrieve iso.rank-learn:rank-learn)
lane_b=(iso.rank-eval:rank-eval iso.rank-rerank:rank-rerank iso.rank-soft:rank-soft
        eval-plot:rank-eval rerank-models:rank-rerank soft-torch:rank-soft learn-torch:rank-learn
        demo-test:demo)

export RANK_REQUIRE_SHARED_DATA=1  # tests that read ../shared/data fail instead of skipping

# Every environment is rebuilt every time: an env kept from an earlier run would still hold the
# packages as they were installed then, not as they are in the working tree now.
"$HATCH" env remove iso >/dev/null 2>&1 || true
for pair in "${lane_a[@]}" "${lane_b[@]}"; do
  case "$pair" in iso.*) ;; *) "$HATCH" env remove "${pair%%:*}" >/dev/null 2>&1 || true ;; esac
done

reports="$(mktemp -d)"
trap 'rm -rf "$reports"' EXIT

echo "=== lint (ruff)"
"$HATCH" run lint:check || echo lint >>"$reports/failed"

run_lane() {  # $1: lane name, then "env:package" pairs, run one after the other
  local lane="$1" pair env log start
  shift
  for pair in "$@"; do
    env="${pair%%:*}"
    log="$reports/$env.log"
    start=$SECONDS
    if ! "$HATCH" run "$env:test" -p no:cacheprovider --junitxml="$reports/$env.xml" >"$log" 2>&1; then
      echo "$env" >>"$reports/failed"
    fi
    # one environment's output at a time, whole
    flock "$reports/print.lock" bash -c 'echo "=== [$1] $2 ($3 s)"; cat "$4"' _ \
      "$lane" "$env" "$((SECONDS - start))" "$log"
  done
}
run_lane a "${lane_a[@]}" &
lane_a_pid=$!
run_lane b "${lane_b[@]}" &
lane_b_pid=$!
wait "$lane_a_pid" || echo "lane a" >>"$reports/failed"
wait "$lane_b_pid" || echo "lane b" >>"$reports/failed"

"$TOOLS_PYTHON" - "$reports" <<'PY'
import sys, pathlib, xml.etree.ElementTree as ET
totals = dict(tests=0, failures=0, errors=0, skipped=0)
for report in sorted(pathlib.Path(sys.argv[1]).glob("*.xml")):
    for suite in ET.parse(report).getroot().iter("testsuite"):
        for key in totals:
            totals[key] += int(suite.get(key, 0))
failed = totals["failures"] + totals["errors"]
passed = totals["tests"] - failed - totals["skipped"]
print(f"total: {passed} passed, {failed} failed, {totals['skipped']} skipped")
PY

if [ -s "$reports/failed" ]; then
  echo "FAILED: $(tr '\n' ' ' <"$reports/failed")" >&2
  exit 1
fi
