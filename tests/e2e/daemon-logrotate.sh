#!/bin/bash
# daemon-logrotate: a real logrotate run, while packets flow, loses nothing.
#
# nflogd writes JSON and LOG text (max_size = 0: rotation left to
# logrotate).  600 UDP datagrams (destination ports 6000..6599, one every
# 5 ms) are sent in the background; meanwhile logrotate runs three times
# with `create 0640` and a postrotate that sends SIGUSR1 to the pid in
# nflogd's status file -- each time once the current file has grown,
# which also proves that the previous reopen took effect.  Then:
#   - files .3 .2 .1 and the current one, oldest first, hold every packet
#     exactly once and in order (no loss at the rename, none between
#     rename and reopen, no duplicate), as whole lines;
#   - every file got records (nflogd wrote to the renamed file until the
#     signal, then to the new one), the new files have logrotate's mode;
#   - nflogd logged one reopen per logrotate run, and no error;
#   - kernel counter = written + losses.
# Usage: daemon-logrotate.sh PATH_TO_NFLOGD
. "$(dirname "$0")/lib.sh"
e2e_init daemon-logrotate "$@"
command -v logrotate >/dev/null || die "missing logrotate"

N=600
e2e_netns_setup
P="e2e-$E2E_TAG-lr: "
nft_log_rules "$P"

conf=$E2E_TMP/nflogd.conf
out=$E2E_TMP/out
{
	conf_globals
	cat <<-EOF
	outputs = (
		{ name = "json"; type = "file"; path = "$out/packets.json"; format = "json"; max_size = 0; mode = "0600"; },
		{ name = "text"; type = "file"; path = "$out/packets.log"; format = "log"; max_size = 0; mode = "0600"; }
	);
	rules = (
		{ name = "e2e-lr"; group = 10; prefix = "$P"; outputs = [ "json", "text" ]; }
	);
	EOF
} >"$conf"

cat >"$E2E_TMP/logrotate.conf" <<EOF
$out/packets.json $out/packets.log {
	rotate 10
	create 0640 root root
	nocompress
	missingok
	notifempty
	sharedscripts
	postrotate
		kill -USR1 \$(jq -r .pid $E2E_TMP/run/status.json)
	endscript
}
EOF

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
	for f in "$path.3" "$path.2" "$path.1" "$path"; do
		if [[ -f $f ]]; then files+=("$f"); else fail "$o: $f missing"; fi
	done
	[[ -e $path.4 ]] && fail "$o: $path.4 exists: more rotations than logrotate runs"
	lines=""
	for f in "${files[@]}"; do
		lines+="$(wc -l <"$f") "
		[[ -s $f ]] || fail "$o: $f is empty"
		[[ -z $(tail -c1 "$f") ]] || fail "$o: $f does not end with a whole line"
	done
	for f in "$path.2" "$path.1" "$path"; do
		[[ $(stat -c %a "$f") == 640 ]] || fail "$o: $f has mode $(stat -c %a "$f"), logrotate created it 0640"
	done
	if [[ $o == json ]]; then
		got=$(cat "${files[@]}" | jq -r '.destination.port' | tr '\n' ' ')
	else
		got=$(cat "${files[@]}" | sed -E 's/.* DPT=([0-9]+) .*/\1/' | tr '\n' ' ')
	fi
	want=$(seq 6000 $((6000 + N - 1)) | tr '\n' ' ')
	if [[ $got == "$want" ]]; then
		ok "$o: .3 .2 .1 and the current file (lines: $lines) hold all $N packets once, in order"
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
