#!/usr/bin/env bash
# bench/workers.sh: weir run -workers 1 (GOMAXPROCS=1) against -workers 2
# (GOMAXPROCS=2), and bench/cmd/spin on 1 and 2 cores, interleaved, for one
# or more weir binaries: the speedup of -workers 2 and the machine's
# parallel capacity in the same minutes (issue 15).
#
# Usage: bench/workers.sh CORPUS ROUNDS SPIN WEIR [WEIR...]
# Prints one line per run: "name procs wall-ns/event cpu-ns/event", then
# per binary the minimum and median of each, the speedups and the load.
set -euo pipefail
corpus=$1 rounds=$2 spin=$3
shift 3
root=$(cd "$(dirname "$0")/.." && pwd)
cfg=${CONFIG:-$root/testdata/w1/pipeline.json}
# RT=1 runs every command at real-time priority (chrt -f 50): on a machine
# loaded by other work, the commands then have the cores to themselves
# (but for the kernel's real-time throttling, 5% of each second).
prio=
if [ "${RT:-}" = 1 ]; then
	prio="chrt -f 50"
fi
n=$(wc -l <"$corpus")
out=$(mktemp)
trap 'rm -f "$out" "$out.t"' EXIT
one() { # name procs cmd...
	local name=$1 procs=$2
	shift 2
	local t0 t1
	t0=$(date +%s%N)
	{ TIMEFORMAT='%3U %3S'; time GOMAXPROCS=$procs $prio "$@" >/dev/null; } 2>"$out.t"
	t1=$(date +%s%N)
	if [ -n "$prio" ]; then
		sleep 0.3 # below the real-time throttling's 95% of each second
	fi
	awk -v name="$name" -v n="$n" -v w=$(((t1 - t0))) 'END { printf "%s %.0f %.0f\n", name, w / n, ($1 + $2) * 1e9 / n }' "$out.t" | tee -a "$out"
}
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$rounds"); do
	one spin-1 1 "$spin"
	one spin-2 2 "$spin"
	for w in "$@"; do
		b=$(basename "$w")
		one "$b:w1" 1 "$w" run -config "$cfg" -workers 1 "$corpus"
		one "$b:w2" 2 "$w" run -config "$cfg" -workers 2 "$corpus"
	done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
awk '
function sortv(a, k,   i, j, t) { for (i = 2; i <= k; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t } }
function med(a, k) { return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2 }
{ k = ++cnt[$1]; W[$1, k] = $2; C[$1, k] = $3; names[$1] = 1 }
END {
	for (nm in names) {
		k = cnt[nm]; for (i = 1; i <= k; i++) { w[i] = W[nm, i]; c[i] = C[nm, i] }
		sortv(w, k); sortv(c, k)
		minw[nm] = w[1]; medw[nm] = med(w, k); medc[nm] = med(c, k); minc[nm] = c[1]
		printf "%-24s wall min %6d med %6d   cpu min %6d med %6d  (%d runs)\n", nm, w[1], medw[nm], c[1], medc[nm], k
	}
	printf "spin 2/1: best %.3fx median %.3fx\n", minw["spin-1"] / minw["spin-2"], medw["spin-1"] / medw["spin-2"]
	for (nm in names) if (nm ~ /:w1$/) {
		b = substr(nm, 1, length(nm) - 3)
		printf "%-18s w2/w1 speedup: best %.3fx median %.3fx   cpu w2/w1 (median) %.3f\n", b, minw[b ":w1"] / minw[b ":w2"], medw[b ":w1"] / medw[b ":w2"], medc[b ":w2"] / medc[b ":w1"]
	}
}' "$out"
