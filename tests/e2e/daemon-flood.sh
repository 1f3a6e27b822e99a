#!/bin/bash
# daemon-flood: a rule's record budget (record_limit, record_burst) keeps a
# flood out of the outputs, and nothing disappears without a trace.
#
# Rule e2e-flood: record_limit "50/second", record_burst 100,
# flood_summary_interval 2; outputs: a JSON file, a LOG text file and the
# journal (a private journald).  Checks:
#   1. a flood of 3000 packets of one flow and 200 of other ports: at most
#      the burst + the rate's worth written, the rest `suppressed`; the
#      identity per output is exact (kernel = written + suppressed + ...);
#   2. summary records in every output, and their counts add up to
#      `suppressed` exactly: JSON (event.dataset nflogd.suppressed, parsed
#      with jq), LOG text ("rule e2e-flood: N records suppressed ..."),
#      journal (MESSAGE_ID, NFLOGD_SUPPRESSED); the top source is
#      10.99.0.1 and the top destination UDP/7000 with its exact count;
#   3. after a quiet spell the budget is back: 20 packets, all written;
#   4. a SIGHUP in the middle of a second flood: the window is summarised
#      at the reload, the counts still add up, the bucket is not refilled
#      by the reload (written stays within burst + rate x time);
#   5. the stop summarises the last window: after SIGTERM the sums equal
#      the final `suppressed`; metrics have nflogd_suppressed_total.
# Usage: daemon-flood.sh PATH_TO_NFLOGD
. "$(dirname "$0")/lib.sh"
e2e_init daemon-flood "$@"

e2e_netns_setup
start_journald
P="e2e-$E2E_TAG-fl: "
nft_log_rules "$P"
conf=$E2E_TMP/nflogd.conf
out=$E2E_TMP/out
{
	conf_globals
	cat <<-EOF
	flood_summary_interval = 2;
	metrics_path = "$E2E_TMP/run/nflogd.prom";
	outputs = (
		{ name = "json"; type = "file"; path = "$out/packets.json"; format = "json"; },
		{ name = "text"; type = "file"; path = "$out/packets.log"; format = "log"; },
		{ name = "journal"; type = "journal"; }
	);
	rules = ( { name = "e2e-flood"; group = 10; prefix = "$P"; record_limit = "50/second"; record_burst = 100; } );
	EOF
} >"$conf"
SUPPRESSED_ID=$(sed -n 's/^#define FMT_JOURNAL_SUPPRESSED_MESSAGE_ID "\(.*\)"/\1/p' \
	"$E2E_DIR/../../common/fmt_journal.h")
[[ -n $SUPPRESSED_ID ]] || die "no FMT_JOURNAL_SUPPRESSED_MESSAGE_ID in common/fmt_journal.h"

suppressed() { status_json | jq '.rules[0].suppressed'; }

# summaries_add_up WHAT: the summary records of every output add up to
# the status's suppressed count.
summaries_add_up() {
	local sup js ls jr
	sup=$(suppressed)
	js=$(jq -s '[.[] | select(.event.dataset == "nflogd.suppressed") | .nflogd.suppressed.count] | add // 0' "$out/packets.json")
	ls=$(sed -n 's/.* nflogd-e2e: rule e2e-flood: \([0-9]*\) records\{0,1\} suppressed in the last [0-9]* s .*/\1/p' \
		"$out/packets.log" | awk '{s += $1} END {print s + 0}')
	jr=$(jctl -o export MESSAGE_ID="$SUPPRESSED_ID" | sed -n 's/^NFLOGD_SUPPRESSED=//p' |
		awk '{s += $1} END {print s + 0}')
	if [[ $js == "$sup" && $ls == "$sup" && $jr == "$sup" ]]; then
		ok "$1: summaries add up to suppressed $sup in JSON, LOG text and the journal"
	else
		fail "$1: suppressed $sup, summaries: JSON $js, LOG text $ls, journal $jr"
	fi
}

start_nflogd "$conf"
t0=$(date +%s.%N)
in_s "$PY" "$HELPERS" udp-flood 10.99.0.2 7000 40020 3000
udp_burst 200 8000
t1=$(date +%s.%N)
wait_for "[[ \$(status_json | jq '.rules[0].received') -ge 3200 ]]" 10 "3200 packets received" || true
sleep 3          # > flood_summary_interval: the window is summarised
wait_for "[[ \$(status_json | jq '[.outputs[].summaries.written] | add') -ge 3 ]]" 10 \
	"a summary written to each output" || true
k=$(kernel_count)
read -r w _ <<<"$(out_counters json)"
sup=$(suppressed)
limit=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", 100 + 50 * (b - a + 1) + 1 }')
say "flood: kernel $k, written $w, suppressed $sup, flood lasted $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s"
((k == 3200)) && ok "the kernel rule logged all 3200 packets" || fail "kernel counter $k, expected 3200"
((w >= 100 && w <= limit)) && ok "written $w: the burst (100) and at most the rate's worth (limit $limit)" ||
	fail "written $w, expected 100..$limit (record_burst 100 + 50/s)"
((sup > 0 && w + sup == k)) && ok "suppressed $sup = kernel $k - written $w" ||
	fail "suppressed $sup, written $w, kernel $k"
check_accounting "$k"
summaries_add_up "after the flood"

# What a summary says: the first JSON one.
first=$(jq -c 'select(.event.dataset == "nflogd.suppressed")' "$out/packets.json" | head -n1)
say "JSON summary: $(jq -c '.nflogd.suppressed' <<<"$first")"
[[ $(jq -r '.rule.name' <<<"$first") == e2e-flood && $(jq -r '.event.kind' <<<"$first") == metric ]] &&
	ok "JSON summary: rule.name e2e-flood, event.kind metric" || fail "JSON summary: $first"
[[ $(jq -r '.nflogd.suppressed.top_sources[0].ip' <<<"$first") == 10.99.0.1 ]] &&
	ok "JSON summary: top source 10.99.0.1" || fail "JSON summary: top source not 10.99.0.1: $first"
top_dst=$(jq -c '.nflogd.suppressed.top_destinations[0] | [.transport, .port]' <<<"$first")
[[ $top_dst == '["udp",7000]' ]] && ok "JSON summary: top destination udp/7000" ||
	fail "JSON summary: top destination $top_dst"
jq -e '.nflogd.suppressed.record_limit == "50/second" and .nflogd.suppressed.record_burst == 100' \
	<<<"$first" >/dev/null && ok "JSON summary: record_limit 50/second, record_burst 100" ||
	fail "JSON summary: budget: $first"
# Every line of the file is JSON, and the packet records number `written`.
npk=$(jq -s '[.[] | select(.event.dataset == "nflogd.packet")] | length' "$out/packets.json") ||
	fail "packets.json is not JSON Lines"
((npk == w)) && ok "packets.json: $npk packet records = written" || fail "packets.json: $npk packet records, written $w"
line=$(grep -m1 'records suppressed' "$out/packets.log")
say "LOG text summary: $line"
# (200 destination ports and more in one window: the lists are marked
# approximate, the heavy hitters still come first)
[[ $line == *" nflogd-e2e: rule e2e-flood: "*" records suppressed in the last "*" s (record_limit 50/second, record_burst 100); top sources"*": 10.99.0.1 ("*"; top destination ports"*": UDP/7000 ("* ]] &&
	ok "LOG text summary: the sentence, with 10.99.0.1 and UDP/7000 first" || fail "LOG text summary: $line"
if grep 'records suppressed' "$out/packets.log" | grep -q 'SRC='; then
	fail "a summary line holds SRC= (packet-line parsers would take it for a packet)"
else
	ok "no summary line looks like a packet line (no SRC=)"
fi
msg=$(jctl -o export MESSAGE_ID="$SUPPRESSED_ID" | sed -n 's/^NFLOGD_TOP_DESTINATIONS=//p' | head -n1)
[[ $msg == "UDP/7000="* ]] && ok "journal summary: NFLOGD_TOP_DESTINATIONS=$msg" ||
	fail "journal summary: NFLOGD_TOP_DESTINATIONS=$msg"
n=$(jcount MESSAGE_ID="$SUPPRESSED_ID" NFLOG_RULE=e2e-flood)
((n >= 1)) && ok "journalctl MESSAGE_ID=... NFLOG_RULE=e2e-flood: $n summary entries" ||
	fail "no journal summary entry with NFLOG_RULE=e2e-flood"

# 3. The budget refills: 2 s at 50/s is the whole burst again.
sleep 2.5
w0=$w
sup0=$(suppressed)
udp_burst 20 9000 0.01
wait_written json $((w0 + 20)) 10 || true
read -r w _ <<<"$(out_counters json)"
((w == w0 + 20 && $(suppressed) == sup0)) && ok "after a quiet spell: 20 packets, all 20 written" ||
	fail "after a quiet spell: written $((w - w0)) of 20, suppressed $(($(suppressed) - sup0)) more"

# 4. A reload in the middle of a flood.
w0=$w
sleep 2.5
t0=$(date +%s.%N)
in_s "$PY" "$HELPERS" udp-flood 10.99.0.2 7001 40021 1500
kill -HUP "$NFLOGD_PID"
in_s "$PY" "$HELPERS" udp-flood 10.99.0.2 7002 40022 1500
t1=$(date +%s.%N)
wait_for "[[ \$(status_json | jq '.reloads') -ge 1 ]]" 10 "the reload" || true
k=$(kernel_count)
wait_for "[[ \$(status_json | jq '.rules[0].received') -ge $k ]]" 10 "$k packets received" || true
sleep 3
read -r w _ <<<"$(out_counters json)"
limit=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", 100 + 50 * (b - a + 1) + 1 }')
say "flood with a reload: kernel $k, written $((w - w0)) of 3000 this time, suppressed $(suppressed)"
((w - w0 <= limit)) && ok "the reload handed out no second burst: $((w - w0)) written (limit $limit)" ||
	fail "written $((w - w0)) during the second flood, more than $limit: the reload refilled the bucket"
check_accounting "$k"
summaries_add_up "after a reload mid-flood"

# 5. The stop summarises what is left.
in_s "$PY" "$HELPERS" udp-flood 10.99.0.2 7003 40023 500
k=$(kernel_count)
wait_for "[[ \$(status_json | jq '.rules[0].received') -ge $k ]]" 10 "$k packets received" || true
grep -q '^nflogd_suppressed_total{rule="e2e-flood"} [1-9]' "$E2E_TMP/run/nflogd.prom" &&
	ok "metrics: $(grep '^nflogd_suppressed_total' "$E2E_TMP/run/nflogd.prom")" ||
	fail "metrics: no nflogd_suppressed_total: $(grep suppress "$E2E_TMP/run/nflogd.prom")"
stop_nflogd TERM
[[ $NFLOGD_RC == 0 ]] && ok "nflogd exited 0" || fail "nflogd exited $NFLOGD_RC"
check_accounting "$k"
summaries_add_up "after the stop"
grep -q "suppressed by record_limit $(suppressed)" "$E2E_TMP/nflogd.err" &&
	ok "final counters: '$(grep -o 'suppressed by record_limit [0-9]*' "$E2E_TMP/nflogd.err" | tail -n1)'" ||
	fail "final counters do not say 'suppressed by record_limit $(suppressed)'"
e2e_finish
