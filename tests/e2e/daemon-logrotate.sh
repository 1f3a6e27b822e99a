#!/bin/bash
# daemon-logrotate: the shipped logrotate file (systemd/nflogd.logrotate),
# run for real while packets flow, loses nothing.
#
# nflogd runs as in production: user nflogd, group adm (switched to by
# `user =`/`group =`: this host has no systemd to do it), JSON and LOG text
# in a directory of its own, rotation left to logrotate (max_size = 0).
# The shipped file is used with only its paths moved below the test's
# directory: create 0640 nflogd adm, compress, delaycompress, and its
# postrotate (here the branch without systemd: SIGUSR1 to the pid in
# status.json).  600 UDP datagrams (destination ports 6000..6599, one
# every 5 ms) are sent; meanwhile `logrotate --force` runs three times,
# each time once the current file has grown (which also proves that the
# previous reopen took effect).  Then:
#   - packets.log.3.gz .2.gz .1 and the current file, oldest first, hold
#     every packet exactly once and in order (no loss at the rename, none
#     between rename and reopen, no duplicate), as whole lines;
#   - .1 is plain and the older ones compressed (delaycompress), the new
#     files are nflogd:adm 0640;
#   - nflogd logged one reopen per logrotate run, and no error;
#   - kernel counter = written + losses.
# The user nflogd is added in the test's private mount namespace if the
# host has none (e2e_user).
# Usage: daemon-logrotate.sh PATH_TO_NFLOGD
. "$(dirname "$0")/lib.sh"
e2e_init daemon-logrotate "$@"
command -v logrotate >/dev/null || die "missing logrotate"
getent group adm >/dev/null || die "no group adm on this host"
e2e_user nflogd 64998   # unless the host has it

N=600
e2e_netns_setup
P="e2e-$E2E_TAG-lr: "
nft_log_rules "$P"

conf=$E2E_TMP/nflogd.conf
out=$E2E_TMP/logs
{
	conf_globals
	cat <<-EOF
	user = "nflogd";
	group = "adm";
	outputs = (
		{ name = "json"; type = "file"; path = "$out/packets.json"; format = "json"; max_size = 0; mode = "0640"; },
		{ name = "text"; type = "file"; path = "$out/packets.log"; format = "log"; max_size = 0; mode = "0640"; }
	);
	rules = (
		{ name = "e2e-lr"; group = 10; prefix = "$P"; outputs = [ "json", "text" ]; }
	);
	EOF
} >"$conf"

shipped=$(dirname "$0")/../../systemd/nflogd.logrotate
[[ -f $shipped ]] || die "missing $shipped"
sed -e "s|/var/log/nflogd/|$out/|g" -e "s|/run/nflogd/status.json|$E2E_TMP/run/status.json|g" \
	"$shipped" >"$E2E_TMP/logrotate.conf"
grep -q "create 0640 nflogd adm" "$E2E_TMP/logrotate.conf" || die "shipped file: no create 0640 nflogd adm"
grep -q "$E2E_TMP/run/status.json" "$E2E_TMP/logrotate.conf" || die "shipped file: postrotate does not use status.json"

start_nflogd "$conf"
e2e_bg SENDER_PID ip netns exec "$NS_S" timeout 60 "$PY" "$HELPERS" udp 10.99.0.2 6000 40010 $N 0.005

for i in 1 2 3; do
	# the current file has grown (after a rotation: the reopen worked)
	if ! wait_lines "$out/packets.json" 60 15; then
		fail "logrotate run $i: $out/packets.json does not grow (reopen after run $((i - 1))?)"
		break
	fi
	logrotate -f -s "$E2E_TMP/logrotate.state" "$E2E_TMP/logrotate.conf" ||
		fail "logrotate run $i failed"
	kill -0 "$SENDER_PID" 2>/dev/null || say "note: the traffic had ended before logrotate run $i"
done
wait_for "! kill -0 $SENDER_PID 2>/dev/null" 30 "the sender" || fail "sender did not finish"
wait "$SENDER_PID" || fail "sender failed"
n=$(kernel_count)
[[ $n == "$N" ]] && ok "kernel rule counter $n" || fail "kernel rule counter $n, expected $N"
wait_written json "$n" 10 || true
wait_written text "$n" 10 || true

check_files() {
	local o=$1 path=$2 f files=() got want lines
	for f in "$path.3.gz" "$path.2.gz" "$path.1" "$path"; do
		if [[ -f $f ]]; then files+=("$f"); else fail "$o: $f missing"; fi
	done
	[[ -e $path.4.gz ]] && fail "$o: $path.4.gz exists: more rotations than logrotate runs"
	lines=""
	for f in "${files[@]}"; do
		lines+="$(zcat -f "$f" | wc -l) "
		[[ -n $(zcat -f "$f" | head -c1) ]] || fail "$o: $f is empty"
		[[ -z $(zcat -f "$f" | tail -c1) ]] || fail "$o: $f does not end with a whole line"
	done
	for f in "$path.1" "$path"; do
		[[ $(stat -c '%U:%G %a' "$f") == "nflogd:adm 640" ]] ||
			fail "$o: $f is $(stat -c '%U:%G %a' "$f"), expected nflogd:adm 640"
	done
	if [[ $o == json ]]; then
		got=$(zcat -f "${files[@]}" | jq -r '.destination.port' | tr '\n' ' ')
	else
		got=$(zcat -f "${files[@]}" | sed -E 's/.* DPT=([0-9]+) .*/\1/' | tr '\n' ' ')
	fi
	want=$(seq 6000 $((6000 + N - 1)) | tr '\n' ' ')
	if [[ $got == "$want" ]]; then
		ok "$o: .3.gz .2.gz .1 and the current file (lines: $lines) hold all $N packets once, in order"
	else
		fail "$o: the files do not hold every packet once, in order (lines: $lines)"
		diff <(tr ' ' '\n' <<<"$want") <(tr ' ' '\n' <<<"$got") | excerpt 10 || true
	fi
}
check_files json "$out/packets.json"
check_files text "$out/packets.log"

reopens=$(grep -c 'reopen' "$E2E_TMP/nflogd.err" || true)
[[ $reopens == 3 ]] && ok "nflogd logged 3 reopens (SIGUSR1)" ||
	fail "nflogd logged $reopens reopen messages, expected 3"
if grep -Ei 'cannot|error|fail' "$E2E_TMP/nflogd.err" | grep -v 'failures 0' >/dev/null; then
	fail "nflogd reported errors:"
	grep -Ei 'cannot|error|fail' "$E2E_TMP/nflogd.err" | excerpt 5 || true
fi

stop_nflogd TERM
[[ $NFLOGD_RC == 0 ]] && ok "SIGTERM: nflogd exited 0" || fail "SIGTERM: nflogd exited $NFLOGD_RC"
check_accounting "$n"
e2e_finish
