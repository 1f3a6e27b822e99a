#!/bin/bash
# daemon-rules-recover: nflogd's rules survive what happens to hosts
# (nftables backend).
#
#   1. A bad match at start: exit 1, the message names the rule and
#      carries nft's own error, the ruleset is byte-identical.
#   2. SIGKILL, then a restart: the dead nflogd's rules are replaced, not
#      duplicated (each tag exactly once).
#   3. `nft flush ruleset` while running: the rules are back within a
#      second, a "put back" message says so, and logging resumes.
#   4. SIGHUP with one rule changed: the unchanged chain keeps its rule
#      handles (and counters), the changed one is replaced.
#   5. SIGHUP with a bad match: the reload is refused with nft's message,
#      the running rules keep their handles, logging goes on.
#   6. SIGTERM: the ruleset is as before the first start.
# Usage: daemon-rules-recover.sh PATH_TO_NFLOGD
. "$(dirname "$0")/lib.sh"
e2e_init daemon-rules-recover "$@"

e2e_netns_setup
host_rules() {
	in_r nft add table ip host
	in_r nft add chain ip host input '{ type filter hook input priority 10; policy accept; }'
	in_r nft add rule ip host input icmp type echo-request counter comment '"host-icmp"'
}
host_rules
before=$(in_r nft -s list ruleset)

conf=$E2E_TMP/nflogd.conf
# write_conf MATCH_OF_B [MATCH_OF_C]
write_conf() {
	{
		conf_globals
		cat <<EOF
outputs = ( { name = "json"; type = "file"; path = "$E2E_TMP/out/packets.json"; format = "json"; } );
rules = (
	{ name = "a"; group = 10; prefix = "a: "; hook = "input"; match = "udp dport 6001"; },
	{ name = "b"; group = 10; prefix = "b: "; hook = "input"; priority = 5; match = "$1"; },
	{ name = "c"; group = 10; prefix = "c: "; hook = "input"; priority = 5; match = "${2:-udp dport 6003}"; }
);
EOF
	} >"$conf"
}
tags() { in_r nft -j list ruleset | jq -r '[.nftables[] | select(.rule?) | .rule
	| select((.comment // "") | startswith("nflogd:")) | .comment] | sort | join(",")'; }
handle_of() { in_r nft -j list ruleset | jq -r --arg c "nflogd:$1" '.nftables[] | select(.rule?) | .rule | select(.comment == $c) | .handle'; }
records() { [[ -f $E2E_TMP/out/packets.json ]] && wc -l <"$E2E_TMP/out/packets.json" || echo 0; }

# --- 1. a bad match at start
write_conf "udp dportt 6002"
rc=0
ip netns exec "$NS_R" "$NFLOGD" -c "$conf" --log-target stderr >"$E2E_TMP/bad.out" 2>"$E2E_TMP/bad.err" || rc=$?
if [[ $rc == 1 ]] && grep -q "rule 'b'" "$E2E_TMP/bad.err" && grep -qi "error" "$E2E_TMP/bad.err"; then
	ok "bad match at start: exit 1: $(grep -m1 "rule 'b'" "$E2E_TMP/bad.err")"
else
	fail "bad match at start: exit $rc: $(cat "$E2E_TMP/bad.err")"
fi
[[ $(in_r nft -s list ruleset) == "$before" ]] && ok "bad match at start: ruleset unchanged" ||
	fail "bad match at start left something: $(in_r nft list ruleset)"

# --- 2. SIGKILL and restart
write_conf "udp dport 6002"
start_nflogd "$conf"
[[ $(tags) == "nflogd:a,nflogd:b,nflogd:c" ]] && ok "started: $(tags)" || fail "started: tags $(tags)"
kill -KILL "$NFLOGD_PID"
wait "$NFLOGD_PID" 2>/dev/null || true
[[ $(tags) == "nflogd:a,nflogd:b,nflogd:c" ]] && ok "after SIGKILL the rules are still there (nobody removed them)" ||
	fail "after SIGKILL: $(tags)"
start_nflogd "$conf"
[[ $(tags) == "nflogd:a,nflogd:b,nflogd:c" ]] && ok "restart after SIGKILL: each rule once: $(tags)" ||
	fail "restart after SIGKILL: $(tags) (duplicates?)"

# --- 3. flush while running
udp_burst 1 6001
wait_lines "$E2E_TMP/out/packets.json" 1 5 || true
t0=$(date +%s%N)
in_r nft flush ruleset
if wait_for '[[ $(tags) == "nflogd:a,nflogd:b,nflogd:c" ]]' 3 "rules back after flush"; then
	ms=$((($(date +%s%N) - t0) / 1000000))
	((ms <= 1000)) && ok "nft flush ruleset: rules back after $ms ms" ||
		fail "nft flush ruleset: rules back only after $ms ms (> 1 s)"
else
	fail "nft flush ruleset: rules not back within 3 s: $(tags)"
fi
grep -q "put back" "$E2E_TMP/nflogd.err" && ok "message: $(grep -m1 -o 'nftables: the ruleset changed.*' "$E2E_TMP/nflogd.err")" ||
	fail "no 'put back' message"
host_rules     # the flush took the host's table too: as an admin would
n0=$(records)
udp_burst 1 6002
wait_for "[[ \$(records) -ge $((n0 + 1)) ]]" 5 "a record after the flush" &&
	ok "logging resumed after the flush" || fail "no record after the flush"

# --- 4. reload, one rule changed
ha=$(handle_of a) hb=$(handle_of b) hc=$(handle_of c)
write_conf "udp dport 6002" "udp dport 6013"
kill -HUP "$NFLOGD_PID"
wait_for "[[ \$(handle_of c) != $hc && -n \$(handle_of c) ]]" 5 "rule c replaced" || true
if [[ $(handle_of a) == "$ha" ]]; then
	ok "reload: chain of the unchanged rule a untouched (handle $ha)"
else
	fail "reload: rule a got handle $(handle_of a), was $ha"
fi
[[ -n $(handle_of c) && $(handle_of c) != "$hc" ]] && ok "reload: changed rule c replaced (handle $hc -> $(handle_of c))" ||
	fail "reload: rule c handle $(handle_of c), was $hc"
[[ $(tags) == "nflogd:a,nflogd:b,nflogd:c" ]] && ok "reload: each rule once" || fail "reload: $(tags)"
n0=$(records)
udp_burst 1 6013
wait_for "[[ \$(records) -ge $((n0 + 1)) ]]" 5 "a record of the changed rule" &&
	ok "reload: the changed rule logs (udp 6013 -> $(tail -n1 "$E2E_TMP/out/packets.json" | jq -r .rule.name))" ||
	fail "reload: no record for udp 6013"

# --- 5. reload with a bad match
ha=$(handle_of a) hb=$(handle_of b) hc=$(handle_of c)
write_conf "udp dport 6002" "tcp flagz syn"
kill -HUP "$NFLOGD_PID"
wait_for "grep -q 'not reloading' $E2E_TMP/nflogd.err" 5 "the reload to be refused" || true
grep -q "rule 'c'" "$E2E_TMP/nflogd.err" && ok "bad reload refused: $(grep -m1 "rule 'c'" "$E2E_TMP/nflogd.err")" ||
	fail "bad reload: no message naming rule c"
[[ "$(handle_of a) $(handle_of b) $(handle_of c)" == "$ha $hb $hc" ]] &&
	ok "bad reload: the running rules untouched (handles $ha $hb $hc)" ||
	fail "bad reload: handles $(handle_of a) $(handle_of b) $(handle_of c), were $ha $hb $hc"
kill -0 "$NFLOGD_PID" && ok "bad reload: still running" || fail "bad reload: nflogd died"
n0=$(records)
udp_burst 1 6001
wait_for "[[ \$(records) -ge $((n0 + 1)) ]]" 5 "a record after the bad reload" &&
	ok "bad reload: logging goes on" || fail "bad reload: no record"

# --- 6. stop
stop_nflogd TERM
[[ $NFLOGD_RC == 0 ]] && ok "SIGTERM: exit 0" || fail "SIGTERM: exit $NFLOGD_RC"
after=$(in_r nft -s list ruleset)
[[ $after == "$before" ]] && ok "after stop the ruleset is byte-identical to before the first start" ||
	fail "ruleset after stop:"$'\n'"$(diff <(echo "$before") <(echo "$after"))"
e2e_finish
