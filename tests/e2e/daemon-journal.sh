#!/bin/bash
# daemon-journal: packet records in a real systemd-journald, found the way
# users find them: `journalctl FIELD=value`.
#
# A private journald (tmpfs on /run/systemd, /run/log, /var/log/journal in
# the test's own mount namespace; see start_journald in lib.sh) receives
# nflogd's journal output and nflogd's own messages (--log-target
# journal).  After the packet mix of the issue (14 packets):
#   - NFLOG_RULE=<rule> finds one entry per packet the kernel rule logged;
#   - their MESSAGE fields are the kernel's own LOG lines for the packets;
#   - field queries give the right entries: SRC=/DPT= per connection (and
#     DPT twice = OR), PROTO=, ICMP_TYPE=, QUOTED_DPT= of the ICMP error,
#     TCP_FLAGS=SYN, IN=vr, NFLOG_PREFIX=, PRIORITY= of the rule's level,
#     SYSLOG_IDENTIFIER= + MESSAGE_ID= of packet records;
#   - journald stalled (SIGSTOP) during a 200-packet burst: records fail
#     or are dropped at the 16-record queue, counted; after SIGCONT the
#     journal holds exactly the records counted written;
#   - journald stopped: 5 packets -> 5 records counted failed; journald
#     restarted: nflogd reconnects, the next 5 packets are in the journal;
#   - nflogd's own "started" and "stopped" messages carry their MESSAGE_IDs
#     (the "stopped" one makes it although journald was restarted);
#   - SIGTERM: exit 0; kernel counter = written + failed + dropped.
# Usage: daemon-journal.sh PATH_TO_NFLOGD
. "$(dirname "$0")/lib.sh"
e2e_init daemon-journal "$@"

e2e_netns_setup
e2e_kernel_log_netns
start_journald
P="e2e-$E2E_TAG-jrn: "
RULE=e2e-jrn
nft_log_rules "$P" all

conf=$E2E_TMP/nflogd.conf
{
	conf_globals
	cat <<-EOF
	outputs = (
		{ name = "journal"; type = "journal"; queue_size = 16; }
	);
	rules = (
		{ name = "$RULE"; group = 10; prefix = "$P"; level = "notice";
		  log_flags = "all"; action = "drop"; outputs = [ "journal" ]; }
	);
	EOF
} >"$conf"

start_kmsg "$P"
start_servers
start_nflogd "$conf" --log-target journal
traffic_mix
n=$(kernel_count)
wait_lines "$KMSG_LOG" "$n" 5 || true
wait_written journal "$n" 10 || true
wait_for "[[ \$(jcount NFLOG_RULE=$RULE) -ge $n ]]" 10 "$n journal entries" || true

# q EXPECTED WHAT FIELD=VALUE...: journalctl with these matches finds
# EXPECTED entries.
q() {
	local want=$1 what=$2 got
	shift 2
	got=$(jcount "$@")
	if [[ $got == "$want" ]]; then
		ok "journalctl $* -> $got ($what)"
	else
		fail "journalctl $* -> $got entries, expected $want ($what)"
	fi
}

[[ $n == "$TRAFFIC_MIX_PACKETS" ]] && ok "kernel rule counter $n" ||
	fail "kernel rule counter $n, expected $TRAFFIC_MIX_PACKETS"
q "$n" "every packet" NFLOG_RULE=$RULE
q "$n" "packet records by identifier and MESSAGE_ID" SYSLOG_IDENTIFIER=nflogd-e2e \
	MESSAGE_ID=8b3d1bbf6c6a4c3e9d8a2f0e5c1b7a40
q "$n" "the rule's level notice" NFLOG_RULE=$RULE PRIORITY=5
q "$n" "by prefix" "NFLOG_PREFIX=$P"
q "$n" "by input interface" NFLOG_RULE=$RULE IN=vr
q 5 "the IPv4 TCP connection" SRC=10.99.0.1 DPT=5001
q 5 "the IPv6 TCP connection" SRC=fd99::1 DPT=5003
q 10 "both connections (same field twice = OR)" DPT=5001 DPT=5003
q 2 "the two SYNs" TCP_FLAGS=SYN
q 1 "the UDP datagram" PROTO=UDP SPT=40002 DPT=5002 UDP_LEN=21
q 1 "the ICMP echo request" PROTO=ICMP ICMP_TYPE=8 ICMP_CODE=0 ICMP_SEQ=1
q 1 "the ICMP error and what it quotes" PROTO=ICMP ICMP_TYPE=3 ICMP_CODE=3 \
	QUOTED_SRC=10.99.0.2 QUOTED_DPT=9
q 1 "the ICMPv6 echo request" PROTO=ICMPv6 ICMP_TYPE=128 SRC=fd99::1 DST=fd99::2

# MESSAGE is the kernel's own LOG line.
jctl NFLOG_RULE=$RULE -o json | jq -r '.MESSAGE' >"$E2E_TMP/journal-messages.txt"
if cmp -s <(sort "$KMSG_LOG") <(sort "$E2E_TMP/journal-messages.txt"); then
	ok "MESSAGE of $(wc -l <"$E2E_TMP/journal-messages.txt") entries = the kernel's LOG lines, byte for byte"
else
	fail "journal MESSAGE fields differ from the kernel's LOG lines (< kernel, > journal):"
	diff <(sort "$KMSG_LOG") <(sort "$E2E_TMP/journal-messages.txt") | excerpt 20 || true
fi

if [[ -s $E2E_TMP/nflogd.err ]]; then
	fail "nflogd wrote to stderr although its log target is the journal (and journald runs):"
	excerpt 5 <"$E2E_TMP/nflogd.err"
fi

# ---- journald stalled (SIGSTOP): its socket queue fills (10 datagrams,
# net.unix.max_dgram_qlen), sends time out, nflogd's queue (16 records)
# fills.  Records fail or are dropped -- counted, never silently -- and
# nothing blocks for good.  Then every record counted written is in the
# journal, no more, no fewer.
kill -STOP "$JOURNALD_PID"
k0=$(kernel_count)
udp_burst 200 7000
k1=$(kernel_count)
wait_for "[[ \$(status_json | jq '[.groups[].received] | add') -ge $k1 ]]" 10 "nflogd to receive the burst" || true
sleep 2.5       # a send times out after 1 s: let some fail
read -r w f d p <<<"$(out_counters journal)"
say "while journald is stopped: kernel $((k1 - k0)) more, written $w, failed $f, dropped $d, pending $p (totals)"
kill -CONT "$JOURNALD_PID"
wait_for "[[ \$(out_counters journal | awk '{print \$4}') == 0 ]]" 15 "nothing pending for the journal" || true
read -r w f d p <<<"$(out_counters journal)"
if ((f + d > 0)); then
	ok "journald stalled: $((k1 - k0)) packets -> $((f + d)) counted lost (failed $f, dropped $d), the rest written"
else
	fail "journald stalled: no record failed or was dropped (written $w): the stall did not stall?"
fi
wait_for "[[ \$(jcount NFLOG_RULE=$RULE) -ge $w ]]" 10 || true
q "$w" "after the stall: exactly the records counted written" NFLOG_RULE=$RULE
((w + f + d + p == k1)) && ok "after the stall: kernel $k1 = written $w + failed $f + dropped $d + pending $p" ||
	fail "after the stall: kernel $k1 != written $w + failed $f + dropped $d + pending $p"

# ---- journald restarted: records sent while it is down fail (counted);
# the sink reconnects to the new journald's socket, and what comes after
# arrives.
stop_journald
read -r w0 f0 d0 _ <<<"$(out_counters journal)"
udp_burst 5 7500
wait_for "[[ \$(out_counters journal | awk '{print \$2 + \$3}') -ge $((f0 + d0 + 5)) ]]" 10 \
	"5 more records failed" || true
read -r w f d p <<<"$(out_counters journal)"
((w == w0 && f + d == f0 + d0 + 5)) && ok "journald down: 5 packets -> 5 records failed (written stays $w)" ||
	fail "journald down: written $w0 -> $w, failed+dropped $((f0 + d0)) -> $((f + d)), expected +5 failed"
run_journald
sleep 1.2       # the sink reconnects at most once a second
udp_burst 5 7600
k3=$(kernel_count)
wait_for "[[ \$(out_counters journal | awk '{print \$1}') -ge $((w + 5)) ]]" 10 "5 more records written" || true
wait_for "[[ \$(jcount NFLOG_RULE=$RULE DPT=7600 DPT=7601 DPT=7602 DPT=7603 DPT=7604) -ge 5 ]]" 10 || true
q 5 "after the restart: the 5 new packets are in the journal" NFLOG_RULE=$RULE DPT=7600 DPT=7601 DPT=7602 DPT=7603 DPT=7604
read -r w f d p <<<"$(out_counters journal)"
q "$w" "in all: exactly the records counted written" NFLOG_RULE=$RULE

n=$k3
stop_nflogd TERM
[[ $NFLOGD_RC == 0 ]] && ok "SIGTERM: nflogd exited 0" || fail "SIGTERM: nflogd exited $NFLOGD_RC"
wait_for "[[ \$(jcount MESSAGE_ID=fe3c2120ba9b41afa315d358f9423db0) -ge 1 ]]" 5 || true
q 1 "nflogd's own 'started' message" SYSLOG_IDENTIFIER=nflogd-e2e MESSAGE_ID=edadde8d2d3c470d88c6da8e1b75985b
q 1 "nflogd's own 'stopped' message" SYSLOG_IDENTIFIER=nflogd-e2e MESSAGE_ID=fe3c2120ba9b41afa315d358f9423db0

E2E_ALLOW_LOSS=1 check_accounting "$n"
e2e_finish
