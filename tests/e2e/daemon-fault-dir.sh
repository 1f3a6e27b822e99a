#!/bin/bash
# daemon-fault-dir: the output's directory disappears, and the output's
# file system turns read-only, while nflogd writes to them.
#
# (a) The log directory is deleted (rm -rf) while nflogd has the file
#     open.  What daemon/sink_file.c does, and docs/outputs.md says:
#       - records go on into the open, now unlinked file (POSIX): counted
#         written, and they are there (read back through /proc/PID/fd);
#         within a second nflogd sees the file has no name any more: one
#         warning, and status counts written_to_deleted_file;
#       - SIGUSR1 with the directory missing: the reopen fails, the error
#         names the path and the reason ("cannot reopen PATH, still
#         writing to the old file: No such file or directory"), the
#         directory is not recreated (reopen makes no directory), nflogd
#         runs on and keeps writing to the old file;
#       - mkdir + SIGUSR1: the file is created anew, the next records are
#         in it, and the old file's descriptor is closed;
#       - one error for the one failed reopen, no write error, no loss.
#     (So the records between the rm and the successful reopen are counted
#     written but end up only in the unlinked file, which goes when nflogd
#     closes it -- POSIX, and documented: "the old file stays in use".)
# (b) The file system becomes read-only under the open file.  A plain
#     `mount -o remount,ro` cannot do that: the kernel refuses it (EBUSY,
#     "mount point is busy") while a file on it is open for writing -- it
#     is tried, and the answer printed as a note.  What does turn a file
#     system read-only under a writer is the kernel itself after an error
#     (ext4 errors=remount-ro), so the file is on an ext4 image (a loop
#     device with autoclear, mounted in the test's namespace) whose error
#     is triggered through /sys/fs/ext4/DEV/trigger_fs_error (which puts
#     "EXT4-fs error ... e2e-<tag>-dir: trigger_fs_error" in the kernel
#     log).  Then:
#       - records fail with EROFS, counted failed, the message names the
#         file and says "Read-only file system", at most once per 10 s;
#       - nflogd runs on, the file is intact (whole lines, as before);
#       - recovery: ext4 keeps an error-forced read-only state until it is
#         unmounted (`remount,rw` is refused: tried, printed as a note), so
#         the admin's way is unmount (lazily: nflogd holds the file),
#         repair, mount, SIGUSR1.  Here a fresh file system is mounted in
#         its place: before SIGUSR1 records still fail (nflogd writes to
#         the file it has open and never reopens by itself); after it the
#         next records are in the new file, and the old file system is
#         released (its loop device detached: nflogd closed the old file).
# Each part: nflogd's fds at the end as after its start, SIGTERM -> exit 0,
# and kernel = written + failed + dropped + pending + lost, exactly.
# Usage: daemon-fault-dir.sh PATH_TO_NFLOGD
. "$(dirname "$0")/lib.sh"
e2e_init daemon-fault-dir "$@"
for t in mkfs.ext4 findmnt losetup; do
	command -v "$t" >/dev/null || die "missing tool: $t"
done

# Mounts the test makes inside $E2E_TMP: unmounted (lazily: nflogd may
# still have a file open) before lib.sh's cleanup unmounts $E2E_TMP.
MOUNTS=()
# shellcheck disable=SC2317  # called by the EXIT trap
fault_exit() {           # the EXIT trap: this, then lib.sh's e2e_cleanup
	local rc=$? i
	set +e
	trap - ERR
	for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
		umount -l "${MOUNTS[i]}" 2>/dev/null
	done
	(exit "$rc")
	e2e_cleanup
}
trap fault_exit EXIT

e2e_netns_setup
P="e2e-$E2E_TAG-dir: "
nft_log_rules "$P"
conf=$E2E_TMP/nflogd.conf
: >"$E2E_TMP/nflogd.err"

write_conf() {           # PATH
	{
		conf_globals
		cat <<-EOF
		outputs = ( { name = "json"; type = "file"; path = "$1"; format = "json"; } );
		rules = ( { name = "e2e-dir"; group = 10; prefix = "$P"; outputs = [ "json" ]; } );
		EOF
	} >"$conf"
}
fd_of() {                # TARGET: nflogd's fd number whose link is TARGET
	local f
	for f in /proc/"$NFLOGD_PID"/fd/*; do
		[[ $(readlink "$f") == "$1" ]] && { echo "${f##*/}"; return 0; }
	done
	return 1
}
# log: nflogd's stderr since this part began.
log() { tail -n +$((LOG_MARK + 1)) "$E2E_TMP/nflogd.err"; }
ports() { jq -r '.destination.port' "$1" | tr '\n' ' '; }
# settled K: until the status accounts for K packets (nothing pending).
settled() {
	wait_for "[[ \$(out_counters json | awk '{print \$1 + \$2 + \$3}') -ge $1 ]]" 10 \
		"$1 records written, failed or dropped ($(out_counters json))" || true
}
ends_in_newline() { [[ $(tail -c1 "$1" | od -An -tx1 | tr -d ' ') == 0a ]]; }
# part_end WHAT KERNEL_BASE: fds, SIGTERM, sanitizer reports, accounting.
part_end() {
	local what=$1 k0=$2 k fd1
	wait_for "[[ \$(fd_count) == $FD0 ]]" 2 || true
	fd1=$(fd_min)
	[[ $fd1 == "$FD0" ]] && ok "$what: nflogd has $fd1 fds, as after the start" ||
		fail "$what: nflogd had $FD0 fds after the start, $fd1 now: $(fd_list)"
	k=$(($(kernel_count) - k0))
	stop_nflogd TERM
	[[ $NFLOGD_RC == 0 ]] && ok "$what: SIGTERM: nflogd exited 0" ||
		fail "$what: SIGTERM: nflogd exited $NFLOGD_RC"
	if log | grep -Eq 'AddressSanitizer|runtime error:|LeakSanitizer'; then
		fail "$what: sanitizer report in nflogd's stderr"
	fi
	E2E_ALLOW_LOSS=1 check_accounting "$k"
}

# ================================================================ (a)
say "--- (a) the log directory deleted"
dir=$E2E_TMP/out/logs
file=$dir/packets.json
write_conf "$file"
LOG_MARK=$(wc -l <"$E2E_TMP/nflogd.err")
k0=$(kernel_count)
start_nflogd "$conf"
FD0=$(fd_min)
[[ $(stat -c %a "$dir" 2>/dev/null) == 750 ]] && ok "at start: the missing directory was made (one level, 0750)" ||
	fail "at start: $dir is $(stat -c %a "$dir" 2>&1)"
udp_burst 5 6000
wait_written json 5 || true
fdn=$(fd_of "$file") || fdn=""
[[ -n $fdn ]] && ok "nflogd has $file open as fd $fdn" || fail "no fd of nflogd is $file: $(fd_list)"

rm -rf "$dir"
sleep 1.1       # the writer looks for a deleted file at most once a second
udp_burst 5 6100
wait_written json 10 || true
read -r w f _ <<<"$(out_counters json)"
((w == 10 && f == 0)) && ok "directory deleted: the next 5 records counted written (written $w, failed $f)" ||
	fail "directory deleted: written $w (expected 10), failed $f"
old=/proc/$NFLOGD_PID/fd/$fdn
[[ -n $fdn && $(readlink "$old") == "$file (deleted)" ]] &&
	ok "they went to the open, unlinked file (fd $fdn -> '$(readlink "$old")')" ||
	fail "fd $fdn -> '$(readlink "$old" 2>&1)', expected '$file (deleted)'"
got=$(ports "$old" 2>/dev/null || true)
[[ $got == "$(seq 6000 6004 | tr '\n' ' ')$(seq 6100 6104 | tr '\n' ' ')" ]] &&
	ok "the unlinked file holds all 10 records: $got" ||
	fail "the unlinked file holds: '$got'"

# SIGUSR1 with the directory missing
kill -USR1 "$NFLOGD_PID"
REOPEN_ENOENT="output json: cannot reopen $file, still writing to the old file: No such file or directory"
wait_for "log | grep -Fq '$REOPEN_ENOENT'" 5 "the reopen error" || true
msg=$(log | grep -F -m1 'cannot reopen' || true)
[[ $msg == *"$REOPEN_ENOENT"* ]] && ok "SIGUSR1, directory missing: '$msg'" ||
	fail "SIGUSR1, directory missing: expected '$REOPEN_ENOENT', got '$msg'"
kill -0 "$NFLOGD_PID" 2>/dev/null && ok "nflogd runs on after the failed reopen" ||
	fail "nflogd died after the failed reopen"
[[ ! -e $dir ]] && ok "the reopen did not recreate the directory (as documented)" ||
	fail "the reopen recreated $dir"
udp_burst 5 6200
wait_written json 15 || true
read -r w f _ <<<"$(out_counters json)"
((w == 15 && f == 0)) && ok "after the failed reopen: 5 more records counted written (written $w, failed $f)" ||
	fail "after the failed reopen: written $w (expected 15), failed $f"
got=$(ports "$old" 2>/dev/null | awk '{ print $11, $12, $13, $14, $15 }')
[[ $got == "6200 6201 6202 6203 6204" ]] && ok "they are in the old, unlinked file, as the message says: $got" ||
	fail "the old file's records 11-15: '$got'"
say "note: $w records counted written exist only in the unlinked file; they go with it when nflogd closes it"
DELETED_MSG="output json: $file was deleted while open: records go on into the deleted file"
n=$(log | grep -cF "$DELETED_MSG" || true)
[[ $n == 1 ]] && ok "one warning that the file was deleted: '$(log | grep -F -m1 "$DELETED_MSG")'" ||
	fail "$n warnings '$DELETED_MSG' (expected 1)"
intod=$(status_json | jq '.outputs[0].written_to_deleted_file')
((intod >= 5 && intod <= 10)) && ok "status: written_to_deleted_file $intod (the records since the deletion was seen)" ||
	fail "status: written_to_deleted_file $intod, expected 5..10"

# the directory back, SIGUSR1: a new file
mkdir "$dir"
kill -USR1 "$NFLOGD_PID"
wait_for "[[ -f $file ]]" 5 "the reopen to create $file" || true
udp_burst 5 6300
wait_written json 20 || true
read -r w f _ <<<"$(out_counters json)"
((w == 20 && f == 0)) && ok "directory back + SIGUSR1: written $w, failed $f" ||
	fail "directory back + SIGUSR1: written $w (expected 20), failed $f"
got=$(ports "$file" 2>/dev/null || true)
[[ $got == "$(seq 6300 6304 | tr '\n' ' ')" ]] && ends_in_newline "$file" &&
	ok "the new file holds exactly the 5 new records: $got" ||
	fail "the new file holds: '$got'"
[[ $(stat -c %a "$file") == 640 ]] && ok "the new file has mode 0640" || fail "the new file has mode $(stat -c %a "$file")"
dl=$(fd_list | tr ' ' '\n' | grep -c '(deleted)' || true)
[[ $dl == 0 ]] && ok "the old, unlinked file is closed" || fail "nflogd still holds a deleted file: $(fd_list)"
n=$(log | grep -c 'cannot reopen' || true)
[[ $n == 1 ]] && ok "one reopen error for the one failed reopen" || fail "$n reopen errors (expected 1)"
n=$(log | grep -c 'could not be written' || true)
[[ $n == 0 ]] && ok "no write error reported (none happened)" || fail "$n write errors reported: $(log | grep 'could not be written' | head -n2)"
part_end "(a)" "$k0"
read -r w f d p <<<"$(out_counters json)"
((f + d + p == 0)) && ok "(a): nothing lost: failed $f, dropped $d, pending $p" ||
	fail "(a): failed $f, dropped $d, pending $p"

# ================================================================ (b)
say "--- (b) the file system turns read-only"
# nflogd runs under `ip netns exec`, which gives it a mount namespace of
# its own, a copy whose mounts are slaves of ours (MS_SLAVE|MS_REC): our
# mounts and unmounts reach it only under a shared mount (as on a systemd
# host, whose / is shared); the test's namespace is private.  So the
# ext4 image is mounted under a shared tmpfs.
fsroot=$E2E_TMP/fs
mkdir -p "$fsroot"
mount -t tmpfs -o size=1m,mode=0755 e2e-fs "$fsroot"
MOUNTS+=("$fsroot")
mount --make-shared "$fsroot"
img=$E2E_TMP/ext4.img
mnt=$fsroot/ext4
mkdir -p "$mnt"
truncate -s 8M "$img"
mkfs.ext4 -q -F "$img"
mount -o loop,errors=remount-ro "$img" "$mnt" ||
	die "cannot mount an ext4 image on a loop device (needed to make the file system read-only under a writer)"
MOUNTS+=("$mnt")
dev=$(findmnt -no SOURCE "$mnt")
trigger=/sys/fs/ext4/${dev##*/}/trigger_fs_error
[[ -w $trigger ]] || die "no $trigger"
file=$mnt/packets.json
write_conf "$file"
EROFS_RE="output json $file: [0-9]+ record\(s\) could not be written: Read-only file system"
LOG_MARK=$(wc -l <"$E2E_TMP/nflogd.err")
k0=$(kernel_count)
start_nflogd "$conf"
FD0=$(fd_min)
udp_burst 5 7000
wait_written json 5 || true

# A plain remount is refused while nflogd has the file open for writing.
if mount -o remount,ro "$mnt" 2>"$E2E_TMP/remount.err"; then
	say "note: 'mount -o remount,ro' worked with a file open for writing"
else
	say "note: 'mount -o remount,ro' refused while nflogd has the file open for writing: $(head -n1 "$E2E_TMP/remount.err")"
fi
# What does turn it read-only under a writer: an error, errors=remount-ro.
echo "${P}trigger_fs_error (nflogd e2e test)" >"$trigger"
if touch "$mnt/probe" 2>"$E2E_TMP/touch.err"; then
	fail "the ext4 file system is still writable after trigger_fs_error"
else
	ok "the file system is read-only now: $(head -n1 "$E2E_TMP/touch.err")"
fi

t_fail=$(date +%s)
udp_burst 10 7100
k1=$(kernel_count)
settled $((k1 - k0))
read -r w f d p <<<"$(out_counters json)"
((w == 5 && f == 10 && d == 0 && p == 0)) && ok "read-only: the 10 records counted failed (written $w, failed $f)" ||
	fail "read-only: written $w (expected 5), failed $f (expected 10), dropped $d, pending $p"
[[ $(status_json | jq -r '.outputs[] | select(.name == "json") | .last_error') == "Read-only file system" ]] &&
	ok "status: last_error 'Read-only file system'" ||
	fail "status: last_error '$(status_json | jq -r '.outputs[] | select(.name == "json") | .last_error')'"
wait_for "log | grep -Eq '$EROFS_RE'" 3 "the EROFS message" || true
msg=$(log | grep -E -m1 "$EROFS_RE" || true)
[[ -n $msg ]] && ok "error message names the file and the errno: '$msg'" ||
	fail "no 'output json $file: N record(s) could not be written: Read-only file system': $(log | tail -n3)"
kill -0 "$NFLOGD_PID" 2>/dev/null && ok "nflogd runs on" || fail "nflogd died on the read-only file system"
got=$(ports "$file" 2>/dev/null || true)
[[ $got == "$(seq 7000 7004 | tr '\n' ' ')" ]] && ends_in_newline "$file" &&
	ok "the file is intact: the 5 records from before, whole lines" || fail "the file holds '$got'"

# Still read-only, more batches (0.2 s apart): failures, no new message.
udp_burst 10 7200 0.2
k2=$(kernel_count)
settled $((k2 - k0))
read -r w f _ <<<"$(out_counters json)"
((f == 20)) && ok "still read-only: 10 more failed (failed $f)" || fail "still read-only: failed $f (expected 20), written $w"
elapsed=$(($(date +%s) - t_fail))
n=$(log | grep -Ec "$EROFS_RE" || true)
((n >= 1 && n <= 1 + elapsed / 10)) &&
	ok "rate limit: $n EROFS message(s) for $f failed records in ${elapsed}s (at most one per 10 s)" ||
	fail "rate limit: $n EROFS messages in ${elapsed}s (allowed 1 + $((elapsed / 10)))"

# Recovery.  remount,rw does not lift ext4's error state.
if mount -o remount,rw "$mnt" 2>"$E2E_TMP/remount.err" && touch "$mnt/probe" 2>/dev/null; then
	say "note: 'mount -o remount,rw' made the file system writable again"
else
	say "note: 'mount -o remount,rw' does not make it writable: $(head -n1 "$E2E_TMP/remount.err")"
fi
# The admin's way: unmount (lazily: nflogd holds the file), repair or
# replace, mount.  Here: a fresh file system at the same place.
umount -l "$mnt"
mount -t tmpfs -o size=1m,mode=0755 e2e-fresh "$mnt"
udp_burst 5 7300
k3=$(kernel_count)
settled $((k3 - k0))
read -r w f _ <<<"$(out_counters json)"
((w == 5 && f == 25)) && ok "a fresh file system mounted, no SIGUSR1 yet: the old file is still in use, 5 more failed (failed $f)" ||
	fail "fresh file system, before SIGUSR1: written $w (expected 5), failed $f (expected 25)"
[[ ! -e $file ]] && ok "no file on the fresh file system before SIGUSR1" || fail "$file exists before SIGUSR1"
kill -USR1 "$NFLOGD_PID"
wait_for "[[ -f $file ]]" 5 "the reopen to create $file" || true
udp_burst 5 7400
wait_written json 10 || true
read -r w f _ <<<"$(out_counters json)"
((w == 10 && f == 25)) && ok "SIGUSR1: writing resumes in the new file (written $w, failed $f)" ||
	fail "SIGUSR1: written $w (expected 10), failed $f (expected 25)"
got=$(ports "$file" 2>/dev/null || true)
[[ $got == "$(seq 7400 7404 | tr '\n' ' ')" ]] && ends_in_newline "$file" &&
	ok "the new file holds exactly the 5 new records: $got" || fail "the new file holds '$got'"
wait_for "[[ -z \$(losetup -j $img 2>/dev/null) ]]" 3 || true
[[ -z $(losetup -j "$img" 2>/dev/null) ]] && ok "the old file system is released ($dev detached): nflogd closed the old file" ||
	fail "$dev still attached: nflogd still holds the old file? $(fd_list)"
n=$(log | grep -c 'cannot reopen' || true)
[[ $n == 0 ]] && ok "no reopen error" || fail "$n reopen errors: $(log | grep 'cannot reopen' | head -n2)"

nrun=$(log | grep -Ec "$EROFS_RE" || true)
part_end "(b)" "$k0"
read -r w f _ <<<"$(out_counters json)"
n=$(log | grep -Ec "$EROFS_RE" || true)
sum=$(log | grep -Eo "$EROFS_RE" | awk '{ s += $4 } END { print s + 0 }')
((n <= nrun + 1)) && ok "(b): at the stop, $((n - nrun)) summary message of the failures not yet reported" ||
	fail "(b): at the stop, $((n - nrun)) more EROFS messages"
[[ $sum == "$f" ]] && ok "(b): every failed record is in a message: the $n message(s) count $sum = failed $f" ||
	fail "(b): the EROFS messages count $sum records, status says failed $f"
e2e_finish
