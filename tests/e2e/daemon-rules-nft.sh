#!/bin/bash
# daemon-rules-nft: the nftables backend installs, owns and removes
# exactly its rules, and its kernel counters reach `nflogd --status`.
#
# $NS_R holds the host's own ruleset first: table inet filter with an input
# chain (policy accept, one rule of its own) and table ip host-nat.
# nflogd's configuration installs
#   own-v4   inet, own chain at hook input priority -10, udp dport 6001
#   own-v6   ip6,  own chain at hook input priority 0,   udp dport 6004
#   app      inet filter input, appended,                udp dport 6002
#   ins      inet filter input, inserted at the top,     udp dport 6003
#   lim      inet, own chain, udp dport 6005, limit 2/minute burst 2
# Checks: the rules are where the configuration says (insert before the
# host's rule, append after it); one datagram each is logged with its
# rule's name; 5 datagrams to the limited rule: 2 logged, 5 matched;
# status shows each rule's kernel counters next to what was received and
# written; after SIGTERM `nft -s list ruleset` is byte-identical to the
# one before start (nflogd's table gone, the host's rules untouched).
# Usage: daemon-rules-nft.sh PATH_TO_NFLOGD
. "$(dirname "$0")/lib.sh"
e2e_init daemon-rules-nft "$@"

e2e_netns_setup
in_r nft -f - <<'EOF'
table inet filter {
	chain input {
		type filter hook input priority 0; policy accept;
		tcp dport 22 accept comment "host-ssh"
	}
}
table ip host-nat {
	chain post {
		type nat hook postrouting priority 100;
		oifname "vr" counter masquerade
	}
}
EOF
before=$(in_r nft -s list ruleset)

conf=$E2E_TMP/nflogd.conf
{
	conf_globals
	cat <<EOF
firewall = { backend = "nftables"; table = "nflogd"; };
outputs = ( { name = "json"; type = "file"; path = "$E2E_TMP/out/packets.json"; format = "json"; } );
rules = (
	{ name = "own-v4"; group = 10; prefix = "own-v4: "; family = "inet";
	  hook = "input"; priority = -10; match = "udp dport 6001"; },
	{ name = "own-v6"; group = 10; prefix = "own-v6: "; family = "ip6";
	  hook = "input"; match = "udp dport 6004"; },
	{ name = "app"; group = 10; prefix = "app: "; family = "inet";
	  table = "filter"; chain = "input"; position = "append"; match = "udp dport 6002"; },
	{ name = "ins"; group = 10; prefix = "ins: "; family = "inet";
	  table = "filter"; chain = "input"; position = "insert"; match = "udp dport 6003"; },
	{ name = "lim"; group = 10; prefix = "lim: "; family = "inet";
	  hook = "input"; priority = -10; match = "udp dport 6005"; limit = "2/minute"; burst = 2; }
);
EOF
} >"$conf"

start_nflogd "$conf"

# --- where the rules are
tagged() { in_r nft -j list ruleset | jq -r '[.nftables[] | select(.rule?) | .rule
	| select((.comment // "") | startswith("nflogd:"))
	| "\(.family) \(.table) \(.chain) \(.comment)"] | .[]'; }
got=$(tagged | sort)
want=$(sort <<'EOF'
inet filter input nflogd:app
inet filter input nflogd:ins
inet nflogd input_m10 nflogd:own-v4
inet nflogd input_m10 nflogd:lim
ip6 nflogd input nflogd:own-v6
EOF
)
[[ $got == "$want" ]] && ok "5 rules installed where configured, tagged nflogd:<rule>" ||
	fail "installed rules:"$'\n'"$got"$'\n'"expected:"$'\n'"$want"
order=$(in_r nft -j list chain inet filter input | jq -r '[.nftables[] | select(.rule?) | .rule.comment] | join(",")')
[[ $order == "nflogd:ins,host-ssh,nflogd:app" ]] && ok "filter input order: $order (insert at the top, append before the policy)" ||
	fail "filter input order: $order, expected nflogd:ins,host-ssh,nflogd:app"

# --- traffic: one datagram each, and 5 to the rate-limited rule
udp_burst 3 6001               # 6001 own-v4, 6002 app, 6003 ins
in_s "$PY" "$HELPERS" udp fd99::2 6004 40011 1
for i in 1 2 3 4 5; do in_s "$PY" "$HELPERS" udp 10.99.0.2 6005 $((40020 + i)) 1; done
wait_lines "$E2E_TMP/out/packets.json" 6 10 || true
sleep 1.2    # the status file is rewritten once a second

rules=$(jq -r '"\(.destination.port) \(.rule.name)"' "$E2E_TMP/out/packets.json" | sort | uniq -c | awk '{print $2"="$3"x"$1}' | tr '\n' ' ')
[[ $rules == "6001=own-v4x1 6002=appx1 6003=insx1 6004=own-v6x1 6005=limx2 " ]] &&
	ok "records: $rules" || fail "records: $rules, expected 6001=own-v4x1 6002=appx1 6003=insx1 6004=own-v6x1 6005=limx2"

st=$(status_json)
k=$(jq -r '[.rules[] | "\(.name):\(.kernel.matched)/\(.kernel.logged)/\(.received)"] | join(" ")' <<<"$st")
[[ $k == "own-v4:1/1/1 own-v6:1/1/1 app:1/1/1 ins:1/1/1 lim:5/2/2" ]] &&
	ok "status: kernel matched/logged/received per rule: $k" ||
	fail "status kernel counters: $k, expected own-v4:1/1/1 own-v6:1/1/1 app:1/1/1 ins:1/1/1 lim:5/2/2"
"$NFLOGD" --status -c "$conf" >"$E2E_TMP/status.txt"
grep -Eq '^lim +installed +5 +2 ' "$E2E_TMP/status.txt" && ok "nflogd --status table shows lim: installed, matched 5, logged 2" ||
	fail "nflogd --status table: $(grep '^lim' "$E2E_TMP/status.txt")"

check_accounting 6
stop_nflogd TERM
[[ $NFLOGD_RC == 0 ]] && ok "SIGTERM: exit 0" || fail "SIGTERM: exit $NFLOGD_RC"
after=$(in_r nft -s list ruleset)
if [[ $after == "$before" ]]; then
	ok "after stop the ruleset is byte-identical to before start ($(wc -l <<<"$before") lines)"
else
	fail "ruleset changed:"$'\n'"$(diff <(echo "$before") <(echo "$after"))"
fi
grep -q "rules removed" "$E2E_TMP/nflogd.err" && ok "stop says: $(grep -o 'nftables: .*rules removed' "$E2E_TMP/nflogd.err")" ||
	fail "no 'rules removed' message"

# --- backend none: the same rules are somebody else's business
sed -i 's/backend = "nftables"/backend = "none"/' "$conf"
start_nflogd "$conf"
[[ $(in_r nft -s list ruleset) == "$before" ]] && ok "backend none: nothing installed" ||
	fail "backend none changed the ruleset: $(in_r nft list ruleset)"
grep -q "managed elsewhere" "$E2E_TMP/nflogd.err" && ok "backend none says: $(grep -m1 -o 'firewall backend none.*' "$E2E_TMP/nflogd.err")" ||
	fail "backend none: no message"
[[ $(status_json | jq -r '.groups[0].id') == 10 ]] && ok "backend none: group 10 bound" || fail "backend none: group 10 not bound"
stop_nflogd TERM
[[ $(in_r nft -s list ruleset) == "$before" ]] && ok "backend none: ruleset unchanged after stop" ||
	fail "backend none: ruleset changed after stop"
e2e_finish
