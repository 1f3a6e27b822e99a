#!/usr/bin/env bash
# Install, build and run every test: the README's test command, and what
# CI runs.  Needs root: it installs packages and the end-to-end tests use
# network namespaces and the real kernel.
#
#   NFLOGD_FUZZ_SECONDS  seconds per fuzz target (default 60; 0 skips fuzzing)
#   NFLOGD_BOOT_TEST=0   skips building the .deb and booting it (tests/boot/;
#                        the first run downloads a Debian 12 root, ~1 min)
#   NFLOGD_BENCH_SMOKE=0 skips the benchmark's smoke run (bench/run.sh
#                        --quick --callgrind, ~2 min; installs ulogd2 to
#                        compare with, and valgrind)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

jobs=$(nproc)

echo "== build (warnings are errors) and test"
cmake -S . -B build -DNFLOGD_WERROR=ON >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure

echo "== the same tests under AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DNFLOGD_SANITIZE=ON \
	-DNFLOGD_WERROR=ON >/dev/null
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ctest --test-dir build-asan --output-on-failure

if [[ ${NFLOGD_BOOT_TEST:-1} != 0 ]]; then
	echo "== the Debian package, installed and run under a real systemd (tests/boot/)"
	debs=$(NFLOGD_DEB_NO_DEPS=1 scripts/build-deb.sh build-deb)
	tests/boot/deb-check.sh build-deb/nflogd_*_*.deb
	# shellcheck disable=SC2086  # one path per line
	tests/boot/nspawn-boot.sh $debs
fi

fuzz_seconds=${NFLOGD_FUZZ_SECONDS:-60}
if [[ $fuzz_seconds != 0 ]]; then
	echo "== fuzzing, ${fuzz_seconds}s per target"
	scripts/fuzz.sh "$fuzz_seconds"
fi
if [[ ${NFLOGD_BENCH_SMOKE:-1} != 0 ]]; then
	echo "== the benchmark in smoke mode: it still runs (no timing is asserted)"
	bench/install-deps.sh
	bench/run.sh --quick --build build-bench --callgrind build-bench/callgrind
fi
echo "== all tests passed"
