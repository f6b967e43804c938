#!/usr/bin/env bash
# The main job: `rsvpd demo`, four QuaSAR routers in one process (no root, no Xen).
# Sets itself up first (apt packages, .venv). Arguments go to `rsvpd demo` (see --help).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")" && pwd)
"$ROOT/scripts/bootstrap.sh"
cd "$ROOT"
exec .venv/bin/rsvpd demo "$@"
