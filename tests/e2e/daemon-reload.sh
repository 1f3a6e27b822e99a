#!/bin/bash
# daemon-reload: SIGHUP applies a valid configuration, refuses an invalid
# one with file:line, and logging goes on through both.
#
#   1. config A: rule "e2e-rl" (action "drop") -> output json.
#      3 packets (ports 6000..6002).
#   2. config B (valid): the rule's action becomes "accept", and it also
#      writes to a new output "text2".  SIGHUP while 1000 packets flow
#      (ports 10000..10999, one every ~1 ms), then 4 more SIGHUPs of the
#      same file while they keep coming.  Checks: "reloaded" logged;
#      json holds every packet once, in order; the action switches from
#      drop to accept exactly once (at the reload) and never back; text2
#      holds exactly the packets from the switch on.
#   3. config C1 (a value out of range) and C2 (a syntax error, "= ="), each
#      SIGHUP'd in turn: refused with "FILE:LINE:" pointing at the bad
#      line, "not reloading" logged, the daemon keeps running config B:
#      3 packets after each (ports 6300.., 6400..) are written with
#      action accept to json and text2.
#   4. config D: valid, but an output cannot be opened (its directory
#      does not exist): "reload failed", nflogd goes on with config B (3
#      packets, ports 6500..).
#   5. SIGTERM: exit 0; kernel counter = written + losses for json, and
#      for text2 with the packets it saw: the counters survive every kind
#      of reload.
# Usage: daemon-reload.sh PATH_TO_NFLOGD
. "$(dirname "$0")/lib.sh"
e2e_init daemon-reload "$@"

e2e_netns_setup
P="e2e-$E2E_TAG-rl: "
nft_log_rules "$P"
conf=$E2E_TMP/nflogd.conf
out=$E2E_TMP/out

config_a() {
	conf_globals
	cat <<-EOF
	outputs = (
		{ name = "json"; type = "file"; path = "$out/packets.json"; format = "json"; }
	);
	rules = (
		{ name = "e2e-rl"; group = 10; prefix = "$P"; action = "drop"; outputs = [ "json" ]; }
	);
	EOF
}
# B: ${1:-} replaces the group's queue_threshold line (for C1), ${2:-}
# is appended (for C2).  B is long (8000 comment lines, 560 KiB): reading it takes
# the daemon a few milliseconds, during which packets queue up in the
# socket -- so every reload starts with records in flight.
config_b() {
	awk 'BEGIN { for (i = 0; i < 8000; i++) printf "# padding line %05d: a long configuration file takes a while to parse\n", i }'
	E2E_QTHRESH=${1:-1} conf_globals
	cat <<-EOF
	outputs = (
		{ name = "json"; type = "file"; path = "$out/packets.json"; format = "json"; },
		{ name = "text2"; type = "file"; path = "$out/packets2.log"; format = "log"; line_style = "bare"; }
	);
	rules = (
		{ name = "e2e-rl"; group = 10; prefix = "$P"; action = "accept";
		  outputs = [ "json", "text2" ]; }
	);
	EOF
	printf '%s' "${2:-}"
}

# hup PATTERN: SIGHUP, then wait until nflogd's stderr has one more line
# matching PATTERN.
hup() {
	local before
	before=$(grep -c -- "$1" "$E2E_TMP/nflogd.err" || true)
	kill -HUP "$NFLOGD_PID"
	wait_for "[[ \$(grep -c -- '$1' $E2E_TMP/nflogd.err) -gt $before ]]" 10 "'$1' after SIGHUP"
}

config_a >"$conf"
start_nflogd "$conf"
udp_burst 3 6000
wait_lines "$out/packets.json" 3 10 || fail "config A: 3 records not written"

# ---- 2. valid reload while packets flow
config_b >"$conf.new" && mv "$conf.new" "$conf"
S0=10000       # the stream: ports S0 .. S0+NS-1, one packet every ~1 ms
NS=1000
e2e_bg SENDER_PID ip netns exec "$NS_S" timeout 30 "$PY" "$HELPERS" udp 10.99.0.2 $S0 40011 $NS 0.001
wait_lines "$out/packets.json" 100 10 || fail "traffic did not start"
if hup "configuration reloaded"; then
	ok "valid reload: '$(grep 'configuration reloaded' "$E2E_TMP/nflogd.err" | tail -1)'"
else
	fail "valid reload not applied"
fi
# More reloads of the same file while the packets keep coming: each one
# restarts the outputs with records in flight, and must neither lose nor
# double any, nor lose count of any.
for i in 1 2 3 4; do
	sleep 0.1
	hup "configuration reloaded" || fail "reload $((i + 1)) not applied"
done
wait_for "! kill -0 $SENDER_PID 2>/dev/null" 20 "the sender" || fail "sender did not finish"
wait "$SENDER_PID" || fail "sender failed"
wait_lines "$out/packets.json" $((NS + 3)) 10 || true

acts=$(jq -r --argjson a $S0 --argjson b $((S0 + NS)) 'select(.destination.port >= $a and .destination.port < $b) | "\(.destination.port) \(.event.action)"' "$out/packets.json")
ports=$(awk '{print $1}' <<<"$acts" | tr '\n' ' ')
[[ $ports == "$(seq $S0 $((S0 + NS - 1)) | tr '\n' ' ')" ]] &&
	ok "json: all $NS packets sent across the reloads, once each, in order" ||
	fail "json: packets across the reload missing, doubled or out of order"
pattern=$(awk '{print $2}' <<<"$acts" | uniq | tr '\n' ' ')
ndrop=$(grep -c ' drop$' <<<"$acts" || true)
nacc=$(grep -c ' accept$' <<<"$acts" || true)
if [[ $pattern == "drop accept " ]]; then
	ok "json: action switched once, drop -> accept, at the reload ($ndrop before, $nacc after)"
else
	fail "json: actions across the reload: '$pattern' (expected 'drop accept ')"
fi
first_acc=$(awk '$2 == "accept" {print $1; exit}' <<<"$acts")
got2=$(sed -E 's/.* DPT=([0-9]+) .*/\1/' "$out/packets2.log" | tr '\n' ' ')
[[ -n $first_acc && $got2 == "$(seq "$first_acc" $((S0 + NS - 1)) | tr '\n' ' ')" ]] &&
	ok "text2 (new output): exactly the $(wc -l <"$out/packets2.log") packets from the reload on" ||
	fail "text2 does not hold exactly the packets from $first_acc on: $got2"
# the counters after the valid reloads (records in flight at each one)
k=$(kernel_count)
wait_for "[[ \$(out_counters json) == '$k 0 0 0' ]]" 5 || true
read -r w f d p <<<"$(out_counters json)"
[[ "$w $f $d $p" == "$k 0 0 0" ]] &&
	ok "after 5 reloads with records in flight: json written $w = kernel counter $k, nothing pending" ||
	fail "after 5 reloads with records in flight: kernel counter $k, json written $w, failed $f, dropped $d, pending $p (records written while the old outputs stopped not counted?)"
first3=$(jq -r '.destination.port' "$out/packets.json" | excerpt 3 | tr '\n' ' ')
[[ $first3 == "6000 6001 6002 " ]] || fail "json: the packets before the reload are not first: $first3"

# ---- 3. invalid reloads
expect_refused() {        # WHAT PATTERN PORT (PATTERN: the message, grep)
	local what=$1 pat=$2
	if hup "not reloading"; then
		if grep -q -- "$pat" "$E2E_TMP/nflogd.err"; then
			ok "invalid reload ($what) refused: '$(grep -- "$pat" "$E2E_TMP/nflogd.err" | tail -1)'"
		else
			fail "invalid reload ($what): no '$pat' message; stderr:"
			tail -3 "$E2E_TMP/nflogd.err"
		fi
	else
		fail "invalid reload ($what): no 'not reloading' message"
	fi
	kill -0 "$NFLOGD_PID" 2>/dev/null || die "nflogd died after an invalid reload"
	local before
	before=$(wc -l <"$out/packets2.log")
	udp_burst 3 "$3"
	if wait_lines "$out/packets2.log" $((before + 3)) 10; then
		local acts3
		acts3=$(tail -n 3 "$out/packets.json" | jq -r '"\(.destination.port) \(.event.action)"' | tr '\n' ' ')
		[[ $acts3 == "$3 accept $(($3 + 1)) accept $(($3 + 2)) accept " ]] &&
			ok "after the refused reload: still logging with config B ($acts3)" ||
			fail "after the refused reload: json has '$acts3'"
	else
		fail "after the refused reload ($what): nothing written to text2"
	fi
}

config_b 5000 >"$conf.new"
line=$(grep -n 'queue_threshold = 5000' "$conf.new" | cut -d: -f1)
mv "$conf.new" "$conf"
expect_refused "queue_threshold = 5000 at line $line" "$conf:$line:" 6300

config_b 1 'extra_key = = 3;
' >"$conf.new"
line=$(wc -l <"$conf.new")
mv "$conf.new" "$conf"
expect_refused "syntax error at line $line" "$conf:$line:" 6400

# a valid file that anyone can change
config_b >"$conf.new"
chmod 0666 "$conf.new"
mv "$conf.new" "$conf"
expect_refused "mode 0666" "$conf: refusing it, as whoever can change it decides what nflogd does as root: it is writable by others (mode 0666)" 6450
chmod 0644 "$conf"

# ---- 4. a valid file that cannot be applied: an output whose directory
# does not exist (nflogd makes one level of directory, not two).  The
# reload fails, nflogd goes on with config B, counters continue.
config_b >"$conf.new"
sed -i "s|path = \"$out/packets2.log\"|path = \"$E2E_TMP/no/such/dir/packets2.log\"|" "$conf.new"
mv "$conf.new" "$conf"
if hup "reload failed"; then
	ok "unappliable reload: '$(grep -m1 'no/such/dir' "$E2E_TMP/nflogd.err" || true)' / '$(grep 'reload failed' "$E2E_TMP/nflogd.err" | tail -1)'"
else
	fail "unappliable reload: no 'reload failed' message"
fi
kill -0 "$NFLOGD_PID" 2>/dev/null || die "nflogd died after an unappliable reload"
before=$(wc -l <"$out/packets2.log")
udp_burst 3 6500
if wait_lines "$out/packets2.log" $((before + 3)) 10; then
	acts3=$(tail -n 3 "$out/packets.json" | jq -r '"\(.destination.port) \(.event.action)"' | tr '\n' ' ')
	[[ $acts3 == "6500 accept 6501 accept 6502 accept " ]] &&
		ok "after the failed reload: still logging with config B ($acts3)" ||
		fail "after the failed reload: json has '$acts3'"
else
	fail "after the failed reload: nothing written to text2"
fi

# `nflogd --status -c FILE` reads FILE for runtime_dir: put config B back
# (without a reload), as an admin fixing the file would.
config_b >"$conf"

n=$(kernel_count)
stop_nflogd TERM
[[ $NFLOGD_RC == 0 ]] && ok "SIGTERM: nflogd exited 0" || fail "SIGTERM: nflogd exited $NFLOGD_RC"
n2=$(wc -l <"$out/packets2.log")
check_accounting "$n" "text2=$n2"
[[ $n == $((NS + 15)) ]] || fail "kernel rule counter $n, expected $((NS + 15))"
e2e_finish
