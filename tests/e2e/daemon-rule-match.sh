#!/bin/bash
# daemon-rule-match: packets find their rule by group and prefix, as
# docs/configuration.md ("How a packet finds its rule") says:
#   1. the rule of the group whose prefix equals the packet's prefix;
#   2. otherwise the group's rule with an empty prefix (the catch-all),
#      which also gets packets logged without a prefix;
#   3. otherwise the group's first rule; the record keeps its prefix.
# Group 10 has rules r-a ("<tag>-a: "), r-b ("<tag>-b: ") and, listed
# last, the catch-all r-any (""); group 11 has s-a and s-b, no catch-all.
# One UDP datagram per case (destination port says which):
#   6001 group 10, prefix a          -> r-a      (1)
#   6002 group 10, prefix b          -> r-b      (1)
#   6003 group 10, unclaimed prefix  -> r-any    (2, not r-a)
#   6004 group 10, no prefix         -> r-any    (2; nft sends an empty prefix)
#   6005 group 11, unclaimed prefix  -> s-a      (3)
#   6006 group 11, prefix s-b        -> s-b      (1)
# Checks rule.name and nflog.prefix of each record, the per-rule
# "received" counters, and kernel counter = written + losses.
# Usage: daemon-rule-match.sh PATH_TO_NFLOGD
. "$(dirname "$0")/lib.sh"
e2e_init daemon-rule-match "$@"

e2e_netns_setup
T=e2e-$E2E_TAG
ip netns exec "$NS_R" nft -f - <<EOF
table inet e2e {
	chain input {
		type filter hook input priority 0; policy accept;
		ip saddr 10.99.0.1 jump logit
	}
	chain logit {
		udp dport 6001 counter log group 10 prefix "$T-a: " comment "e2e-nflog"
		udp dport 6002 counter log group 10 prefix "$T-b: " comment "e2e-nflog"
		udp dport 6003 counter log group 10 prefix "$T-other: " comment "e2e-nflog"
		udp dport 6004 counter log group 10 comment "e2e-nflog"
		udp dport 6005 counter log group 11 prefix "$T-s-other: " comment "e2e-nflog"
		udp dport 6006 counter log group 11 prefix "$T-s-b: " comment "e2e-nflog"
	}
}
EOF

conf=$E2E_TMP/nflogd.conf
out=$E2E_TMP/out
mkdir -p "$E2E_TMP/run" "$out"
cat >"$conf" <<EOF
runtime_dir = "$E2E_TMP/run";
state_dir = "$E2E_TMP/state";
stats_interval = 0;
groups = (
	{ id = 10; queue_threshold = 1; flush_timeout = 1; },
	{ id = 11; queue_threshold = 1; flush_timeout = 1; }
);
outputs = ( { name = "json"; type = "file"; path = "$out/packets.json"; format = "json"; } );
rules = (
	{ name = "r-a"; group = 10; prefix = "$T-a: "; },
	{ name = "r-b"; group = 10; prefix = "$T-b: "; },
	{ name = "r-any"; group = 10; prefix = ""; },
	{ name = "s-a"; group = 11; prefix = "$T-s-a: "; },
	{ name = "s-b"; group = 11; prefix = "$T-s-b: "; }
);
EOF

start_nflogd "$conf"
udp_burst 6 6001
n=$(kernel_count)
wait_written json "$n" 10 || true

got=$(jq -r '"\(.destination.port) \(.rule.name) [\(.nflog.prefix // "-")]"' "$out/packets.json" | sort)
want=$(cat <<EOF
6001 r-a [$T-a: ]
6002 r-b [$T-b: ]
6003 r-any [$T-other: ]
6004 r-any []
6005 s-a [$T-s-other: ]
6006 s-b [$T-s-b: ]
EOF
)
while read -r port rule rest; do
	g=$(grep "^$port " <<<"$got" || true)
	case $port in
	6001 | 6002 | 6006) why="exact prefix" ;;
	6003) why="unclaimed prefix -> the group's catch-all (empty prefix), not its first rule" ;;
	6004) why="no prefix -> the group's catch-all" ;;
	6005) why="unclaimed prefix, no catch-all -> the group's first rule" ;;
	esac
	if [[ $g == "$port $rule $rest" ]]; then
		ok "port $port: rule $rule, prefix $rest ($why)"
	else
		fail "port $port: got '${g:-no record}', expected '$port $rule $rest' ($why)"
	fi
done <<<"$want"

st=$(status_json)
rc=$(jq -r '[.rules[] | "\(.name)=\(.received)"] | join(" ")' <<<"$st")
[[ $rc == "r-a=1 r-b=1 r-any=2 s-a=1 s-b=1" ]] && ok "per-rule received: $rc" ||
	fail "per-rule received: $rc, expected r-a=1 r-b=1 r-any=2 s-a=1 s-b=1"

stop_nflogd TERM
[[ $NFLOGD_RC == 0 ]] && ok "SIGTERM: nflogd exited 0" || fail "SIGTERM: nflogd exited $NFLOGD_RC"
check_accounting "$n"
e2e_finish
