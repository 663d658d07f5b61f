#!/usr/bin/env bash
# bench/run.sh: workload W1 (CloudTrail -> ECS) for Weir and its peers, in
# one sitting on this machine, and one table of the results and ratios.
#
#  1. corpus: N records of gen_cloudtrail.py (seed 42), made by the Go port
#     (bench/cmd/gencorpus); when python3 and the shared generator are
#     there, the first 2,000 records are checked byte for byte against it;
#  2. reference: w1_reference.py's output for the first 2,000 records (or,
#     without python3, the committed testdata/w1 corpus and reference);
#  3. correctness before timing: Weir's three forms (config, typed, floor)
#     and the peers' outputs must equal the reference as parsed JSON;
#  4. timing, one core, over the same corpus file, in ROUNDS rounds: each
#     round runs Weir's BenchmarkW1 (-cpu 1 -benchmem -count 1, one pass
#     over the N records per engine), then one pass of the peer hand-written
#     floor, then one pass of each Benthos configuration. Interleaving the
#     engines spreads the shared machine's changing load over all of them
#     instead of giving one engine a quiet minute and the next a busy one;
#  5. the table: best and median pass per engine, and the ratios.
#
# The peers come from ../shared/peerbench (PEERBENCH=dir to change): they are
# copied to a scratch directory and built there (Benthos downloads its module
# graph from the Go proxy on the first build, which takes minutes). Without
# that directory the peers are skipped with a message. Peer code never enters
# this repository.
#
# Usage: bench/run.sh            (from anywhere; about 10 minutes)
# Environment: N (records, default 100000), ROUNDS (default 5), PEERBENCH,
# SHARED (default ../shared), GO (default go), KEEP=1 keeps the scratch
# directory, WEIR_BENCH_OUT=file also writes the table there.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
N=${N:-100000}
ROUNDS=${ROUNDS:-5}
SHARED=${SHARED:-$root/../shared}
PEERBENCH=${PEERBENCH:-$SHARED/peerbench}
CORPUS_DIR=$SHARED/corpus
GO=${GO:-go}

work=$(mktemp -d "${TMPDIR:-/tmp}/weir-w1.XXXXXX")
if [ "${KEEP:-}" = 1 ]; then
	echo "scratch directory (kept): $work" >&2
else
	trap 'rm -rf "$work"' EXIT
fi
log() { printf '== %s\n' "$*" >&2; }

# ---- corpus and reference -------------------------------------------------
log "corpus: $N records (internal/ctgen, seed 42)"
$GO run ./bench/cmd/gencorpus "$N" >"$work/ct.ndjson"
check=$((N < 2000 ? N : 2000))
head -n "$check" "$work/ct.ndjson" >"$work/ct-check.ndjson"
have_python=false
if command -v python3 >/dev/null 2>&1 && [ -f "$CORPUS_DIR/gen_cloudtrail.py" ] && [ -f "$CORPUS_DIR/w1_reference.py" ]; then
	have_python=true
fi
if $have_python; then
	python3 "$CORPUS_DIR/gen_cloudtrail.py" "$check" 42 >"$work/ct-py.ndjson"
	if ! cmp -s "$work/ct-py.ndjson" "$work/ct-check.ndjson"; then
		echo "FAIL: internal/ctgen and gen_cloudtrail.py disagree on the first $check records" >&2
		exit 1
	fi
	log "corpus: the first $check records are byte-identical to gen_cloudtrail.py's"
	python3 "$CORPUS_DIR/w1_reference.py" <"$work/ct-check.ndjson" >"$work/ref-check.ndjson"
	log "reference: w1_reference.py on the first $check records"
else
	echo "note: python3 or $CORPUS_DIR is missing: checking against the committed testdata/w1 reference (300 records)" >&2
	cp testdata/w1/cloudtrail.ndjson "$work/ct-check.ndjson"
	cp testdata/w1/reference.ndjson "$work/ref-check.ndjson"
fi

# ---- correctness -------------------------------------------------------------
log "verify: Weir config, typed, floor"
$GO run ./bench/cmd/w1check -want "$work/ref-check.ndjson" -in "$work/ct-check.ndjson" -engine config,typed,floor
$GO build -o "$work/w1check" ./bench/cmd/w1check

# The command-line rows: weir run end to end over the same corpus, with the
# W1 config and with the idiomatic one, beside the runner floor (the same
# I/O around the hand-written W1). Their outputs are checked first too.
log "build and verify: weir run (W1 config, idiomatic config), runner floor"
$GO build -o "$work/weir" ./cmd/weir
$GO build -o "$work/runfloor" ./bench/cmd/runfloor
$GO build -o "$work/spin" ./bench/cmd/spin
"$work/runfloor" -in "$work/ct-check.ndjson" -out "$work/runfloor-check.ndjson"
"$work/w1check" -want "$work/ref-check.ndjson" -got "$work/runfloor-check.ndjson" -name runner-floor
for cfg in pipeline idiomatic; do
	"$work/weir" run -config "testdata/w1/$cfg.json" "$work/ct-check.ndjson" >"$work/run-$cfg-check.ndjson"
	"$work/w1check" -want "$work/ref-check.ndjson" -got "$work/run-$cfg-check.ndjson" -name "weir-run-$cfg"
done

peers=false
have_floor=false
have_benthos=false
if [ -d "$PEERBENCH/floor" ] || [ -d "$PEERBENCH/benthos" ]; then
	peers=true
	mkdir -p "$work/src" "$work/bin"
	if [ -d "$PEERBENCH/floor" ]; then
		cp -R "$PEERBENCH/floor" "$work/src/floor"
		log "build: peer floor"
		if (cd "$work/src/floor" && $GO build -o "$work/bin/floor" .); then
			"$work/bin/floor" -in "$work/ct-check.ndjson" -out "$work/floor-check.ndjson"
			"$work/w1check" -want "$work/ref-check.ndjson" -got "$work/floor-check.ndjson" -name peer-floor
			have_floor=true
		else
			echo "SKIP peer floor: it did not build (see above)" >&2
		fi
	fi
	if [ -d "$PEERBENCH/benthos" ]; then
		cp -R "$PEERBENCH/benthos" "$work/src/benthos"
		log "build: Benthos harness (the first build downloads its module graph: minutes)"
		if (cd "$work/src/benthos" && $GO build -o "$work/bin/benthosbench" .); then
			"$work/bin/benthosbench" -mode verify -in "$work/ct-check.ndjson" -expected "$work/ref-check.ndjson"
			have_benthos=true
		else
			echo "SKIP Benthos: it did not build (no network for the Go proxy?)" >&2
		fi
	fi
else
	echo "SKIP peers: $PEERBENCH (floor/, benthos/) is absent; only Weir is measured" >&2
fi

# ---- timing ------------------------------------------------------------------
load0=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')
$GO test -c -o "$work/bench.test" ./bench/
# The same benchmarks linked with transform/all (the AWS SDK's schemas in
# the heap, as in weir run): config-new is timed in both.
$GO test -c -tags weirall -o "$work/bench-all.test" ./bench/
: >"$work/weir.txt"
: >"$work/floor.txt"
: >"$work/benthos.txt"
: >"$work/cmd.txt"
# timecmd NAME PROCS CMD...: runs CMD with GOMAXPROCS=PROCS, output to
# /dev/null, and appends "NAME W ns/event C cpu-ns/event" (wall time / N,
# and the CPU time, user + system, / N) to cmd.txt. On a shared machine
# the CPU time of a one-core row moves much less than its wall time.
timecmd() {
	local name=$1 procs=$2
	shift 2
	local t0 t1 cpu
	t0=$(date +%s%N)
	{
		TIMEFORMAT='%3U %3S'
		time GOMAXPROCS=$procs "$@" >/dev/null 2>"$work/cmd.err"
	} 2>"$work/cmd.time"
	t1=$(date +%s%N)
	cpu=$(awk -v n="$N" 'END { printf "%.0f", ($1 + $2) * 1e9 / n }' "$work/cmd.time")
	echo "$name $(((t1 - t0) / N)) ns/event $cpu cpu-ns/event" | tee -a "$work/cmd.txt" >&2
}
for round in $(seq "$ROUNDS"); do
	log "time: round $round of $ROUNDS: weir run and the runner floor, $N events each"
	timecmd runfloor 1 "$work/runfloor" -in "$work/ct.ndjson"
	timecmd run-1 1 "$work/weir" run -config testdata/w1/pipeline.json -workers 1 "$work/ct.ndjson"
	timecmd run-2 2 "$work/weir" run -config testdata/w1/pipeline.json -workers 2 "$work/ct.ndjson"
	# The parallelism the machine offers right now: pure CPU work on 1,
	# then 2 cores (bench/cmd/spin).
	timecmd spin-1 1 "$work/spin"
	timecmd spin-2 2 "$work/spin"
	timecmd run-idiomatic-1 1 "$work/weir" run -config testdata/w1/idiomatic.json -workers 1 "$work/ct.ndjson"
	log "time: round $round of $ROUNDS: Weir BenchmarkW1 (config, typed, floor), GOMAXPROCS=1, $N events each"
	(cd bench && WEIR_W1_CORPUS="$work/ct.ndjson" "$work/bench.test" -test.run '^$' -test.bench 'W1$' \
		-test.benchmem -test.cpu 1 -test.count 1 -test.benchtime "${N}x" -test.timeout 60m) | tee -a "$work/weir.txt" >&2
	log "time: round $round of $ROUNDS: Weir BenchmarkW1/config-new linked with transform/all, GOMAXPROCS=1, $N events"
	(cd bench && WEIR_W1_CORPUS="$work/ct.ndjson" "$work/bench-all.test" -test.run '^$' -test.bench 'W1$/config-new$' \
		-test.benchmem -test.cpu 1 -test.count 1 -test.benchtime "${N}x" -test.timeout 60m) |
		sed 's#^BenchmarkW1/config-new#BenchmarkW1/config-new-all#' | tee -a "$work/weir.txt" >&2
	if $have_floor; then
		log "time: round $round of $ROUNDS: peer floor, GOMAXPROCS=1"
		GOMAXPROCS=1 "$work/bin/floor" -in "$work/ct.ndjson" -reps 1 | tee -a "$work/floor.txt" >&2
	fi
	if $have_benthos; then
		log "time: round $round of $ROUNDS: Benthos, each configuration"
		"$work/bin/benthosbench" -mode bench -reps 1 -corpus "$work/ct.ndjson" | tee -a "$work/benthos.txt" >&2
	fi
done
load1=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')

# ---- table -------------------------------------------------------------------
# Each engine made ROUNDS passes over the corpus. The ratios compare best
# passes (on a shared machine noise only ever adds time) and, beside them,
# median passes.

# median, minimum: of the numbers on standard input ("-" if none).
median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
minimum() { sort -g | awk 'NR == 1 { print } END { if (NR == 0) print "-" }'; }
# weir ENGINE UNIT: BenchmarkW1/ENGINE's UNIT, one line per sample.
weir() {
	awk -v name="BenchmarkW1/$1" -v unit="$2" '$1 == name { for (i = 2; i < NF; i++) if ($(i + 1) == unit) print $i }' "$work/weir.txt"
}
# field FILE PATTERN UNIT: the number before UNIT on each line matching
# PATTERN, one line per pass.
field() {
	awk -v pat="$2" -v unit="$3" 'index($0, pat) { for (i = 1; i < NF; i++) if ($(i + 1) == unit) { print $i; next } }' "$1"
}

declare -A best med cpu allocs bytes name
engines=()
for e in config typed config-new config-new-all idiomatic-new floor; do
	engines+=("$e")
	name[$e]="weir $e"
	[ "$e" = config-new-all ] && name[$e]="weir config-new, all linked"
	best[$e]=$(weir "$e" ns/op | minimum)
	med[$e]=$(weir "$e" ns/op | median)
	cpu[$e]=$(weir "$e" cpu-ns/op | median)
	allocs[$e]=$(weir "$e" allocs/op | median)
	bytes[$e]=$(weir "$e" B/op | median)
done
for c in runfloor run-1 run-2 run-idiomatic-1; do
	engines+=("$c")
	case $c in
	runfloor) name[$c]="runner floor (1 core)" ;;
	run-1) name[$c]="weir run -workers 1 (1 core)" ;;
	run-2) name[$c]="weir run -workers 2 (2 cores)" ;;
	run-idiomatic-1) name[$c]="weir run idiomatic (1 core)" ;;
	esac
	best[$c]=$(awk -v n="$c" '$1 == n { print $2 }' "$work/cmd.txt" | minimum)
	med[$c]=$(awk -v n="$c" '$1 == n { print $2 }' "$work/cmd.txt" | median)
	cpu[$c]=$(awk -v n="$c" '$1 == n { print $4 }' "$work/cmd.txt" | median)
	allocs[$c]=- bytes[$c]=-
done
if $have_floor; then
	engines+=(peer)
	name[peer]="peer floor"
	best[peer]=$(field "$work/floor.txt" 'floor W1' ns/event, | minimum)
	med[peer]=$(field "$work/floor.txt" 'floor W1' ns/event, | median)
	cpu[peer]=-
	allocs[peer]=$(field "$work/floor.txt" 'floor W1' allocs/event, | median)
	bytes[peer]=$(field "$work/floor.txt" 'floor W1' B/event, | median)
fi
if $have_benthos; then
	for c in a1 a2; do
		case $c in
		a1) pat='a1 bloblang Executor.Query (1 goroutine)' name[$c]="benthos a1 Executor.Query" ;;
		a2) pat='a2 Message.BloblangQuery (1 goroutine)' name[$c]="benthos a2 Message.BloblangQuery" ;;
		esac
		engines+=("$c")
		best[$c]=$(field "$work/benthos.txt" "$pat" 'ns/ev(wall)' | minimum)
		med[$c]=$(field "$work/benthos.txt" "$pat" 'ns/ev(wall)' | median)
		cpu[$c]=$(field "$work/benthos.txt" "$pat" cpu-ns/ev | median)
		allocs[$c]=$(field "$work/benthos.txt" "$pat" allocs/ev | median)
		bytes[$c]=$(field "$work/benthos.txt" "$pat" B/ev | median)
	done
fi

# num FORMAT VALUE: VALUE formatted, or "-".
num() { if [ "$2" = - ] || [ -z "$2" ]; then printf '%s' -; else printf "$1" "$2"; fi; }
# ratio NAME A B [TARGET LABEL]: the ratio of best passes (and of medians
# when both have one), with the target and whether this run meets it.
ratio() {
	awk -v name="$1" -v a="${best[$2]}" -v b="${best[$3]}" -v ma="${med[$2]}" -v mb="${med[$3]}" \
		-v t="${4:-}" -v label="${5:-}" 'BEGIN {
		r = a / b; m = "-"
		if (ma != "-" && mb != "-") m = sprintf("%.2fx", ma / mb)
		verdict = ""
		if (t != "") verdict = sprintf("target <= %s: %s", label, r <= t + 0 ? "met" : "MISSED")
		line = sprintf("%-36s %9.2fx %9s", name, r, m)
		if (verdict != "") line = line "   " verdict
		print line }'
}

# cpuratio NAME A B: the ratio of the median CPU times.
cpuratio() {
	awk -v name="$1" -v a="${cpu[$2]}" -v b="${cpu[$3]}" 'BEGIN { printf "%-36s %10s %8.2fx\n", name, "", a / b }'
}

table=$work/table.txt
{
	printf 'W1 CloudTrail->ECS, %s events (%s B/event), 1 core (GOMAXPROCS=1), %s, %s, %s, load %s -> %s\n' \
		"$N" "$(awk '{ n += length($0) } END { printf "%.0f", n / NR }' "$work/ct.ndjson")" \
		"$(date -u '+%Y-%m-%d %H:%M UTC')" "$($GO env GOVERSION)" "$(uname -m)" "$load0" "$load1"
	printf '%-36s %10s %10s %10s %8s %8s   (%s passes each)\n' \
		engine 'best ns/ev' 'median' 'cpu-ns/ev' allocs/ev B/ev "$ROUNDS"
	for e in "${engines[@]}"; do
		printf '%-36s %10s %10s %10s %8s %8s\n' "${name[$e]}" "$(num %.0f "${best[$e]}")" "$(num %.0f "${med[$e]}")" \
			"$(num %.0f "${cpu[$e]}")" "$(num %.1f "${allocs[$e]}")" "$(num %.0f "${bytes[$e]}")"
	done
	printf '%-36s %10s %9s\n' 'ratio (ns/event)' best median
	ratio 'Weir-config / Weir-floor' config floor 2 2x
	if $have_floor; then
		ratio 'Weir-config / peer-floor' config peer 2 2x
	else
		printf '%-36s %10s\n' 'Weir-config / peer-floor' 'n/a (peers skipped)'
	fi
	if $have_benthos; then
		# Benthos's raw executor runs two ways (a1: Executor.Query, which
		# parses the record inside the mapping; a2: Message.BloblangQuery,
		# the mapping processor's path): the target is taken against the
		# faster of the two in this run.
		fast=a1
		awk -v a="${best[a2]}" -v b="${best[a1]}" 'BEGIN { exit !(a < b) }' && fast=a2
		ratio "Weir-config / Benthos-raw-executor" config "$fast" 0.333333333 "1/3 (vs $fast, the faster)"
		ratio '  Weir-config / Benthos a1' config a1
		ratio '  Weir-config / Benthos a2' config a2
	else
		printf '%-36s %10s\n' 'Weir-config / Benthos-raw-executor' 'n/a (peers skipped)'
	fi
	ratio 'Weir-typed / Weir-floor' typed floor
	# Issue 15's targets: a new Message per event, and the whole command.
	ratio 'Weir config-new / Weir-floor' config-new floor 1.5 1.5x
	ratio '  linked with transform/all' config-new-all floor 1.5 1.5x
	ratio 'Weir idiomatic-new / Weir-floor' idiomatic-new floor 1.5 1.5x
	ratio 'weir run idiomatic / runner floor' run-idiomatic-1 runfloor 1.5 1.5x
	cpuratio '  in CPU time (medians)' run-idiomatic-1 runfloor
	ratio 'weir run W1 / runner floor' run-1 runfloor 1.5 1.5x
	cpuratio '  in CPU time (medians)' run-1 runfloor
	awk -v a="${best[run-1]}" -v b="${best[run-2]}" -v ma="${med[run-1]}" -v mb="${med[run-2]}" 'BEGIN {
		printf "%-36s %9.2fx %8.2fx   target >= 1.85x: %s\n", "weir run -workers 2 / -workers 1 (speedup)", a / b, ma / mb, (a / b >= 1.85) ? "met" : "MISSED" }'
	spin1=$(awk '$1 == "spin-1" { print $2 }' "$work/cmd.txt")
	spin2=$(awk '$1 == "spin-2" { print $2 }' "$work/cmd.txt")
	awk -v a="$(minimum <<<"$spin1")" -v b="$(minimum <<<"$spin2")" -v ma="$(median <<<"$spin1")" -v mb="$(median <<<"$spin2")" 'BEGIN {
		printf "%-36s %9.2fx %8.2fx   the cores free: what a perfectly parallel program got\n", "  spin, 2 cores / 1 (bench/cmd/spin)", a / b, ma / mb }'
	awk -v a="${cpu[run-1]}" -v b="${cpu[run-2]}" 'BEGIN {
		printf "%-36s %10s %8.2fx   2x this is the speedup on 2 free cores\n", "  CPU time -workers 1 / -workers 2", "", a / b }'
	awk -v a="${allocs[config-new]}" 'BEGIN { printf "%-36s %10.1f %9s   target <= 3: %s\n", "Weir config-new allocs/event", a, "", a <= 3 ? "met" : "MISSED" }'
	awk -v a="${allocs[config]}" 'BEGIN { printf "%-36s %10.1f %9s   target <= 15: %s\n", "Weir-config allocs/event", a, "", a <= 15 ? "met" : "MISSED" }'
	awk -v a="${best[config]}" 'BEGIN { printf "%-36s %9.1fx %9s   quoted 130-150 us/event, not run here; target >= 5x\n", "Substation-v2 (130 us) / Weir-config", 130000 / a, "" }'
} >"$table"
echo
cat "$table"
if [ -n "${WEIR_BENCH_OUT:-}" ]; then
	cp "$table" "$WEIR_BENCH_OUT"
fi
