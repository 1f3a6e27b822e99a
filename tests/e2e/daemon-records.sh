#!/bin/bash
# daemon-records: real traffic through a real kernel rule to nflogd's files.
#
# In $NS_R one chain logs every packet from the other namespace twice: the
# kernel's own LOG line (`log prefix P flags all`) and NFLOG group 10
# (`counter log group 10 prefix P`).  The packet mix of the issue (TCP
# handshake with options + data + close, UDP, ICMP echo, an ICMP error,
# IPv6 TCP, ICMPv6 echo: 14 packets) is sent; then
#   - the JSON Lines file holds exactly one record per kernel line, the
#     same packet (addresses, ports, lengths, IDs, sequence numbers, ICMP
#     type/code/id/seq), and the expected field values per packet;
#   - the LOG text file with line_style "bare" is, line for line, the
#     kernel's own LOG lines (same multiset; order reported);
#   - the LOG text file with line_style "rfc3339" is the same after its
#     head, whose time is the JSON record's to the microsecond;
#   - the LOG text file with line_style "syslog" is the same after its
#     "Mon DD HH:MM:SS host kernel: " head, which is checked too;
#   - @timestamp is within the time of the traffic; `nflogd --status`
#     shows the rule's row with the counts;
#   - SIGTERM: exit 0; kernel counter = written + losses for every output.
# Usage: daemon-records.sh PATH_TO_NFLOGD
. "$(dirname "$0")/lib.sh"
e2e_init daemon-records "$@"

e2e_netns_setup
e2e_kernel_log_netns
P="e2e-$E2E_TAG-rec: "
nft_log_rules "$P" all

conf=$E2E_TMP/nflogd.conf
{
	conf_globals
	cat <<-EOF
	outputs = (
		{ name = "json"; type = "file"; path = "$E2E_TMP/out/packets.json"; format = "json"; },
		{ name = "text"; type = "file"; path = "$E2E_TMP/out/packets.log"; format = "log"; line_style = "bare"; },
		{ name = "syslog"; type = "file"; path = "$E2E_TMP/out/kern.log"; format = "log"; line_style = "syslog"; },
		{ name = "rfc"; type = "file"; path = "$E2E_TMP/out/rfc.log"; format = "log"; line_style = "rfc3339"; }
	);
	rules = (
		{ name = "e2e-in"; group = 10; prefix = "$P"; level = "warning";
		  log_flags = "all"; action = "drop"; outputs = [ "json", "text", "syslog", "rfc" ]; }
	);
	EOF
} >"$conf"

start_kmsg "$P"
start_servers
start_nflogd "$conf"

t_start=$(date +%s)
traffic_mix
n=$(kernel_count)
wait_lines "$KMSG_LOG" "$n" 5 || true
for o in json text syslog rfc; do wait_written "$o" "$n" 10 || true; done
t_end=$(date +%s)

# `nflogd --status` (the table) while it runs
if "$NFLOGD" --status -c "$conf" >"$E2E_TMP/status.txt" 2>&1 &&
	grep -Eq "^e2e-in +json +$n +$n +0 +0 +0" "$E2E_TMP/status.txt"; then
	ok "nflogd --status: '$(grep -E '^e2e-in +json' "$E2E_TMP/status.txt" | tr -s ' ')'"
else
	fail "nflogd --status: no 'e2e-in json $n $n 0 0 0' row:"
	cat "$E2E_TMP/status.txt"
fi
stop_nflogd TERM
[[ $NFLOGD_RC == 0 ]] && ok "SIGTERM: nflogd exited 0" || fail "SIGTERM: nflogd exited $NFLOGD_RC"

nk=$(wc -l <"$KMSG_LOG")
if [[ $n == "$TRAFFIC_MIX_PACKETS" && $nk == "$n" ]]; then
	ok "kernel: rule counter $n, $nk LOG lines (expected $TRAFFIC_MIX_PACKETS)"
else
	fail "kernel: rule counter $n, $nk LOG lines, expected $TRAFFIC_MIX_PACKETS of each"
fi
grep -q '^#kmsg-overrun' "$KMSG_LOG" && fail "/dev/kmsg overrun: kernel lines lost"

# ---- LOG text, bare: the kernel's lines exactly
out=$E2E_TMP/out
if cmp -s <(sort "$KMSG_LOG") <(sort "$out/packets.log"); then
	ok "text (bare): $(wc -l <"$out/packets.log") lines byte-identical to the kernel's LOG lines"
	cmp -s "$KMSG_LOG" "$out/packets.log" && ok "text (bare): in the kernel's order too" ||
		say "note: text (bare): same lines, different order"
else
	fail "text (bare) differs from the kernel's LOG lines (< kernel, > nflogd):"
	diff <(sort "$KMSG_LOG") <(sort "$out/packets.log") | excerpt 20 || true
fi

# ---- LOG text, syslog style: head, then the kernel's line
head_re='^[A-Z][a-z]{2} [ 123][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9] e2e-host kernel: '
bad=$(grep -Evc "$head_re" "$out/kern.log" || true)
if [[ $bad != 0 ]]; then
	fail "text (syslog): $bad lines without a 'Mon DD HH:MM:SS e2e-host kernel: ' head"
	grep -Ev "$head_re" "$out/kern.log" | excerpt 3 || true
fi
if cmp -s <(sort "$KMSG_LOG") <(sed -E "s/$head_re//" "$out/kern.log" | sort); then
	ok "text (syslog): $(wc -l <"$out/kern.log") lines = syslog head + the kernel's LOG line"
else
	fail "text (syslog) differs from the kernel's LOG lines after the head:"
	diff <(sort "$KMSG_LOG") <(sed -E "s/$head_re//" "$out/kern.log" | sort) | excerpt 20 || true
fi

# ---- LOG text, rfc3339 style: head (time to the microsecond, the
# offset, host, identity), then the kernel's line
head_re='^[0-9]{4}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\.[0-9]{6}[+-][0-9]{2}:[0-9]{2} e2e-host nflogd-e2e: '
bad=$(grep -Evc "$head_re" "$out/rfc.log" || true)
if [[ $bad != 0 ]]; then
	fail "text (rfc3339): $bad lines without a 'YYYY-MM-DDTHH:MM:SS.uuuuuu+hh:mm e2e-host nflogd-e2e: ' head"
	grep -Ev "$head_re" "$out/rfc.log" | excerpt 3 || true
fi
if cmp -s <(sort "$KMSG_LOG") <(sed -E "s/$head_re//" "$out/rfc.log" | sort); then
	ok "text (rfc3339): $(wc -l <"$out/rfc.log") lines = rfc3339 head + the kernel's LOG line"
else
	fail "text (rfc3339) differs from the kernel's LOG lines after the head:"
	diff <(sort "$KMSG_LOG") <(sed -E "s/$head_re//" "$out/rfc.log" | sort) | excerpt 20 || true
fi
# the head's time is the packet's: the same second and microseconds as
# the JSON record's @timestamp (both from the kernel's timestamp)
rfc_us=$(cut -c12-26 "$out/rfc.log" | sort | tr '\n' ' ')
json_us=$(jq -r '."@timestamp"' "$out/packets.json" | sed -E 's/^.{11}(.{15}).*/\1/' | sort | tr '\n' ' ')
if [[ $(date +%z) != "+0000" ]]; then
	say "note: local time is not UTC here: the rfc3339 times are not compared with JSON's"
elif [[ $rfc_us == "$json_us" ]]; then
	ok "text (rfc3339): times equal the JSON @timestamp, to the microsecond"
else
	fail "text (rfc3339) times '$rfc_us' != JSON '$json_us'"
fi

# ---- JSON: one record per kernel line, and the expected values
"$PY" "$HELPERS" check-records "$KMSG_LOG" "$out/packets.json" || fail "JSON records vs kernel lines"

cat >"$E2E_TMP/expect.json" <<EOF
[
 {"name": "every record", "where": {}, "count": $TRAFFIC_MIX_PACKETS,
  "want": {"rule.name": "e2e-in", "nflog.prefix": "$P", "nflog.group": 10,
           "event.action": "drop", "event.type": ["denied"],
           "observer.hostname": "e2e-host",
           "observer.ingress.interface.name": "vr",
           "source.mac": "02-00-00-00-99-01", "destination.mac": "02-00-00-00-99-02",
           "@timestamp": "*", "decode.status": "ok"}},
 {"name": "TCP/IPv4 SYN with options", "where": {"network.type": "ipv4", "tcp.flags": ["SYN"]},
  "want": {"source.ip": "10.99.0.1", "source.port": 40001,
           "destination.ip": "10.99.0.2", "destination.port": 5001,
           "network.transport": "tcp", "network.iana_number": "6", "network.bytes": 60,
           "ip.version": 4, "ip.len": 60, "ip.ttl": 64, "ip.flags": ["DF"],
           "tcp.ack": 0, "tcp.data_offset": 10, "tcp.options.mss": 1460,
           "nflog.uid": null,
           "tcp.options.sack_permitted": true, "tcp.options.wscale": "*",
           "tcp.options.timestamp.val": "*", "tcp.options.timestamp.ecr": 0}},
 {"name": "TCP/IPv4 connection", "where": {"network.type": "ipv4", "destination.port": 5001}, "count": 5},
 {"name": "TCP/IPv4 data", "where": {"network.type": "ipv4", "tcp.flags": ["ACK", "PSH"]},
  "want": {"ip.len": 57, "nflog.uid": 0, "nflog.gid": 0, "tcp.options.timestamp.val": "*"}},
 {"name": "TCP/IPv4 FIN", "where": {"network.type": "ipv4", "tcp.flags": ["ACK", "FIN"]},
  "want": {"source.port": 40001, "ip.len": 52, "nflog.uid": 0, "nflog.gid": 0}},
 {"name": "UDP/IPv4", "where": {"network.transport": "udp"},
  "want": {"source.ip": "10.99.0.1", "source.port": 40002, "destination.port": 5002,
           "network.iana_number": "17", "udp.length": 21, "ip.len": 41}},
 {"name": "ICMP echo request", "where": {"network.transport": "icmp", "icmp.type": 8},
  "want": {"icmp.code": 0, "icmp.seq": 1, "icmp.id": "*", "ip.len": 84,
           "network.iana_number": "1"}},
 {"name": "ICMP port unreachable (an error quoting UDP)", "where": {"network.transport": "icmp", "icmp.type": 3},
  "want": {"icmp.code": 3, "ip.len": 69, "source.ip": "10.99.0.1", "destination.ip": "10.99.0.2",
           "icmp.quoted.source.ip": "10.99.0.2", "icmp.quoted.source.port": 40003,
           "icmp.quoted.destination.ip": "10.99.0.1", "icmp.quoted.destination.port": 9,
           "icmp.quoted.udp.length": 21}},
 {"name": "TCP/IPv6 SYN with options", "where": {"network.type": "ipv6", "tcp.flags": ["SYN"]},
  "want": {"source.ip": "fd99::1", "source.port": 40004,
           "destination.ip": "fd99::2", "destination.port": 5003,
           "network.transport": "tcp", "network.iana_number": "6",
           "ip.version": 6, "ip.len": 80, "ip.hop_limit": 64, "ip.next_header": 6,
           "tcp.options.mss": 1440, "tcp.options.sack_permitted": true,
           "tcp.options.wscale": "*", "tcp.options.timestamp.val": "*"}},
 {"name": "TCP/IPv6 connection", "where": {"network.type": "ipv6", "destination.port": 5003}, "count": 5},
 {"name": "ICMPv6 echo request", "where": {"network.type": "ipv6", "icmpv6.type": 128},
  "want": {"source.ip": "fd99::1", "destination.ip": "fd99::2", "icmpv6.code": 0,
           "icmpv6.seq": 1, "icmpv6.id": "*", "ip.len": 104,
           "network.transport": "ipv6-icmp", "network.iana_number": "58"}}
]
EOF
"$PY" "$HELPERS" expect "$out/packets.json" "$E2E_TMP/expect.json" || fail "JSON field values"

# @timestamp: RFC 3339 UTC, within the time the packets were sent
range=$(jq -rs '[.[]."@timestamp" | sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601] | "\(min) \(max)"' "$out/packets.json")
read -r tmin tmax <<<"$range"
if ((tmin >= t_start - 1 && tmax <= t_end + 1)); then
	ok "@timestamp of every record within the traffic's ${t_start}..${t_end} (records: ${tmin}..${tmax})"
else
	fail "@timestamp out of the traffic's time: records ${tmin}..${tmax}, traffic ${t_start}..${t_end}"
fi

# event.created: when nflogd received the packet, so after the kernel's
# @timestamp (by the batch's wait, at most flush_timeout + scheduling) and
# never equal to it
us='def us: capture("^(?<s>.{19})\\.(?<f>[0-9]{6})Z$") | ((.s + "Z" | fromdateiso8601) * 1000000 + (.f | tonumber));'
lag=$(jq -rs "$us"' [.[] | (.event.created | us) - (."@timestamp" | us)] | "\(min) \(max) \(length)"' "$out/packets.json")
read -r lmin lmax lnum <<<"$lag"
if [[ $lnum == "$n" ]] && ((lmin > 0 && lmax < 2000000)); then
	ok "event.created is after @timestamp in all $lnum records, by ${lmin}..${lmax} us"
else
	fail "event.created - @timestamp: ${lmin}..${lmax} us over $lnum of $n records (want 0 < lag < 2 s)"
fi

check_accounting "$n"
e2e_finish
