#!/usr/bin/env bash
# Fuzz the running service against its own OpenAPI document with schemathesis.
#
#   scripts/api-fuzz.sh [--max-examples N] [extra st run options...]
#
# Starts the real service (uvicorn on a free loopback port) on a fresh SQLite store in a
# temporary folder, with the rate limit off, an API key holding every scope made for this
# run, and a local FHIR server (scripts/fhir-server.sh) as its EHR. If that server cannot
# start, the EHR route is left out (under CI or TRIALMATCH_REQUIRE_FHIR the run fails).
# It waits for /readyz, runs `st run openapi/openapi.json` with the key, then stops
# everything. Checks: no 5xx, documented status codes and content types, bodies that
# conform to the schema. Exits non-zero on any failure.
#
# One worker: with two, hypothesis parses source in two threads at once, and Python 3.11.7
# failed that with "SystemError: AST constructor recursion depth mismatch".
# Uses .venv (scripts/setup.sh dev makes it); TRIALMATCH_FUZZ_VENV names another one.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${TRIALMATCH_FUZZ_VENV:-.venv}"
MAX_EXAMPLES=100
EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    --max-examples) MAX_EXAMPLES="${2:?--max-examples needs a number}"; shift 2 ;;
    *) EXTRA+=("$1"); shift ;;
  esac
done
if [ ! -x "$VENV/bin/st" ]; then
  [ "$VENV" = .venv ] || { echo "api-fuzz: $VENV/bin/st not found" >&2; exit 2; }
  scripts/setup.sh dev
fi
PY="$VENV/bin/python"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/trialmatch-fuzz.XXXXXX")"
SERVER_PID=""
FHIR_STARTED=0
cleanup() {
  status=$?
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [ "$FHIR_STARTED" = 1 ]; then
    TRIALMATCH_FHIR_SERVER_DIR="$WORK/fhir" scripts/fhir-server.sh stop || true
  fi
  if [ "$status" != 0 ] && [ -f "$WORK/server.log" ]; then
    echo "api-fuzz: last lines of the service's log:" >&2
    tail -n 30 "$WORK/server.log" >&2
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT INT TERM

free_port() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# A key with every scope, made for this run only; the service gets its hashed entry.
read -r API_KEY API_KEY_ENTRY < <("$PY" -c '
from app.auth.api_keys import new_api_key
from app.auth.principal import Scope
key, entry = new_api_key("api-fuzz", [scope.value for scope in Scope])
print(key, entry.line().replace(" ", ","))
')

FHIR_URL=""
if FHIR_URL="$(TRIALMATCH_FHIR_SERVER_DIR="$WORK/fhir" scripts/fhir-server.sh start 2>"$WORK/fhir-start.log")"; then
  FHIR_STARTED=1
  TRIALMATCH_FHIR_SERVER_DIR="$WORK/fhir" scripts/fhir-server.sh load tests/fixtures/ehr/*.json >/dev/null
  echo "api-fuzz: EHR is a local FHIR server at $FHIR_URL"
else
  FHIR_URL=""
  echo "api-fuzz: no local FHIR server: $(tail -n 1 "$WORK/fhir-start.log")" >&2
  # As the tests do (tests/fhir/conftest.py): CI must not pass without the EHR route.
  if [ -n "${CI:-}" ] || [ -n "${TRIALMATCH_REQUIRE_FHIR:-}" ]; then
    exit 1
  fi
  # Without an EHR that route only answers its documented 503: nothing to fuzz there.
  echo "api-fuzz: GET /v1/patients/{patient_id}/matches is left out of this run" >&2
  EXTRA+=(--exclude-path "/v1/patients/{patient_id}/matches")
fi

EHR=()
[ -z "$FHIR_URL" ] || EHR=(TRIALMATCH_FHIR_BASE_URL="$FHIR_URL")
PORT="$(free_port)"
BASE="http://127.0.0.1:$PORT"
env -u TRIALMATCH_AUTH_ISSUER -u TRIALMATCH_AUTH_AUDIENCE -u TRIALMATCH_AUTH_JWKS_URL \
  -u TRIALMATCH_AUTH_JWKS_FILE -u TRIALMATCH_FHIR_AUTH -u TRIALMATCH_FHIR_BASE_URL \
  TRIALMATCH_DATABASE_URL="sqlite:///$WORK/trialmatch.db" \
  TRIALMATCH_API_KEYS="$API_KEY_ENTRY" \
  TRIALMATCH_RATE_LIMIT_PER_MINUTE=0 \
  TRIALMATCH_FHIR_RETRIES=0 \
  "${EHR[@]}" \
  "$VENV/bin/uvicorn" app.main:app --host 127.0.0.1 --port "$PORT" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!

for _ in $(seq 1 300); do
  if curl -fsS -o /dev/null "$BASE/readyz" 2>/dev/null; then
    break
  fi
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "api-fuzz: the service exited on start" >&2; exit 1; }
  sleep 0.2
done
curl -fsS -o /dev/null "$BASE/readyz" || { echo "api-fuzz: /readyz not ready in 60 s" >&2; exit 1; }
echo "api-fuzz: service ready at $BASE; fuzzing with at most $MAX_EXAMPLES examples per operation"

# Real ids half of the time, so fuzzed queries reach the matching, not only the 404s.
"$PY" - "$WORK/schemathesis.toml" <<'PYTHON'
import json
import sys
from pathlib import Path

patients = sorted(
    entry["resource"]["id"]
    for bundle in Path("tests/fixtures/ehr").glob("*.json")
    for entry in json.loads(bundle.read_text())["entry"]
    if entry["resource"]["resourceType"] == "Patient"
)
trials = sorted(path.name.split(".")[0] for path in Path("criteria").glob("NCT*.yaml"))
Path(sys.argv[1]).write_text(
    f"[dictionaries.patients]\nvalues = {json.dumps(patients)}\n"
    f"[dictionaries.trials]\nvalues = {json.dumps(sorted(set(trials)))}\n"
    "[parameters]\n"
    '"path.patient_id" = { dictionary = "patients", probability = 0.5 }\n'
    '"path.trial_id" = { dictionary = "trials", probability = 0.5 }\n'
)
PYTHON

started=$SECONDS
"$VENV/bin/st" --config-file "$WORK/schemathesis.toml" run openapi/openapi.json \
  --url "$BASE" \
  -H "X-API-Key: $API_KEY" \
  --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance \
  --max-examples "$MAX_EXAMPLES" \
  --generation-database none \
  --generation-with-security-parameters false \
  --request-timeout 30 \
  --workers 1 \
  --no-color \
  "${EXTRA[@]}"
echo "api-fuzz: passed in $((SECONDS - started)) s"
