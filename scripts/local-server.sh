# Shared by scripts/fhir-server.sh and scripts/medplum-server.sh (sourced, not run): the
# handling of a local test server on loopback, kept in one place. The sourcing script sets
# NAME (for messages), DIR (its scratch folder: pid, base_url) and PYTHON first.
#   free_port             print a free TCP port on 127.0.0.1
#   running               true while the server recorded in $DIR/pid is alive
#   await_ready BASE      wait up to 15 s for BASE/metadata, print BASE; on failure show
#                         the server log, stop it and exit 1
#   load_bundles FILE...  POST each transaction Bundle to $DIR/base_url (Bearer from
#                         $DIR/admin_token when present); stop at the first failure
#   stop_server           stop the recorded server (TERM, then KILL after 5 s)

die() { echo "$NAME: $*" >&2; exit 1; }

free_port() {
  "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

running() { [ -f "$DIR/pid" ] && kill -0 "$(cat "$DIR/pid")" 2>/dev/null; }

await_ready() {
  local base="$1"
  for _ in $(seq 1 150); do
    if curl -fsS -o /dev/null "$base/metadata" 2>/dev/null; then
      echo "$base"
      return 0
    fi
    running || { tail -n 20 "$DIR/server.log" >&2; rm -f "$DIR/pid"; die "server exited on start"; }
    sleep 0.1
  done
  stop_server
  die "server did not answer $base/metadata within 15 s"
}

load_bundles() {
  [ $# -gt 0 ] || die "load needs FILE..."
  [ -f "$DIR/base_url" ] || die "not started"
  local base status auth=()
  base="$(cat "$DIR/base_url")"
  if [ -f "$DIR/admin_token" ]; then
    auth=(-H "Authorization: Bearer $(cat "$DIR/admin_token")")
  fi
  for file in "$@"; do
    status="$(curl -sS -o "$DIR/load-response.json" -w '%{http_code}' -X POST "$base" \
      -H 'Content-Type: application/fhir+json' "${auth[@]}" --data-binary "@$file")"
    case "$status" in
      2*) echo "loaded $file" ;;
      *) cat "$DIR/load-response.json" >&2; echo >&2; die "loading $file: HTTP $status" ;;
    esac
  done
}

stop_server() {
  if [ -f "$DIR/pid" ]; then
    local pid
    pid="$(cat "$DIR/pid")"
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    fi
    rm -f "$DIR/pid"
  fi
}
