#!/usr/bin/env bash
# Set up .venv and run the service on the embedded defaults: a SQLite store in var/, the
# bundled trial library from criteria/ (loaded on first start), http://127.0.0.1:8000.
# Any TRIALMATCH_ setting in the environment overrides a default (see README).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/trialmatch db upgrade
exec .venv/bin/trialmatch serve
