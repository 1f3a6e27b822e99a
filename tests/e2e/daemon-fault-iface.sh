#!/bin/bash
# daemon-fault-iface: an interface renamed, and another deleted, while
# their packets are being logged.
#
# Records name the receiving interface (JSON observer.ingress.interface,
# LOG IN=) from nflogd's rtnetlink cache (daemon/ifcache.c), which must
# follow renames and keep the name of a deleted interface for the packets
# still queued.  The kernel's own LOG line for every packet (`log prefix
# P` in the same chain, read from /dev/kmsg) says which name the packet
# really had: that is what each record is held to.
#
# Two veth pairs between the namespaces: lib.sh's vs -> vr (10.99.0.0/24,
# flow 1) and vs2 -> vr2 (10.99.1.0/24, flow 2), both logged by one rule
# (one counter "e2e-nflog") and counted per flow ("flow1", "flow2").
#   1. Rename: 2000 paced packets on flow 1 (one every ~1 ms); after 400,
#      `ip link set dev vr down; ip link set dev vr name vrnew; up`.
#      Checks: the kernel saw both names; every record of the burst in
#      JSON and LOG text carries the name the kernel saw for that packet
#      (none missing, none extra); in file order the name switches once,
#      vr -> vrnew; the interface id is the same before and after.
#   1b. Rename with packets queued: nflogd stopped (SIGSTOP), 300 packets
#      on vrnew, vrnew renamed vrb, SIGCONT: the packets and the rename
#      event wait together; the records say vrnew (logged before the
#      rename), as the kernel's lines.  Then back to vrnew.
#   2. Delete: 1500 paced packets on each flow; after 300 on flow 2,
#      nflogd is stopped (SIGSTOP) for 0.2 s, vr2 is deleted meanwhile
#      (`ip link del vr2`, the pair with it), then SIGCONT: the packets
#      queued in nflogd's socket are read after the deletion (event).
#      Checks: nflogd keeps running; every flow-2 record (those queued
#      at the deletion included) says vr2 and its old id, as the kernel's
#      lines; flow 1 goes on as vrnew.
#   3. 20 more packets after the deletion: vrnew.  Kernel counter =
#      written + losses, per flow as well (records = counter); SIGTERM:
#      exit 0.
# Packets sent while vr is down never reach the input hook: the kernel
# counts none of them, nothing expects them.
# Usage: daemon-fault-iface.sh PATH_TO_NFLOGD
. "$(dirname "$0")/lib.sh"
e2e_init daemon-fault-iface "$@"

e2e_netns_setup
# The second pair, as lib.sh's first.
MAC_S2=02:00:00:00:99:11
MAC_R2=02:00:00:00:99:12
ip -n "$NS_S" link add vs2 address $MAC_S2 type veth peer name vr2 address $MAC_R2 netns "$NS_R"
ip -n "$NS_S" link set vs2 addrgenmode none
ip -n "$NS_R" link set vr2 addrgenmode none
ip -n "$NS_S" addr add 10.99.1.1/24 dev vs2
ip -n "$NS_R" addr add 10.99.1.2/24 dev vr2
ip -n "$NS_S" link set vs2 up
ip -n "$NS_R" link set vr2 up
ip -n "$NS_S" neigh replace 10.99.1.2 lladdr $MAC_R2 nud permanent dev vs2
ip -n "$NS_R" neigh replace 10.99.1.1 lladdr $MAC_S2 nud permanent dev vr2
wait_for "ip netns exec $NS_S ping -q -c1 -W1 10.99.1.2 >/dev/null 2>&1" 5 \
	"the second veth link" || die "no IPv4 connectivity over vs2/vr2"

P="e2e-$E2E_TAG-if: "
ip netns exec "$NS_R" nft -f - <<EOF
table inet e2e {
	chain input {
		type filter hook input priority 0; policy accept;
		ip saddr 10.99.0.1 counter jump logit comment "flow1"
		ip saddr 10.99.1.1 counter jump logit comment "flow2"
	}
	chain logit {
		log prefix "$P"
		counter log group 10 prefix "$P" comment "e2e-nflog"
	}
}
EOF
e2e_kernel_log_netns
start_kmsg "$P"

conf=$E2E_TMP/nflogd.conf
json=$E2E_TMP/out/packets.json
text=$E2E_TMP/out/packets.log
{
	conf_globals
	cat <<-EOF
	outputs = (
		{ name = "json"; type = "file"; path = "$json"; format = "json"; },
		{ name = "text"; type = "file"; path = "$text"; format = "log"; line_style = "bare"; }
	);
	rules = (
		{ name = "e2e-if"; group = 10; prefix = "$P"; outputs = [ "json", "text" ]; }
	);
	EOF
} >"$conf"

ifindex() { ip -n "$NS_R" -j link show dev "$1" | jq -r '.[0].ifindex'; }
flow() { nft_counter "$NS_R" inet e2e "flow$1"; }
alive() { kill -0 "$NFLOGD_PID" 2>/dev/null; }
# shellcheck disable=SC2317  # called through wait_for
settled() { local k; k=$(kernel_count); [[ $(written json) == "$k" && $(written text) == "$k" ]]; }
# shellcheck disable=SC2317
klines() { grep -c -- "SRC=$1 " "$KMSG_LOG" || true; }
# jrec SRC FROM TO: "PORT NAME ID" of the JSON records from SRC to ports
# FROM..TO, in file order (a line that is not one JSON object: BAD)
jrec() {
	jq -R -r --arg s "$1" --argjson a "$2" --argjson b "$3" 'try (fromjson
		| select(.source.ip == $s and .destination.port >= $a and .destination.port <= $b)
		| "\(.destination.port) \(.observer.ingress.interface.name // "-") \(.observer.ingress.interface.id // "-")")
		catch "BAD"' "$json"
}
# lrec FILE SRC FROM TO: "PORT IN" of the LOG lines in FILE (the kernel's
# or nflogd's text output) from SRC to ports FROM..TO, in file order
lrec() {
	awk -v s="$2" -v a="$3" -v b="$4" '{
		src = ""; dpt = ""; dev = "?"
		for (i = 1; i <= NF; i++) {
			if ($i ~ /^IN=/) dev = substr($i, 4)
			else if ($i ~ /^SRC=/) src = substr($i, 5)
			else if ($i ~ /^DPT=/) dpt = substr($i, 5)
		}
		if (src == s && dpt + 0 >= a && dpt + 0 <= b) print dpt, (dev == "" ? "-" : dev)
	}' "$1"
}
# same_names WHAT SRC FROM TO: JSON and LOG text records of these packets
# name the interface the kernel's LOG line names, one record per line
same_names() {
	local what=$1 kern js tx
	kern=$(lrec "$KMSG_LOG" "$2" "$3" "$4" | sort -n)
	js=$(jrec "$2" "$3" "$4" | awk '{print $1, $2}' | sort -n)
	tx=$(lrec "$text" "$2" "$3" "$4" | sort -n)
	if [[ -n $kern && $js == "$kern" ]]; then
		ok "$what: json: each of the $(wc -l <<<"$kern") packets once, with the name the kernel saw ($(awk '{print $2}' <<<"$kern" | sort | uniq -c | xargs))"
	else
		fail "$what: json vs the kernel's lines (port name; < kernel, > json): $(diff <(echo "$kern") <(echo "$js") | grep '^[<>]' | excerpt 8 | tr '\n' ' ')"
	fi
	if [[ -n $kern && $tx == "$kern" ]]; then
		ok "$what: text: each packet once, IN= as the kernel's"
	else
		fail "$what: text vs the kernel's lines (port IN; < kernel, > text): $(diff <(echo "$kern") <(echo "$tx") | grep '^[<>]' | excerpt 8 | tr '\n' ' ')"
	fi
}

start_nflogd "$conf"
idx1=$(ifindex vr)
idx2=$(ifindex vr2)
say "vr is ifindex $idx1, vr2 is ifindex $idx2 in $NS_R"

# ---- 1. rename during a paced burst
S1=10000
N1=2000
e2e_bg SENDER_PID ip netns exec "$NS_S" timeout 20 "$PY" "$HELPERS" udp 10.99.0.2 $S1 40011 $N1 0.001
wait_lines "$json" 400 10 || fail "rename: the traffic did not start"
t0=$(date +%s%N)
ip -n "$NS_R" link set dev vr down
ip -n "$NS_R" link set dev vr name vrnew
ip -n "$NS_R" link set dev vrnew up
ms=$((($(date +%s%N) - t0) / 1000000))
kill -0 "$SENDER_PID" 2>/dev/null && say "vr renamed vrnew (down, rename, up: $ms ms) while the packets were flowing" ||
	fail "rename: the traffic had ended before the rename"
[[ $(ifindex vrnew) == "$idx1" ]] || fail "vrnew has ifindex $(ifindex vrnew), vr had $idx1"
wait_for "! kill -0 $SENDER_PID 2>/dev/null" 20 "the sender" || fail "rename: the sender did not finish"
wait "$SENDER_PID" || fail "rename: the sender failed"
k=$(flow 1)
wait_for settled 10 "every packet written" || true
wait_for "[[ \$(klines 10.99.0.1) -ge $k ]]" 5 "the kernel's $k lines" || true
alive && ok "rename: nflogd still running" || die "rename: nflogd died"
say "rename: $k of $N1 packets reached the input hook ($((N1 - k)) sent while vr was down)"
kseq=$(lrec "$KMSG_LOG" 10.99.0.1 $S1 $((S1 + N1 - 1)) | awk '{print $2}' | uniq | xargs)
[[ $kseq == "vr vrnew" ]] && ok "rename: the kernel logged the burst as 'vr' then 'vrnew'" ||
	fail "rename: the kernel's names over the burst: '$kseq' (the rename did not fall inside the burst?)"
same_names "rename" 10.99.0.1 $S1 $((S1 + N1 - 1))
recs=$(jrec 10.99.0.1 $S1 $((S1 + N1 - 1)))
jseq=$(awk '{print $2}' <<<"$recs" | uniq | xargs)
nold=$(awk '$2 == "vr"' <<<"$recs" | wc -l)
nnew=$(awk '$2 == "vrnew"' <<<"$recs" | wc -l)
ids=$(awk '{print $3}' <<<"$recs" | sort -u | xargs)
[[ $jseq == "vr vrnew" && $nold -ge 100 && $nnew -ge 100 ]] &&
	ok "rename: in file order the name switches once: $nold records 'vr', then $nnew 'vrnew'" ||
	fail "rename: names in file order: '$jseq' ($nold vr, $nnew vrnew)"
[[ $ids == "$idx1" ]] && ok "rename: the interface id stays $idx1" || fail "rename: interface ids '$ids', expected $idx1"
check_accounting "$(kernel_count)"

# ---- 1b. rename while packets wait in nflogd's socket: nflogd is
# stopped, 300 packets arrive on vrnew (more than one wake-up reads: 64
# datagrams), vrnew becomes vrb, nflogd goes on.  Both the packets and the
# rename event are then waiting; the packets were logged first, so they
# must say vrnew, as the kernel's lines do.
S1B=12100
N1B=300
kill -STOP "$NFLOGD_PID"
k0=$(flow 1)
in_s "$PY" "$HELPERS" udp 10.99.0.2 $S1B 40014 $N1B
wait_for "[[ \$(flow 1) -ge $((k0 + N1B)) ]]" 5 "$N1B packets logged while nflogd is stopped" || true
ip -n "$NS_R" link set dev vrnew down
ip -n "$NS_R" link set dev vrnew name vrb
ip -n "$NS_R" link set dev vrb up
kill -CONT "$NFLOGD_PID"
wait_for settled 10 "every packet written" || true
wait_for "[[ \$(lrec $KMSG_LOG 10.99.0.1 $S1B $((S1B + N1B - 1)) | wc -l) -ge $N1B ]]" 5 "the kernel's $N1B lines" || true
same_names "rename with packets queued" 10.99.0.1 $S1B $((S1B + N1B - 1))
names=$(jrec 10.99.0.1 $S1B $((S1B + N1B - 1)) | awk '{print $2}' | sort | uniq -c | xargs)
[[ $names == "$N1B vrnew" ]] && ok "rename with packets queued: all $N1B records say vrnew, the name they were logged with" ||
	fail "rename with packets queued: names '$names', expected '$N1B vrnew'"
# back to vrnew for the rest
ip -n "$NS_R" link set dev vrb down
ip -n "$NS_R" link set dev vrb name vrnew
ip -n "$NS_R" link set dev vrnew up
check_accounting "$(kernel_count)"

# ---- 2. delete vr2 while both flows are logged
S2=13000
T2=20000
N2=1500
e2e_bg SENDER_PID ip netns exec "$NS_S" timeout 20 "$PY" "$HELPERS" udp 10.99.0.2 $S2 40012 $N2 0.001
e2e_bg SENDER2_PID ip netns exec "$NS_S" timeout 20 "$PY" "$HELPERS" udp 10.99.1.2 $T2 40013 $N2 0.001 \
	2>"$E2E_TMP/sender2.err"
wait_for "[[ \$(flow 2) -ge 300 ]]" 10 "300 packets on vr2" || fail "delete: the traffic on vr2 did not start"
kill -STOP "$NFLOGD_PID"
kstop=$(flow 2)
sleep 0.1
# logged after the stop, before the deletion: in nflogd's socket, unread,
# when the deletion comes
queued=$(($(flow 2) - kstop))
ip -n "$NS_R" link del vr2
sleep 0.1
kill -CONT "$NFLOGD_PID"
say "vr2 deleted while nflogd was stopped: at least $queued of its packets were waiting in nflogd's socket"
if ip -n "$NS_R" link show dev vr2 >/dev/null 2>&1; then fail "vr2 still exists"; fi
wait_for "! kill -0 $SENDER_PID 2>/dev/null && ! kill -0 $SENDER2_PID 2>/dev/null" 20 "the senders" ||
	fail "delete: the senders did not finish"
wait "$SENDER_PID" || fail "delete: the sender on vr failed"
rc=0
wait "$SENDER2_PID" || rc=$?
[[ $rc != 0 ]] && say "the sender on vs2 ended with its interface (exit $rc: $(tail -n 1 "$E2E_TMP/sender2.err"))" ||
	say "note: the sender on vs2 had finished before the deletion"
k2=$(flow 2)
wait_for settled 10 "every packet written" || true
wait_for "[[ \$(klines 10.99.1.1) -ge $k2 ]]" 5 "the kernel's $k2 lines for vr2" || true
alive && ok "delete: nflogd still running after vr2 went away" || die "delete: nflogd died"
same_names "delete (vr2)" 10.99.1.1 $T2 $((T2 + N2 - 1))
recs=$(jrec 10.99.1.1 $T2 $((T2 + N2 - 1)))
names=$(awk '{print $2 "/" $3}' <<<"$recs" | sort | uniq -c | xargs)
[[ $names == "$k2 vr2/$idx2" ]] &&
	ok "delete: all $k2 records of vr2's packets say vr2 (id $idx2), the $queued queued at the deletion included" ||
	fail "delete: vr2's $k2 packets were recorded as: '$names' (expected '$k2 vr2/$idx2')"
((queued > 0)) || fail "delete: no packet of vr2 was queued at the deletion (the scenario did not happen)"
same_names "delete (flow 1 meanwhile)" 10.99.0.1 $S2 $((S2 + N2 - 1))
names=$(jrec 10.99.0.1 $S2 $((S2 + N2 - 1)) | awk '{print $2}' | sort -u | xargs)
[[ $names == vrnew ]] && ok "delete: flow 1 meanwhile: vrnew throughout" || fail "delete: flow 1 meanwhile: '$names'"

# ---- 3. after the deletion
udp_burst 20 16000
wait_for settled 10 "every packet written" || true
wait_for "[[ \$(klines 10.99.0.1) -ge \$(flow 1) ]]" 5 "the kernel's lines" || true
same_names "after the deletion" 10.99.0.1 16000 16019
bad=$(jrec 10.99.0.1 0 65535 | grep -c BAD || true)
[[ $bad == 0 ]] || fail "$bad lines of the json file are not one JSON object"
f1=$(flow 1)
f2=$(flow 2)
r1=$(jrec 10.99.0.1 0 65535 | wc -l)
r2=$(jrec 10.99.1.1 0 65535 | wc -l)
[[ $r1 == "$f1" && $r2 == "$f2" ]] && ok "per flow: vr/vrnew $r1 records = counter $f1, vr2 $r2 records = counter $f2" ||
	fail "per flow: vr/vrnew $r1 records, counter $f1; vr2 $r2 records, counter $f2"
check_accounting "$(kernel_count)"
stop_nflogd TERM
[[ $NFLOGD_RC == 0 ]] && ok "SIGTERM: nflogd exited 0" || fail "SIGTERM: nflogd exited $NFLOGD_RC"
e2e_finish
