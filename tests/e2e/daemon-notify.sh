#!/bin/bash
# daemon-notify: the sd_notify protocol, on a NOTIFY_SOCKET the test owns.
#
# nflogd runs with NOTIFY_SOCKET pointing at a datagram socket read by
# helpers.py (each datagram recorded with the sender's pid from
# SCM_CREDENTIALS) and WATCHDOG_USEC=2000000.  Checks:
#   - READY=1 comes from nflogd's pid, once the group is bound (the
#     kernel lists group 10 in /proc/net/netfilter/nfnetlink_log);
#   - STATUS= follows the counters ("received 5" after 5 packets);
#   - WATCHDOG=1 keeps coming, at least every WATCHDOG_USEC/2;
#   - a valid SIGHUP sends RELOADING=1 and then READY=1 again;
#   - an invalid SIGHUP sends no RELOADING=1, but a STATUS= saying the
#     reload failed, with file:line;
#   - SIGTERM sends STOPPING=1, then nflogd exits 0;
#   - every datagram is KEY=VALUE lines with keys systemd knows, all from
#     nflogd's pid;
#   - kernel counter = written + losses.
# Usage: daemon-notify.sh PATH_TO_NFLOGD
. "$(dirname "$0")/lib.sh"
e2e_init daemon-notify "$@"

e2e_netns_setup
P="e2e-$E2E_TAG-ntf: "
nft_log_rules "$P"
conf=$E2E_TMP/nflogd.conf
out=$E2E_TMP/out
write_conf() {
	conf_globals
	cat <<-EOF
	outputs = ( { name = "json"; type = "file"; path = "$out/packets.json"; format = "json"; } );
	rules = ( { name = "e2e-ntf"; group = 10; prefix = "$P"; outputs = [ "json" ]; } );
	EOF
	printf '%s' "${1:-}"
}
write_conf >"$conf"

start_notify
export WATCHDOG_USEC=2000000
start_nflogd "$conf"
unset WATCHDOG_USEC

# msgs_with KEY=VALUE: datagrams holding that line.
# shellcheck disable=SC2317  # called from wait_for conditions
msgs_with() { notify_count "(.msg | split(\"\\n\") | index(\"$1\")) != null"; }
# first_index 'jq condition' [AFTER]: index of the first datagram matching
# at or after AFTER (-1 if none).
first_index() {
	jq -s --argjson a "${2:-0}" "[to_entries[] | select(.key >= \$a) | select(.value | $1) | .key] | first // -1" "$NOTIFY_LOG"
}

wait_for "[[ \$(msgs_with READY=1) -ge 1 ]]" 10 "READY=1" || fail "no READY=1"
ready_pid=$(jq -s '[.[] | select(.msg | split("\n") | index("READY=1"))][0].pid' "$NOTIFY_LOG")
[[ $ready_pid == "$NFLOGD_PID" ]] && ok "READY=1 from nflogd (pid $ready_pid)" ||
	fail "READY=1 from pid $ready_pid, nflogd is $NFLOGD_PID"
if ip netns exec "$NS_R" awk '$1 == 10 { found = 1 } END { exit !found }' /proc/net/netfilter/nfnetlink_log; then
	ok "at READY=1, group 10 is bound: $(ip netns exec "$NS_R" awk '$1 == 10' /proc/net/netfilter/nfnetlink_log | tr -s ' ')"
else
	fail "group 10 not bound after READY=1"
fi

udp_burst 5 6000
if wait_for "[[ \$(notify_count '.msg | test(\"STATUS=.*received 5\\\\b\")') -ge 1 ]]" 5 "STATUS= with received 5"; then
	ok "STATUS=: '$(jq -rs '[.[] | select(.msg | test("STATUS=.*received 5\\b"))][0].msg' "$NOTIFY_LOG" | grep STATUS=)'"
else
	fail "no STATUS= with the counters"
fi

# watchdog: WATCHDOG_USEC=2 s, so at least one WATCHDOG=1 per second
t0=$(jq -s '[.[] | select(.msg | test("WATCHDOG=1"))] | length' "$NOTIFY_LOG")
sleep 3
t1=$(jq -s '[.[] | select(.msg | test("WATCHDOG=1"))] | length' "$NOTIFY_LOG")
gap=$(jq -s '[.[] | select(.msg | test("WATCHDOG=1")) | .t] | [range(1; length) as $i | .[$i] - .[$i - 1]] | max // 99' "$NOTIFY_LOG" 2>/dev/null)
if ((t1 - t0 >= 2)) && awk -v g="$gap" 'BEGIN { exit !(g < 2.0) }'; then
	ok "WATCHDOG=1: $((t1 - t0)) in 3 s, largest gap ${gap}s (WATCHDOG_USEC 2 s)"
else
	fail "WATCHDOG=1: $((t1 - t0)) in 3 s, largest gap ${gap}s; expected one at least every 2 s (WATCHDOG_USEC)"
fi

# valid reload
mark=$(wc -l <"$NOTIFY_LOG")
kill -HUP "$NFLOGD_PID"
wait_for "[[ \$(first_index '.msg | split(\"\\n\") | index(\"READY=1\")' $mark) -ge 0 ]]" 10 "READY=1 after SIGHUP" || true
r1=$(first_index '.msg | split("\n") | index("RELOADING=1")' "$mark")
r2=$(first_index '.msg | split("\n") | index("READY=1")' "$((r1 < 0 ? mark : r1))")
if ((r1 >= 0 && r2 > r1)); then
	ok "valid SIGHUP: RELOADING=1 (datagram $r1), then READY=1 (datagram $r2)"
else
	fail "valid SIGHUP: RELOADING=1 at $r1, READY=1 at $r2 (datagrams from $mark)"
fi

# invalid reload
write_conf 'groups_bad = = 1;
' >"$conf.bad"
badline=$(wc -l <"$conf.bad")
cp "$conf" "$conf.good"
mv "$conf.bad" "$conf"
mark=$(wc -l <"$NOTIFY_LOG")
kill -HUP "$NFLOGD_PID"
if wait_for "[[ \$(first_index '.msg | test(\"STATUS=.*[Rr]eload failed\")' $mark) -ge 0 ]]" 10 "STATUS= reload failed"; then
	i=$(first_index '.msg | test("STATUS=.*[Rr]eload failed")' "$mark")
	st=$(jq -rs ".[$i].msg" "$NOTIFY_LOG" | grep STATUS=)
	[[ $st == *"$conf:$badline:"* ]] && ok "invalid SIGHUP: '$st'" ||
		fail "invalid SIGHUP: STATUS without $conf:$badline: '$st'"
else
	fail "invalid SIGHUP: no STATUS= saying the reload failed"
fi
r1=$(first_index '.msg | split("\n") | index("RELOADING=1")' "$mark")
((r1 < 0)) && ok "invalid SIGHUP: no RELOADING=1" || fail "invalid SIGHUP sent RELOADING=1 (datagram $r1)"
mv "$conf.good" "$conf"
kill -0 "$NFLOGD_PID" || die "nflogd died after an invalid reload"

n=$(kernel_count)
mark=$(wc -l <"$NOTIFY_LOG")
stop_nflogd TERM
[[ $NFLOGD_RC == 0 ]] && ok "SIGTERM: nflogd exited 0" || fail "SIGTERM: nflogd exited $NFLOGD_RC"
sleep 0.3       # the reader polls every 0.2 s
r1=$(first_index '.msg | split("\n") | index("STOPPING=1")' "$mark")
((r1 >= 0)) && ok "SIGTERM: STOPPING=1 (datagram $r1)" || fail "SIGTERM: no STOPPING=1"

# protocol hygiene
total=$(wc -l <"$NOTIFY_LOG")
others=$(jq -s --argjson p "$NFLOGD_PID" '[.[] | select(.pid != $p)] | length' "$NOTIFY_LOG")
badkeys=$(jq -rs '[.[].msg | split("\n")[] | select(length > 0)
	| select(test("^(READY|STATUS|RELOADING|STOPPING|WATCHDOG|ERRNO|BUSERROR|MAINPID|MONOTONIC_USEC|EXTEND_TIMEOUT_USEC)=") | not)] | unique | join(", ")' "$NOTIFY_LOG")
[[ $others == 0 ]] && ok "all $total datagrams from nflogd's pid" || fail "$others of $total datagrams from another pid"
[[ -z $badkeys ]] && ok "every datagram line is KEY=VALUE with a key systemd knows" ||
	fail "unknown notify lines: $badkeys"

check_accounting "$n"
e2e_finish
