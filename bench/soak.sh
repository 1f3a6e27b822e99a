#!/bin/bash
# bench/soak.sh -- soak benchmark: the real nflogd (one rule, a JSON file
# and a LOG text file) under steady NFLOG traffic for a long time, with
# SIGHUP reloads and real logrotate rotations, sampling its memory, open
# file descriptors and CPU, and checking the accounting exactly at the end.
# See bench/README.md, "soak.sh".
#
#   bench/soak.sh [--duration S] [--rate PPS] [--reload-every S]
#                 [--rotate-every S] [--build DIR] [--out FILE.json]
#                 [--sample-every S] [--md FILE.md] [--nflogd-rev TEXT]
#                 [--keep-files] [--keep DIR]
#
# Needs root, 2 CPUs, Debian 12 packages: cmake gcc libmnl-dev (the project's
# build dependencies), nftables, iproute2, util-linux (unshare, taskset),
# logrotate, Python 3.
#
# Everything runs in a private mount and PID namespace (unshare --kill-child):
# the network namespaces, nflogd, the sender and the files (a tmpfs) die
# with the script, even when it is killed.  It changes nothing outside.
# Exit status: 0 when every check held, 1 when the accounting identity did
# not hold, a line was missing or bad, or a step failed (or it was
# interrupted); figures (RSS, fds, CPU) never fail it.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
PY=/usr/bin/python3

for a in "$@"; do
	if [[ $a == -h || $a == --help ]]; then
		exec "$PY" "$BENCH_DIR/soak.py" --help
	fi
done

if [[ -z ${NFLOGD_SOAK_ISOLATED:-} ]]; then
	[[ $(id -u) == 0 ]] || { echo "bench/soak.sh: must run as root" >&2; exit 1; }
	# Build dir: --build DIR, else $NFLOGD_SOAK_BUILD, else build-soak.
	build=${NFLOGD_SOAK_BUILD:-$REPO/build-soak}
	args=("$@")
	for ((i = 0; i < ${#args[@]}; i++)); do
		if [[ ${args[i]} == --build ]]; then build=${args[i + 1]:-}; fi
		if [[ ${args[i]} == --build=* ]]; then build=${args[i]#--build=}; fi
	done
	[[ -n $build ]] || { echo "bench/soak.sh: --build needs a directory" >&2; exit 2; }
	build=$(realpath -m "$build")
	if [[ ! -f $build/CMakeCache.txt ]]; then
		cmake -S "$REPO" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
			-DBUILD_TESTING=OFF >/dev/null
	fi
	cmake --build "$build" -j"$(nproc)" --target nflogd sender >/dev/null
	# The files' directory: made here, so that it is removed (empty: its
	# tmpfs lives in the private mount namespace) however the soak ends.
	tmp=$(mktemp -d /tmp/nflogd-soak.XXXXXX)
	trap 'rmdir "$tmp" 2>/dev/null || true' EXIT
	# fd 9: the host's /proc, to measure the rest of the machine's load
	# from inside the PID namespace.
	exec 9</proc
	NFLOGD_SOAK_ISOLATED=1 NFLOGD_SOAK_BUILD="$build" NFLOGD_SOAK_TMP="$tmp" NFLOGD_SOAK_PARENT=$$ \
		unshare --mount --pid --fork --kill-child --propagation private \
		--mount-proc "$0" "$@" &
	child=$!
	# unshare itself ignores SIGINT/SIGTERM while it waits: hand them to
	# its child (soak.py, PID 1 of the namespace), which stops the soak,
	# cleans up and reports.  (If this script is SIGKILLed, soak.py sees
	# it gone within 0.2 s and does the same.)
	forward() {
		local k
		for k in $(cat "/proc/$child/task/$child/children" 2>/dev/null); do
			kill -"$1" "$k" 2>/dev/null || true
		done
	}
	trap 'forward INT' INT
	trap 'forward TERM' TERM
	trap 'forward HUP' HUP
	rc=0
	while :; do
		wait "$child" && rc=0 || rc=$?
		kill -0 "$child" 2>/dev/null || break
	done
	exit "$rc"
fi

# Inside the namespaces.  The orchestrator stays on CPU 0 with the sender:
# CPU 1 is nflogd's.
exec taskset -c 0 "$PY" "$BENCH_DIR/soak.py" --build "$NFLOGD_SOAK_BUILD" "$@"
