#!/usr/bin/env bash
# Create .venv in the repo root and install trialmatch with its pinned dependencies.
# Usage: scripts/setup.sh [dev]
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip==25.2
if [ "${1:-}" = "dev" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
else
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e .
fi
