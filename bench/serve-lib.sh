# Sourced by the HTTP load scripts: finds MedQuAD and the binary, starts `k2search serve`
# on a free loopback port.
#
#   find_medquad NAME                    sets $medquad: $MEDQUAD, else MedQuAD in
#                                        $K2SEARCH_SHARED or ../shared; exits if absent
#   k2search_bin                         sets $K2SEARCH_BIN, building the release binary
#                                        unless it is set
#   start_k2search BIN INDEX WORK NAME   sets $server (the pid) and $url (no trailing /),
#                                        stops the server on exit; NAME is for messages.
find_medquad() {
  medquad="${MEDQUAD:-${K2SEARCH_SHARED:-../shared}/corpora/medquad}"
  [ -d "$medquad" ] || { echo "$1: MedQuAD not found; set MEDQUAD=DIR or K2SEARCH_SHARED" >&2; exit 2; }
}

k2search_bin() {
  if [ -z "${K2SEARCH_BIN:-}" ]; then
    cargo build --release --quiet
    K2SEARCH_BIN="${CARGO_TARGET_DIR:-target}/release/k2search"
  fi
}

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
