#!/bin/sh
# Regenerate the iptables-save captures of tests/data/ipt/ (root):
#   sudo tests/data/ipt/capture.sh [DIR]
# Each capture is made in a network namespace of its own (unshare -n), so
# the host's ruleset is never read or touched.  A host ruleset with
# foreign rules (own comments, quoted and bare, another tool's tag) and
# the leftovers of an nflogd that died (tagged rules with counters, its
# own chains and their jumps) is loaded with iptables-restore -c, then
# listed with `iptables-save -c`, for both families and both iptables
# variants (nft, legacy).  ip6tables-nft-restore 1.8.9 ignores the
# counters of -c (host-nft.v6 lists [0:0]); the others keep them.  Dates in the "# Generated" lines are kept.
set -eu
dir=${1:-$(dirname "$0")}

v4='*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:NFLOGD-INPUT - [0:0]
:HOST-LOG - [0:0]
[7:420] -A INPUT -m comment --comment "nflogd:jump" -j NFLOGD-INPUT
[100:6000] -A INPUT -i lo -j ACCEPT
[55:3300] -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
[3:180] -A INPUT -p tcp --dport 22 -m comment --comment "ssh from the office" -s 192.0.2.0/24 -j ACCEPT
[0:0] -A INPUT -p udp --dport 53 -m comment --comment plain -j ACCEPT
[2:120] -A INPUT -m comment --comment "other:drops" -j HOST-LOG
[9:540] -A INPUT -m comment --comment "nflogd:drops" -m limit --limit 10/min --limit-burst 3 -j NFLOG --nflog-group 5 --nflog-prefix "drop: \"in\"" --nflog-size 128
[0:0] -A FORWARD -m comment --comment "nflogd:fwd" -j NFLOG --nflog-group 6 --nflog-threshold 10
[0:0] -A HOST-LOG -j LOG --log-prefix "host: "
[4:240] -A NFLOGD-INPUT -p tcp -m conntrack --ctstate INVALID -m comment --comment "nflogd:invalid" -j NFLOG --nflog-group 7
[3:180] -A NFLOGD-INPUT -p icmp --icmp-type echo-request -m comment --comment "nflogd:ping" -j NFLOG --nflog-group 7 --nflog-prefix ping
COMMIT
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:NFLOGD-PREROUTING - [0:0]
[11:660] -A PREROUTING -m comment --comment "nflogd:jump" -j NFLOGD-PREROUTING
[20:1200] -A PREROUTING -p tcp -j MARK --set-mark 0x1
[11:660] -A NFLOGD-PREROUTING -m comment --comment "nflogd:pre" -j NFLOG --nflog-group 8
COMMIT
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
[0:0] -A PREROUTING -p udp --dport 123 -j CT --notrack
COMMIT
'
v6='*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
[5:400] -A INPUT -i lo -j ACCEPT
[8:640] -A INPUT -p ipv6-icmp -j ACCEPT
[1:80] -A INPUT -s 2001:db8::/32 -p tcp --dport 22 -m comment --comment "ssh v6" -j ACCEPT
[6:480] -A INPUT -m comment --comment "nflogd:drops" -m limit --limit 10/min --limit-burst 3 -j NFLOG --nflog-group 5 --nflog-prefix "drop: \"in\"" --nflog-size 128
COMMIT
'

for variant in nft legacy; do
	unshare -n sh -eu -c '
		printf "%s" "$2" | iptables-'"$variant"'-restore -c
		printf "%s" "$3" | ip6tables-'"$variant"'-restore -c
		iptables-'"$variant"'-save -c > "$1/host-'"$variant"'.v4"
		ip6tables-'"$variant"'-save -c > "$1/host-'"$variant"'.v6"
		iptables-'"$variant"'-save > "$1/host-'"$variant"'-nocounters.v4"
	' capture "$dir" "$v4" "$v6"
done
echo "written: $dir/host-{nft,legacy}{.v4,.v6,-nocounters.v4}"
