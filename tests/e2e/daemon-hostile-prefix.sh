#!/bin/bash
# daemon-hostile-prefix: any root process can log to nflogd's groups with
# any prefix; no prefix can split a record or forge a field.
#
# iptables takes prefix bytes nft's parser does not: a tab, a carriage
# return, DEL, 0xff, a quote, a backslash -- and text that looks like LOG
# fields.  In $NS_R, for every packet from 10.99.0.1:
#   -j LOG   --log-prefix  "<tag>\t\rSRC=6.6.6.6 \x7f\xff\\\""
#   -j NFLOG --nflog-prefix (the same) --nflog-group 10
# nflogd's rule is the group's catch-all (prefix ""): the packets still
# get a rule.  20 UDP packets.  Checks:
#   1. LOG text: 20 lines, byte for byte the kernel's own LOG lines (which
#      /dev/kmsg shows with \xHH escapes), no control byte in the file;
#   2. JSON: 20 lines, each one JSON object; nflog.prefix is the prefix
#      with 0xff as U+FFFD; source.ip is 10.99.0.1;
#   3. journal: `journalctl SRC=10.99.0.1` finds 20 entries and SRC=6.6.6.6
#      none (the prefix forged no field); NFLOG_PREFIX holds the exact
#      bytes; MESSAGE holds no control character;
#   4. the identity: the NFLOG rule's counter = written, per output.
# Usage: daemon-hostile-prefix.sh PATH_TO_NFLOGD
. "$(dirname "$0")/lib.sh"
e2e_init daemon-hostile-prefix "$@"
command -v iptables >/dev/null || die "missing iptables"

e2e_netns_setup
start_journald
e2e_kernel_log_netns
# (at most 29 bytes: iptables' LOG target keeps no more)
TAG="h$E2E_TAG:"
HOSTILE=$(printf '%s\t\rSRC=6.6.6.6 \x7f\xff\\"' "$TAG")
ip netns exec "$NS_R" iptables -A INPUT -s 10.99.0.1 -j LOG --log-prefix "$HOSTILE" ||
	die "iptables refused the LOG prefix"
ip netns exec "$NS_R" iptables -A INPUT -s 10.99.0.1 -j NFLOG --nflog-group 10 --nflog-prefix "$HOSTILE" ||
	die "iptables refused the NFLOG prefix"
start_kmsg "$TAG"

conf=$E2E_TMP/nflogd.conf
json=$E2E_TMP/out/packets.json
text=$E2E_TMP/out/packets.log
{
	conf_globals
	cat <<-EOF
	firewall = { backend = "none"; };
	outputs = (
		{ name = "json"; type = "file"; path = "$json"; format = "json"; },
		{ name = "text"; type = "file"; path = "$text"; format = "log"; line_style = "bare"; },
		{ name = "journal"; type = "journal"; }
	);
	rules = ( { name = "any"; group = 10; } );
	EOF
} >"$conf"
nflog_count() { ip netns exec "$NS_R" iptables -nvxL INPUT | awk '$3 == "NFLOG" { print $1 }'; }

start_nflogd "$conf"
N=20
udp_burst $N 7000
wait_for "[[ \$(nflog_count) -ge $N ]]" 5 "$N packets logged" || true
wait_written json $N 10 || true
wait_written text $N 10 || true
wait_for "[[ \$(wc -l <$KMSG_LOG) -ge $N ]]" 5 "the kernel's $N lines" || true
k=$(nflog_count)
((k == N)) && ok "the NFLOG rule logged $k packets" || fail "the NFLOG rule logged $k packets, expected $N"

# 1. LOG text
say "kernel line: $(head -n1 "$KMSG_LOG")"
say "nflogd line: $(head -n1 "$text")"
[[ $(wc -l <"$text") == "$N" ]] && ok "LOG text: $N lines for $N packets (no record split)" ||
	fail "LOG text: $(wc -l <"$text") lines for $N packets"
if diff <(sort "$KMSG_LOG") <(sort "$text") >"$E2E_TMP/diff.txt"; then
	ok "LOG text: every line byte for byte the kernel's (the prefix escaped as /dev/kmsg escapes it)"
else
	fail "LOG text differs from the kernel's lines: $(excerpt 4 <"$E2E_TMP/diff.txt" | tr '\n' ' ')"
fi
nctl=$(tr -d '\n' <"$text" | LC_ALL=C tr -d -c '\001-\037\177' | wc -c)
((nctl == 0)) && ok "LOG text: no control byte besides the line ends" ||
	fail "LOG text: $nctl control bytes"

# 2. JSON
want=$(printf '%s\t\rSRC=6.6.6.6 \x7f\xef\xbf\xbd\\"' "$TAG")
nobj=$(jq -c . "$json" | wc -l) || fail "packets.json: not JSON Lines"
npre=$(jq --arg w "$want" 'select(.nflog.prefix == $w and .source.ip == "10.99.0.1")' "$json" | jq -s length)
((nobj == N && npre == N)) &&
	ok "JSON: $N objects, nflog.prefix = the prefix (0xff as U+FFFD), source.ip 10.99.0.1" ||
	fail "JSON: $nobj objects, $npre with the expected prefix; first: $(head -c 300 "$json")"

# 3. journal
wait_for "[[ \$(jcount SRC=10.99.0.1) -ge $N ]]" 10 "$N journal entries" || true
nsrc=$(jcount SRC=10.99.0.1)
nforged=$(jcount SRC=6.6.6.6)
((nsrc == N && nforged == 0)) &&
	ok "journal: SRC=10.99.0.1 finds $nsrc entries, SRC=6.6.6.6 none: no forged field" ||
	fail "journal: SRC=10.99.0.1 $nsrc, SRC=6.6.6.6 $nforged"
jctl -o json SRC=10.99.0.1 >"$E2E_TMP/journal.json"
if "$PY" - "$E2E_TMP/journal.json" "$HOSTILE" "$N" <<-'EOF'; then
	import json, sys, os
	want = os.fsencode(sys.argv[2])
	n = 0
	for line in open(sys.argv[1]):
	    e = json.loads(line)
	    p = e["NFLOG_PREFIX"]
	    # journalctl -o json: bytes that are not printable UTF-8 as an array
	    got = bytes(p) if isinstance(p, list) else p.encode()
	    m = e["MESSAGE"]
	    if got != want:
	        sys.exit("NFLOG_PREFIX %r != %r" % (got, want))
	    if not isinstance(m, str) or any(ord(c) < 0x20 or ord(c) == 0x7f for c in m):
	        sys.exit("MESSAGE holds control characters: %r" % (m,))
	    n += 1
	sys.exit(0 if n == int(sys.argv[3]) else "%d entries" % n)
	EOF
	ok "journal: NFLOG_PREFIX holds the exact bytes, MESSAGE no control character, in all $N entries"
else
	fail "journal: NFLOG_PREFIX / MESSAGE (see above)"
fi

stop_nflogd TERM
[[ $NFLOGD_RC == 0 ]] && ok "nflogd exited 0" || fail "nflogd exited $NFLOGD_RC"
check_accounting "$k"
e2e_finish
