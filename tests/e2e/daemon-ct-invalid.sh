#!/bin/bash
# daemon-ct-invalid: conntrack's own reasons for INVALID, collected on
# group 0 (conntrack_invalid section), and the sysctls put back.
#
# nflogd in $NS_R with conntrack_invalid { protocol = "tcp"; } and one rule
# logging `ct state invalid` in its own chain (which also makes conntrack
# track this namespace).  A stray TCP FIN/ACK with no connection from
# $NS_S gives three records: the rule's ("inv"), and conntrack's own on
# group 0 ("ct-invalid") whose reason field holds what conntrack said --
# for the FIN/ACK, and for the RST $NS_R's stack sends back (conntrack
# finds that INVALID too, on its way out).
# Checks: the records and the reason (JSON and journal); the sysctls
# while running (nf_log/2 and nf_log/10 = nfnetlink_log,
# nf_conntrack_log_invalid = 6); after SIGTERM they are what they were;
# after SIGKILL and a restart the values of before the first start come
# back at stop (a crashed nflogd's changes are not taken for the host's);
# a rule using group 0 next to conntrack_invalid is refused.
# Usage: daemon-ct-invalid.sh PATH_TO_NFLOGD
. "$(dirname "$0")/lib.sh"
e2e_init daemon-ct-invalid "$@"

e2e_netns_setup
start_journald
sysctls() {
	local f v out=""
	for f in nf_log/2 nf_log/10 nf_conntrack_log_invalid; do
		v=$(in_r cat "/proc/sys/net/netfilter/$f" 2>/dev/null || echo absent)
		out+="$f=$v "
	done
	echo "$out"
}
# conntrack must be in use for nf_conntrack_log_invalid to matter; a host
# rule using ct gives a defined "before" for all three values.
in_r nft add table inet host
in_r nft add chain inet host input '{ type filter hook input priority 0; policy accept; }'
in_r nft add rule inet host input ct state established accept
before=$(sysctls)
say "sysctls before: $before"

conf=$E2E_TMP/nflogd.conf
{
	conf_globals
	cat <<EOF
outputs = (
	{ name = "json"; type = "file"; path = "$E2E_TMP/out/packets.json"; format = "json"; },
	{ name = "journal"; type = "journal"; }
);
rules = (
	{ name = "inv"; group = 10; prefix = "inv: "; hook = "input"; match = "ct state invalid"; }
);
conntrack_invalid = { protocol = "tcp"; families = [ "ip", "ip6" ]; name = "ct-invalid"; };
EOF
} >"$conf"
# Group 10 also asks for conntrack information on its messages, which
# this kernel cannot attach (CONFIG_NETFILTER_NETLINK_GLUE_CT not set):
# nflogd must say so once and run on.
sed -i 's/flush_timeout = \([0-9]*\); }/flush_timeout = \1; conntrack = true; }/' "$conf"
grep -q 'conntrack = true' "$conf" || die "could not set conntrack = true on group 10"

start_nflogd "$conf"
if grep -q 'GLUE_CT' "$E2E_TMP/nflogd.err"; then
	ok "conntrack = true on this kernel: $(grep -m1 -o 'group 10: conntrack.*' "$E2E_TMP/nflogd.err")"
elif [[ -e /proc/config.gz ]] && zgrep -q 'NETFILTER_NETLINK_GLUE_CT=y' /proc/config.gz; then
	ok "conntrack = true: this kernel has NETFILTER_NETLINK_GLUE_CT; accepted"
else
	fail "conntrack = true: no message about the missing NETFILTER_NETLINK_GLUE_CT"
fi
running=$(sysctls)
[[ $running == "nf_log/2=nfnetlink_log nf_log/10=nfnetlink_log nf_conntrack_log_invalid=6 " ]] &&
	ok "while running: $running" || fail "while running: $running"

stray_fin() {
	in_s "$PY" -c 'from scapy.all import IP, TCP, send
import sys
send(IP(src="10.99.0.1", dst="10.99.0.2")/TCP(sport=int(sys.argv[1]), dport=5001, flags="FA", seq=1000, ack=2000), verbose=False)' "$1"
}
stray_fin 40100
json=$E2E_TMP/out/packets.json
wait_lines "$json" 3 10 || true
got=$(jq -r '"\(.rule.name) \(.source.port)/\(.tcp.flags | join("+"))"' "$json" | sort | tr '\n' ';')
[[ $got == "ct-invalid 40100/ACK+FIN;ct-invalid 5001/RST;inv 40100/ACK+FIN;" ]] && ok "records: $got" ||
	fail "records: $got, expected ct-invalid 40100/ACK+FIN;ct-invalid 5001/RST;inv 40100/ACK+FIN;"
sel='select(.rule.name == "ct-invalid" and .source.port == 40100)'
reason=$(jq -r "$sel | .event.reason" "$json")
proto=$(jq -r "$sel | .nflog.ct_invalid.protocol" "$json")
[[ $reason == "invalid new" && $proto == 6 ]] &&
	ok "conntrack's reason for the FIN/ACK: event.reason \"$reason\", protocol $proto (prefix \"$(jq -r "$sel | .nflog.prefix" "$json")\")" ||
	fail "reason: '$reason' protocol '$proto': $(grep ct-invalid "$json")"
n=$(jcount NFLOG_RULE=ct-invalid CT_INVALID_REASON="invalid new" CT_INVALID_PROTO=6)
[[ $n == 2 ]] && ok "journalctl NFLOG_RULE=ct-invalid CT_INVALID_REASON='invalid new' CT_INVALID_PROTO=6: 2 entries (FIN/ACK, RST)" ||
	fail "journal: $n entries with CT_INVALID_REASON='invalid new', expected 2"

stop_nflogd TERM
[[ $NFLOGD_RC == 0 ]] && ok "SIGTERM: exit 0" || fail "SIGTERM: exit $NFLOGD_RC"
[[ $(sysctls) == "$before" ]] && ok "after stop: $(sysctls)" || fail "after stop: $(sysctls), before: $before"

# SIGKILL: nothing restores; the next nflogd must restore the values of
# before the first start, not the ones the dead one set.
start_nflogd "$conf"
kill -KILL "$NFLOGD_PID"
wait "$NFLOGD_PID" 2>/dev/null || true
[[ $(sysctls) == "$running" ]] && ok "after SIGKILL the values stay changed: $(sysctls)" ||
	fail "after SIGKILL: $(sysctls)"
start_nflogd "$conf"
stop_nflogd TERM
[[ $(sysctls) == "$before" ]] && ok "restart after SIGKILL, stop: the values of before the first start: $(sysctls)" ||
	fail "restart after SIGKILL, stop: $(sysctls), expected $before"

# group 0 is conntrack's while conntrack_invalid is on
sed -i 's/name = "inv"; group = 10;/name = "inv"; group = 0;/' "$conf"
rc=0
"$NFLOGD" --check-config -c "$conf" >"$E2E_TMP/g0.out" 2>&1 || rc=$?
[[ $rc != 0 ]] && grep -q "group 0" "$E2E_TMP/g0.out" && ok "a rule on group 0 is refused: $(grep -m1 'group 0' "$E2E_TMP/g0.out")" ||
	fail "a rule on group 0: exit $rc: $(cat "$E2E_TMP/g0.out")"
e2e_finish
