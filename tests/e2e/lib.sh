# shellcheck shell=bash
# tests/e2e/lib.sh -- shared helpers of the daemon end-to-end scenarios.
#
# Sourced by every tests/e2e/daemon-*.sh.  A scenario calls
#     e2e_init NAME "$@"
# first: it re-executes the script inside a private mount namespace and a
# private PID namespace (unshare --mount --pid --fork --kill-child), so
#   - everything the test starts (nflogd, journald, tcpdump, readers,
#     traffic) dies with it, even when ctest kills it on a timeout: when
#     the namespace's first process (the script) dies, the kernel kills
#     every other process in the PID namespace;
#   - the network namespaces, bind mounts on a tmpfs /run/netns of the
#     private mount namespace, disappear with it as well (the host's
#     `ip netns list` never shows them);
#   - the temporary directory is a tmpfs of its own (unless E2E_KEEP);
#   - journald's sockets and files (tmpfs on /run/systemd, /run/log and
#     /var/log/journal) are the test's own.
# The cleanup trap still stops processes by pid and deletes the network
# namespaces explicitly (bounded waits), so a normal run leaves nothing,
# and a SIGKILLed one at most an empty /tmp/e2e-NAME.XXXXXX.
# What a test does change outside: net.netfilter.nf_log_all_netns (set to
# 1 for the kernel-LOG scenarios, restored at exit) and the kernel log
# (LOG lines with a per-run prefix "e2e-<tag>-...").
#
# Needs: root, ip, nft, jq, unshare (util-linux >= 2.32 for --kill-child),
# /usr/bin/python3 (standard library only), and per scenario tcpdump,
# ping, logrotate, /lib/systemd/systemd-journald, journalctl.
#
# Set E2E_KEEP=1 to keep the temporary directory (configs, outputs,
# nflogd's stderr, kernel lines, notify messages) for debugging.

set -euo pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=/usr/bin/python3
HELPERS=$E2E_DIR/helpers.py

E2E_PIDS=()         # processes to stop at exit (last started, first stopped)
E2E_NETNS=()        # network namespaces to delete at exit
E2E_OLD_LOGALL=""   # net.netfilter.nf_log_all_netns to restore
E2E_FAILS=0

say() { printf '%s\n' "$*"; }
ok() { say "ok: $*"; }
fail() {
	say "FAIL: $*"
	E2E_FAILS=$((E2E_FAILS + 1))
}
die() {
	say "FAIL: $*" >&2
	exit 1
}

# e2e_init NAME "$@": isolate, check prerequisites, make the temp dir.
e2e_init() {
	local name=$1
	shift
	if [[ -z ${E2E_ISOLATED:-} ]]; then
		# 77: "skipped" for ctest (SKIP_RETURN_CODE)
		[[ $(id -u) == 0 ]] || { echo "SKIP $name: must run as root"; exit 77; }
		exec env E2E_ISOLATED=1 unshare --mount --pid --fork --kill-child \
			--propagation private --mount-proc "$0" "$@"
	fi
	E2E_NAME=$name
	NFLOGD=${1:-}
	[[ -n $NFLOGD && -x $NFLOGD ]] || die "usage: $0 PATH_TO_NFLOGD"
	NFLOGD=$(readlink -f "$NFLOGD")
	local t
	for t in ip nft jq timeout "$PY"; do
		command -v "$t" >/dev/null || die "missing tool: $t"
	done
	# A per-run tag: namespace names, nft prefixes and kernel-log prefixes
	# stay unique even when other tests run at the same time.
	E2E_TAG=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
	E2E_TMP=$(mktemp -d "/tmp/e2e-$name.XXXXXX")
	chmod 0700 "$E2E_TMP"
	# A tmpfs of the private mount namespace (unless it is to be kept):
	# even a SIGKILLed test leaves at most an empty directory.
	if [[ -z ${E2E_KEEP:-} ]]; then
		mount -t tmpfs -o mode=0700,size=256m e2e-tmp "$E2E_TMP"
	fi
	# The network namespaces' files, too: ip netns add creates them in
	# /run/netns; on a tmpfs of our own, nothing of them is seen outside
	# (`ip netns list` on the host does not show them) or left behind.
	mkdir -p /run/netns
	mount -t tmpfs -o mode=0755 e2e-netns /run/netns
	trap e2e_cleanup EXIT
	trap 'exit 130' INT TERM
	# A command that fails outside a condition ends the test (errexit):
	# say which one.
	# (to the test's own stdout, fd 3: the command's may be redirected)
	exec 3>&1
	set -E
	trap 'e2e_err $? "$BASH_COMMAND" $LINENO' ERR
	say "== $name (tag $E2E_TAG, dir $E2E_TMP, nflogd $NFLOGD)"
}

e2e_err() {      # EXIT_CODE COMMAND LINE (the ERR trap)
	local where="${BASH_SOURCE[1]##*/}:$3" i
	for ((i = 1; i < ${#FUNCNAME[@]} - 1; i++)); do
		where+=" <- ${BASH_SOURCE[i + 1]##*/}:${BASH_LINENO[i]}"
	done
	say "FAIL: $where: \"$2\" failed (exit $1)" >&3
}

e2e_cleanup() {
	local rc=$? i pid ns
	set +e
	trap - ERR
	for ((i = ${#E2E_PIDS[@]} - 1; i >= 0; i--)); do
		pid=${E2E_PIDS[i]}
		kill -0 "$pid" 2>/dev/null || continue
		kill -TERM "$pid" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null
	done
	for ns in "${E2E_NETNS[@]}"; do ip netns del "$ns" 2>/dev/null; done
	if [[ -n $E2E_OLD_LOGALL ]]; then
		sysctl -qw net.netfilter.nf_log_all_netns="$E2E_OLD_LOGALL"
	fi
	if [[ $rc != 0 || $E2E_FAILS != 0 ]]; then
		if [[ -s ${E2E_TMP:-/nonexistent}/nflogd.err ]]; then
			echo "--- nflogd stderr (last 30 lines):"
			tail -n 30 "$E2E_TMP/nflogd.err"
		fi
		[[ $rc == 0 ]] && rc=1
		echo "== ${E2E_NAME:-e2e}: FAILED (rc=$rc)"
	else
		echo "== ${E2E_NAME:-e2e}: passed"
	fi
	if [[ -n ${E2E_KEEP:-} ]]; then
		echo "kept: $E2E_TMP"
	elif [[ -n ${E2E_TMP:-} ]]; then
		cd /
		# e2e_user's bind mounts hold the tmpfs
		if [[ -n ${E2E_USER_MOUNTS:-} ]]; then
			umount /etc/passwd /etc/group 2>/dev/null || true
		fi
		umount "$E2E_TMP" 2>/dev/null
		rm -rf "$E2E_TMP"
	fi
	exit "$rc"
}

# e2e_bg PIDVAR CMD...: start CMD in the background, remember its pid
# for the cleanup (and in PIDVAR).
e2e_bg() {
	local var=$1
	shift
	"$@" &
	E2E_PIDS+=($!)
	printf -v "$var" '%s' $!
}

# wait_for 'SHELL CONDITION' TIMEOUT_SECONDS [WHAT]: poll every 50 ms;
# 0 when the condition held in time, else 1 (with a message if WHAT).
wait_for() {
	local cond=$1 timeout=$2 what=${3:-} end
	end=$(($(date +%s%N) / 1000000 + $(awk -v t="$timeout" 'BEGIN { print int(t * 1000) }')))
	while :; do
		if eval "$cond"; then return 0; fi
		if (($(date +%s%N) / 1000000 >= end)); then
			[[ -n $what ]] && say "timeout after ${timeout}s waiting for $what"
			return 1
		fi
		sleep 0.05
	done
}

# e2e_user NAME UID: a system user NAME (and its group, same id) that
# exists only in this test's private mount namespace: /etc/passwd and
# /etc/group become bind mounts of extended copies, so the host's account
# files are never touched.  Also opens $E2E_TMP (a 0700 tmpfs) to it.
e2e_user() {
	local name=$1 id=$2
	if ! getent passwd "$name" >/dev/null; then
		cp /etc/passwd "$E2E_TMP/passwd.$name"
		cp /etc/group "$E2E_TMP/group.$name"
		echo "$name:x:$id:$id:$name (e2e):/nonexistent:/usr/sbin/nologin" >>"$E2E_TMP/passwd.$name"
		echo "$name:x:$id:" >>"$E2E_TMP/group.$name"
		mount --bind "$E2E_TMP/passwd.$name" /etc/passwd
		mount --bind "$E2E_TMP/group.$name" /etc/group
		E2E_USER_MOUNTS=1
	fi
	getent passwd "$name" >/dev/null || die "user $name not visible"
	chmod 0755 "$E2E_TMP"
}

# ------------------------------------------------------------ network
# Two namespaces joined by a veth pair, as tests/data/capture-fixtures.sh:
#   $NS_S: vs 02:00:00:00:99:01, 10.99.0.1/24, fd99::1/64  (traffic source)
#   $NS_R: vr 02:00:00:00:99:02, 10.99.0.2/24, fd99::2/64  (nflogd runs here)
# No link-local addresses, no DAD, static neighbours: no ARP/NDP/RS noise.
MAC_S=02:00:00:00:99:01
MAC_R=02:00:00:00:99:02
e2e_netns_setup() {
	local ns
	NS_S=e2e-$E2E_TAG-s
	NS_R=e2e-$E2E_TAG-r
	for ns in "$NS_S" "$NS_R"; do
		ip netns add "$ns"
		E2E_NETNS+=("$ns")
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.accept_ra=0
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.router_solicitations=0
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.dad_transmits=0
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_ra=0
		ip -n "$ns" link set lo up
	done
	ip -n "$NS_S" link add vs address $MAC_S type veth \
		peer name vr address $MAC_R netns "$NS_R"
	ip -n "$NS_S" link set vs addrgenmode none
	ip -n "$NS_R" link set vr addrgenmode none
	ip -n "$NS_S" addr add 10.99.0.1/24 dev vs
	ip -n "$NS_S" addr add fd99::1/64 dev vs nodad
	ip -n "$NS_R" addr add 10.99.0.2/24 dev vr
	ip -n "$NS_R" addr add fd99::2/64 dev vr nodad
	ip -n "$NS_S" link set vs up
	ip -n "$NS_R" link set vr up
	ip -n "$NS_S" neigh replace 10.99.0.2 lladdr $MAC_R nud permanent dev vs
	ip -n "$NS_S" neigh replace fd99::2 lladdr $MAC_R nud permanent dev vs
	ip -n "$NS_R" neigh replace 10.99.0.1 lladdr $MAC_S nud permanent dev vr
	ip -n "$NS_R" neigh replace fd99::1 lladdr $MAC_S nud permanent dev vr
	wait_for "ip netns exec $NS_S ping -q -c1 -W1 10.99.0.2 >/dev/null 2>&1" 5 \
		"the veth link" || die "no IPv4 connectivity between $NS_S and $NS_R"
}

in_s() { ip netns exec "$NS_S" timeout 20 "$@"; }
in_r() { ip netns exec "$NS_R" timeout 20 "$@"; }

# The kernel's own LOG lines from inside a network namespace need
# net.netfilter.nf_log_all_netns=1 (restored at exit).
e2e_kernel_log_netns() {
	local cur
	cur=$(sysctl -n net.netfilter.nf_log_all_netns)
	if [[ $cur != 1 ]]; then
		E2E_OLD_LOGALL=$cur
		sysctl -qw net.netfilter.nf_log_all_netns=1
	fi
}

# nft_counter NS FAMILY TABLE COMMENT: packets of the counter of the rule
# with that comment (summed when several rules carry it).
nft_counter() {
	ip netns exec "$1" nft -j list table "$2" "$3" | jq --arg c "$4" '
		[.nftables[] | select(.rule?) | .rule | select(.comment == $c)
		 | .expr[] | select(.counter?) | .counter.packets] | add // 0'
}

# ------------------------------------------------------------ helpers' processes
# start_kmsg PREFIX: kernel log messages starting with PREFIX, from now
# on, into $E2E_TMP/kernel.log (one line each, exactly the text dmesg
# shows after the timestamp).  /dev/kmsg, not dmesg: every reader has its
# own position, and the unique PREFIX keeps other tests' lines out.
start_kmsg() {
	KMSG_LOG=$E2E_TMP/kernel.log
	: >"$KMSG_LOG"
	e2e_bg KMSG_PID "$PY" "$HELPERS" kmsg-reader "$1" "$KMSG_LOG" "$E2E_TMP/kmsg.ready"
	wait_for "[[ -e $E2E_TMP/kmsg.ready ]]" 5 "the /dev/kmsg reader" || die "kmsg reader"
}

# start_notify: a NOTIFY_SOCKET the test owns; every datagram goes to
# $NOTIFY_LOG as {"t":..., "pid":..., "msg":"READY=1\nSTATUS=..."}.
start_notify() {
	NOTIFY_LOG=$E2E_TMP/notify.jsonl
	: >"$NOTIFY_LOG"
	export NOTIFY_SOCKET=$E2E_TMP/notify.sock
	e2e_bg NOTIFY_PID "$PY" "$HELPERS" notify-reader "$NOTIFY_SOCKET" "$NOTIFY_LOG"
	wait_for "[[ -S $NOTIFY_SOCKET ]]" 5 "the notify socket" || die "notify reader"
}

# notify_count 'jq-condition on .msg': datagrams that match.
notify_count() {
	jq -s "[.[] | select($1)] | length" "$NOTIFY_LOG"
}

# start_servers: TCP 5001/5003 and UDP 5002/5004 listeners in $NS_R.
start_servers() {
	rm -f "$E2E_TMP/server.ready"
	e2e_bg SERVER_PID ip netns exec "$NS_R" "$PY" "$HELPERS" server 10.99.0.2 fd99::2 \
		"$E2E_TMP/server.ready"
	wait_for "[[ -e $E2E_TMP/server.ready ]]" 5 "the servers" || die "servers"
}

# start_journald: a private systemd-journald (no systemd as PID 1
# needed).  Its sockets are in /run/systemd/journal (where libsystemd and
# nflogd's journal sink look), its files in /run/log/journal; both are
# tmpfs mounts of this test's mount namespace.  A drop-in turns off what
# would read or write outside the test: ReadKMsg (the host's kernel log),
# forwarding, and the rate limit (tests count every entry).
JOURNAL_DIR=/run/log/journal
start_journald() {
	local jd=/lib/systemd/systemd-journald
	[[ -x $jd ]] || die "missing $jd"
	command -v journalctl >/dev/null || die "missing journalctl"
	mount -t tmpfs -o mode=0755 e2e-run-systemd /run/systemd
	mount -t tmpfs -o mode=0755 e2e-run-log /run/log
	if [[ -d /var/log/journal ]]; then
		mount -t tmpfs -o mode=0755 e2e-var-log-journal /var/log/journal
	fi
	mkdir -p /run/systemd/journal /run/systemd/journald.conf.d "$JOURNAL_DIR"
	cat >/run/systemd/journald.conf.d/e2e.conf <<-'EOF'
	[Journal]
	Storage=volatile
	ReadKMsg=no
	RateLimitIntervalSec=0
	RateLimitBurst=0
	ForwardToSyslog=no
	ForwardToKMsg=no
	ForwardToConsole=no
	ForwardToWall=no
	EOF
	run_journald
}

# run_journald: (re)start journald on the mounts start_journald made, and
# wait until it stores what is sent to its socket.
JOURNAL_PINGS=0
run_journald() {
	e2e_bg JOURNALD_PID env -u NOTIFY_SOCKET /lib/systemd/systemd-journald
	JOURNAL_PINGS=$((JOURNAL_PINGS + 1))
	wait_for "journal_ping $JOURNAL_PINGS && [[ \$(jcount E2E_PING=$JOURNAL_PINGS) -ge 1 ]]" \
		10 "systemd-journald to store entries" || die "systemd-journald did not start"
}

# journal_ping N: one entry E2E_PING=N through the native socket (fails
# quietly while nobody listens).
journal_ping() {
	"$PY" -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"MESSAGE=e2e ping\nE2E_PING=" + sys.argv[1].encode() + b"\n", "/run/systemd/journal/socket")' "$1" 2>/dev/null || true
}

# stop_journald: SIGTERM, bounded wait.
stop_journald() {
	kill -TERM "$JOURNALD_PID"
	wait_for "! kill -0 $JOURNALD_PID 2>/dev/null" 10 "journald to exit" || kill -KILL "$JOURNALD_PID"
	wait "$JOURNALD_PID" 2>/dev/null || true
}

# jctl ARGS...: journalctl on the test's journal.
jctl() { journalctl -D "$JOURNAL_DIR" --no-pager "$@"; }

# jcount FIELD=VALUE...: journal entries matching (same field twice = OR).
jcount() { jctl -o export "$@" 2>/dev/null | grep -c '^__CURSOR=' || true; }

# ------------------------------------------------------------ nflogd
# start_nflogd CONF [ARGS...]: nflogd in the foreground in $NS_R (stdout
# and stderr to $E2E_TMP/nflogd.{out,err}); waits (bounded) until its
# status file says it runs.  --log-target stderr unless ARGS say else.
start_nflogd() {
	local conf=$1
	shift
	NFLOGD_CONF=$conf
	NFLOGD_RUNDIR=$(awk -F'"' '/^[[:space:]]*runtime_dir[[:space:]]*=/ {print $2}' "$conf")
	[[ -n $NFLOGD_RUNDIR ]] || die "no runtime_dir in $conf"
	rm -f "$NFLOGD_RUNDIR/status.json"
	local args=("$@")
	[[ " ${args[*]} " == *" --log-target "* ]] || args+=(--log-target stderr)
	e2e_bg NFLOGD_PID ip netns exec "$NS_R" "$NFLOGD" -c "$conf" "${args[@]}" \
		>>"$E2E_TMP/nflogd.out" 2>>"$E2E_TMP/nflogd.err"
	if ! wait_for "! kill -0 $NFLOGD_PID 2>/dev/null || [[ \$(jq -r '.pid' $NFLOGD_RUNDIR/status.json 2>/dev/null) == $NFLOGD_PID ]]" \
		10 "nflogd's status file"; then
		die "nflogd did not start"
	fi
	kill -0 "$NFLOGD_PID" 2>/dev/null || {
		wait "$NFLOGD_PID" || true
		cat "$E2E_TMP/nflogd.err" >&2
		die "nflogd exited at start"
	}
}

# stop_nflogd [SIGNAL]: signal (TERM), wait (bounded, 15 s), set
# NFLOGD_RC to the exit code.
stop_nflogd() {
	local sig=${1:-TERM}
	kill -"$sig" "$NFLOGD_PID"
	if ! wait_for "! kill -0 $NFLOGD_PID 2>/dev/null" 15; then
		fail "nflogd did not exit within 15 s of SIG$sig"
		kill -KILL "$NFLOGD_PID"
	fi
	NFLOGD_RC=0
	# shellcheck disable=SC2034  # read by the scenarios
	wait "$NFLOGD_PID" || NFLOGD_RC=$?
}

# fd_count: the running daemon's open fds; fd_list: what they are.
fd_count() { local f=(/proc/"$NFLOGD_PID"/fd/*); echo "${#f[@]}"; }
# fd_min: the fewest fds in 5 looks 50 ms apart (the status file is
# written through a temporary file once a second).
fd_min() {
	local i n min=999999
	for ((i = 0; i < 5; i++)); do
		n=$(fd_count)
		((n < min)) && min=$n
		sleep 0.05
	done
	echo "$min"
}
fd_list() { local f; for f in /proc/"$NFLOGD_PID"/fd/*; do printf '%s->%s ' "${f##*/}" "$(readlink "$f")"; done; }

# status_json: the running (or last) daemon's status, `nflogd --status --json`.
status_json() { "$NFLOGD" --status --json -c "$NFLOGD_CONF"; }

# written OUTPUT: records written to OUTPUT, over all rules.
written() {
	status_json | jq --arg o "$1" '[.rules[].outputs[] | select(.name == $o) | .written] | add // 0'
}

# wait_written OUTPUT N [TIMEOUT]: until status says N written to OUTPUT.
# The status file is refreshed once a second.
wait_written() {
	wait_for "[[ \$(written $1 2>/dev/null) -ge $2 ]]" "${3:-10}" \
		"$2 records written to output $1 (status: $(written "$1" 2>/dev/null || echo '?'))"
}

# wait_lines FILE N [TIMEOUT]: until FILE has at least N lines.
wait_lines() {
	wait_for "[[ -f $1 && \$(wc -l <$1) -ge $2 ]]" "${3:-10}" "$2 lines in $1"
}

# check_accounting KERNEL_PACKETS [OUTPUT=EXPECTED ...]: the identity
# "packets the kernel rule logged = written + every loss counter", per
# output, from `nflogd --status --json`:
#   kernel = written + failed + dropped (queue full) + pending
#            + lost (sequence gaps) + malformed
#            + suppressed (over record_limit: in summary records instead)
# An output named OUTPUT=N is expected to have seen N packets instead
# (it was added by a reload).  Every loss counter must be 0 unless
# E2E_ALLOW_LOSS is set: these tests run far below any limit.
check_accounting() {
	local kernel=$1
	shift
	local st o want line
	declare -A exp=()
	for a in "$@"; do exp[${a%%=*}]=${a#*=}; done
	st=$(status_json) || { fail "nflogd --status --json failed"; return; }
	local glost gmal grecv
	glost=$(jq '[.groups[].lost] | add // 0' <<<"$st")
	gmal=$(jq '[.groups[].malformed] | add // 0' <<<"$st")
	grecv=$(jq '[.groups[].received] | add // 0' <<<"$st")
	for o in $(jq -r '.outputs[].name' <<<"$st"); do
		want=${exp[$o]:-$kernel}
		line=$(jq -r --arg o "$o" '[.rules[].outputs[] | select(.name == $o)] |
			"\(map(.written) | add // 0) \(map(.failed) | add // 0) \(map(.dropped) | add // 0) \(map(.pending) | add // 0)"' <<<"$st")
		read -r w f d p <<<"$line"
		# (suppressed is per rule: the rules that send to this output)
		local sup
		sup=$(jq --arg o "$o" '[.rules[] | select(any(.outputs[]; .name == $o)) | .suppressed] | add // 0' <<<"$st")
		local sum=$((w + f + d + p + glost + gmal + sup))
		local fig="kernel counter $want, written $w, failed $f, dropped $d, pending $p, lost $glost, malformed $gmal, suppressed $sup"
		if [[ $sum != "$want" ]]; then
			fail "accounting ($o): written + losses = $sum != $fig"
		elif [[ -z ${E2E_ALLOW_LOSS:-} && $((f + d + p + glost + gmal)) != 0 ]]; then
			fail "accounting ($o): losses where none may be: $fig"
		else
			ok "accounting ($o): $fig"
		fi
	done
	if [[ -z ${exp[*]:-} && $grecv != "$kernel" && -z ${E2E_ALLOW_LOSS:-} ]]; then
		fail "accounting: groups received $grecv, kernel counter $kernel"
	fi
}

# e2e_finish: exit status from the failures counted with fail().
e2e_finish() {
	if [[ $E2E_FAILS != 0 ]]; then
		say "$E2E_FAILS check(s) failed"
		exit 1
	fi
	exit 0
}

# ------------------------------------------------------------ configs and traffic
# conf_globals: the global part of a test configuration: everything the
# daemon writes is under $E2E_TMP.  Group 10 with queue_threshold 1, so
# every packet is sent to nflogd at once.
conf_globals() {
	mkdir -p "$E2E_TMP/run" "$E2E_TMP/state" "$E2E_TMP/out"
	cat <<-EOF
	identity = "nflogd-e2e";
	hostname = "e2e-host";
	stats_interval = 0;
	runtime_dir = "$E2E_TMP/run";
	state_dir = "$E2E_TMP/state";
	groups = (
		{ id = 10; copy_range = 512; queue_threshold = ${E2E_QTHRESH:-1}; flush_timeout = ${E2E_FLUSH:-1}; }
	);
	EOF
}

# nft_log_rules PREFIX [KERNEL_FLAGS]: in $NS_R, at the input hook, every
# packet from 10.99.0.1 / fd99::1 goes through
#   log prefix PREFIX flags KERNEL_FLAGS   (the kernel's own LOG line; only
#                                          when KERNEL_FLAGS is given)
#   counter log group 10 prefix PREFIX     (nflogd; comment "e2e-nflog")
nft_log_rules() {
	local p=$1 kflags=${2:-} klog=""
	[[ -n $kflags ]] && klog="log prefix \"$p\" flags $kflags"
	ip netns exec "$NS_R" nft -f - <<-EOF
	table inet e2e {
		chain input {
			type filter hook input priority 0; policy accept;
			ip saddr 10.99.0.1 jump logit
			ip6 saddr fd99::1 jump logit
		}
		chain logit {
			$klog
			counter log group 10 prefix "$p" comment "e2e-nflog"
		}
	}
	EOF
}

# kernel_count: packets the nflogd rule logged so far.
kernel_count() { nft_counter "$NS_R" inet e2e e2e-nflog; }

# traffic_mix: the packet mix of the issue, from $NS_S to $NS_R (needs
# start_servers), one exchange after the other, each bounded in time.
# What reaches $NS_R's input hook from 10.99.0.1 / fd99::1 (14 packets):
#   TCP  10.99.0.1:40001 -> 10.99.0.2:5001: SYN (options), ACK, PSH ACK
#        ("hello"), FIN ACK, ACK                                  (5)
#        (data and FIN after the server's accept(): UID=0 GID=0)
#   UDP  10.99.0.1:40002 -> 10.99.0.2:5002, 13 bytes              (1)
#   ICMP echo request 10.99.0.1 -> 10.99.0.2, seq 1               (1)
#   ICMP port unreachable 10.99.0.1 -> 10.99.0.2, quoting the UDP
#        10.99.0.2:40003 -> 10.99.0.1:9 sent from $NS_R          (1)
#   TCP  [fd99::1]:40004 -> [fd99::2]:5003, as the IPv4 one      (5)
#   ICMPv6 echo request fd99::1 -> fd99::2, seq 1                 (1)
# shellcheck disable=SC2034  # read by the scenarios
TRAFFIC_MIX_PACKETS=14
traffic_mix() {
	in_s "$PY" "$HELPERS" tcp 10.99.0.2 5001 40001
	in_s "$PY" "$HELPERS" udp 10.99.0.2 5002 40002 1
	in_s ping -q -c 1 -W 2 10.99.0.2 >/dev/null
	in_r "$PY" "$HELPERS" udp 10.99.0.1 9 40003 1
	in_s "$PY" "$HELPERS" tcp fd99::2 5003 40004
	in_s ping -q -6 -c 1 -W 2 fd99::2 >/dev/null
}

# udp_burst COUNT FIRST_PORT [DELAY]: COUNT datagrams 10.99.0.1:40010 ->
# 10.99.0.2:FIRST_PORT, FIRST_PORT+1, ... (each packet has its own port).
udp_burst() {
	in_s "$PY" "$HELPERS" udp 10.99.0.2 "$2" 40010 "$1" "${3:-0}"
}

# excerpt [N]: the first N (20) lines of stdin.  Reads all of it, unlike
# head, so that the writer never dies of SIGPIPE (pipefail + errexit).
# shellcheck disable=SC2120  # N is optional
excerpt() { awk -v n="${1:-20}" 'NR <= n'; }

# out_counters OUTPUT: "written failed dropped pending" of OUTPUT, summed
# over its rules, from the status file.
out_counters() {
	status_json | jq -r --arg o "$1" '[.rules[].outputs[] | select(.name == $o)] |
		"\(map(.written) | add // 0) \(map(.failed) | add // 0) \(map(.dropped) | add // 0) \(map(.pending) | add // 0)"'
}
