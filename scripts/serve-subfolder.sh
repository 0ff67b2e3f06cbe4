# Sourced by the scripts that check the built app from a static server: makes a scratch folder
# `work` (removed, and the server stopped, when the caller exits), copies $DIST into
# $work/root/$SUBPATH, serves $work/root with `python3 -m http.server` on a free local port
# and waits until it answers. Sets `work`, `server_pid` and `url`; the server's log is
# $work/server.log. Calls the caller's `fail` when the server does not come up. Needs DIST and
# SUBPATH set.
work="$(mktemp -d)"
server_pid=""
stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap stop_server EXIT
trap 'exit 130' INT TERM

root="$work/root"
mkdir -p "$root/$SUBPATH"
cp -R "$DIST"/. "$root/$SUBPATH/"

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
python3 -m http.server --bind 127.0.0.1 --directory "$root" "$port" >"$work/server.log" 2>&1 &
server_pid=$!

url="http://127.0.0.1:$port/$SUBPATH/"
for _ in $(seq 1 50); do
  if curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; then break; fi
  kill -0 "$server_pid" 2>/dev/null || fail "the static server exited: $(cat "$work/server.log")"
  sleep 0.2
done
curl -fsS -o /dev/null --max-time 2 "$url" || fail "the static server does not answer on $url"
