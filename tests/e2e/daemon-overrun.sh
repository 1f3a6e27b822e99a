#!/bin/bash
# daemon-overrun: a netlink overrun at the end of a burst is not lost
# silently.
#
# The kernel counts a group's packets with sequence numbers; nflogd counts
# a gap as packets lost.  A gap is seen only when a packet queued after the
# dropped batches arrives, so an overrun at the end of a burst leaves no
# gap to see: nflogd must say so (status `uncounted`, a warning) instead of
# reporting no loss, count the gap exactly once the next packet comes, and
# warn at the stop when none came.
#
# Group 10 with the smallest receive buffer (64 KiB) and one packet a
# datagram.  nflogd is stopped (SIGSTOP) while 1500 packets are sent: the
# socket fills, the rest of the burst is dropped, the last packets with it.
# Then SIGCONT.  Checks:
#   1. after the burst: overruns >= 1, kernel_drops > 0, uncounted = true,
#      written + lost < the kernel counter (the tail is not counted yet),
#      a warning naming the group;
#   2. one more packet: uncounted = false, and written + lost = the kernel
#      counter exactly (the gap counted the tail to the packet);
#   3. the same burst again, then SIGTERM with no packet after it: the
#      stop warning says 'lost' is short.
# Usage: daemon-overrun.sh PATH_TO_NFLOGD
. "$(dirname "$0")/lib.sh"
e2e_init daemon-overrun "$@"

e2e_netns_setup
P="e2e-$E2E_TAG-ovr: "
nft_log_rules "$P"
conf=$E2E_TMP/nflogd.conf
out=$E2E_TMP/out
{
	conf_globals | sed 's/flush_timeout = 1; }/flush_timeout = 1; rcvbuf = 65536; nlbufsiz = 4096; }/'
	cat <<-EOF
	outputs = ( { name = "json"; type = "file"; path = "$out/packets.json"; format = "json"; } );
	rules = ( { name = "e2e-ovr"; group = 10; prefix = "$P"; outputs = [ "json" ]; } );
	EOF
} >"$conf"
grep -q 'rcvbuf = 65536' "$conf" || die "the group settings were not applied to $conf"

# burst FIRST_PORT: 1500 packets while nflogd is stopped, then let it run
# and wait until it has written all it got (the status stops moving).
burst() {
	kill -STOP "$NFLOGD_PID"
	udp_burst 1500 "$1"
	kill -CONT "$NFLOGD_PID"
	local prev=-1 cur i
	for ((i = 0; i < 20; i++)); do
		sleep 1.1
		cur=$(written json)
		[[ $cur == "$prev" ]] && break
		prev=$cur
	done
}

# figures: "kernel written lost uncounted overruns kernel_drops"
figures() {
	local st
	st=$(status_json)
	printf '%s %s\n' "$(kernel_count)" "$(jq -r '"\([.rules[].outputs[].written] | add) \(.groups[0].lost) \(.groups[0].uncounted) \(.groups[0].overruns) \(.groups[0].kernel_drops)"' <<<"$st")"
}

start_nflogd "$conf"
burst 2000
read -r k w l u o dr <<<"$(figures)"
say "after the burst: kernel $k, written $w, lost $l, uncounted $u, overruns $o, kernel_drops $dr"
((o >= 1 && dr > 0)) && ok "overrun seen: $o overrun(s), the kernel dropped $dr batches" ||
	fail "no overrun seen: overruns $o, kernel_drops $dr (kernel $k, written $w)"
[[ $u == true ]] && ok "status: uncounted = true while no packet followed the dropped batches" ||
	fail "status: uncounted = $u after a burst that ended in an overrun"
((w + l < k)) && ok "the tail is not in 'lost' yet: written $w + lost $l < kernel $k" ||
	fail "written $w + lost $l vs kernel $k: expected the tail uncounted"
grep -q "group 10: packets lost in the kernel after the last one received" "$E2E_TMP/nflogd.err" &&
	ok "warning: '$(grep -m1 -o 'group 10: packets lost in the kernel after the last one received[^;]*' "$E2E_TMP/nflogd.err")'" ||
	fail "no warning about the uncounted tail in nflogd's log"

# One more packet: its sequence number shows the whole gap.
udp_burst 1 4000
wait_written json $((w + 1)) 10 || true
read -r k w l u o dr <<<"$(figures)"
[[ $u == false ]] && ok "status: uncounted = false after the next packet" ||
	fail "status: uncounted = $u after the next packet"
((w + l == k && l > 0)) && ok "identity exact: kernel $k = written $w + lost $l" ||
	fail "kernel $k != written $w + lost $l"
E2E_ALLOW_LOSS=1 check_accounting "$k"

# Again, and stop with nothing after the burst.
burst 5000
read -r k w l u o dr <<<"$(figures)"
[[ $u == true ]] && ok "second burst: uncounted = true (kernel $k, written $w, lost $l)" ||
	fail "second burst: uncounted = $u (kernel $k, written $w, lost $l)"
stop_nflogd TERM
[[ $NFLOGD_RC == 0 ]] && ok "nflogd exited 0" || fail "nflogd exited $NFLOGD_RC"
grep -q "group 10: stopping with packets lost in the kernel after the last one received" "$E2E_TMP/nflogd.err" &&
	ok "stop warning: '$(grep -m1 -o "group 10: stopping with packets lost[^:]*: no later packet can show how many, so 'lost' ([0-9]*) is short by at least one packet" "$E2E_TMP/nflogd.err")'" ||
	fail "no stop warning about the uncounted tail: $(grep -i 'lost' "$E2E_TMP/nflogd.err" | tail -3)"
e2e_finish
