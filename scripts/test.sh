#!/usr/bin/env bash
# Set up and run every check: ruff, mypy --strict, hadolint, and the test suite.
# PostgreSQL cases run when TRIALMATCH_TEST_POSTGRES_URL is set (.ci/run sets it).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh dev
.venv/bin/ruff check .
.venv/bin/mypy --strict app
.venv/bin/hadolint Dockerfile
.venv/bin/pytest "$@"
