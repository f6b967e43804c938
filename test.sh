#!/usr/bin/env bash
# Runs the whole test suite. Sets itself up first (apt packages, .venv).
# Extra arguments go to pytest, e.g. ./test.sh -k checksum
set -euo pipefail
ROOT=$(cd "$(dirname "$0")" && pwd)
"$ROOT/scripts/bootstrap.sh"
cd "$ROOT"
exec .venv/bin/python -m pytest -n 2 "$@"
