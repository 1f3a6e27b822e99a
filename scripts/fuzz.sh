#!/bin/bash
# Build the libFuzzer targets with clang and run each for SECONDS.
#
#   scripts/fuzz.sh [SECONDS]        (default 60 per target)
#
# Configures a separate build directory (build-fuzz, or $BUILD_DIR) with
# CC=clang -DNFLOGD_FUZZ=ON -DBUILD_TESTING=OFF, builds the `fuzz` target,
# then runs every fuzzer on a temporary copy of its seed corpus (the
# repository is never written to).  Exits 1 if any fuzzer finds a crash,
# leak, timeout or contract violation; the reproducer is kept in
# $BUILD_DIR/fuzz-artifacts/ and printed.
#
# Environment:
#   BUILD_DIR                build directory (default: <repo>/build-fuzz)
#   FUZZ_TARGETS             subset to run, e.g. "fuzz_pcap" (default: all)
#   NFLOGD_FUZZ_EXTRA_FLAGS  extra compile flags for the instrumented build,
#                            e.g. "-fno-sanitize=bool" to fuzz past a known
#                            finding (changing it reconfigures)
#   FUZZ_ARGS                extra libFuzzer arguments (e.g. "-jobs=2")
#   FUZZ_MERGE=1             after each clean run, merge the inputs that found
#                            new coverage into the target's first seed
#                            directory in the repository (libFuzzer -merge=1:
#                            only inputs adding coverage are copied), so the
#                            committed corpora grow with each long run
#
# Needs: clang with libFuzzer (Debian 12: clang, libclang-rt-14-dev), cmake,
# pkg-config and the build dependencies of nflogd (libmnl-dev,
# libnetfilter-log-dev, libsystemd-dev, libconfig-dev).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECONDS_PER_TARGET=${1:-60}
BUILD_DIR=${BUILD_DIR:-$ROOT/build-fuzz}
CORPUS=$ROOT/tests/fuzz/corpus

# target : max_len : seed directories (under tests/fuzz/corpus)
# A datagram is at most ~64 KiB as a rule (the kernel can exceed its
# buffer size, see GUIDE), a pcap file holds several records, a config
# file a few KiB, a prefix 127 bytes (more from a pcap file).
TABLE="
fuzz_nflog_batch:70000:nflog_batch
fuzz_pcap:300000:pcap
fuzz_pcap_reader:300000:pcap_reader,pcap
fuzz_config:16384:config
fuzz_ct_reason:4096:ct_reason
fuzz_fw_listing:200000:fw_listing
"

die() { echo "fuzz.sh: $*" >&2; exit 2; }

case $SECONDS_PER_TARGET in
''|*[!0-9]*) die "usage: $0 [SECONDS]" ;;
esac

command -v clang >/dev/null || die "clang not found (apt-get install clang)"
command -v cmake >/dev/null || die "cmake not found (apt-get install cmake)"
command -v pkg-config >/dev/null || die "pkg-config not found (apt-get install pkg-config)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/nflogd-fuzz.XXXXXX")
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# libFuzzer's runtime is a Recommends of clang on Debian: say so plainly.
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n)\n{ (void)d; (void)n; return 0; }\n' >"$WORK/probe.c"
if ! clang -fsanitize=fuzzer,address,undefined "$WORK/probe.c" -o "$WORK/probe" 2>"$WORK/probe.log"; then
	cat "$WORK/probe.log" >&2
	die "clang cannot link a libFuzzer program (Debian: apt-get install libclang-rt-14-dev)"
fi

echo "== configure $BUILD_DIR"
CC=clang cmake -S "$ROOT" -B "$BUILD_DIR" -DNFLOGD_FUZZ=ON -DBUILD_TESTING=OFF \
	-DNFLOGD_FUZZ_EXTRA_FLAGS="${NFLOGD_FUZZ_EXTRA_FLAGS:-}" >"$WORK/configure.log" 2>&1 || {
	cat "$WORK/configure.log" >&2
	die "configure failed"
}
# (A build directory configured earlier with gcc keeps gcc; tests/fuzz then
# stops the configure with a message saying so.)

echo "== build"
cmake --build "$BUILD_DIR" --target fuzz -j"$(nproc)" >"$WORK/build.log" 2>&1 || {
	tail -n 50 "$WORK/build.log" >&2
	die "build failed"
}

ART=$BUILD_DIR/fuzz-artifacts
mkdir -p "$ART"
FAILED=""
SUMMARY=""

for row in $TABLE; do
	IFS=: read -r target maxlen seeds <<<"$row"
	if [ -n "${FUZZ_TARGETS:-}" ] && ! grep -qw "$target" <<<"$FUZZ_TARGETS"; then
		continue
	fi
	bin=$BUILD_DIR/tests/fuzz/$target
	[ -x "$bin" ] || die "$bin was not built"

	corpus=$WORK/corpus-$target
	mkdir -p "$corpus"
	IFS=, read -r -a dirs <<<"$seeds"
	for d in "${dirs[@]}"; do
		if [ -d "$CORPUS/$d" ]; then cp -r "$CORPUS/$d/." "$corpus/"; fi
	done
	nseeds=$(find "$corpus" -type f | wc -l)

	echo "== $target: ${SECONDS_PER_TARGET}s, max_len $maxlen, $nseeds seeds"
	log=$WORK/$target.log
	rc=0
	# shellcheck disable=SC2086
	"$bin" "$corpus" -max_total_time="$SECONDS_PER_TARGET" -max_len="$maxlen" \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$ART/$target-" ${FUZZ_ARGS:-} >"$log" 2>&1 || rc=$?

	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1)
	cov=$(sed -n 's/^#[0-9].*cov: \([0-9]*\) ft: \([0-9]*\) corp: \([0-9]*\).*/cov \1, ft \2, corpus \3/p' "$log" | tail -n1)
	if [ "$rc" -ne 0 ]; then
		FAILED="$FAILED $target"
		result="FAILED (exit $rc)"
		echo "-- $target failed; last lines of its log:" >&2
		# (not the input's own hex and C-escaped dumps: they can be huge)
		sed -e '/^INFO:/d' -e '/^#[0-9]/d' -e '/^Base64:/d' "$log" |
			awk 'length($0) < 400' | tail -n 60 >&2
		sed -n 's/.*Test unit written to /   reproducer: /p' "$log" >&2
	else
		result=ok
		if [ "${FUZZ_MERGE:-0}" = 1 ]; then
			repo_corpus=$CORPUS/${dirs[0]}
			before=$(find "$repo_corpus" -type f | wc -l)
			"$bin" -merge=1 -max_len="$maxlen" -timeout=10 -rss_limit_mb=2048 \
				"$repo_corpus" "$corpus" >"$WORK/$target.merge.log" 2>&1 || {
				tail -n 20 "$WORK/$target.merge.log" >&2
				die "merging the corpus of $target failed"
			}
			after=$(find "$repo_corpus" -type f | wc -l)
			result="ok, merged $((after - before)) new inputs into tests/fuzz/corpus/${dirs[0]}"
		fi
	fi
	line=$(printf '%-18s %12s execs %8s exec/s  %-32s %s' "$target" "${execs:-?}" "${rate:-?}" "${cov:-}" "$result")
	echo "$line"
	SUMMARY="$SUMMARY$line"$'\n'
done

echo
echo "== summary (${SECONDS_PER_TARGET}s per target)"
printf '%s' "$SUMMARY"
if [ -n "$FAILED" ]; then
	echo "fuzz.sh: FAILED:$FAILED (reproducers in $ART; re-run one with: $BUILD_DIR/tests/fuzz/TARGET FILE)" >&2
	exit 1
fi
echo "fuzz.sh: no crashes"
