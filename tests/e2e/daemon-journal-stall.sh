#!/bin/bash
# daemon-journal-stall: a journald that does not read must not stop nflogd.
#
# nflogd logs its own messages to the journal (--log-target journal) and
# writes packets to a JSON file (no journal output at all).  journald is
# stopped (SIGSTOP) and its socket queue filled (net.unix.max_dgram_qlen
# datagrams), as when journald hangs or is overloaded.  Then nflogd is
# made to log from its main loop -- SIGUSR1 ("reopening output files"),
# a valid SIGHUP ("configuration reloaded") -- with packets flowing.
# GUIDE.md: sd_journal_send() blocks while journald's queue is full, so
# the receive path must not call it.  Checks, while journald is stopped:
#   - every packet reaches the JSON file within 3 s (the file output does
#     not depend on journald);
#   - the status file keeps being refreshed (the loop runs);
# and after SIGCONT: nflogd still runs, SIGTERM exits 0, kernel counter =
# written + losses.  (Where nflogd's own messages go while journald is
# stuck -- dropped, counted, or to stderr -- is the daemon's choice and
# not checked here.)
# Usage: daemon-journal-stall.sh PATH_TO_NFLOGD
. "$(dirname "$0")/lib.sh"
e2e_init daemon-journal-stall "$@"

e2e_netns_setup
start_journald
P="e2e-$E2E_TAG-stall: "
nft_log_rules "$P"
conf=$E2E_TMP/nflogd.conf
out=$E2E_TMP/out
{
	conf_globals
	cat <<-EOF
	outputs = ( { name = "json"; type = "file"; path = "$out/packets.json"; format = "json"; } );
	rules = ( { name = "e2e-stall"; group = 10; prefix = "$P"; outputs = [ "json" ]; } );
	EOF
} >"$conf"
start_nflogd "$conf" --log-target journal
udp_burst 5 6000
wait_lines "$out/packets.json" 5 10 || fail "no records before the stall"

kill -STOP "$JOURNALD_PID"
# fill its socket queue: from now on a blocking send to it blocks
for i in $(seq 20); do journal_ping "9$i"; done &
fill=$!
sleep 0.5
kill "$fill" 2>/dev/null || true

step() {        # WHAT FIRST_PORT (after nflogd was made to log)
	local before after t0
	before=$(wc -l <"$out/packets.json")
	udp_burst 20 "$2"
	if wait_lines "$out/packets.json" $((before + 20)) 3; then
		ok "journald stopped, after $1: 20 packets written to the file"
	else
		after=$(wc -l <"$out/packets.json")
		fail "journald stopped, after $1: $((after - before)) of 20 packets written within 3 s (nflogd's loop blocked on the journal?)"
	fi
	t0=$(jq .updated "$E2E_TMP/run/status.json")
	if (($(date +%s) - t0 <= 2)); then
		ok "journald stopped, after $1: status refreshed $(($(date +%s) - t0)) s ago"
	else
		fail "journald stopped, after $1: status last refreshed $(($(date +%s) - t0)) s ago"
	fi
}
kill -USR1 "$NFLOGD_PID"
step "SIGUSR1" 6100
kill -HUP "$NFLOGD_PID"
step "SIGHUP" 6200

kill -CONT "$JOURNALD_PID"
n=$(kernel_count)
wait_lines "$out/packets.json" "$n" 10 || true
kill -0 "$NFLOGD_PID" && ok "nflogd still running after the stall" || fail "nflogd died"
stop_nflogd TERM
[[ $NFLOGD_RC == 0 ]] && ok "SIGTERM: nflogd exited 0" || fail "SIGTERM: nflogd exited $NFLOGD_RC"
check_accounting "$n"
e2e_finish
