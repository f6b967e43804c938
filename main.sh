#!/usr/bin/env bash
# The main job (until the daemon exists): decode and check every RSVP capture.
# Sets itself up first (apt packages, .venv). Usage: ./main.sh [PATH...]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")" && pwd)
"$ROOT/scripts/bootstrap.sh"
cd "$ROOT"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(captures)
    [ -d ../shared/captures ] && targets+=(../shared/captures)
fi
exec .venv/bin/python -m conformance check "${targets[@]}"
