#!/usr/bin/env bash
# make bench-train: `recotem train` on ml-100k with the default budget (40
# trials) across all seven algorithms; prints wall and CPU time, the best
# nDCG@20 and the time spent per algorithm. Needs ../shared/data (the
# MovieLens data of the evaluation protocol) and bin/ (make build).
#   BENCH_TRAIN_PUREGO=1   also run a build with the pure-Go kernels (-tags purego)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
data=${RECOTEM_SHARED_DIR:-$root/../shared}/data/ml-100k/u.data
[ -f "$data" ] || { echo "bench-train: $data not found" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
{ printf 'user_id\titem_id\trating\ttimestamp\n'; cat "$data"; } >"$tmp/ml100k.tsv"
cat >"$tmp/ml100k.yaml" <<YAML
name: ml100k
source: {type: csv, path: $tmp/ml100k.tsv, delimiter: "\t"}
schema: {user_column: user_id, item_column: item_id}
training:
  algorithms: [IALS, CosineKNN, TopPop, RP3beta, DenseSLIM, TruncatedSVD, BPRFM]
output: {path: $tmp/out/ml100k.recotem}
YAML
export RECOTEM_SIGNING_KEYS=bench:$(printf '%064d' 1)
export RECOTEM_LOG_FORMAT=json

run() { # name bin
	local start end
	start=$(date +%s.%N)
	/usr/bin/time -f '%U %S %M' -o "$tmp/time" "$2/recotem-train" "$tmp/ml100k.yaml" --json -q 2>"$tmp/log" >"$tmp/res.json" || { cat "$tmp/log" >&2; exit 1; }
	end=$(date +%s.%N)
	read -r user sys rss <"$tmp/time"
	python3 - "$1" "$start" "$end" "$user" "$sys" "$rss" "$tmp/res.json" <<'PY'
import json, sys
name, start, end, user, sys_, rss, res = sys.argv[1:]
r = json.load(open(res))
print(f"{name:8} wall {float(end)-float(start):6.1f} s  cpu {float(user)+float(sys_):6.1f} s  peak {int(rss)//1024} MiB  "
      f"trials {r['trials']} ({r['completed']} complete, {r['pruned']} pruned, {r['failed']} failed)  "
      f"best {r['best_class']} nDCG@20 {r['best_score']:.4f}  search {r['durations_seconds']['search']:.1f} s")
PY
}
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)   cores: $(nproc)"
run default "$root/bin"
if [ -n "${BENCH_TRAIN_PUREGO:-}" ]; then
	mkdir -p "$tmp/purego"
	(cd "$root/recotem-train" && go build -tags purego -o "$tmp/purego/" .)
	run purego "$tmp/purego"
fi
