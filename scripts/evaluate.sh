#!/bin/sh
# Run the QuaSAR evaluation (root): scripts/evaluate.sh [--help] [--only overhead|qos|isolation] [--layout shared|separate]
#   [--mode quasar|userspace|kernel] [--repeat N] [--duration S] [--out DIR] [--report-only]
# Hold /tmp/quasar-bench.lock on a shared machine: flock /tmp/quasar-bench.lock scripts/evaluate.sh ...
set -eu
cd "$(dirname "$0")/.."
exec .venv/bin/python -m evaluation "$@"
