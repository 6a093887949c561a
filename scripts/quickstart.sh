#!/usr/bin/env bash
# make quickstart: demo keys, validate, train the bundled example, serve it,
# fetch recommendations over HTTP, stop the server.
#
# Environment: QUICKSTART_PORT (default 18080, or a free port when 18080 is
# taken; a port given here must be free), QUICKSTART_BIN (default bin/),
# QUICKSTART_DIR (default examples/quickstart; scripts/e2e.sh runs a copy),
# QUICKSTART_HEALTH_SECONDS (default 30). Exits non-zero, naming the step,
# when a step fails or the server never becomes healthy; the server is
# stopped on every exit.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${QUICKSTART_BIN:-$root/bin}
dir=${QUICKSTART_DIR:-$root/examples/quickstart}
health_seconds=${QUICKSTART_HEALTH_SECONDS:-30}
pid=
log=$(mktemp)
step=setup

# cleanup stops the server if it runs, reports a failure with the last
# lines of the log, and removes the log.
cleanup() {
	rc=$?
	trap - EXIT
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	if [ "$rc" -ne 0 ]; then
		echo "quickstart FAILED at: $step (exit $rc)" >&2
		if [ -s "$log" ]; then
			echo "--- log (last 20 lines)" >&2
			tail -20 "$log" >&2
		fi
	fi
	rm -f "$log"
	exit "$rc"
}
trap cleanup EXIT

# fail MESSAGE: stop with a message (cleanup stops the server).
fail() {
	echo "quickstart: $*" >&2
	exit 1
}

# busy PORT: something accepts connections on 127.0.0.1:PORT.
busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

for c in recotem recotem-keygen recotem-validate recotem-train recotem-inspect recotem-serve; do
	[ -x "$bin/$c" ] || fail "$bin/$c is missing: run make build first"
done
cd "$dir"

if [ -n "${QUICKSTART_PORT:-}" ]; then
	port=$QUICKSTART_PORT
	if busy "$port"; then fail "port $port (QUICKSTART_PORT) is in use; choose another one"; fi
else
	port=18080
	if busy "$port"; then
		for _ in $(seq 50); do
			port=$((20000 + RANDOM % 20000))
			busy "$port" || break
		done
		busy "$port" && fail "no free port found (18080 and 50 random ones are in use); set QUICKSTART_PORT"
		echo "(port 18080 is in use, using $port)"
	fi
fi

step="recotem keygen"
echo "== recotem keygen (demo keys, never use them in production)"
signing=$("$bin/recotem" keygen --type signing --kid demo)
api=$("$bin/recotem" keygen --type api --kid demo)
RECOTEM_SIGNING_KEYS=$(sed -n 's/^env_entry=RECOTEM_SIGNING_KEYS=//p' <<<"$signing")
RECOTEM_API_KEYS=$(sed -n 's/^env_entry=RECOTEM_API_KEYS=//p' <<<"$api")
export RECOTEM_SIGNING_KEYS RECOTEM_API_KEYS
api_key=$(sed -n 's/^plaintext=//p' <<<"$api")
export RECOTEM_LOG_FORMAT=${RECOTEM_LOG_FORMAT:-console}

step="recotem validate recipe.yaml"
echo "== $step"
"$bin/recotem" validate recipe.yaml 2>>"$log"

step="recotem train recipe.yaml"
echo "== $step"
"$bin/recotem" train recipe.yaml -q --json 2>>"$log"
step="recotem inspect artifacts/quickstart.recotem"
echo "== $step"
header=$("$bin/recotem" inspect artifacts/quickstart.recotem 2>>"$log")
head -4 <<<"$header"

step="recotem serve --recipes . --port $port"
echo "== $step"
"$bin/recotem" serve --recipes . --port "$port" 2>>"$log" &
pid=$!

# http METHOD PATH [BODY]: print the body of a request to the server (curl
# when present, otherwise bash's /dev/tcp, so a bare Debian with Go is
# enough); fails unless the answer is 200.
http() {
	local code body data=${3:-}
	if command -v curl >/dev/null; then
		body=$(curl -s -w '\n%{http_code}' -X "$1" -H "X-API-Key: $api_key" -H 'Content-Type: application/json' \
			${data:+-d "$data"} "http://127.0.0.1:$port$2") || return 1
		code=${body##*$'\n'}
		body=${body%$'\n'*}
	else
		exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
		printf '%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\nX-API-Key: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' \
			"$1" "$2" "$api_key" "${#data}" "$data" >&3
		body=$(cat <&3)
		exec 3<&-
		code=$(head -1 <<<"$body" | cut -d' ' -f2)
		body=$(sed '1,/^\r$/d' <<<"$body")
	fi
	printf '%s\n' "$body"
	[ "$code" = 200 ]
}

step="waiting for GET /v1/health"
health=
for _ in $(seq $((health_seconds * 10))); do
	if health=$(http GET /v1/health 2>/dev/null) && grep -q '"ok"' <<<"$health"; then break; fi
	health=
	kill -0 "$pid" 2>/dev/null || fail "recotem serve exited before it became healthy (see the log below)"
	sleep 0.1
done
[ -n "$health" ] || fail "recotem serve did not become healthy on port $port within $health_seconds s"
echo "GET /v1/health → $health"
echo
step="POST /v1/recipes/quickstart:recommend"
echo "== POST /v1/recipes/quickstart:recommend {\"user_id\":\"user007\",\"limit\":5}"
http POST /v1/recipes/quickstart:recommend '{"user_id":"user007","limit":5}'
echo
step="POST /v1/recipes/quickstart:recommend-related"
echo "== POST /v1/recipes/quickstart:recommend-related {\"seed_items\":[\"item003\"],\"limit\":3}"
http POST /v1/recipes/quickstart:recommend-related '{"seed_items":["item003"],"limit":3}'
echo
step="stopping the server"
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=
[ "$status" = 0 ] || fail "recotem serve exited $status after SIGTERM"
echo "== server stopped (exit $status)"
