#!/bin/bash
# Regenerate the kernel-paired NFLOG fixtures in tests/data/fixtures/.
#
# For every packet shape (see capture_driver.py) the running kernel writes
#   - an NFLOG message (captured by `tcpdump -i nflog:N -w FILE`, link type 239)
#   - the line its own LOG target (`nft log`) writes for the same packet,
# both from rule pairs that carry the identical prefix.  See README.md.
#
# Needs root, nftables, iproute2, tcpdump (>= 4.99), /usr/bin/python3.
# Touches only the two network namespaces it creates (nfx-send, nfx-recv) and
# the global sysctl net.netfilter.nf_log_all_netns (restored on exit).
#
# Usage: tests/data/capture-fixtures.sh [OUTDIR]   (default: tests/data/fixtures)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE/fixtures}
PY=/usr/bin/python3
NS_S=nfx-send
NS_R=nfx-recv
MAC_S=02:00:00:00:99:01
MAC_R=02:00:00:00:99:02
IDX_S=10            # ifindex of "vs" in nfx-send
IDX_R=20            # ifindex of "vr" in nfx-recv

# name:group:namespace -- one tcpdump per NFLOG group
CAPTURES="all:1:$NS_R noflags:2:$NS_R snaplen:3:$NS_R noether:4:$NS_R output:5:$NS_S output-noflags:6:$NS_S ingress:7:$NS_R ingress-noflags:8:$NS_R input:9:$NS_R input-noflags:10:$NS_R"
MAC_ING=02:00:00:00:99:03   # source MAC of the netdev-ingress shapes

die() { echo "capture-fixtures: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root"
for t in nft ip tcpdump timeout; do command -v $t >/dev/null || die "missing $t"; done

WORK=$(mktemp -d /tmp/nfx-capture.XXXXXX)
OLD_LOGALL=$(sysctl -n net.netfilter.nf_log_all_netns)
TCPDUMP_PIDS=""

cleanup() {
	local rc=$?
	set +e
	for p in $TCPDUMP_PIDS; do kill -INT "$p" 2>/dev/null; done
	for p in $TCPDUMP_PIDS; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	ip netns del $NS_S 2>/dev/null
	ip netns del $NS_R 2>/dev/null
	sysctl -qw net.netfilter.nf_log_all_netns="$OLD_LOGALL"
	if [ -n "${KEEP_WORK:-}" ]; then echo "work dir kept: $WORK" >&2; else rm -rf "$WORK"; fi
	[ $rc = 0 ] || echo "capture-fixtures: FAILED (rc=$rc)" >&2
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Leftovers of an interrupted run.
ip netns del $NS_S 2>/dev/null || true
ip netns del $NS_R 2>/dev/null || true

sysctl -qw net.netfilter.nf_log_all_netns=1

# ---------------------------------------------------------------- topology
ip netns add $NS_S
ip netns add $NS_R
for ns in $NS_S $NS_R; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.accept_ra=0
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.router_solicitations=0
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.dad_transmits=0
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_ra=0
	ip -n "$ns" link set lo up
done
ip -n $NS_S link add vs index $IDX_S address $MAC_S type veth \
	peer name vr index $IDX_R address $MAC_R netns $NS_R
# No link-local address: no DAD, no router solicitation, no MLD from fe80::.
ip -n $NS_S link set vs addrgenmode none
ip -n $NS_R link set vr addrgenmode none
ip -n $NS_S addr add 10.99.0.1/24 dev vs
ip -n $NS_S addr add 10.99.0.3/24 dev vs          # source of output-hook traffic
ip -n $NS_S addr add 10.99.0.4/24 dev vs          # source of input-hook traffic
ip -n $NS_S addr add fd99::1/64 dev vs nodad
ip -n $NS_S addr add fd99::3/64 dev vs nodad
ip -n $NS_S addr add fd99::4/64 dev vs nodad
ip -n $NS_R addr add 10.99.0.2/24 dev vr
ip -n $NS_R addr add fd99::2/64 dev vr nodad
ip -n $NS_S link set vs up
ip -n $NS_R link set vr up
# Static neighbours: no ARP/NDP needed for the real-socket traffic.
ip -n $NS_S neigh replace 10.99.0.2 lladdr $MAC_R nud permanent dev vs
ip -n $NS_S neigh replace fd99::2 lladdr $MAC_R nud permanent dev vs
ip -n $NS_R neigh replace 10.99.0.1 lladdr $MAC_S nud permanent dev vr
ip -n $NS_R neigh replace 10.99.0.3 lladdr $MAC_S nud permanent dev vr
ip -n $NS_R neigh replace fd99::1 lladdr $MAC_S nud permanent dev vr
ip -n $NS_R neigh replace fd99::3 lladdr $MAC_S nud permanent dev vr
ip -n $NS_R neigh replace 10.99.0.4 lladdr $MAC_S nud permanent dev vr
ip -n $NS_R neigh replace fd99::4 lladdr $MAC_S nud permanent dev vr

[ "$(ip netns exec $NS_S cat /sys/class/net/vs/ifindex)" = $IDX_S ] || die "vs ifindex"
[ "$(ip netns exec $NS_R cat /sys/class/net/vr/ifindex)" = $IDX_R ] || die "vr ifindex"

# ---------------------------------------------------------------- rules
# Receiver: prerouting at -450 (before defragmentation and conntrack), so
# fragments and odd packets are logged exactly as they arrive.  Every test
# packet (from 10.99.0.1 / fd99::1) goes through four LOG/NFLOG rule pairs,
# each pair with its own identical prefix, then is dropped.  Real-socket
# traffic from 10.99.0.3 / fd99::3 is accepted (not logged here), so that
# the receiving stack answers at once (RST, port unreachable) and the sender
# never retransmits.  queue-threshold 1: each NFLOG message is sent at once
# instead of after the default 1 s flush timeout.
ip netns exec $NS_R nft -f - <<'EOF'
table inet nfx {
	chain pre {
		type filter hook prerouting priority -450; policy accept;
		iifname "vr" ip saddr != 10.99.0.0/24 log prefix "nfx-noise: "
		iifname "vr" ip6 saddr != fd99::/64 log prefix "nfx-noise: "
		ether saddr 02:00:00:00:99:03 drop
		ip saddr 10.99.0.1 jump test
		ip6 saddr fd99::1 jump test
	}
	chain test {
		ip id 4242 meta mark set 0x2a
		ip6 flowlabel 424242 meta mark set 0x2a
		log prefix "nfx-all: " flags all
		log group 1 queue-threshold 1 prefix "nfx-all: "
		log prefix "nfx-def: "
		log group 2 queue-threshold 1 prefix "nfx-def: "
		log prefix "nfx-snap: " flags all
		log group 3 snaplen 40 queue-threshold 1 prefix "nfx-snap: "
		log prefix "nfx-noeth: " flags tcp sequence,options flags ip options flags skuid
		log group 4 queue-threshold 1 prefix "nfx-noeth: "
		drop
	}
}
EOF
# Receiver, input hook: real connections from 10.99.0.4 / fd99::4 to a server
# process in nfx-recv (UID/GID via early demux; IPv4 reassembled, IPv6 not).
ip netns exec $NS_R nft -f - <<'EOF'
table inet nfxin {
	chain input {
		type filter hook input priority 0; policy accept;
		ip saddr 10.99.0.4 jump test
		ip6 saddr fd99::4 jump test
	}
	chain test {
		log prefix "nfx-in: " flags all
		log group 9 queue-threshold 1 prefix "nfx-in: "
		log prefix "nfx-indef: "
		log group 10 queue-threshold 1 prefix "nfx-indef: "
	}
}
EOF
# Receiver, netdev family: ingress hook of vr, for frames from $MAC_ING only
# (VLAN tags still present: VPROTO=/VID=; ARP; unknown ethertypes).
ip netns exec $NS_R nft -f - <<EOF
table netdev nfx {
	chain ingress {
		type filter hook ingress device "vr" priority 0; policy accept;
		ether saddr $MAC_ING jump test
	}
	chain test {
		log prefix "nfx-ing: " flags all
		log group 7 queue-threshold 1 prefix "nfx-ing: "
		log prefix "nfx-ingdef: "
		log group 8 queue-threshold 1 prefix "nfx-ingdef: "
	}
}
EOF
# Sender: locally generated packets of real sockets (source 10.99.0.3 /
# fd99::3) at the output hook: OUT=, no MAC=, UID=/GID=.
ip netns exec $NS_S nft -f - <<'EOF'
table inet nfx {
	chain out {
		type filter hook output priority 0; policy accept;
		ip saddr 10.99.0.3 jump test
		ip6 saddr fd99::3 jump test
	}
	chain test {
		log prefix "nfx-out: " flags all
		log group 5 queue-threshold 1 prefix "nfx-out: "
		log prefix "nfx-outdef: "
		log group 6 queue-threshold 1 prefix "nfx-outdef: "
	}
}
EOF

# ---------------------------------------------------------------- capture
mkdir -p "$WORK/cap"
for c in $CAPTURES; do
	IFS=: read -r name group ns <<<"$c"
	ip netns exec "$ns" tcpdump -U -n -i "nflog:$group" -w "$WORK/cap/$name.pcap" \
		>"$WORK/cap/$name.tcpdump.out" 2>"$WORK/cap/$name.tcpdump.err" &
	TCPDUMP_PIDS="$TCPDUMP_PIDS $!"
done
for c in $CAPTURES; do
	IFS=: read -r name group ns <<<"$c"
	ok=0
	for _ in $(seq 100); do
		if grep -q "listening on" "$WORK/cap/$name.tcpdump.err" 2>/dev/null; then ok=1; break; fi
		sleep 0.1
	done
	[ $ok = 1 ] || { cat "$WORK/cap/$name.tcpdump.err" >&2; die "tcpdump nflog:$group not listening"; }
done

timeout 900 ip netns exec $NS_S $PY "$HERE/capture_driver.py" \
	--capdir "$WORK/cap" --outdir "$WORK/out" \
	--mac-send $MAC_S --mac-recv $MAC_R --recv-ns $NS_R

# Stop tcpdump (SIGINT flushes the file), bounded wait.
for p in $TCPDUMP_PIDS; do kill -INT "$p"; done
for p in $TCPDUMP_PIDS; do
	for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$p" 2>/dev/null && die "tcpdump $p did not stop"
	wait "$p" || true
done
TCPDUMP_PIDS=""

# ---------------------------------------------------------------- verify
for c in $CAPTURES; do
	IFS=: read -r name group ns <<<"$c"
	cp "$WORK/cap/$name.pcap" "$WORK/out/$name.pcap"
	npcap=$(tcpdump -n -r "$WORK/out/$name.pcap" --count 2>/dev/null | awk '{print $1}')
	nlog=$(wc -l <"$WORK/out/$name.log")
	nshape=$(wc -l <"$WORK/out/$name.shapes")
	echo "$name: $npcap packets, $nlog kernel lines, $nshape shapes"
	[ "$npcap" -gt 0 ] || die "$name: no packets"
	if [ "$npcap" != "$nlog" ] || [ "$nlog" != "$nshape" ]; then
		die "$name: count mismatch (pcap $npcap, log $nlog, shapes $nshape)"
	fi
done
$PY "$HERE/capture_driver.py" --verify "$WORK/out" || die "verification failed"

cat >"$WORK/out/ifaces.txt" <<EOF
# namespace ifindex name mac
$NS_S 1 lo 00:00:00:00:00:00
$NS_S $IDX_S vs $MAC_S
$NS_R 1 lo 00:00:00:00:00:00
$NS_R $IDX_R vr $MAC_R
EOF

mkdir -p "$OUT"
rm -f "$OUT"/*.pcap "$OUT"/*.log "$OUT"/*.shapes "$OUT"/*.txt
cp "$WORK/out"/* "$OUT"/
echo "fixtures written to $OUT"
