#!/bin/bash
# daemon-stop: SIGTERM drains what the kernel still holds, then exits 0.
#
# Group 10 is configured to batch: queue_threshold = 100 packets,
# flush_timeout = 5 s.  12 packets are sent: the kernel keeps them in the
# group's batch (checked: nothing written half a second later).  Then
# SIGTERM.  nflogd must unbind the group (which makes the kernel send the
# batch), read it, write every record and exit 0 -- without waiting for
# the flush timeout.  Checks: exit code, time to exit, 12 records in the
# JSON file = kernel rule counter, status "running": false, the final
# counters add up.  The same again with SIGINT.
# Usage: daemon-stop.sh PATH_TO_NFLOGD
. "$(dirname "$0")/lib.sh"
e2e_init daemon-stop "$@"

e2e_netns_setup
P="e2e-$E2E_TAG-stop: "
nft_log_rules "$P"
conf=$E2E_TMP/nflogd.conf
out=$E2E_TMP/out

run() {       # SIGNAL FIRST_PORT
	local sig=$1 port=$2 t0 ms n got
	{
		E2E_QTHRESH=100 E2E_FLUSH=500 conf_globals
		cat <<-EOF
		outputs = ( { name = "json"; type = "file"; path = "$out/$sig.json"; format = "json"; } );
		rules = ( { name = "e2e-stop"; group = 10; prefix = "$P"; outputs = [ "json" ]; } );
		EOF
	} >"$conf"
	start_nflogd "$conf"
	local n0
	n0=$(kernel_count)
	udp_burst 12 "$port"
	n=$(($(kernel_count) - n0))
	sleep 0.5
	got=$(wc -l <"$out/$sig.json")
	[[ $got == 0 ]] && ok "SIG$sig: $n packets held in the kernel's batch (0 written after 0.5 s)" ||
		say "note: SIG$sig: $got records written before the signal (the kernel flushed early)"
	t0=$(date +%s%N)
	stop_nflogd "$sig"
	ms=$((($(date +%s%N) - t0) / 1000000))
	[[ $NFLOGD_RC == 0 ]] && ok "SIG$sig: nflogd exited 0 after ${ms} ms" ||
		fail "SIG$sig: nflogd exited $NFLOGD_RC"
	((ms < 4000)) || fail "SIG$sig: ${ms} ms to exit: waited for the flush timeout?"
	got=$(jq -r '.destination.port' "$out/$sig.json" | tr '\n' ' ')
	[[ $got == "$(seq "$port" $((port + 11)) | tr '\n' ' ')" ]] &&
		ok "SIG$sig: all $n records drained and written, in order" ||
		fail "SIG$sig: written after the signal: '$got' (kernel rule counter $n)"
	[[ $(status_json | jq .running) == false ]] && ok "SIG$sig: final status says running: false" ||
		fail "SIG$sig: final status: $(status_json | jq -c '{running}')"
	check_accounting "$n"
}
run TERM 6000
run INT 6100
e2e_finish
