#!/bin/bash
# daemon-rules-ipt: the iptables backend (iptables-restore --noflush fed a
# generated ruleset) installs, owns, keeps and removes exactly its rules.
#
# $NS_R's host rules: INPUT accepts tcp 22 (IPv4 and IPv6).  nflogd adds
#   own   ip,   own chain (NFLOGD-INPUT, jumped to from INPUT), udp 6001
#   app   ip,   filter INPUT appended,                         udp 6002
#   ins   inet, filter INPUT inserted at the top (both families), udp 6003
# Checks: placement and order; one record per datagram with its rule's
# name (IPv4 and IPv6 for ins); the kernel counters in `nflogd --status`;
# `iptables -F INPUT` is repaired by the periodic check; a SIGKILL and
# restart leaves each rule once; after SIGTERM iptables-save and
# ip6tables-save print what they printed before start.
# Usage: daemon-rules-ipt.sh PATH_TO_NFLOGD
. "$(dirname "$0")/lib.sh"
e2e_init daemon-rules-ipt "$@"
command -v iptables-restore >/dev/null || die "missing iptables-restore"

e2e_netns_setup
in_r iptables -A INPUT -p tcp --dport 22 -j ACCEPT -m comment --comment host-ssh
in_r ip6tables -A INPUT -p tcp --dport 22 -j ACCEPT -m comment --comment host-ssh
# iptables-save without its "# Generated ... on <date>" lines
save() { { in_r iptables-save; in_r ip6tables-save; } | grep -v '^#'; }
before=$(save)

conf=$E2E_TMP/nflogd.conf
{
	conf_globals
	cat <<EOF
firewall = { backend = "iptables"; table = "nflogd"; check_interval = 1; };
outputs = ( { name = "json"; type = "file"; path = "$E2E_TMP/out/packets.json"; format = "json"; } );
rules = (
	{ name = "own"; group = 10; prefix = "own: "; family = "ip"; hook = "input";
	  match = "-p udp --dport 6001"; },
	{ name = "app"; group = 10; prefix = "app: "; family = "ip"; table = "filter";
	  chain = "INPUT"; position = "append"; match = "-p udp --dport 6002"; },
	{ name = "ins"; group = 10; prefix = "ins: "; family = "inet"; table = "filter";
	  chain = "INPUT"; position = "insert"; match = "-p udp --dport 6003"; }
);
EOF
} >"$conf"
# tagged rules, "family chain tag" (family 4 / 6)
tagged() {
	{ in_r iptables-save -t filter | sed 's/^/4 /'; in_r ip6tables-save -t filter | sed 's/^/6 /'; } |
		awk '/--comment "?nflogd:/ { for (i = 1; i <= NF; i++) if ($i == "--comment") c = $(i + 1);
			gsub(/"/, "", c); print $1, $3, c }'
}

start_nflogd "$conf"
got=$(tagged)
want=$(cat <<'EOF'
4 INPUT nflogd:ins
4 INPUT nflogd:jump
4 INPUT nflogd:app
4 NFLOGD-INPUT nflogd:own
6 INPUT nflogd:ins
EOF
)
# INPUT order: ins (inserted), the jump (at the top, after ins or before:
# both are nflogd's), the host's rule, app (appended).
order=$(in_r iptables -S INPUT | awk '/^-A/ { c = "-"; for (i = 1; i <= NF; i++) if ($i == "--comment") c = $(i + 1); gsub(/"/, "", c); printf "%s,", c }')
if [[ $(sort <<<"$got") == $(sort <<<"$want") ]]; then
	ok "rules installed and tagged: $(tr '\n' ';' <<<"$got")"
else
	fail "installed:"$'\n'"$got"$'\n'"expected:"$'\n'"$want"
fi
[[ $order == *"host-ssh,nflogd:app," && $order == nflogd:* ]] && ok "INPUT order: $order" ||
	fail "INPUT order: $order (expected nflogd's inserted rules first, app after host-ssh)"

udp_burst 3 6001
in_s "$PY" "$HELPERS" udp fd99::2 6003 40011 1
wait_lines "$E2E_TMP/out/packets.json" 4 10 || true
sleep 1.2
recs=$(jq -r '"\(.destination.port)=\(.rule.name)"' "$E2E_TMP/out/packets.json" | sort | tr '\n' ' ')
[[ $recs == "6001=own 6002=app 6003=ins 6003=ins " ]] && ok "records: $recs" ||
	fail "records: $recs, expected 6001=own 6002=app 6003=ins 6003=ins"
k=$(status_json | jq -r '[.rules[] | "\(.name):\(.kernel.logged)/\(.received)"] | join(" ")')
[[ $k == "own:1/1 app:1/1 ins:2/2" ]] && ok "status kernel logged/received: $k" ||
	fail "status kernel counters: $k, expected own:1/1 app:1/1 ins:2/2"
check_accounting 4

# --- someone flushes INPUT: the periodic check puts the rules back
in_r iptables -F INPUT
if wait_for '[[ $(tagged | grep -c "4 INPUT") == 3 ]]' 5 "the rules back after iptables -F"; then
	ok "iptables -F INPUT: rules back: $(grep -m1 -o 'iptables: the ruleset changed.*' "$E2E_TMP/nflogd.err")"
else
	fail "iptables -F INPUT: rules not back: $(tagged | tr '\n' ';')"
fi
in_r iptables -A INPUT -p tcp --dport 22 -j ACCEPT -m comment --comment host-ssh

# --- SIGKILL, restart: no duplicates
kill -KILL "$NFLOGD_PID"
wait "$NFLOGD_PID" 2>/dev/null || true
start_nflogd "$conf"
n=$(tagged | wc -l)
[[ $n == 5 ]] && ok "restart after SIGKILL: 5 tagged rules, no duplicates" ||
	fail "restart after SIGKILL: $n tagged rules: $(tagged | tr '\n' ';')"

stop_nflogd TERM
[[ $NFLOGD_RC == 0 ]] && ok "SIGTERM: exit 0" || fail "SIGTERM: exit $NFLOGD_RC"
after=$(save)
[[ $after == "$before" ]] && ok "after stop iptables-save and ip6tables-save print what they printed before" ||
	fail "rules changed:"$'\n'"$(diff <(echo "$before") <(echo "$after"))"
e2e_finish
