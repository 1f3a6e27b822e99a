#!/bin/bash
# bench/journald-fields.sh -- what systemd-journald spends per entry, as
# the number of fields grows: a private journald (volatile storage, no
# rate limit, in a network namespace with systemd's
# net.unix.max_dgram_qlen=512) takes N entries from bench/journal_send
# with K extra fields each; journald's CPU time (utime + stime from
# /proc) ÷ N.  Both on CPU 1.  Needs root.
#
#   bench/journald-fields.sh [BUILD_DIR] [N]      (default build-bench, 50000)
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$(realpath -m "${1:-$REPO/build-bench}")
n=${2:-50000}
[[ $(id -u) == 0 ]] || { echo "journald-fields.sh: must run as root" >&2; exit 1; }

if [[ -z ${NFLOGD_JF_ISOLATED:-} ]]; then
	[[ -f $build/CMakeCache.txt ]] ||
		cmake -S "$REPO" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF >/dev/null
	cmake --build "$build" --target journal_send >/dev/null
	exec env NFLOGD_JF_ISOLATED=1 unshare --mount --pid --fork --kill-child \
		--propagation private --mount-proc "$0" "$build" "$n"
fi

# Inside a private mount and PID namespace: journald's sockets and files
# on tmpfs mounts that die with it.
ns=nflogd-jf-$$
mount -t tmpfs -o mode=0755 jf-netns /run/netns 2>/dev/null || { mkdir -p /run/netns; mount -t tmpfs -o mode=0755 jf-netns /run/netns; }
ip netns add "$ns"
trap 'ip netns del "$ns" 2>/dev/null || true' EXIT
ip netns exec "$ns" sysctl -qw net.unix.max_dgram_qlen=512
for d in /run/systemd /run/log; do mkdir -p "$d"; mount -t tmpfs -o mode=0755,size=4g jf "$d"; done
mkdir -p /run/systemd/journal /run/systemd/journald.conf.d
printf '[Journal]\nStorage=volatile\nReadKMsg=no\nRateLimitIntervalSec=0\nRateLimitBurst=0\nForwardToSyslog=no\nForwardToWall=no\nRuntimeMaxUse=3G\nRuntimeMaxFileSize=1G\n' \
	>/run/systemd/journald.conf.d/bench.conf

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
printf '| extra fields | journald CPU µs/entry | sender CPU µs/entry | entries stored |\n|---:|---:|---:|---:|\n'
for k in 0 8 16 24 32; do
	rm -rf /run/log/journal /run/systemd/journal/*
	nsenter --net="/run/netns/$ns" taskset -c 1 /lib/systemd/systemd-journald >/dev/null 2>&1 &
	jd=$!
	for _ in $(seq 100); do [[ -S /run/systemd/journal/socket ]] && break; sleep 0.05; done
	sleep 0.5
	c0=$(cpu "$jd")
	out=$(taskset -c 1 "$build/bench/journal_send" "$n" "$k" /run/systemd/journal/socket)
	prev=-1
	for _ in $(seq 200); do             # until journald is idle
		cur=$(cpu "$jd"); [[ $cur == "$prev" ]] && break; prev=$cur; sleep 0.25
	done
	c1=$(cpu "$jd")
	stored=$(journalctl -D /run/log/journal -q -o cat SYSLOG_IDENTIFIER=journal_send | wc -l)
	kill "$jd"; wait "$jd" 2>/dev/null || true
	awk -v k="$k" -v t=$((c1 - c0)) -v hz="$hz" -v n="$n" -v s="$(sed -E 's/.*, ([0-9.]+) us CPU.*/\1/' <<<"$out")" -v st="$stored" \
		'BEGIN { printf "| %d | %.1f | %s | %d |\n", k, t / hz * 1e6 / n, s, st }'
done
