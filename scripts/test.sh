#!/usr/bin/env bash
# Set up and run every check: ruff, mypy --strict, and the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh dev
.venv/bin/ruff check app tests bench examples
.venv/bin/mypy --strict app
.venv/bin/pytest "$@"
