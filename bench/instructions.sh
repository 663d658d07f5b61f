#!/bin/sh
# instructions.sh: instructions executed per W1 event, counted by valgrind's
# callgrind, for a figure that does not move with the load of a shared
# machine. Each engine's benchmark runs twice with different event counts;
# the difference of the two totals, divided by the difference of the counts,
# is the cost of one event (setup cancels out; garbage collection is
# included). Prints the total and the functions that cost the most.
#
# Usage: bench/instructions.sh [engine ...]   (default: floor config typed)
# TAGS=weirall links transform/all into the benchmark binary (see
# linkall_test.go).
# Needs valgrind and callgrind_annotate. Takes a few minutes per engine.
set -eu
cd "$(dirname "$0")"
out=${TMPDIR:-/tmp}/weir-w1-instructions
mkdir -p "$out"
go test -c ${TAGS:+-tags "$TAGS"} -o "$out/bench.test" .

# profile FILE: "count function" lines of callgrind's per-function table.
profile() {
	callgrind_annotate --inclusive=no --threshold=100 --auto=no "$1" |
		awk '/file:function/ {on=1; next} on && /^ *[0-9,]+ \(/ {
			n=$1; gsub(",", "", n); $1=""; $2=""; f=$0
			sub(/ \[[^]]*\]$/, "", f); sub(/^ *[^:]*:/, "", f); sub(/'"'"'[0-9]+$/, "", f)
			print n, f }'
}

for e in ${@:-floor config typed}; do
	small=1000
	case $e in floor) big=51000 ;; *) big=11000 ;; esac
	for n in $small $big; do
		GOMAXPROCS=1 GODEBUG=asyncpreemptoff=1 valgrind --tool=callgrind \
			--callgrind-out-file="$out/$e.$n" "$out/bench.test" \
			-test.run '^$' -test.bench "W1\$/$e\$" -test.benchtime=${n}x >/dev/null 2>&1
	done
	profile "$out/$e.$small" >"$out/$e.$small.txt"
	profile "$out/$e.$big" >"$out/$e.$big.txt"
	awk -v n=$((big - small)) -v e="$e" '
		NR == FNR { a[substr($0, index($0, " ") + 1)] -= $1; next }
		{ a[substr($0, index($0, " ") + 1)] += $1 }
		END {
			for (f in a) { t += a[f] }
			printf "%s: %.0f instructions/event\n", e, t / n
			for (f in a) printf "%9.0f %5.1f%%  %s\n", a[f] / n, 100 * a[f] / t, f | "sort -rn | head -12"
		}' "$out/$e.$small.txt" "$out/$e.$big.txt"
	echo
done
