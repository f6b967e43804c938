#!/bin/sh
# Run the QuaSAR evaluation (root): scripts/evaluate.sh [--help] [--only overhead|qos|isolation] [--duration S] [--out DIR]
set -eu
cd "$(dirname "$0")/.."
exec .venv/bin/python -m evaluation "$@"
