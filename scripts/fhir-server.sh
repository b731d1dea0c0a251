#!/usr/bin/env bash
# A local FHIR R4 server (sekmet-fhir, pinned) on loopback, for development, tests and CI.
#
#   scripts/fhir-server.sh start [PORT] [--smart-client ID] [--smart-alg RS384|ES384]
#   scripts/fhir-server.sh load FILE...      # POST transaction Bundles
#   scripts/fhir-server.sh url               # print the base URL
#   scripts/fhir-server.sh stop              # kill it by its PID
#
# Each start begins with an empty store. Without PORT a free port is taken. The server runs from a scratch folder
# (TRIALMATCH_FHIR_SERVER_DIR, default var/fhir-server/) that holds its data, its
# settings.yaml, its log, and these files written by `start`:
#   base_url      the FHIR base URL, e.g. http://127.0.0.1:41234/fhir
#   pid           the server's PID
#   admin_token   (SMART only) a static bearer token for `load`
#   keys/ID.pem   (SMART only) the registered client's private key; keys/ID.jwks.json its JWKS
# With --smart-client the server requires auth: SMART Backend Services for client ID
# (token endpoint {root}/auth/token) or the static admin token. The traffic log is off.
#
# Exit codes: 0 ok, 1 usage or server error, 3 sekmet-fhir cannot be installed.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$PWD"
SEKMET_VERSION="0.1.1"
VENV="${TRIALMATCH_FHIR_VENV:-$REPO/.fhir-venv}"
DIR="${TRIALMATCH_FHIR_SERVER_DIR:-$REPO/var/fhir-server}"
PYTHON="${PYTHON:-python3}"

NAME=fhir-server
# shellcheck source=scripts/local-server.sh
source "$REPO/scripts/local-server.sh"

install_server() {
  if [ -x "$VENV/bin/sekmet" ] \
    && "$VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('sekmet-fhir') != '$SEKMET_VERSION')" 2>/dev/null; then
    return 0
  fi
  # Its own virtualenv: sekmet pins fhir.resources<9 and brings its own FastAPI.
  if ! { "$PYTHON" -m venv "$VENV" \
      && "$VENV/bin/pip" install --quiet --disable-pip-version-check "sekmet-fhir==$SEKMET_VERSION"; } >"$DIR/install.log" 2>&1; then
    echo "fhir-server: cannot install sekmet-fhir==$SEKMET_VERSION (see $DIR/install.log)" >&2
    exit 3
  fi
}

write_settings() {  # $1 = client id or "", $2 = alg
  local client="$1" alg="$2"
  {
    echo "log_inbound: false"
    echo "simulator: {enabled: false}"
    if [ -n "$client" ]; then
      echo "server_auth:"
      echo "  types: [smart, bearer]"
      echo "  tokens: [\"$(cat admin_token)\"]"
      echo "  token_lifetime: 300"
      echo "  smart_clients:"
      echo "    - client_id: \"$client\""
      echo "      scopes: \"system/*.read\""
      # JSON is YAML: the JWKS written by `sekmet keys generate`, inline.
      echo "      jwks: $(tr -d '\n' <"keys/$client.jwks.json")"
    fi
  } >settings.yaml
}

start() {
  local port="" client="" alg="RS384"
  while [ $# -gt 0 ]; do
    case "$1" in
      --smart-client) client="${2:?--smart-client needs an id}"; shift 2 ;;
      --smart-alg) alg="${2:?--smart-alg needs RS384 or ES384}"; shift 2 ;;
      [0-9]*) port="$1"; shift ;;
      *) die "unknown start option $1" ;;
    esac
  done
  case "$alg" in RS384|ES384) ;; *) die "--smart-alg must be RS384 or ES384" ;; esac
  mkdir -p "$DIR"
  running && die "already running (PID $(cat "$DIR/pid")); stop it first"
  install_server
  port="${port:-$(free_port)}"
  local base="http://127.0.0.1:$port/fhir"
  (
    cd "$DIR"
    rm -rf data keys admin_token
    if [ -n "$client" ]; then
      umask 077
      "$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(32))' >admin_token
      "$VENV/bin/sekmet" keys generate --out "keys/$client.pem" --alg "$alg" >/dev/null
    fi
    write_settings "$client" "$alg"
    # Without SEKMET_BASE_URL its paging links point at localhost:8090.
    SEKMET_CONFIG="$DIR/settings.yaml" SEKMET_BASE_URL="$base" \
      nohup "$VENV/bin/sekmet" serve --host 127.0.0.1 --port "$port" >server.log 2>&1 &
    echo $! >pid
  )
  echo "$base" >"$DIR/base_url"
  await_ready "$base"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  load) shift; load_bundles "$@" ;;
  url) cat "$DIR/base_url" ;;
  stop) stop_server ;;
  *) die "usage: $0 start [PORT] [--smart-client ID] [--smart-alg RS384|ES384] | load FILE... | url | stop" ;;
esac
