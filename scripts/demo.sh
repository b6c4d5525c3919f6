#!/usr/bin/env bash
# The main job: the end-to-end demo (see demo/demo.py), in its own hatch environment.
source "$(dirname "$0")/_hatch.sh"
"$HATCH" run demo:run "$@"
