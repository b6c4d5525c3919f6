# Sourced by the scripts in this folder: sets HATCH to a hatch (>= 1.16, for workspaces) that
# lives in .tools/hatch, installing it there on first use. Needs only Python 3.10+ with venv.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools/hatch"
python="${PYTHON:-python3}"
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
  echo "error: Python 3.10+ is required (set PYTHON=/path/to/python3)" >&2
  exit 2
fi
if [ ! -x "$tools/bin/hatch" ]; then
  echo "Installing hatch into $tools ..." >&2
  "$python" -m venv "$tools"
  "$tools/bin/python" -m pip install --quiet --disable-pip-version-check "hatch>=1.16,<2"
fi
HATCH="$tools/bin/hatch"
TOOLS_PYTHON="$tools/bin/python"
cd "$root"
