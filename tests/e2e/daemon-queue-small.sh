#!/bin/bash
# daemon-queue-small: an output with a small queue keeps up with a steady
# stream that its queue can hold.
#
# A writer woken for a few records waits up to 5 ms for a fuller batch
# (256 records) before it writes: a write call and a wake-up per few
# records would cost more than the records.  queue_size = 64 bounds a
# JSON output's queue at 16 KiB, about 15 objects, so it must write once
# a quarter of its queue is taken instead of waiting for a batch that
# cannot fit.  2000 packets at 5000/s, one kernel datagram each: a writer
# that waited 5 ms each time would find 25 records arriving against room
# for about 15 and drop about 40% of them.
# Checks: fewer than 25% dropped, and the accounting identity with the
# drops counted.  The queue holds 3 ms of this stream, so a writer woken
# late (a busy or descheduled vCPU) drops some even when it writes at a
# quarter: 0-6% here, up to 19% under ASan with both cores kept busy;
# without the change 42%.  The rule itself is pinned by test_queue
# (batch_ready_at_batch_or_a_quarter), without timing.
# Usage: daemon-queue-small.sh PATH_TO_NFLOGD
. "$(dirname "$0")/lib.sh"
e2e_init daemon-queue-small "$@"

e2e_netns_setup
P="e2e-$E2E_TAG-qs: "
nft_log_rules "$P"
conf=$E2E_TMP/nflogd.conf
out=$E2E_TMP/out
{
	conf_globals
	cat <<-EOF
	outputs = ( { name = "json"; type = "file"; path = "$out/packets.json"; format = "json"; queue_size = 64; } );
	rules = ( { name = "e2e-qs"; group = 10; prefix = "$P"; outputs = [ "json" ]; } );
	EOF
} >"$conf"

N=2000
start_nflogd "$conf"
in_s "$PY" "$HELPERS" udp-paced 10.99.0.2 41000 40010 "$N" 5000
k=$(kernel_count)
((k == N)) && ok "the kernel logged all $N packets" || fail "the kernel logged $k of $N packets"
# Until every record is written or counted dropped.
wait_for "read -r w f d p <<<\"\$(out_counters json)\"; ((w + f + d == $k))" 10 \
	"written + failed + dropped = $k"
read -r w f d p <<<"$(out_counters json)"
say "written $w, failed $f, dropped $d, pending $p"
((d * 4 < N)) && ok "dropped $d of $N (< 25%): the writer did not wait for a batch its queue cannot hold" ||
	fail "dropped $d of $N: the writer waits for more records than its queue holds"
E2E_ALLOW_LOSS=1 check_accounting "$k"
lines=$(wc -l <"$out/packets.json")
((lines == w)) && ok "the file holds the $w records written" || fail "the file holds $lines lines, status says $w written"
stop_nflogd TERM
[[ $NFLOGD_RC == 0 ]] && ok "nflogd exited 0" || fail "nflogd exited $NFLOGD_RC"
e2e_finish
