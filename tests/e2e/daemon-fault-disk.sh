#!/bin/bash
# daemon-fault-disk: the output's file system fills up, then has room again.
#
# The JSON output file lives on a 256 KiB tmpfs the test mounts in its own
# mount namespace.  A filler file takes all but 16 KiB of it; then a burst
# of 100 packets: the first records fit, the disk fills in the middle of a
# record (a short write), the rest fail with ENOSPC.  docs/outputs.md
# promises (daemon/sink_file.c, daemon/output.c):
#   - whole lines only: the partly written record is cut off again, so the
#     file ends in '\n' and every line is a JSON object;
#   - the failed records are counted (`failed`), written = lines in the
#     file, nothing dropped, nothing pending;
#   - the error names the file and the errno ("No space left on device"),
#     at most once per 10 s per output: a second burst on the full disk
#     adds failures but no message;
#   - nflogd runs on, and when the filler is deleted the next packets are
#     written with no signal and no restart.
# At the end: the fds of nflogd as after the start, SIGTERM -> exit 0, the
# failures not yet reported are summed up in one last message (so the
# messages' counts add up to `failed`), and
#   kernel = written + failed + dropped + pending + lost   exactly.
# Usage: daemon-fault-disk.sh PATH_TO_NFLOGD
. "$(dirname "$0")/lib.sh"
e2e_init daemon-fault-disk "$@"

# The small file system, a mount of the test's own mount namespace.  It
# sits inside $E2E_TMP, whose unmount at exit it would block: unmount it
# first (lazily: nflogd may still have the file open).
disk=$E2E_TMP/disk
mkdir -p "$disk"
mount -t tmpfs -o size=256k,mode=0755 e2e-disk "$disk"
# shellcheck disable=SC2317  # called by the EXIT trap
fault_exit() {           # the EXIT trap: this, then lib.sh's e2e_cleanup
	local rc=$?
	set +e
	trap - ERR
	[[ -n ${E2E_KEEP:-} ]] && cp -a "$disk" "$E2E_TMP/disk.kept"
	umount -l "$disk" 2>/dev/null
	(exit "$rc")
	e2e_cleanup
}
trap fault_exit EXIT

e2e_netns_setup
P="e2e-$E2E_TAG-dsk: "
nft_log_rules "$P"
conf=$E2E_TMP/nflogd.conf
file=$disk/packets.json
{
	conf_globals
	cat <<-EOF
	outputs = ( { name = "json"; type = "file"; path = "$file"; format = "json"; } );
	rules = ( { name = "e2e-dsk"; group = 10; prefix = "$P"; outputs = [ "json" ]; } );
	EOF
} >"$conf"

ENOSPC_RE="output json $file: [0-9]+ record\(s\) could not be written: No space left on device"
# settled K: until the status accounts for K packets (nothing pending).
settled() {
	wait_for "[[ \$(out_counters json | awk '{print \$1 + \$2 + \$3}') -ge $1 ]]" 10 \
		"$1 records written, failed or dropped ($(out_counters json))" || true
}
# file_ok WHAT: the file ends in '\n', every line is a JSON object, and
# it has as many lines as status says written.  Sets PORTS (the
# destination ports, one a line).
file_ok() {
	local what=$1 last lines w
	last=$(tail -c1 "$file" | od -An -tx1 | tr -d ' ')
	[[ $last == 0a ]] && ok "$what: the file ends in a whole line (last byte '\\n')" ||
		fail "$what: the file's last byte is 0x$last, not '\\n': a partial record"
	lines=$(wc -l <"$file")
	if PORTS=$(jq -R -r 'fromjson | if type == "object" then .destination.port else error("not an object") end' "$file" 2>&1); then
		ok "$what: all $lines lines are JSON objects"
	else
		fail "$what: a line of $file is not a JSON object: $(printf '%s\n' "$PORTS" | tail -n1)"
		PORTS=""
	fi
	read -r w _ <<<"$(out_counters json)"
	[[ $w == "$lines" ]] && ok "$what: written $w = lines in the file" ||
		fail "$what: status says written $w, the file has $lines lines"
}

start_nflogd "$conf"
fd0=$(fd_min)
k0=$(kernel_count)

# ---- before: 5 records, so that the file exists and has a size
udp_burst 5 6000
wait_written json 5 || true
rec=$(($(stat -c %s "$file") / 5))
avail=$(df -B1 --output=avail "$disk" | tail -n1 | tr -d ' ')
head -c $((avail - 16384)) /dev/zero >"$disk/filler" 2>/dev/null || true
say "records of ~$rec bytes; the filler leaves $(df -B1 --output=avail "$disk" | tail -n1 | tr -d ' ') bytes free"

# ---- the disk fills: 100 packets, ~16 KiB of room
t_fail=$(date +%s)
udp_burst 100 6100
k1=$(kernel_count)
settled $((k1 - k0))
read -r w1 f1 d1 p1 <<<"$(out_counters json)"
say "full disk: kernel $((k1 - k0)), written $w1, failed $f1, dropped $d1, pending $p1"
((f1 > 0 && w1 > 5)) && ok "the disk filled part way through the burst: $((w1 - 5)) of 100 written, $f1 failed" ||
	fail "expected some of the burst written and the rest failed: written $w1 (5 before), failed $f1"
((d1 == 0 && p1 == 0)) && ok "the failures are counted as failed, not dropped or pending" ||
	fail "dropped $d1, pending $p1 after a full disk (expected 0: failures are 'failed')"
file_ok "full disk"
got=$(printf '%s\n' "$PORTS" | awk 'NR > 1 && $1 <= prev { bad = 1 } { prev = $1 } END { print bad ? "unordered" : "ordered" }')
[[ $got == ordered ]] && ok "the records in the file are in packet order" || fail "the records are out of order: $(tr '\n' ' ' <<<"$PORTS")"
kill -0 "$NFLOGD_PID" 2>/dev/null && ok "nflogd still runs on the full disk" || fail "nflogd died on the full disk"
[[ $(status_json | jq -r '.outputs[] | select(.name == "json") | .last_error') == "No space left on device" ]] &&
	ok "status: last_error of the output is 'No space left on device'" ||
	fail "status: last_error is '$(status_json | jq -r '.outputs[] | select(.name == "json") | .last_error')'"
wait_for "grep -Eq '$ENOSPC_RE' $E2E_TMP/nflogd.err" 3 "the ENOSPC message" || true
msg=$(grep -E -m1 "$ENOSPC_RE" "$E2E_TMP/nflogd.err" || true)
[[ -n $msg ]] && ok "error message names the file and the errno: '$msg'" ||
	fail "no 'output json $file: N record(s) could not be written: No space left on device' in nflogd's log: $(tail -n3 "$E2E_TMP/nflogd.err")"

# ---- still full: another burst, in batches of its own (0.2 s apart,
# beyond the writer's 5 ms linger): more failures, no new message (at
# most one per 10 s)
udp_burst 10 6300 0.2
k2=$(kernel_count)
settled $((k2 - k0))
read -r w2 f2 _ <<<"$(out_counters json)"
((f2 > f1)) && ok "still full: $((f2 - f1)) more records failed (written $w1 -> $w2)" ||
	fail "still full: failed $f1 -> $f2, written $w1 -> $w2: expected more failures"
elapsed=$(($(date +%s) - t_fail))
nmsg=$(grep -Ec "$ENOSPC_RE" "$E2E_TMP/nflogd.err" || true)
((nmsg >= 1 && nmsg <= 1 + elapsed / 10)) &&
	ok "rate limit: $nmsg ENOSPC message(s) for $f2 failed records in ${elapsed}s of full disk (at most one per 10 s)" ||
	fail "rate limit: $nmsg ENOSPC messages in ${elapsed}s (allowed 1 + $((elapsed / 10)))"
file_ok "still full"

# ---- room again: delete the filler; writing resumes by itself
rm -f "$disk/filler"
udp_burst 20 6400
k3=$(kernel_count)
wait_written json $((w2 + 20)) 10 || true
settled $((k3 - k0))
read -r w3 f3 _ <<<"$(out_counters json)"
((w3 == w2 + 20 && f3 == f2)) && ok "room again: the next 20 packets written (no signal, no restart), failed stays $f3" ||
	fail "room again: written $w2 -> $w3 (expected +20), failed $f2 -> $f3"
file_ok "after recovery"
got=$(printf '%s\n' "$PORTS" | tail -n 20 | tr '\n' ' ')
[[ $got == "$(seq 6400 6419 | tr '\n' ' ')" ]] && ok "the file ends with the 20 new records, in order" ||
	fail "the last 20 records' ports: '$got'"

# ---- no fd left behind
wait_for "[[ \$(fd_count) == $fd0 ]]" 2 || true
fd1=$(fd_min)
[[ $fd1 == "$fd0" ]] && ok "nflogd has $fd1 fds, as after the start" ||
	fail "nflogd had $fd0 fds after the start, $fd1 now: $(fd_list)"

# ---- stop
nmsg_run=$(grep -Ec "$ENOSPC_RE" "$E2E_TMP/nflogd.err" || true)
stop_nflogd TERM
[[ $NFLOGD_RC == 0 ]] && ok "SIGTERM: nflogd exited 0" || fail "SIGTERM: nflogd exited $NFLOGD_RC"
if grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:' "$E2E_TMP/nflogd.err"; then
	fail "sanitizer report in nflogd's stderr"
fi
read -r w f _ <<<"$(out_counters json)"
nmsg=$(grep -Ec "$ENOSPC_RE" "$E2E_TMP/nflogd.err" || true)
sum=$(grep -Eo "$ENOSPC_RE" "$E2E_TMP/nflogd.err" | awk '{ s += $4 } END { print s + 0 }')
((nmsg <= nmsg_run + 1)) && ok "at the stop: $((nmsg - nmsg_run)) summary message(s) of the failures not yet reported" ||
	fail "at the stop: $((nmsg - nmsg_run)) more ENOSPC messages"
[[ $sum == "$f" ]] && ok "every failed record is in a message: the $nmsg message(s) count $sum = failed $f" ||
	fail "the ENOSPC messages count $sum records, status says failed $f: $(grep -Eo "$ENOSPC_RE" "$E2E_TMP/nflogd.err" | tr '\n' ';')"
[[ $w == "$(wc -l <"$file")" ]] && ok "after the stop: written $w = lines in the file" ||
	fail "after the stop: written $w, $(wc -l <"$file") lines in the file"
E2E_ALLOW_LOSS=1 check_accounting "$((k3 - k0))"
e2e_finish
