#!/bin/bash
# daemon-drop-logging: the shipped example conf/examples/drop-logging.conf
# on a host whose input policy drops: nflogd appends its rules to the
# host's chain, so exactly what the policy is about to drop is logged,
# with the conntrack state in the prefix, and nothing else changes.
#
# $NS_R: table inet filter, chain input, policy drop; accepts established/
# related, lo, and TCP 5001.  Traffic from $NS_S:
#   TCP 5001 exchange (5 packets)  accepted: no record
#   UDP 6001, UDP 6002, ping       dropped, ct state new -> drop-new (3)
#   a stray TCP FIN/ACK to 5009    dropped, ct state invalid -> drop-inv (1)
# Checks: the records and their rules; the same in the journal
# (journalctl NFLOG_RULE=...); the TCP exchange still works (the policy
# and its accepts are unchanged); the kernel counters per rule; after
# stop, `nft -s list ruleset` is byte-identical to before.
# Usage: daemon-drop-logging.sh PATH_TO_NFLOGD
. "$(dirname "$0")/lib.sh"
e2e_init daemon-drop-logging "$@"

example=$(cd "$E2E_DIR/../.." && pwd)/conf/examples/drop-logging.conf
[[ -f $example ]] || die "missing $example"

e2e_netns_setup
in_r nft -f - <<'EOF'
table inet filter {
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		iif "lo" accept
		tcp dport 5001 accept
	}
}
EOF
before=$(in_r nft -s list ruleset)
start_journald
start_servers

# The example as shipped, with the paths of this test.
conf=$E2E_TMP/nflogd.conf
mkdir -p "$E2E_TMP/run" "$E2E_TMP/state" "$E2E_TMP/out"
{
	printf 'runtime_dir = "%s";\nstate_dir = "%s";\nstats_interval = 0;\n' \
		"$E2E_TMP/run" "$E2E_TMP/state"
	sed -E -e '/^[[:space:]]*(runtime_dir|state_dir|stats_interval)[[:space:]]*=/d' \
		-e "s#/var/log/nflogd/#$E2E_TMP/out/#g" "$example"
} >"$conf"
"$NFLOGD" --check-config -c "$conf" >/dev/null || die "the example does not check: $("$NFLOGD" --check-config -c "$conf" 2>&1)"
json=$(awk -F'"' '/path *= *".*\.json"/ {print $2; exit}' "$conf")
[[ -n $json ]] || die "the example has no JSON output"

start_nflogd "$conf"
order=$(in_r nft -j list chain inet filter input | jq -r '[.nftables[] | select(.rule?) | .rule | (.comment // "host")] | join(",")')
[[ $order == host,host,host,nflogd:* ]] && ok "nflogd's rules appended after the host's: $order" ||
	fail "chain order: $order"

in_s "$PY" "$HELPERS" tcp 10.99.0.2 5001 40001 && ok "TCP 5001 still accepted" || fail "TCP 5001 exchange failed"
udp_burst 2 6001
in_s ping -q -c 1 -W 1 10.99.0.2 >/dev/null && fail "ping answered: the policy should drop it" || ok "ping dropped (as before)"
in_s "$PY" -c 'from scapy.all import IP, TCP, send
send(IP(src="10.99.0.1", dst="10.99.0.2")/TCP(sport=40100, dport=5009, flags="FA", seq=1000, ack=2000), verbose=False)'
wait_lines "$json" 4 10 || true
sleep 1.2

got=$(jq -r '"\(.network.transport) \(.destination.port // "-") \(.rule.name)"' "$json" | sort | tr '\n' ';')
want="icmp - drop-new;tcp 5009 drop-inv;udp 6001 drop-new;udp 6002 drop-new;"
[[ $got == "$want" ]] && ok "records: $got" || fail "records: $got, expected $want"
prefixes=$(jq -r '.nflog.prefix' "$json" | sort -u | tr '\n' ';')
[[ $prefixes == "drop-inv: ;drop-new: ;" ]] && ok "prefixes carry the state: $prefixes" || fail "prefixes: $prefixes"
n_new=$(jcount NFLOG_RULE=drop-new) n_inv=$(jcount NFLOG_RULE=drop-inv)
[[ $n_new == 3 && $n_inv == 1 ]] && ok "journalctl NFLOG_RULE=drop-new: $n_new, NFLOG_RULE=drop-inv: $n_inv" ||
	fail "journal: drop-new $n_new (want 3), drop-inv $n_inv (want 1)"
k=$(status_json | jq -r '[.rules[] | "\(.name):\(.kernel.logged)"] | join(" ")')
[[ $k == *"drop-new:3"* && $k == *"drop-inv:1"* && $k == *"drop-est:0"* ]] && ok "kernel counters: $k" ||
	fail "kernel counters: $k"
check_accounting 4

stop_nflogd TERM
[[ $NFLOGD_RC == 0 ]] && ok "SIGTERM: exit 0" || fail "SIGTERM: exit $NFLOGD_RC"
after=$(in_r nft -s list ruleset)
[[ $after == "$before" ]] && ok "after stop the ruleset is byte-identical to before" ||
	fail "ruleset changed:"$'\n'"$(diff <(echo "$before") <(echo "$after"))"
e2e_finish
