#!/bin/bash
# daemon-privileges: started as root with `user =`, nflogd runs as that
# user with CAP_NET_ADMIN alone, and still does everything.
#
# A user of the test's own (nflogd-e2e, uid 64999) exists only in the
# test's private mount namespace: /etc/passwd and /etc/group are bind
# mounts of extended copies, so the host's account files are untouched.
#   1. an unknown user: exit 1, a message naming it;
#   2. nftables backend, conntrack_invalid on: every thread of the daemon
#      has uid/gid of the user and group adm, CapEff = CapPrm = CapInh =
#      CapAmb = CapBnd = CAP_NET_ADMIN only, NoNewPrivs; the start message
#      says who it runs as; the directories it created and the files in
#      them belong to the user, files 0640 group adm, the status files
#      0644 even under the unit's umask 0027 (`nflogd --status` as nobody);
#   3. it logs traffic; the conntrack sysctls are set (written as the
#      user: CAP_NET_ADMIN is what the kernel asks for);
#   4. `nft flush ruleset`: the rules are back (installed as the user);
#   5. the file renamed as logrotate does, SIGUSR1: the new file is
#      created by the user and gets the next records;
#   6. `nflogd --reload` with a rule added: exit 0, the rule is in the
#      kernel and logs; with a broken file: exit 1, nothing signalled;
#      with a match nft refuses: exit 1 with nft's reason, old rules stay;
#   7. SIGTERM: the ruleset and sysctls are as before the start;
#   8. iptables backend: iptables-restore runs as the user's child with
#      the ambient CAP_NET_ADMIN: chains installed, traffic logged,
#      removed at stop;
#   9. started as the user already (systemd's way): it runs; started as
#      another unprivileged user: exit 1, saying why.
# Usage: daemon-privileges.sh PATH_TO_NFLOGD
. "$(dirname "$0")/lib.sh"
e2e_init daemon-privileges "$@"

U=nflogd-e2e
UID_E2E=64999
ADM_GID=$(getent group adm | cut -d: -f3)
[[ -n $ADM_GID ]] || die "no group adm on this host"
e2e_user "$U" "$UID_E2E"
[[ $(id -u "$U") == "$UID_E2E" ]] || die "test user $U: uid $(id -u "$U"), not $UID_E2E (the host has one?)"

e2e_netns_setup
sysctls() {
	local f out=""
	for f in nf_log/2 nf_conntrack_log_invalid; do
		out+="$f=$(in_r cat "/proc/sys/net/netfilter/$f" 2>/dev/null || echo absent) "
	done
	echo "$out"
}
in_r nft add table inet host
in_r nft add chain inet host input '{ type filter hook input priority 0; policy accept; }'
in_r nft add rule inet host input ct state established accept
before=$(in_r nft -s list ruleset)
sysctls_before=$(sysctls)

conf=$E2E_TMP/nflogd.conf
logs=$E2E_TMP/logs          # nflogd creates it
# write_conf USER BACKEND MATCH_OF_A [EXTRA_RULE]
write_conf() {
	{
		conf_globals
		cat <<EOF
user = "$1";
group = "adm";
firewall = { backend = "$2"; };
outputs = (
	{ name = "json"; type = "file"; path = "$logs/packets.json"; format = "json"; mode = "0640"; },
	{ name = "text"; type = "file"; path = "$logs/packets.log"; format = "log"; mode = "0640"; }
);
rules = (
	{ name = "a"; group = 10; prefix = "a: "; hook = "input"; family = "ip"; match = "$3"; }
	${4:-}
);
EOF
		if [[ $2 == nftables ]]; then
			echo 'conntrack_invalid = { protocol = "tcp"; families = [ "ip" ]; };'
		fi
	} >"$conf"
}
NFT_UDP="udp dport 6001-6009"
IPT_UDP="-p udp --dport 6001:6009"
records() { [[ -f $logs/packets.json ]] && jq -r '.destination.port' "$logs/packets.json" | sort -n | tr '\n' ' ' || true; }
tags() { in_r nft -j list ruleset | jq -r '[.nftables[] | select(.rule?) | .rule
	| select((.comment // "") | startswith("nflogd:")) | .comment] | sort | join(",")'; }

# --- 1. a user that does not exist
write_conf nosuchuser-e2e nftables "$NFT_UDP"
rc=0
ip netns exec "$NS_R" "$NFLOGD" -c "$conf" --log-target stderr >/dev/null 2>"$E2E_TMP/nouser.err" || rc=$?
if [[ $rc == 1 ]] && grep -q "user nosuchuser-e2e does not exist" "$E2E_TMP/nouser.err"; then
	ok "unknown user: exit 1: $(grep -m1 nosuchuser "$E2E_TMP/nouser.err")"
else
	fail "unknown user: exit $rc: $(cat "$E2E_TMP/nouser.err")"
fi
[[ $(in_r nft -s list ruleset) == "$before" ]] && ok "unknown user: nothing installed" ||
	fail "unknown user: the ruleset changed"

# --- 2. who it runs as (with the unit's umask)
write_conf "$U" nftables "$NFT_UDP"
umask 0027
start_nflogd "$conf"
umask 0022
want_caps="CapInh:0000000000001000 CapPrm:0000000000001000 CapEff:0000000000001000 CapBnd:0000000000001000 CapAmb:0000000000001000"
nthreads=0
for st in /proc/"$NFLOGD_PID"/task/*/status; do
	nthreads=$((nthreads + 1))
	uid=$(awk '/^Uid:/ {print $2,$3,$4,$5}' "$st")
	gid=$(awk '/^Gid:/ {print $2,$3,$4,$5}' "$st")
	caps=$(awk '/^Cap(Inh|Prm|Eff|Bnd|Amb):/ {printf "%s%s%s", s, $1, $2; s=" "}' "$st")
	nnp=$(awk '/^NoNewPrivs:/ {print $2}' "$st")
	if [[ $uid == "$UID_E2E $UID_E2E $UID_E2E $UID_E2E" && $gid == "$ADM_GID $ADM_GID $ADM_GID $ADM_GID" &&
		$caps == "$want_caps" && $nnp == 1 ]]; then
		:
	else
		fail "thread $(basename "$(dirname "$st")"): Uid $uid Gid $gid $caps NoNewPrivs $nnp"
	fi
done
((nthreads >= 3)) && ok "all $nthreads threads: Uid $UID_E2E, Gid adm ($ADM_GID), $want_caps, NoNewPrivs 1" ||
	fail "only $nthreads thread(s) (expected the main thread and a writer per output)"
grep -q "running as user $U (uid $UID_E2E), group adm (gid $ADM_GID), capabilities CAP_NET_ADMIN" "$E2E_TMP/nflogd.err" &&
	ok "start message: $(grep -o 'running as .*' "$E2E_TMP/nflogd.err")" ||
	fail "start message: $(grep started "$E2E_TMP/nflogd.err")"
own() { stat -c '%U:%G %a' "$1"; }
[[ $(own "$logs") == "$U:adm 750" ]] && ok "created $logs: $(own "$logs")" || fail "$logs: $(own "$logs")"
[[ $(own "$E2E_TMP/run") == "$U:adm 755" ]] &&
	ok "runtime_dir given to the user: $(own "$E2E_TMP/run")" || fail "runtime_dir: $(own "$E2E_TMP/run")"
[[ $(own "$E2E_TMP/run/status.json") == "$U:adm 644" ]] && ok "status.json written by $U, 0644 despite umask 0027" ||
	fail "status.json: $(own "$E2E_TMP/run/status.json")"
if runuser -u nobody -- "$NFLOGD" --status -c "$conf" >"$E2E_TMP/status.nobody" 2>&1 &&
	grep -q '^RULE' "$E2E_TMP/status.nobody"; then
	ok "nflogd --status works for user nobody"
else
	fail "nflogd --status as nobody: $(cat "$E2E_TMP/status.nobody")"
fi

# --- 3. traffic, sysctls
udp_burst 3 6001
wait_lines "$logs/packets.json" 3 || true
[[ $(records) == "6001 6002 6003 " ]] && ok "3 packets logged: $(records)" || fail "records: $(records)"
for f in packets.json packets.log; do
	[[ $(own "$logs/$f") == "$U:adm 640" ]] && ok "$f: $(own "$logs/$f")" || fail "$f: $(own "$logs/$f")"
done
[[ $(sysctls) == "nf_log/2=nfnetlink_log nf_conntrack_log_invalid=6 " ]] &&
	ok "conntrack_invalid sysctls set as $U: $(sysctls)" || fail "sysctls: $(sysctls)"

# --- 4. flushed ruleset
in_r nft flush ruleset
if wait_for '[[ $(tags) == "nflogd:a" ]]' 3 "nflogd's rule back"; then
	ok "nft flush ruleset: rule back ($(tags)), installed by $U"
else
	fail "after flush: tags '$(tags)'"
fi
in_r nft add table inet host
in_r nft add chain inet host input '{ type filter hook input priority 0; policy accept; }'
in_r nft add rule inet host input ct state established accept

# --- 5. logrotate's rename + SIGUSR1
mv "$logs/packets.json" "$logs/packets.json.1"
kill -USR1 "$NFLOGD_PID"
wait_for "grep -q reopen $E2E_TMP/nflogd.err" 5 "the reopen message" || true
udp_burst 2 6001
wait_lines "$logs/packets.json" 2 || true
[[ $(wc -l <"$logs/packets.json.1") == 3 && $(records) == "6001 6002 " ]] &&
	ok "reopen: 3 records in packets.json.1, 2 in the new packets.json ($(own "$logs/packets.json"))" ||
	fail "reopen: $(wc -l <"$logs/packets.json.1") in .1, new: '$(records)'"
[[ $(own "$logs/packets.json") == "$U:adm 640" ]] || fail "new packets.json: $(own "$logs/packets.json")"

# --- 6. nflogd --reload
reload() { ip netns exec "$NS_R" "$NFLOGD" --reload -c "$conf" >"$E2E_TMP/reload.out" 2>&1; }
write_conf "$U" nftables "$NFT_UDP" ', { name = "b"; group = 10; prefix = "b: "; hook = "input"; family = "ip"; match = "udp dport 7002"; }'
rc=0; reload || rc=$?
[[ $rc == 0 && $(tags) == "nflogd:a,nflogd:b" ]] && ok "--reload, rule added: exit 0, $(tags): $(cat "$E2E_TMP/reload.out")" ||
	fail "--reload: exit $rc, tags $(tags): $(cat "$E2E_TMP/reload.out")"
udp_burst 1 7002
wait_for '[[ $(records) == *7002* ]]' 5 "the new rule's record" &&
	ok "the new rule logs: $(records)" || fail "no record of rule b: $(records)"
n_reloads=$(jq .reloads "$E2E_TMP/run/status.json")
cp "$conf" "$E2E_TMP/good.conf"
echo 'rules = ( this is not a config' >>"$conf"
rc=0; reload || rc=$?
[[ $rc == 1 && $(jq .reloads "$E2E_TMP/run/status.json") == "$n_reloads" ]] &&
	ok "--reload, broken file: exit 1, daemon not signalled: $(head -1 "$E2E_TMP/reload.out")" ||
	fail "--reload broken: exit $rc, reloads $(jq .reloads "$E2E_TMP/run/status.json") (was $n_reloads): $(cat "$E2E_TMP/reload.out")"
write_conf "$U" nftables "$NFT_UDP" ', { name = "b"; group = 10; prefix = "b: "; hook = "input"; family = "ip"; match = "udp dportt 7002"; }'
rc=0; reload || rc=$?
[[ $rc == 1 ]] && grep -q "reload failed: .*rule 'b'" "$E2E_TMP/reload.out" && [[ $(tags) == "nflogd:a,nflogd:b" ]] &&
	ok "--reload, match refused by nft: exit 1, rules kept: $(grep -m1 -o "reload failed: [^:]*: [^:]*" "$E2E_TMP/reload.out")" ||
	fail "--reload refused: exit $rc, tags $(tags): $(cat "$E2E_TMP/reload.out")"
kill -0 "$NFLOGD_PID" && ok "still running after the refused reloads" || fail "nflogd died"

# --- 7. stop
stop_nflogd
[[ $(in_r nft -s list ruleset) == "$before" ]] && ok "stop: ruleset as before the start" ||
	fail "stop: ruleset differs: $(diff <(echo "$before") <(in_r nft -s list ruleset))"
[[ $(sysctls) == "$sysctls_before" ]] && ok "stop: sysctls put back: $(sysctls)" ||
	fail "stop: sysctls $(sysctls), before $sysctls_before"

# --- 8. iptables backend: the children inherit CAP_NET_ADMIN
rm -rf "$logs"
write_conf "$U" iptables "$IPT_UDP"
err0=$(wc -l <"$E2E_TMP/nflogd.err")
start_nflogd "$conf"
in_r iptables -S | grep -q 'nflogd:a' && ok "iptables: rule installed by $U's iptables-restore: $(in_r iptables -S | grep -m1 'nflogd:a')" ||
	fail "iptables: no rule: $(in_r iptables -S)"
udp_burst 2 6001
wait_lines "$logs/packets.json" 2 || true
[[ $(records) == "6001 6002 " ]] && ok "iptables: 2 packets logged" || fail "iptables records: $(records)"
tail -n +"$((err0 + 1))" "$E2E_TMP/nflogd.err" >"$E2E_TMP/ipt.err"
if grep -qi "error\|cannot" "$E2E_TMP/ipt.err"; then
	fail "iptables run: errors: $(grep -i "error\|cannot" "$E2E_TMP/ipt.err" | excerpt 5)"
fi
stop_nflogd
[[ $(in_r iptables-save | grep -v '^#' | grep -c nflogd || true) == 0 ]] && ok "iptables: rules removed at stop" ||
	fail "iptables after stop: $(in_r iptables-save)"
# --- 9. started as the user already (as systemd's User=/Group= do): no
# switch needed, whatever the group when group = is empty; started as
# another unprivileged user: a refusal that says why
write_conf "$U" nftables "$NFT_UDP"
sed -i 's/^group = "adm";$/group = "";/' "$conf"
# as_user USER: the command line (an array: e2e_bg must get the real
# process, to stop it)
as_user() {
	AS_USER=(ip netns exec "$NS_R" setpriv --reuid="$1" --regid="$ADM_GID" --init-groups
		--inh-caps=+net_admin --ambient-caps=+net_admin "$NFLOGD" -c "$conf" --log-target stderr)
}
as_user "$U"
e2e_bg PRE_PID "${AS_USER[@]}" >"$E2E_TMP/pre.out" 2>"$E2E_TMP/pre.err"
if wait_for "grep -q 'started:' $E2E_TMP/pre.err" 10 "the start as $U"; then
	ok "started as $U (group adm) with user = \"$U\": $(grep -o 'running as .*' "$E2E_TMP/pre.err")"
else
	fail "started as $U: $(cat "$E2E_TMP/pre.err")"
fi
kill -TERM "$PRE_PID"
wait "$PRE_PID" && ok "SIGTERM: exit 0" || fail "started as $U: exit $? at SIGTERM"
rc=0
as_user nobody
"${AS_USER[@]}" >/dev/null 2>"$E2E_TMP/nobody.err" || rc=$?
[[ $rc == 1 ]] && grep -q "cannot switch" "$E2E_TMP/nobody.err" &&
	ok "started as nobody with user = \"$U\": exit 1: $(grep -m1 -o 'user = .*' "$E2E_TMP/nobody.err")" ||
	fail "started as nobody: exit $rc: $(cat "$E2E_TMP/nobody.err")"
e2e_finish
