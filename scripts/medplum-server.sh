#!/usr/bin/env bash
# A second local FHIR R4 server on loopback: Medplum's FHIR engine (npm @medplum/fhir-router,
# pinned in scripts/medplum-server/package-lock.json) behind our own HTTP front
# (scripts/medplum-server/server.mjs), for the integration tests beside sekmet-fhir.
#
#   scripts/medplum-server.sh start [PORT]     # prints the base URL, e.g. http://127.0.0.1:41234/fhir
#   scripts/medplum-server.sh load FILE...     # POST transaction Bundles
#   scripts/medplum-server.sh url              # print the base URL
#   scripts/medplum-server.sh stop             # kill it by its PID
#
# `start` runs `npm ci` into scripts/medplum-server/node_modules when it is missing (the npm
# registry only; nothing is downloaded at run time). Each start begins with an empty store
# (it is in memory). Without PORT a free port is taken. Its files go to a scratch folder
# (TRIALMATCH_MEDPLUM_SERVER_DIR, default var/medplum-server/): pid, base_url, server.log,
# install.log.
#
# Exit codes: 0 ok, 1 usage or server error, 3 Node/npm missing or the packages cannot be installed.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$PWD"
APP="$REPO/scripts/medplum-server"
DIR="${TRIALMATCH_MEDPLUM_SERVER_DIR:-$REPO/var/medplum-server}"
PYTHON="${PYTHON:-python3}"
NODE="${NODE:-node}"
NPM="${NPM:-npm}"

NAME=medplum-server
# shellcheck source=scripts/local-server.sh
source "$REPO/scripts/local-server.sh"
cannot_install() { echo "medplum-server: $*" >&2; exit 3; }

installed() {
  # Every pinned package present at the version the lock file names.
  "$NODE" -e '
    const fs = require("fs");
    const lock = JSON.parse(fs.readFileSync(process.argv[1] + "/package-lock.json", "utf8"));
    for (const [path, meta] of Object.entries(lock.packages)) {
      if (!path) continue;
      const pkg = JSON.parse(fs.readFileSync(process.argv[1] + "/" + path + "/package.json", "utf8"));
      if (pkg.version !== meta.version) process.exit(1);
    }' "$APP" 2>/dev/null
}

install_server() {
  command -v "$NODE" >/dev/null 2>&1 || cannot_install "node is not installed"
  local major
  major="$("$NODE" -p 'process.versions.node.split(".")[0]')"
  [ "$major" -ge 20 ] || cannot_install "needs Node 20 or later (found $("$NODE" --version))"
  installed && return 0
  command -v "$NPM" >/dev/null 2>&1 || cannot_install "npm is not installed"
  # --ignore-scripts: the pinned packages need no install scripts; --no-audit/--no-fund: no
  # calls beyond the registry's tarballs.
  if ! (cd "$APP" && "$NPM" ci --ignore-scripts --no-audit --no-fund) >"$DIR/install.log" 2>&1; then
    cannot_install "npm ci failed (see $DIR/install.log)"
  fi
  installed || cannot_install "packages do not match package-lock.json after npm ci"
}

start() {
  local port=""
  while [ $# -gt 0 ]; do
    case "$1" in
      [0-9]*) port="$1"; shift ;;
      *) die "unknown start option $1" ;;
    esac
  done
  mkdir -p "$DIR"
  running && die "already running (PID $(cat "$DIR/pid")); stop it first"
  install_server
  port="${port:-$(free_port)}"
  local base="http://127.0.0.1:$port/fhir" flags=()
  # Node 20 has WebSocket (which @medplum/core uses) only behind this flag.
  if [ "$("$NODE" -p 'process.versions.node.split(".")[0]')" -lt 22 ]; then
    flags=(--experimental-websocket)
  fi
  nohup "$NODE" "${flags[@]}" "$APP/server.mjs" --host 127.0.0.1 --port "$port" \
    >"$DIR/server.log" 2>&1 &
  echo $! >"$DIR/pid"
  echo "$base" >"$DIR/base_url"
  await_ready "$base"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  load) shift; load_bundles "$@" ;;
  url) cat "$DIR/base_url" ;;
  stop) stop_server ;;
  *) die "usage: $0 start [PORT] | load FILE... | url | stop" ;;
esac
