#!/usr/bin/env bash
# make e2e: the whole user story against the binaries in bin/ (run `make
# build` first): keygen, validate, train and inspect every example, serve
# them all, call every verb, retrain and watch the hot swap, SIGHUP picks up
# a new recipe that neither inotify nor polling could have found, SIGTERM
# lets a request in flight finish and exits 0, and `make quickstart`
# (scripts/quickstart.sh, on a copy of the example) ends with
# recommendations. Every step checks its exit code; a failing step prints
# what failed and the server log. Needs jq or python3 to parse JSON.
#
# Environment: E2E_BIN (default bin/), E2E_PORT (default: a free port),
# E2E_EXAMPLES (default: all; quickstart is required), E2E_KEEP=1 keeps the
# work directory.
# shellcheck disable=SC2015 # "A && B || die" is meant: die when either fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${E2E_BIN:-$root/bin}
started=$(date +%s)

# A clean environment: no RECOTEM_ setting of the caller leaks in.
while read -r v; do unset "$v"; done < <(compgen -e | grep '^RECOTEM_' || true)

work=$(mktemp -d "${TMPDIR:-/tmp}/recotem-e2e.XXXXXX")
pid=
step=setup

cleanup() {
	rc=$?
	trap - EXIT ERR
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	if [ "$rc" -ne 0 ]; then
		echo "FAIL: step '$step' (exit $rc)" >&2
		if [ -s "$work/serve.log" ]; then
			echo "--- serve.log (last 30 lines)" >&2
			tail -30 "$work/serve.log" >&2
		fi
	fi
	if [ "${E2E_KEEP:-}" = 1 ]; then
		echo "work directory kept: $work" >&2
	else
		rm -rf "$work"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'echo "FAIL: command failed: $BASH_COMMAND" >&2' ERR

# begin NAME: start a step (its name is printed again if it fails).
begin() {
	step=$1
	echo "== $1"
}

# die MESSAGE: fail the current step.
die() {
	echo "FAIL: $*" >&2
	exit 1
}

# expect CODE CMD...: run CMD (stdout to $out, stderr to $err) and require
# exit status CODE.
out=$work/out
err=$work/err
expect() {
	local want=$1 rc=0
	shift
	"$@" >"$out" 2>"$err" || rc=$?
	if [ "$rc" -ne "$want" ]; then
		echo "FAIL: '$*' exited $rc, want $want" >&2
		echo "--- stdout" >&2
		tail -20 "$out" >&2
		echo "--- stderr" >&2
		tail -20 "$err" >&2
		exit 1
	fi
}

# json_check FILE: FILE must hold one JSON value, checked by a real parser
# (jq, else python3); without either the test fails rather than guess.
json_check() {
	if command -v jq >/dev/null; then
		jq -e . "$1" >/dev/null || die "$1 is not JSON"
	elif command -v python3 >/dev/null; then
		python3 -m json.tool "$1" >/dev/null || die "$1 is not JSON"
	else
		die "no JSON parser: install jq (apt-get install jq) or python3"
	fi
}

# model_version FILE: the first "model_version" value in FILE.
model_version() {
	grep -o '"model_version": *"sha256:[0-9a-f]\{64\}"' "$1" | head -1 | grep -o 'sha256:[0-9a-f]*' || true
}

# now_ms: milliseconds since the epoch.
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# http METHOD PATH [BODY]: a request to the server with the API key (set
# NOAUTH=1 to omit it). Sets $status, $body and $mv (the
# X-Recotem-Model-Version header). curl when present, otherwise bash's
# /dev/tcp.
http() {
	local method=$1 path=$2 data=${3:-} resp=$work/resp
	local key=$api_key hdr=
	if [ "${NOAUTH:-}" = 1 ]; then key=; fi
	if [ -n "$key" ]; then hdr="X-API-Key: $key"$'\r\n'; fi
	if command -v curl >/dev/null; then
		curl -s -D "$resp.h" -o "$resp.b" -X "$method" ${key:+-H "X-API-Key: $key"} \
			-H 'Content-Type: application/json' ${data:+-d "$data"} "http://127.0.0.1:$port$path" >/dev/null || {
			status=000
			body=
			mv=
			return 0
		}
	else
		if ! { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null; then
			status=000
			body=
			mv=
			return 0
		fi
		printf '%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\n%sContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' \
			"$method" "$path" "$hdr" "${#data}" "$data" >&3
		cat <&3 >"$resp.raw"
		exec 3<&-
		sed '/^\r$/q' "$resp.raw" >"$resp.h"
		sed '1,/^\r$/d' "$resp.raw" >"$resp.b"
	fi
	status=$(head -1 "$resp.h" | cut -d' ' -f2)
	mv=$(sed -n 's/^[Xx]-[Rr]ecotem-[Mm]odel-[Vv]ersion: *\([^[:space:]]*\).*/\1/p' "$resp.h")
	body=$(cat "$resp.b")
}

# call METHOD PATH [BODY]: an authenticated request that must answer 200.
call() {
	http "$@"
	[ "$status" = 200 ] || die "$1 $2 answered $status: $body"
}

begin "a JSON parser"
command -v jq >/dev/null || command -v python3 >/dev/null || die "neither jq nor python3 is installed (apt-get install jq)"

begin "binaries in $bin"
for c in recotem recotem-train recotem-serve recotem-inspect recotem-validate recotem-keygen; do
	[ -x "$bin/$c" ] || die "$bin/$c is missing: run make build first"
done
recotem=$bin/recotem

begin "copy the examples to $work"
examples=${E2E_EXAMPLES:-quickstart realistic sql-sqlite parquet plugin}
for e in $examples plugins; do
	[ -d "$root/examples/$e" ] || die "no example examples/$e"
	cp -R "$root/examples/$e" "$work/$e"
	rm -rf "$work/$e/artifacts" "$work/$e/serve.log" "$work/$e"/data/*.db
done
if [[ " $examples " == *" sql-sqlite "* ]]; then
	if command -v sqlite3 >/dev/null; then
		begin "sqlite3 sql-sqlite/data/shop.db < data/shop.sql"
		(cd "$work/sql-sqlite" && sqlite3 data/shop.db <data/shop.sql) || die "sqlite3 could not build the database"
	else
		echo "SKIP sql-sqlite: the sqlite3 command is not installed (apt-get install sqlite3)"
		examples=$(tr ' ' '\n' <<<"$examples" | grep -vx sql-sqlite | tr '\n' ' ')
		rm -rf "$work/sql-sqlite"
	fi
fi
cd "$work"

begin "recotem keygen --type signing / --type api"
expect 0 "$recotem" keygen --type signing --kid e2e
signing_entry=$(sed -n 's/^env_entry=RECOTEM_SIGNING_KEYS=//p' "$out")
grep -q '^fingerprint=' "$out" || die "keygen --type signing printed no fingerprint= line"
expect 0 "$recotem" keygen --type api --kid e2e
api_entry=$(sed -n 's/^env_entry=RECOTEM_API_KEYS=//p' "$out")
api_key=$(sed -n 's/^plaintext=//p' "$out")
grep -q '^hash=sha256:' "$out" || die "keygen --type api printed no hash= line"
[ -n "$signing_entry" ] && [ -n "$api_entry" ] && [ -n "$api_key" ] || die "keygen printed no env_entry=/plaintext= lines"
expect 8 "$recotem" keygen --type nonsense --kid e2e # a configuration error

export RECOTEM_SIGNING_KEYS=$signing_entry
export RECOTEM_EXEC_PATH=$work/plugins
export RECOTEM_RECIPE_DSN=sqlite:///data/shop.db
export RECOTEM_LOG_FORMAT=json

begin "recotem validate: a broken recipe exits 2"
printf 'name: broken\nsource: {type: csv}\n' >broken.yaml
expect 2 "$recotem" validate broken.yaml
grep -q 'source' "$err" || die "validate named no field: $(cat "$err")"

begin "recotem train without RECOTEM_SIGNING_KEYS exits 8"
(cd quickstart && expect 8 env -u RECOTEM_SIGNING_KEYS "$recotem" train recipe.yaml -q)

declare -A version
for e in $examples; do
	begin "$e: recotem validate recipe.yaml"
	(cd "$e" && expect 0 "$recotem" validate recipe.yaml)
	grep -q 'Validation passed.' "$out" || die "validate did not pass: $(cat "$out")"

	begin "$e: recotem train recipe.yaml --json"
	t0=$(now_ms)
	(cd "$e" && expect 0 "$recotem" train recipe.yaml --json -q)
	json_check "$out"
	version[$e]=$(model_version "$out")
	[ -n "${version[$e]}" ] || die "train --json printed no model_version"
	grep -q "\"recipe\": \"$e\"" "$out" || die "train --json names another recipe"
	echo "   $(grep -o '"best_class": "[A-Za-z0-9]*"' "$out"), $(grep -o '"best_score": [0-9.e-]*' "$out"), $(($(now_ms) - t0)) ms"

	begin "$e: recotem inspect (text, then --json)"
	(cd "$e" && expect 0 "$recotem" inspect "artifacts/$e.recotem")
	head -1 "$out" | grep -q '^HMAC: OK' || die "inspect: $(head -1 "$out")"
	(cd "$e" && expect 0 "$recotem" inspect --json "artifacts/$e.recotem")
	json_check "$out"
	[ "$(model_version "$out")" = "${version[$e]}" ] || die "inspect --json model_version $(model_version "$out") != train's ${version[$e]}"
	grep -q '"hmac": "ok"' "$out" || die "inspect --json: hmac is not ok"
done

begin "recotem serve (all examples, one recipes directory)"
# serve resolves relative paths against its working directory ($work), so
# the serving copies prefix them with the example directory.
mkdir recipes
for e in $examples; do
	sed -E "s#^([[:space:]]*path:[[:space:]]*)#\\1$e/#" "$e/recipe.yaml" >"recipes/$e.yaml"
done
# The SIGHUP step's recipe: a symlink in the recipes directory to a file
# that does not exist yet (skipped by every rescan) in a subdirectory (a
# recipe must resolve inside the recipes root). The watch is not recursive,
# so writing the target raises no event the server sees; only a rescan
# (SIGHUP, or a poll, which RECOTEM_WATCH_INTERVAL=30 puts 27-33 s apart)
# can find it.
mkdir recipes/.hup
ln -s .hup/quickstart-copy.yaml recipes/quickstart-copy.yaml
port=${E2E_PORT:-}
if [ -z "$port" ]; then
	for _ in $(seq 20); do
		port=$((20000 + RANDOM % 20000))
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
	done
fi
export RECOTEM_API_KEYS=$api_entry RECOTEM_WATCH_INTERVAL=30 RECOTEM_METRICS_ENABLED=1 RECOTEM_DRAIN_SECONDS=5
"$recotem" serve --recipes recipes --port "$port" 2>serve.log &
pid=$!
# serve loads every recipe before it accepts connections: the first answer
# of /v1/health is final.
NOAUTH=1
for _ in $(seq 300); do
	http GET /v1/health
	[ "$status" != 000 ] && break
	kill -0 "$pid" 2>/dev/null || die "serve exited before answering"
	sleep 0.1
done
NOAUTH=
[ "$status" = 200 ] || {
	http GET /v1/health/details
	die "/v1/health is not 200 ($status): $body"
}
echo "   GET /v1/health → $body"

begin "GET /livez, /readyz (public, as Kubernetes probes call them)"
NOAUTH=1 http GET /livez
[ "$status" = 200 ] && grep -q '"status":"ok"' <<<"$body" || die "/livez answered $status: $body"
NOAUTH=1 http GET /readyz
[ "$status" = 200 ] && grep -q '"status":"ok"' <<<"$body" || die "/readyz answered $status: $body"

begin "make quickstart refuses a port in use (QUICKSTART_PORT=$port)"
rc=0
QUICKSTART_PORT=$port QUICKSTART_BIN=$bin QUICKSTART_DIR=$work/quickstart "$root/scripts/quickstart.sh" >"$out" 2>"$err" || rc=$?
[ "$rc" != 0 ] && grep -q "port $port (QUICKSTART_PORT) is in use" "$err" || die "quickstart on a busy port exited $rc: $(cat "$err")"

begin "authentication"
NOAUTH=1 http GET /v1/recipes
[ "$status" = 401 ] || die "GET /v1/recipes without a key answered $status, want 401"
api_key_saved=$api_key
api_key=not-a-valid-key-but-long-enough-to-be-hashed
http GET /v1/recipes
api_key=$api_key_saved
[ "$status" = 401 ] || die "GET /v1/recipes with a wrong key answered $status, want 401"

begin "GET /v1/recipes, /v1/recipes/{name}, /v1/health/details, /v1/metrics"
call GET /v1/recipes
for e in $examples; do
	grep -q "${version[$e]}" <<<"$body" || die "/v1/recipes lacks $e at ${version[$e]}: $body"
done
call GET /v1/recipes/quickstart
grep -q '"best_algorithm":"TopPopRecommender"' <<<"$body" || die "/v1/recipes/quickstart: $body"
call GET /v1/health/details
call GET /v1/metrics
grep -q '^recotem_model_loaded{recipe="quickstart"} 1' <<<"$body" || die "/v1/metrics lacks recotem_model_loaded for quickstart"

# check_single VERB E: the last answer is a 200 of recipe E with items and
# consistent model versions.
check_single() {
	[ "$mv" = "${version[$2]}" ] || die "$1 $2: header model version '$mv', want ${version[$2]}"
	[ "$(grep -o '"model_version":"sha256:[0-9a-f]*"' <<<"$body" | grep -o 'sha256:[0-9a-f]*')" = "$mv" ] ||
		die "$1 $2: body model_version differs from the header: $body"
	grep -q '"items":\[{"item_id":"[^"]*","score":' <<<"$body" || die "$1 $2: no items: $body"
}

declare -A user=([quickstart]=user007 [realistic]=u0001 [sql-sqlite]=c001 [parquet]=1 [plugin]=u15)
declare -A seed=([quickstart]=item003 [realistic]=b001 [sql-sqlite]=p001 [parquet]=t0001 [plugin]=i0)
declare -A fields=([realistic]="title category") # item metadata joined into the answers

# check_fields E: every item of the last answer carries E's metadata fields.
check_fields() {
	local f n
	n=$(grep -o '"item_id":' <<<"$body" | wc -l)
	for f in ${fields[$1]:-}; do
		[ "$(grep -o "\"$f\":\"[^\"]" <<<"$body" | wc -l)" = "$n" ] || die "$1: not every item has metadata field $f: $body"
	done
}
for e in $examples; do
	begin "$e: every verb"
	call POST "/v1/recipes/$e:recommend" "{\"user_id\":\"${user[$e]}\",\"limit\":5}"
	check_single recommend "$e"
	check_fields "$e"
	echo "   :recommend → $(grep -o '"items":.*' <<<"$body" | cut -c1-150)…"
	call POST "/v1/recipes/$e:recommend-related" "{\"seed_items\":[\"${seed[$e]}\"],\"limit\":3}"
	check_single recommend-related "$e"
	check_fields "$e"
	http POST "/v1/recipes/$e:recommend" '{"user_id":"no-such-user"}'
	[ "$status" = 404 ] && grep -q UNKNOWN_USER <<<"$body" || die ":recommend for an unknown user answered $status $body"
	call POST "/v1/recipes/$e:batch-recommend" "{\"requests\":[{\"user_id\":\"${user[$e]}\",\"limit\":2},{\"user_id\":\"no-such-user\"}],\"include_metadata\":true}"
	[ "$mv" = "${version[$e]}" ] || die ":batch-recommend model version $mv"
	check_fields "$e"
	grep -q '"results":\[{"index":0,"status":"ok","items":\[{"item_id"' <<<"$body" &&
		grep -q '{"index":1,"status":"error","error":{"code":"UNKNOWN_USER"' <<<"$body" || die ":batch-recommend: $body"
	call POST "/v1/recipes/$e:batch-recommend-related" "{\"requests\":[{\"seed_items\":[\"${seed[$e]}\"],\"limit\":2},{\"seed_items\":[\"no-such-item\"]}]}"
	[ "$mv" = "${version[$e]}" ] || die ":batch-recommend-related model version $mv"
	grep -q '"results":\[{"index":0,"status":"ok","items":\[{"item_id"' <<<"$body" &&
		grep -q '{"index":1,"status":"error","error":{"code":"UNKNOWN_SEED_ITEMS"' <<<"$body" || die ":batch-recommend-related: $body"
	for f in ${fields[$e]:-}; do
		if grep -q "\"$f\":" <<<"$body"; then die ":batch-recommend-related without include_metadata returned $f: $body"; fi
	done
done

begin "hot swap: train quickstart again, the server swaps within 2 s"
sleep 1 # a new trained_at second, so the new artifact differs
# The swap is a rescan: none can happen by polling before 27 s from here
# (RECOTEM_WATCH_INTERVAL=30 minus 10 % jitter).
last_rescan_floor=$(now_ms)
(cd quickstart && expect 0 "$recotem" train recipe.yaml --json -q)
new=$(model_version "$out")
[ -n "$new" ] && [ "$new" != "${version[quickstart]}" ] || die "retraining gave model version '$new' (was ${version[quickstart]})"
t0=$(now_ms)
while :; do
	call POST /v1/recipes/quickstart:recommend '{"user_id":"user007","limit":3}'
	[ "$mv" = "$new" ] && break
	[ $(($(now_ms) - t0)) -lt 2000 ] || die "still serving $mv 2 s after training $new"
	sleep 0.05
done
echo "   swapped to ${new:0:19}… after $(($(now_ms) - t0)) ms"
version[quickstart]=$new

begin "SIGHUP: the server rescans and serves a recipe nothing else could have found"
sed 's/^name: quickstart$/name: quickstart-copy/' recipes/quickstart.yaml >recipes/.hup/quickstart-copy.tmp
mv recipes/.hup/quickstart-copy.tmp recipes/.hup/quickstart-copy.yaml
sleep 1.5
http POST /v1/recipes/quickstart-copy:recommend '{"user_id":"user007","limit":3}'
[ "$status" = 404 ] || die "quickstart-copy answered $status before SIGHUP, want 404 (found without a signal?): $body"
kill -HUP "$pid"
t0=$(now_ms)
while :; do
	http POST /v1/recipes/quickstart-copy:recommend '{"user_id":"user007","limit":3}'
	[ "$status" = 200 ] && break
	kill -0 "$pid" 2>/dev/null || die "serve died after SIGHUP"
	[ $(($(now_ms) - t0)) -lt 5000 ] || die "quickstart-copy not served 5 s after SIGHUP (last answer $status $body)"
	sleep 0.05
done
served=$(now_ms)
[ "$mv" = "${version[quickstart]}" ] || die "quickstart-copy serves $mv, want ${version[quickstart]}"
grep -q '"event":"sighup_rescan"' serve.log || die "serve.log has no sighup_rescan event"
[ $((served - last_rescan_floor)) -lt 26000 ] ||
	die "served $((served - last_rescan_floor)) ms after the last rescan: a 30 s poll could explain it, SIGHUP is not proven"
echo "   quickstart-copy served $((served - t0)) ms after SIGHUP ($((served - last_rescan_floor)) ms after the last rescan, polls are >= 27 s apart)"

begin "SIGTERM: a request in flight completes with 200, then exit 0"
# A batch request whose body is only half sent when SIGTERM arrives; the
# rest follows once the server logs serve_draining, so the request is
# certainly in flight during the drain.
batch='{"requests":['
for _ in $(seq 50); do batch+='{"user_id":"user007","limit":5},'; done
batch+='{"user_id":"user001","limit":5}]}'
(
	exec 3<>"/dev/tcp/127.0.0.1/$port"
	printf 'POST /v1/recipes/quickstart:batch-recommend HTTP/1.0\r\nHost: 127.0.0.1\r\nX-API-Key: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' \
		"$api_key" "${#batch}" "${batch:0:40}" >&3
	: >inflight.started
	for _ in $(seq 200); do
		grep -q '"event":"serve_draining"' serve.log && break
		sleep 0.05
	done
	printf '%s' "${batch:40}" >&3
	cat <&3 >inflight.resp
) &
inflight=$!
for _ in $(seq 100); do
	[ -e inflight.started ] && break
	sleep 0.05
done
[ -e inflight.started ] || die "the in-flight request did not start"
sleep 0.2
kill -TERM "$pid"
wait "$inflight" || die "the in-flight request failed"
head -1 inflight.resp | grep -q '^HTTP/1\.[01] 200' || die "the in-flight request answered: $(head -1 inflight.resp)"
grep -q '"results":\[{"index":0,"status":"ok","items":\[{"item_id":"item003"' inflight.resp ||
	die "the in-flight request's answer: $(tail -c 300 inflight.resp)"
grep -q '"event":"serve_draining"' serve.log || die "serve.log lacks serve_draining"
rc=0
wait "$pid" || rc=$?
pid=
[ "$rc" = 0 ] || die "serve exited $rc after SIGTERM, want 0"
grep -q '"event":"serve_shutdown"' serve.log || die "serve.log lacks the serve_shutdown event"
echo "   in-flight batch-recommend answered $(head -1 inflight.resp | tr -d '\r') during the drain"

# quickstart [VAR=value...]: run scripts/quickstart.sh on a copy of the
# example with these QUICKSTART_* settings and without the RECOTEM_
# settings of this script.
quickstart() {
	(
		while read -r v; do unset "$v"; done < <(compgen -e | grep '^RECOTEM_')
		# shellcheck disable=SC2163 # the arguments are VAR=value pairs
		export QUICKSTART_BIN=$bin QUICKSTART_DIR=$work/quickstart-demo "$@"
		exec "$root/scripts/quickstart.sh"
	)
}
cp -R "$root/examples/quickstart" quickstart-demo
rm -rf quickstart-demo/artifacts

begin "make quickstart (scripts/quickstart.sh) ends with recommendations and stops its server"
expect 0 quickstart
qport=$(sed -n 's/^== recotem serve --recipes \. --port \([0-9]*\)$/\1/p' "$out")
[ -n "$qport" ] || die "quickstart printed no serve port: $(cat "$out")"
grep -q '"items":\[{"item_id":"item003","score":71},{"item_id":"item004","score":58}' "$out" ||
	die "quickstart printed no recommendations for user007: $(tail -8 "$out")"
[ "$(tail -1 "$out")" = "== server stopped (exit 0)" ] || die "quickstart ended with: $(tail -1 "$out")"
if (exec 3<>"/dev/tcp/127.0.0.1/$qport") 2>/dev/null; then die "port $qport still answers after quickstart"; fi

begin "make quickstart fails clearly, and stops its server, when serve never becomes healthy"
rc=0
quickstart QUICKSTART_HEALTH_SECONDS=0 >"$out" 2>"$err" || rc=$?
qport=$(sed -n 's/^== recotem serve --recipes \. --port \([0-9]*\)$/\1/p' "$out")
[ "$rc" = 1 ] && grep -q "did not become healthy on port $qport within 0 s" "$err" ||
	die "quickstart without health exited $rc: $(head -3 "$err")"
if (exec 3<>"/dev/tcp/127.0.0.1/$qport") 2>/dev/null; then die "port $qport still answers after a failed quickstart"; fi

step="finished"
echo "== e2e passed in $(($(date +%s) - started)) s"
