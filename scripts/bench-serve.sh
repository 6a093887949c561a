#!/usr/bin/env bash
# bench-serve.sh: throughput, latency, start-up and hot-swap figures of
# recotem-serve (`make bench-serve`).
#
# Builds recotem-train and recotem-serve, trains an IALS and a TopPop recipe
# over ml-100k, serves them on loopback and drives them with wrk (2 threads x
# 64 connections, 10 s each): :recommend for random known users on each
# model and :batch-recommend with 64 users per request. Then it measures the
# start-up time of a server with 10 recipes (READY=1 on NOTIFY_SOCKET and the
# first 200 on /v1/health) and runs the 60-s hot-swap test.
#
# Environment: DATA (default /work/shared/data/ml-100k/u.data or
# $RECOTEM_SHARED_DIR/data/ml-100k/u.data), DURATION (wrk seconds, 10),
# CONNECTIONS (64), THREADS (2), SWAP_SECONDS (60; 0 skips the swap test).
# TAGS is passed to go build as -tags (TAGS=purego measures the pure-Go
# kernels instead of the AVX2 assembly).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${RECOTEM_SHARED_DIR:-/work/shared}
DATA=${DATA:-$SHARED/data/ml-100k/u.data}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
SWAP_SECONDS=${SWAP_SECONDS:-60}

die() { echo "bench-serve: $*" >&2; exit 1; }

[ -f "$DATA" ] || die "ml-100k not found at $DATA (set DATA)"
if ! command -v wrk >/dev/null; then
	echo "bench-serve: installing wrk" >&2
	{ apt-get update -qq && apt-get install -y -qq wrk; } >/dev/null || die "wrk is not installed and apt-get failed"
fi
command -v python3 >/dev/null || die "python3 is required for the start-up measurement"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-serve.XXXXXX")
SERVER_PID=
cleanup() {
	if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
	rm -rf "$WORK"
}
trap cleanup EXIT

echo "== build (tags: ${TAGS:-none})"
for c in recotem-train recotem-serve; do
	(cd "$ROOT" && CGO_ENABLED=0 go build -tags "${TAGS:-}" -o "$WORK/bin/$c" "./$c")
done

SIGNING="bench:$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"
export RECOTEM_SIGNING_KEYS=$SIGNING

# Training data: u.data with a header line.
{ printf 'user_id\titem_id\trating\ttimestamp\n'; cat "$DATA"; } > "$WORK/data.tsv"
cut -f1 "$DATA" | sort -u > "$WORK/users.txt"

mkdir -p "$WORK/recipes" "$WORK/artifacts"
recipe() { # name algorithm params-yaml
	cat > "$WORK/recipes/$1.yaml" <<YAML
name: $1
source: {type: csv, path: $WORK/data.tsv, delimiter: "\t"}
schema: {user_column: user_id, item_column: item_id}
training:
  algorithms: [$2]
  n_trials: 1
  params: {$2: $3}
output: {path: $WORK/artifacts/$1.recotem}
YAML
}
recipe ials IALS '{n_components: 64, alpha0: 0.3, reg: 0.01, train_epochs: 16}'
recipe toppop TopPop '{}'

echo "== train"
for r in ials toppop; do
	start=$(date +%s%N)
	"$WORK/bin/recotem-train" --quiet "$WORK/recipes/$r.yaml" > /dev/null 2> "$WORK/train-$r.log" || { cat "$WORK/train-$r.log" >&2; die "training $r failed"; }
	echo "  $r trained in $((($(date +%s%N) - start) / 1000000)) ms"
done

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_health() { # url
	for _ in $(seq 1 1000); do
		if curl -fs -o /dev/null "$1/v1/health"; then return 0; fi
		sleep 0.02
	done
	die "server not healthy at $1"
}

PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
echo "== serve on $BASE"
RECOTEM_PORT=$PORT RECOTEM_WATCH_INTERVAL=30 RECOTEM_METRICS_ENABLED=true \
	"$WORK/bin/recotem-serve" --recipes "$WORK/recipes" 2> "$WORK/serve.log" &
SERVER_PID=$!
wait_health "$BASE"

# Each wrk run prints a RESULT line (see bench-serve.lua).
run_wrk() { # label url batch
	local out
	out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 5s -s "$ROOT/scripts/bench-serve.lua" "$2" -- "$WORK/users.txt" "$3" | grep '^RESULT')
	printf '%s\t%s\t%s\n' "$1" "$3" "$out" >> "$WORK/results"
	echo "  $1: $out"
}
: > "$WORK/results"
echo "== wrk: $THREADS threads x $CONNECTIONS connections, ${DURATION} s each"
run_wrk "IALS :recommend" "$BASE/v1/recipes/ials:recommend" 0
run_wrk "TopPop :recommend" "$BASE/v1/recipes/toppop:recommend" 0
run_wrk "IALS :batch-recommend (64 users)" "$BASE/v1/recipes/ials:batch-recommend" 64
run_wrk "TopPop :batch-recommend (64 users)" "$BASE/v1/recipes/toppop:batch-recommend" 64
# Server-side view of the same requests (auth, body, gate wait, scoring,
# response write), from the latency histogram of /v1/metrics.
curl -fs "$BASE/v1/metrics" > "$WORK/metrics.txt" || die "scraping /v1/metrics failed"
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=
echo
echo "server-side latency (share of requests at or under each bound):"
python3 - "$WORK/metrics.txt" <<'PY'
import re, sys, collections
buckets = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    m = re.match(r'recotem_v1_request_latency_seconds_bucket\{(.*)\} (\S+)', line)
    if not m:
        continue
    labels = dict(kv.split('=', 1) for kv in re.findall(r'(\w+="[^"]*")', m.group(1)))
    key = labels['recipe'].strip('"') + ' :' + labels['verb'].strip('"')
    buckets[key][labels['le'].strip('"')] = float(m.group(2))
for key, b in sorted(buckets.items()):
    total = b.get('+Inf', 0)
    if total:
        print(f"  {key:28} n={int(total):7}  " + "  ".join(f"<={le}s {b[le] / total:7.2%}" for le in ('0.005', '0.01', '0.025', '0.05')))
PY

echo
echo "| workload | req/s | users/s | p50 | p99 | non-2xx | errors |"
echo "|---|---:|---:|---:|---:|---:|---:|"
while IFS=$'\t' read -r label batch rest; do
	val() { echo "$rest" | sed -n "s/.*$1=\([^ ]*\).*/\1/p"; }
	rps=$(val req_s)
	users=$rps
	[ "$batch" -gt 0 ] && users=$((rps * batch))
	printf '| %s | %s | %s | %s ms | %s ms | %s | %s |\n' "$label" "$rps" "$users" "$(val p50_ms)" "$(val p99_ms)" "$(val non2xx)" "$(val errors)"
done < "$WORK/results"

echo
echo "== start-up with 10 recipes"
mkdir -p "$WORK/recipes10"
for i in $(seq 0 9); do
	src=ials; [ $((i % 2)) -eq 1 ] && src=toppop
	sed -e "s/^name: .*/name: r$i/" "$WORK/recipes/$src.yaml" > "$WORK/recipes10/r$i.yaml"
done
python3 - "$WORK/bin/recotem-serve" "$WORK/recipes10" "$(free_port)" "$WORK" <<'PY'
import os, socket, subprocess, sys, time, urllib.request
binary, recipes, port, work = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
runs = []
for run in range(5):
    path = os.path.join(work, "notify%d.sock" % run)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(20)
    env = dict(os.environ, NOTIFY_SOCKET=path, RECOTEM_PORT=port, RECOTEM_WATCH_INTERVAL="30")
    t0 = time.monotonic()
    p = subprocess.Popen([binary, "--recipes", recipes], env=env, stderr=subprocess.DEVNULL)
    ready = None
    while ready is None:
        if b"READY=1" in sock.recv(4096):
            ready = time.monotonic() - t0
    health = None
    while health is None:
        try:
            with urllib.request.urlopen("http://127.0.0.1:%s/v1/health" % port, timeout=1) as r:
                if r.status == 200:
                    health = time.monotonic() - t0
        except Exception:
            time.sleep(0.002)
    p.terminate(); p.wait(); sock.close(); os.unlink(path)
    runs.append((ready, health))
    print("  run %d: READY=1 after %.0f ms, first 200 on /v1/health after %.0f ms" % (run + 1, ready * 1000, health * 1000))
rs = sorted(r for r, _ in runs); hs = sorted(h for _, h in runs)
print("  median: READY=1 %.0f ms, /v1/health 200 %.0f ms (target <= 200 ms)" % (rs[2] * 1000, hs[2] * 1000))
PY

if [ "$SWAP_SECONDS" -gt 0 ]; then
	echo
	echo "== hot-swap under load: ${SWAP_SECONDS} s, 8 clients, a new artifact every second"
	(cd "$ROOT/pkg" && RECOTEM_SWAP_SECONDS=$SWAP_SECONDS go test -count=1 -v -run 'TestSwapUnderLoadWatched$' ./serve/) | grep -E 'swap latency|^(--- |ok|FAIL)'
fi
echo
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
