#!/bin/bash
# bench/run.sh -- throughput, loss, CPU and latency of NFLOG loggers on the
# same traffic: nflogd (JSON file, LOG text file, journal), ulogd2 (Debian's
# configuration and tuned), a count-only receiver (the floor of the receive
# path) and the kernel's LOG target into journald.  See bench/README.md.
#
#   bench/run.sh [--quick] [--out FILE.json] [--md FILE.md] [--build DIR]
#                [--reps N] [--duration S] [--points LIST] [--loggers LIST]
#                [--no-klog] [--no-latency] [--profile DIR] [--keep]
#   bench/run.sh --report FILE.json        # tables again from saved results
#
# Needs root, 2 CPUs, Debian 12 packages: cmake gcc libmnl-dev (the project's
# build dependencies), ulogd2 ulogd2-json, systemd (journald, journalctl),
# nftables, iproute2, util-linux (unshare, taskset); linux-perf for --profile.
#
# Everything runs in a private mount and PID namespace (unshare --kill-child):
# the network namespaces, the private journald, the loggers and the sender
# die with the script, even when it is killed.  What it changes outside:
# net.netfilter.nf_log_all_netns (set to 1 for the kernel-LOG runs, restored
# at exit) and the host's kernel log (the kernel-LOG runs' lines).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
PY=/usr/bin/python3

for a in "$@"; do
	if [[ $a == --report ]]; then
		exec "$PY" "$BENCH_DIR/bench.py" "$@"
	fi
	if [[ $a == -h || $a == --help ]]; then
		exec "$PY" "$BENCH_DIR/bench.py" --help
	fi
done

if [[ -z ${NFLOGD_BENCH_ISOLATED:-} ]]; then
	[[ $(id -u) == 0 ]] || { echo "bench/run.sh: must run as root" >&2; exit 1; }
	# Build dir: --build DIR, else $NFLOGD_BENCH_BUILD, else build-bench.
	build=${NFLOGD_BENCH_BUILD:-$REPO/build-bench}
	args=("$@")
	for ((i = 0; i < ${#args[@]}; i++)); do
		if [[ ${args[i]} == --build ]]; then build=${args[i + 1]:-}; fi
		if [[ ${args[i]} == --build=* ]]; then build=${args[i]#--build=}; fi
	done
	[[ -n $build ]] || { echo "bench/run.sh: --build needs a directory" >&2; exit 2; }
	build=$(realpath -m "$build")
	if [[ ! -f $build/CMakeCache.txt ]]; then
		cmake -S "$REPO" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
			-DBUILD_TESTING=OFF >/dev/null
	fi
	cmake --build "$build" -j"$(nproc)" --target nflogd sender nflog_count >/dev/null
	# fd 9: the host's /proc, to see other readers of /dev/kmsg from inside
	# the PID namespace (the kernel-LOG runs flood the kernel log).
	exec 9</proc
	exec env NFLOGD_BENCH_ISOLATED=1 NFLOGD_BENCH_BUILD="$build" \
		unshare --mount --pid --fork --kill-child --propagation private \
		--mount-proc "$0" "$@"
fi

# Inside the namespaces.  The orchestrator stays on CPU 0 with the sender:
# CPU 1 is the logger's.
exec taskset -c 0 "$PY" "$BENCH_DIR/bench.py" --build "$NFLOGD_BENCH_BUILD" "$@"
