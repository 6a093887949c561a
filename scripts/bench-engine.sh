#!/usr/bin/env bash
# make bench-engine: fit every model of the anchor protocol (synthetic 5M
# interactions at 1 and 2 threads, DenseSLIM on ml-latest-small, every model
# on ml-100k) for each build option, one process per case, and print a table
# with the ratio of each build to the default build measured in this run,
# beside irspack's C++ figure from evaluation-protocol.md.
#   BENCH_FILTER=regexp   only cases matching (e.g. ML100K)
#   BENCH_BUILDS="default purego blas"
# default: AVX2+FMA assembly kernels on amd64; purego: the pure-Go kernels;
# blas: OpenBLAS for the dense level-3 work.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root/pkg"
builds=${BENCH_BUILDS:-"default purego blas"}
filter=${BENCH_FILTER:-.}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

declare -A irspack=(
	[Synth5M/IALS-k64-16ep/threads=2]="10.5 s (6.75 AVX-512)"
	[Synth5M/RP3beta-top300/threads=2]="9.1-12.5 s"
	[MLLatestSmall/DenseSLIM-reg300]="13.05 s, 1.6 GiB"
	[ML100K/TopPop]="<1 ms" [ML100K/IALS-k64]="166-251 ms" [ML100K/RP3beta-top300]="109-204 ms"
	[ML100K/RP3beta-top100]="81-174 ms" [ML100K/CosineKNN-norm]="86-178 ms" [ML100K/DenseSLIM-reg300]="269-468 ms"
	[ML100K/TruncatedSVD-k64]="50-110 ms" [ML100K/TruncatedSVD-k16]="18-26 ms" [ML100K/BPRFM]="(not runnable)"
)

for build in $builds; do
	case $build in
	default) env=(); tags="" ;;
	purego) env=(); tags="-tags=purego" ;;
	blas)
		if ! ls /usr/lib/x86_64-linux-gnu/libopenblas.so* >/dev/null 2>&1 && ! ldconfig -p | grep -q libopenblas; then
			echo "skipping build blas: libopenblas-dev is not installed" >&2; continue
		fi
		env=(CGO_ENABLED=1); tags="-tags=blas" ;;
	esac
	env "${env[@]}" go test -c -o "$tmp/$build.test" $tags ./algo/catalog/ || echo "build $build failed" >&2
done

# The cases of BenchmarkEngine (pkg/algo/catalog/bench_test.go).
names=(Synth5M/IALS-k64-16ep/threads=1 Synth5M/IALS-k64-16ep/threads=2
	Synth5M/RP3beta-top300/threads=1 Synth5M/RP3beta-top300/threads=2
	MLLatestSmall/DenseSLIM-reg300
	ML100K/TopPop ML100K/IALS-k64 ML100K/RP3beta-top300 ML100K/RP3beta-top100 ML100K/CosineKNN-norm
	ML100K/DenseSLIM-reg300 ML100K/TruncatedSVD-k64 ML100K/TruncatedSVD-k16 ML100K/BPRFM)

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)   cores: $(nproc)"
printf '%-36s %-8s %10s %10s %10s %8s   %s\n' case build s/fit cpu-s/fit peak-MiB ratio irspack
for n in "${names[@]}"; do
	[[ $n =~ $filter ]] || continue
	base=""
	for build in $builds; do
		[ -x "$tmp/$build.test" ] || continue
		pattern="^BenchmarkEngine\$/^$(sed 's#/#$/^#g' <<<"$n")\$"
		out=$("$tmp/$build.test" -test.run '^$' -test.bench "$pattern" -test.benchtime 1x 2>&1 | grep -E '^BenchmarkEngine' || true)
		read -r s cpu peak < <(awk '{for(i=1;i<=NF;i++){if($i=="s/fit")s=$(i-1); if($i=="cpu-s/fit")c=$(i-1); if($i=="fit-peak-MiB")p=$(i-1)}} END{print s, c, p}' <<<"$out")
		if [ -z "$s" ]; then printf '%-36s %-8s %10s\n' "$n" "$build" "skipped"; continue; fi
		[ -z "$base" ] && base=$s
		ratio=$(awk -v a="$s" -v b="$base" 'BEGIN{printf "%.2fx", b/a}')
		printf '%-36s %-8s %10.4f %10.4f %10.0f %8s   %s\n' "$n" "$build" "$s" "$cpu" "$peak" "$ratio" "${irspack[$n]:-}"
	done
done
