#!/usr/bin/env bash
# make quickstart: demo keys, validate, train the bundled example, serve it,
# fetch recommendations over HTTP, stop the server.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/bin
port=${QUICKSTART_PORT:-18080}
cd "$root/examples/quickstart"

echo "== recotem keygen (demo keys, never use them in production)"
signing=$("$bin/recotem" keygen --type signing --kid demo)
api=$("$bin/recotem" keygen --type api --kid demo)
export RECOTEM_SIGNING_KEYS=$(sed -n 's/^env_entry=RECOTEM_SIGNING_KEYS=//p' <<<"$signing")
export RECOTEM_API_KEYS=$(sed -n 's/^env_entry=RECOTEM_API_KEYS=//p' <<<"$api")
api_key=$(sed -n 's/^plaintext=//p' <<<"$api")
export RECOTEM_LOG_FORMAT=${RECOTEM_LOG_FORMAT:-console}
log=$(mktemp)

echo "== recotem validate recipe.yaml"
"$bin/recotem" validate recipe.yaml 2>>"$log"

echo "== recotem train recipe.yaml"
"$bin/recotem" train recipe.yaml -q --json 2>>"$log"
echo "== recotem inspect artifacts/quickstart.recotem"
"$bin/recotem" inspect artifacts/quickstart.recotem 2>>"$log" | head -4

echo "== recotem serve --recipes . --port $port"
"$bin/recotem" serve --recipes . --port "$port" 2>"$log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true; rm -f "$log"' EXIT

# http METHOD PATH [BODY]: a request to the server (curl when present,
# otherwise bash's /dev/tcp, so a bare Debian with Go is enough).
http() {
	if command -v curl >/dev/null; then
		curl -s -X "$1" -H "X-API-Key: $api_key" -H 'Content-Type: application/json' ${3:+-d "$3"} "http://127.0.0.1:$port$2"
		return
	fi
	exec 3<>"/dev/tcp/127.0.0.1/$port"
	printf '%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\nX-API-Key: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' \
		"$1" "$2" "$api_key" "${#3}" "${3:-}" >&3
	sed '1,/^\r$/d' <&3
	exec 3<&-
}

for _ in $(seq 50); do
	if http GET /v1/health 2>/dev/null | grep -q '"ok"'; then break; fi
	if ! kill -0 $pid 2>/dev/null; then cat "$log"; exit 1; fi
	sleep 0.1
done
echo "GET /v1/health → $(http GET /v1/health)"
echo
echo "== POST /v1/recipes/quickstart:recommend {\"user_id\":\"user007\",\"limit\":5}"
http POST /v1/recipes/quickstart:recommend '{"user_id":"user007","limit":5}'
echo
echo "== POST /v1/recipes/quickstart:recommend-related {\"seed_items\":[\"item003\"],\"limit\":3}"
http POST /v1/recipes/quickstart:recommend-related '{"seed_items":["item003"],"limit":3}'
echo
kill -TERM $pid
wait $pid
status=$?
trap - EXIT
rm -f "$log"
echo "== server stopped (exit $status)"
