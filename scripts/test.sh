#!/usr/bin/env bash
# The whole test suite, as CI runs it: ruff, then every package installed ALONE (+ rank-core) in
# its own fresh hatch environment running its own tests, then the extras environments.
# Exits non-zero if anything fails; ends with one "total: N passed, N failed, N skipped" line.
source "$(dirname "$0")/_hatch.sh"

packages=(rank-core rank-eval rank-fusion rank-retrieve rank-rerank rank-soft rank-learn)
extras=("eval-plot:rank-eval" "fusion-optimize:rank-fusion" "retrieve-extras:rank-retrieve" "rerank-models:rank-rerank" "soft-torch:rank-soft")  # "env:package" pairs: each env installs the package with one extra

export RANK_REQUIRE_SHARED_DATA=1  # tests that read ../shared/data fail instead of skipping

# Isolation envs are rebuilt every time: an env kept from an earlier run would still hold the
# packages as they were installed then, not as they are in the working tree now.
"$HATCH" env remove iso >/dev/null 2>&1 || true
for pair in "${extras[@]}"; do
  "$HATCH" env remove "${pair%%:*}" >/dev/null 2>&1 || true
done

reports="$(mktemp -d)"
trap 'rm -rf "$reports"' EXIT
failed=()

echo "=== lint (ruff)"
"$HATCH" run lint:check || failed+=(lint)

run_tests() {  # $1: hatch env, $2: report name
  echo "=== $1"
  "$HATCH" run "$1:test" -p no:cacheprovider --junitxml="$reports/$2.xml" || failed+=("$1")
}
for package in "${packages[@]}"; do
  run_tests "iso.$package" "$package"
done
for pair in "${extras[@]}"; do
  run_tests "${pair%%:*}" "extra-${pair%%:*}"
done

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

if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}" >&2
  exit 1
fi
