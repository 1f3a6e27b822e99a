#!/bin/bash
# daemon-group-busy: a group another process holds is reported, not stolen.
#
# `tcpdump -i nflog:10` runs first in $NS_R.  Then:
#   - nflogd with a config for group 10 exits non-zero, quickly, with
#     "group 10 is already bound by another process";
#   - tcpdump still gets every packet of the group (3 sent, 3 captured,
#     = the kernel rule counter): nflogd did not unbind it;
#   - the namespace's log backends (net.netfilter.nf_log.*) are
#     unchanged: nflogd never sends PF_BIND/PF_UNBIND;
#   - once tcpdump has exited, the same nflogd starts on group 10, writes
#     the next 3 packets, and exits 0 on SIGTERM, the log backends still
#     unchanged; counters add up.
# Usage: daemon-group-busy.sh PATH_TO_NFLOGD
. "$(dirname "$0")/lib.sh"
e2e_init daemon-group-busy "$@"
command -v tcpdump >/dev/null || die "missing tcpdump"

e2e_netns_setup
P="e2e-$E2E_TAG-busy: "
nft_log_rules "$P"
conf=$E2E_TMP/nflogd.conf
out=$E2E_TMP/out
{
	conf_globals
	cat <<-EOF
	outputs = ( { name = "json"; type = "file"; path = "$out/packets.json"; format = "json"; } );
	rules = ( { name = "e2e-busy"; group = 10; prefix = "$P"; outputs = [ "json" ]; } );
	EOF
} >"$conf"

backends() { ip netns exec "$NS_R" sh -c 'for f in /proc/sys/net/netfilter/nf_log/*; do printf "%s=%s " "${f##*/}" "$(cat "$f")"; done'; }

e2e_bg TCPDUMP_PID ip netns exec "$NS_R" tcpdump -U -n -i nflog:10 -w "$E2E_TMP/busy.pcap" \
	2>"$E2E_TMP/tcpdump.err"
wait_for "grep -q 'listening on' $E2E_TMP/tcpdump.err" 10 "tcpdump" || die "tcpdump did not start"
# (libpcap itself binds the IPv4/IPv6 log backends to nfnetlink_log: take
# the snapshot after it started)
before=$(backends)

t0=$(date +%s%N)
rc=0
timeout 20 ip netns exec "$NS_R" "$NFLOGD" -c "$conf" --log-target stderr \
	>"$E2E_TMP/busy.out" 2>"$E2E_TMP/busy.err" || rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
if [[ $rc != 0 && $rc != 124 ]] && grep -q 'group 10 is already bound by another process' "$E2E_TMP/busy.err"; then
	ok "nflogd exited $rc after ${ms} ms: '$(grep 'already bound' "$E2E_TMP/busy.err")'"
else
	fail "nflogd with group 10 busy: exit $rc after ${ms} ms, stderr:"
	cat "$E2E_TMP/busy.err"
fi
((ms < 5000)) || fail "nflogd took ${ms} ms to give up"

udp_burst 3 6000
# tcpdump leaves the kernel's batching at its default (up to 1 s)
pcount() { tcpdump -n -r "$E2E_TMP/busy.pcap" --count 2>/dev/null | awk '{print $1}'; }
wait_for '[[ $(pcount) -ge 3 ]]' 5 "tcpdump's 3 packets" || true
kill -INT "$TCPDUMP_PID"
wait_for "! kill -0 $TCPDUMP_PID 2>/dev/null" 10 "tcpdump to exit" || fail "tcpdump did not exit"
wait "$TCPDUMP_PID" || true
cap=$(pcount)
n=$(kernel_count)
[[ $cap == 3 && $n == 3 ]] && ok "tcpdump kept the group: captured $cap of $n packets" ||
	fail "tcpdump captured $cap, kernel rule counter $n, expected 3 and 3"
after=$(backends)
[[ $before == "$after" ]] && ok "log backends unchanged: $after" ||
	fail "log backends changed: before '$before', after '$after'"

# the group is free now
before=$(backends)
start_nflogd "$conf"
udp_burst 3 6003
wait_lines "$out/packets.json" 3 10 && ok "group free: nflogd started and wrote $(wc -l <"$out/packets.json") records" ||
	fail "nflogd did not write after tcpdump released the group"
stop_nflogd TERM
[[ $NFLOGD_RC == 0 ]] && ok "SIGTERM: nflogd exited 0" || fail "SIGTERM: nflogd exited $NFLOGD_RC"
after=$(backends)
[[ $before == "$after" ]] && ok "log backends unchanged by nflogd's start and stop" ||
	fail "log backends changed by nflogd: before '$before', after '$after'"
n=$(kernel_count)
check_accounting $((n - 3))
e2e_finish
