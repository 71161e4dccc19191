#!/bin/sh
# tests/fuzz/run.sh TARGET SECONDS SEEDS WORK: run one libFuzzer target
# (built by meson with -Dfuzz=true) for SECONDS over its seed corpus SEEDS
# (read only, in the tree); new inputs and any crash-* file go to WORK.
# Exit status: 0 when the target found no crash, leak, timeout or broken
# invariant (its abort()); the tail of its log otherwise.
set -eu
[ $# -eq 4 ] || { echo "usage: $0 TARGET SECONDS SEEDS WORK" >&2; exit 2; }
target=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
secs=$2 seeds=$3 work=$4
[ -d "$seeds" ] || { echo "run.sh: no seed corpus $seeds" >&2; exit 2; }
mkdir -p "$work/corpus"
log=$work/fuzz.log
if ! (cd "$work" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	"$target" -max_total_time="$secs" -max_len=65536 -timeout=10 \
	-rss_limit_mb=2048 -print_final_stats=1 corpus "$seeds" >"$log" 2>&1); then
	echo "$(basename "$target"): FAILED, see $log (crash-* files in $work)" >&2
	tail -40 "$log" >&2
	exit 1
fi
grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$log" || true
