#!/bin/sh
# tests/fuzz/run.sh: build the libFuzzer targets with clang (ASan + UBSan)
# straight from common/*.c and run each for a while. Not part of the meson
# build (gcc has no libFuzzer). Usage: tests/fuzz/run.sh [SECONDS] [TARGET...]
# Exit status: 0 when no target found a crash, leak or invariant failure.
set -eu
secs=${1:-20}
[ $# -gt 0 ] && shift
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${FUZZ_OUT:-$top/build-fuzz}
targets=${*:-"http_parse ctx status conf text"}
command -v clang >/dev/null || { echo "run.sh: clang not found (apt-get install clang)" >&2; exit 2; }

mkdir -p "$out"
printf '#define APPROVE_VERSION "fuzz"\n' > "$out/config.h"
cflags="-g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined
	-fno-sanitize-recover=undefined -I$out -I$top/common $(pkg-config --cflags json-c)"
libs="$(pkg-config --libs json-c openssl) -lpthread"
srcs="$top/common/buf.c $top/common/conf.c $top/common/secret.c $top/common/code.c
	$top/common/text.c $top/common/wire.c $top/common/http.c"

seed() {	# seed DIR NAME CONTENT (printf format)
	mkdir -p "$1"
	# shellcheck disable=SC2059
	printf "$3" > "$1/$2"
}
seeds() {
	d="$out/corpus/$1"
	[ -d "$d" ] && return 0
	case $1 in
	http_parse)
		seed "$d" cl 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}'
		seed "$d" chunked 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\n'
		seed "$d" close 'HTTP/1.0 404 Not Found\r\n\r\nbody' ;;
	ctx)
		seed "$d" full '{"service":"sudo","user":"alice","uid":1000,"target_user":"root","command":"sudo ls","sudo_command":"/bin/ls","tty":"/dev/pts/3","rhost":"10.0.0.5","cwd":"/home/alice","hostname":"web1","reason":"deploy \\u00e9","ticket":"OPS-12"}'
		seed "$d" min '{"service":"su","user":"b","uid":0,"target_user":"root","command":"su -","hostname":"h","tty":null}'
		seed "$d" cut '{"service":"sudo","user":"a","uid":1,"target_user":"root","command":"sudo x...","hostname":"h","sudo_command":"/bin/x","command_length":9000,"command_shown":8189,"command_truncated":true,"command_sha256":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","sudo_command_length":6,"sudo_command_shown":6,"sudo_command_truncated":false,"sudo_command_sha256":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}' ;;
	status)
		seed "$d" full '{"id":"123e4567-e89b-12d3-a456-426614174000","code":"K7Q-4MX","status":"denied","url":"https://a/r/K7Q-4MX","digest":"4f32eda5845a4467a6b757d4ee09751dd49f108168b990ae272eedb9abbbfdb5","comment":"no \\u001b[31m","decided_by":"bob","expires_at":"2026-11-26T11:22:39.123456Z","x":[1,{"y":2}]}'
		seed "$d" decision '{"comment":"ok"}'
		seed "$d" error '{"error":"final","detail":"already approved"}' ;;
	text)
		seed "$d" hostile 'a\033[31mb\033]0;t\007 \302\233 \342\200\256x \342\200\213 \357\273\277 \330\234 \363\240\200\201 \377\300\257 \355\240\200'
		seed "$d" json '{"k": "v\\u202e\177 \342\201\246", "n": [1, 2.5e3, null, true], "e": "\\ud83d\\ude00"}'
		seed "$d" plain 'caf\303\251 \342\202\254 \360\237\224\221' ;;
	conf)
		seed "$d" good '# c\nlisten = 127.0.0.1:8080\ndatabase = host=/run/postgresql dbname=approval\ndebug = yes\r\nrequest_ttl = 600\n'
		seed "$d" bad 'listen\nlisten = a\nlisten = b\n' ;;
	esac
}

status=0
for t in $targets; do
	echo "== fuzz_$t: build"
	# shellcheck disable=SC2086
	clang $cflags -o "$out/fuzz_$t" "$here/fuzz_$t.c" $srcs $libs
	seeds "$t"
	echo "== fuzz_$t: run ${secs}s"
	if ! (cd "$out" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		"./fuzz_$t" -max_total_time="$secs" -max_len=65536 -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 "corpus/$t" >"fuzz_$t.log" 2>&1); then
		echo "fuzz_$t: FAILED, see $out/fuzz_$t.log (crash-* files in $out)" >&2
		tail -40 "$out/fuzz_$t.log" >&2
		status=1
	else
		grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$out/fuzz_$t.log" || true
	fi
done
exit $status
