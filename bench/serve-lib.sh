# Sourced by the HTTP load scripts: starts `k2search serve` on a free loopback port.
#
#   start_k2search BIN INDEX WORK NAME   sets $server (the pid) and $url (no trailing /),
#                                        stops the server on exit; NAME is for messages.
start_k2search() {
  local bin="$1" index="$2" work="$3" name="$4"
  "$bin" serve --quiet --index "$index" --addr 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.err" &
  server=$!
  trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT
  url=""
  for _ in $(seq 1 100); do
    url="$(grep -o 'http://[^ ]*' "$work/serve.out" || true)"
    [ -n "$url" ] && break
    sleep 0.1
  done
  [ -n "$url" ] || { echo "$name: k2search did not start:" >&2; cat "$work/serve.err" >&2; exit 1; }
  url="${url%/}"
}
