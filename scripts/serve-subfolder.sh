# Sourced by the scripts that check the built app from a static server: copies $DIST into
# $work/root/$SUBPATH, serves $work/root with `python3 -m http.server` on a free local port
# and waits until it answers. Sets `server_pid` (for the caller's cleanup) and `url`; calls the
# caller's `fail` when the server does not come up. Needs DIST, SUBPATH and work set.
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
