#!/bin/bash
# boottest.sh: runs INSIDE the booted container (nflogd-boottest.service),
# as root, under systemd as PID 1, in a private network namespace (lo only).
#
# Installs the nflogd .deb(s) from /boottest/debs with dpkg, as an operator
# would on a running Debian 12, then checks the package and the daemon under
# systemd.  Every check appends one line to /out/result.txt:
#     PASS <id> <what>: <detail>      or      FAIL <id> <what>: <detail>
# and the last line is "DONE" when the script got to its end.  Everything
# the checks ran and saw goes to /out/log.txt.  Every step is bounded in time.
#
# Traffic: connections from the container to itself (127.0.0.1 and ::1),
# which the shipped configuration's rule "new-in" (ct state new, at hook
# input) logs.  Each connection goes to its own destination port: the port
# is the marker that tells the records apart.
set -u
export LC_ALL=C SYSTEMD_PAGER='' SYSTEMD_COLORS=0 PATH=/usr/sbin:/usr/bin:/sbin:/bin

OUT=/out
RES=$OUT/result.txt
LOG=$OUT/log.txt
CONF=/etc/nflogd/nflogd.conf
LOGDIR=/var/log/nflogd
: >"$RES"
exec >>"$LOG" 2>&1

say() { printf '%s [%s] %s\n' "$(date +%T.%N | cut -c1-12)" "${STEP:-}" "$*"; }
result() { # result PASS|FAIL ID TEXT
	printf '%s %s %s\n' "$1" "$2" "$3" >>"$RES"
	say "$1 $2 $3"
}
pass() { result PASS "$1" "$2"; }
fail() { result FAIL "$1" "$2"; }
# check ID TEXT COMMAND...: PASS if the command succeeds
check() {
	local id=$1 text=$2
	shift 2
	if "$@"; then pass "$id" "$text"; else fail "$id" "$text"; fi
}
# run COMMAND...: logged, with its output
run() {
	say "\$ $*"
	"$@"
	local rc=$?
	((rc == 0)) || say "(exit $rc)"
	return $rc
}
# wait_for SECONDS COMMAND...: poll every 0.2 s until the command succeeds
wait_for() {
	local t=$1 i
	shift
	for ((i = 0; i < t * 5; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}
sc() { timeout 90 systemctl "$@"; }
main_pid() { systemctl show -p MainPID --value nflogd.service; }
is_active() { [[ $(systemctl is-active nflogd.service) == "$1" ]]; }
ruleset() { timeout 20 nft list ruleset; }
nflogd_rules() { ruleset | grep -o 'comment "nflogd:[^"]*"' | sort | tr '\n' ' '; }

# Traffic: one TCP connection attempt (the SYN is a new connection; refused
# by the closed port, which is fine: the SYN was logged at input) or one UDP
# datagram, through bash's /dev/tcp and /dev/udp.
tcp_to() { timeout 3 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null || true; }
udp_to() { timeout 3 bash -c "echo boottest >/dev/udp/$1/$2" 2>/dev/null || true; }

# Journal records of rule $1 with the given field matches (exact values).
jcount() { journalctl -q -u nflogd.service -o cat "$@" 2>/dev/null | grep -c . ; }
jhas() { (($(jcount "$@") >= 1)); }
json_count() { # json_count RULE DST_IP DPORT
	cat "$LOGDIR"/packets.json 2>/dev/null |
		jq -c --arg r "$1" --arg d "$2" --argjson p "$3" \
			'select(.rule.name == $r and .destination.ip == $d and .destination.port == $p)' |
		grep -c .
}

STEP=0
say "boottest starting; kernel $(uname -r); $(systemctl --version | head -1)"
say "system state: $(systemctl is-system-running)"

# ------------------------------------------------------------ 0: install
STEP=install
# The host's own firewall, there before nflogd: nflogd must log in front of
# it and leave it exactly as it was (checked at stop and at removal).
run timeout 20 nft -f - <<'NFT'
table inet filter {
	chain input {
		type filter hook input priority filter; policy accept;
		ct state established,related accept
		iif "lo" accept
		tcp dport 22 accept comment "the host's own rule"
	}
}
NFT
mapfile -t DEBS < <(ls /boottest/debs/*.deb)
# their package names (nflogd, and nflogd-dbgsym if given): removed together
mapfile -t PKGS < <(for d in "${DEBS[@]}"; do dpkg-deb -f "$d" Package; done)
ruleset >"$OUT/ruleset-before-install.txt"
if run timeout 180 dpkg -i "${DEBS[@]}"; then
	pass 0.install "dpkg -i ${DEBS[*]##*/} on a running system"
else
	fail 0.install "dpkg -i failed (missing dependencies in the base root? see log.txt)"
	echo DONE >>"$RES"
	exit 0
fi
st=$(dpkg-query -W -f='${Status} ${Version}' nflogd 2>&1)
check 0.dpkg-status "dpkg status: $st" [ "${st% *}" = "install ok installed" ]
run dpkg-query -W -f='${Conffiles}\n' nflogd
cf=$(dpkg-query -W -f='${Conffiles}\n' nflogd | awk '{print $1}' | sort | tr '\n' ' ')
check 0.conffiles "conffiles: $cf" grep -q '/etc/nflogd/nflogd.conf .*/etc/logrotate.d/nflogd\|/etc/logrotate.d/nflogd .*/etc/nflogd/nflogd.conf' <<<"$cf"

# ------------------------------------------------------------ 1: package state
STEP=1
pw=$(getent passwd nflogd)
IFS=: read -r _ _ NFLOGD_UID _ _ _ shell <<<"$pw"
if [[ -n $pw ]] && ((NFLOGD_UID > 0 && NFLOGD_UID < 1000)) && [[ $shell == */nologin ]]; then
	pass 1.user "system user nflogd: $pw"
else
	fail 1.user "system user nflogd (uid 1..999, nologin shell): got '$pw'"
fi
en=$(systemctl is-enabled nflogd.service 2>&1)
check 1.enabled "systemctl is-enabled nflogd: $en" [ "$en" = enabled ]
ac=$(systemctl is-active nflogd.service 2>&1)
check 1.not-started "systemctl is-active nflogd after install: $ac (the install must not start it)" [ "$ac" = inactive ]
cm=$(stat -c '%a %U:%G' "$CONF" 2>&1)
# docs/service.md: root's, 0644 (no secret; `nflogd --status` reads it for
# any user).  What matters: only root can write it.
check 1.conf-mode "$CONF: $cm (owned by root, writable by root only)" \
	bash -c '[[ $1 == *" root:"* ]] && (( (8#${1%% *} & 8#022) == 0 ))' _ "$cm"
check 1.conf-valid "nflogd --check-config -c $CONF (shipped config valid)" run timeout 20 nflogd --check-config -c "$CONF"
# Readable with the credentials the unit gives the daemon (User=, Group=,
# SupplementaryGroups= of the installed unit): what `nflogd --reload` needs.
creds=()
for p in User Group SupplementaryGroups; do
	v=$(systemctl show -p $p --value nflogd.service)
	[[ -n $v ]] && creds+=(-p "$p=$v")
done
check 1.conf-readable "$CONF readable with the unit's credentials (${creds[*]})" \
	run timeout 30 systemd-run --wait --pipe --quiet "${creds[@]}" -- /usr/bin/head -c1 "$CONF"
check 1.catalog "journal catalog has nflogd's packet MESSAGE_ID" \
	bash -c 'journalctl --list-catalog 2>/dev/null | grep -qi 8b3d1bbf6c6a4c3e9d8a2f0e5c1b7a40'
run systemctl cat nflogd.service

# ------------------------------------------------------------ 2: start
STEP=2
ruleset >"$OUT/ruleset-before-start.txt"
t0=$(date +%s%N)
if run sc start nflogd.service && is_active active; then
	pass 2.start "systemctl start nflogd: active (READY) after $((($(date +%s%N) - t0) / 1000000)) ms"
else
	fail 2.start "systemctl start nflogd: $(systemctl is-active nflogd) $(systemctl show -p Result,StatusText nflogd | tr '\n' ' ')"
	run journalctl -u nflogd --no-pager -n 50
fi
PID=$(main_pid)
say "MainPID $PID"
r=$(nflogd_rules)
check 2.rules "nflogd's rules in nft list ruleset: $r" grep -q 'nflogd:invalid-in.*nflogd:new-in\|nflogd:new-in.*nflogd:invalid-in' <<<"$r"
status_line() { systemctl status nflogd.service --no-pager 2>&1 | sed -n 's/^ *Status: //p'; }
S1=$(status_line)
check 2.status-line "systemctl status shows the STATUS= line: $S1" grep -q '[0-9]' <<<"$S1"
sj=$(jq -r .pid /run/nflogd/status.json 2>&1)
check 2.status-json "/run/nflogd/status.json pid $sj = MainPID $PID" [ "$sj" = "$PID" ]
check 2.nflogd-status "nflogd --status prints live counters" run timeout 20 nflogd --status
# docs/service.md: "/run/nflogd (0755: nflogd --status works for any user)"
run ls -la /run/nflogd
check 2.status-any-user "nflogd --status works for an unprivileged user (nobody), as docs/service.md says" \
	run timeout 20 runuser -u nobody -- nflogd --status

# Steps 7, 3, 4, 5, 8, 6 need a running daemon: a function, run only
# when the start worked (else one FAIL says they did not run).
daemon_checks() {
# ------------------------------------------------------------ 7: the process
STEP=7
if [[ -r /proc/$PID/status ]]; then
	uids=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$PID/status")
	capeff=$(awk '/^CapEff:/ {print $2}' "/proc/$PID/status")
	groups=$(awk '/^(Gid|Groups):/' "/proc/$PID/status" | tr '\t\n' '  ')
	check 7.user "MainPID $PID runs as uid $uids (nflogd = $NFLOGD_UID); $groups" \
		[ "$uids" = "$NFLOGD_UID $NFLOGD_UID $NFLOGD_UID $NFLOGD_UID" ]
	check 7.capeff "CapEff $capeff (want 0000000000001000 = CAP_NET_ADMIN only)" [ "$capeff" = 0000000000001000 ]
	# every thread of the daemon, not just the main one
	bad=$(for t in /proc/$PID/task/*/status; do awk '/^CapEff:/ {print $2}' "$t"; done | sort -u | tr '\n' ' ')
	check 7.capeff-threads "CapEff of all threads: $bad" [ "$bad" = "0000000000001000 " ]
else
	fail 7.user "no process for MainPID '$PID'"
	fail 7.capeff "no process for MainPID '$PID'"
fi

# ------------------------------------------------------------ 3: traffic
STEP=3
P4=21001 P6=21002 PU=21003
tcp_to 127.0.0.1 $P4
tcp_to ::1 $P6
udp_to 127.0.0.1 $PU
# shellcheck disable=SC2034  # used through the nameref m below
tcp4=(NFLOG_RULE=new-in PROTO=TCP SRC=127.0.0.1 DST=127.0.0.1 "DPT=$P4")
# shellcheck disable=SC2034
tcp6=(NFLOG_RULE=new-in PROTO=TCP SRC=::1 DST=::1 "DPT=$P6")
# shellcheck disable=SC2034
udp4=(NFLOG_RULE=new-in PROTO=UDP SRC=127.0.0.1 DST=127.0.0.1 "DPT=$PU")
for v in tcp4 tcp6 udp4; do
	declare -n m=$v
	if wait_for 10 jhas "${m[@]}"; then
		n=$(jcount "${m[@]}")
		check 3.journal-$v "journalctl -u nflogd ${m[*]}: $n record(s)" [ "$n" = 1 ]
	else
		fail 3.journal-$v "journalctl -u nflogd ${m[*]}: no record in 10 s"
	fi
	unset -n m
done
run journalctl -q -u nflogd.service -o verbose --no-pager NFLOG_RULE=new-in DPT=$P4
L6=0000:0000:0000:0000:0000:0000:0000:0001
log_has() { grep -q "new-in: .*SRC=$1 DST=$1 .*PROTO=$2 SPT=[0-9]* DPT=$3 " "$LOGDIR/packets.log"; }
wait_for 5 log_has 127.0.0.1 TCP $P4
wait_for 5 log_has 127.0.0.1 UDP $PU
check 3.log-tcp4 "packets.log has the kernel-LOG line of TCP 127.0.0.1 -> :$P4" log_has 127.0.0.1 TCP $P4
check 3.log-tcp6 "packets.log has the kernel-LOG line of TCP ::1 -> :$P6" log_has $L6 TCP $P6
check 3.log-udp4 "packets.log has the kernel-LOG line of UDP 127.0.0.1 -> :$PU" log_has 127.0.0.1 UDP $PU
run tail -n 3 "$LOGDIR/packets.log"
json_has() { (($(json_count "$@") >= 1)); }
wait_for 5 json_has new-in 127.0.0.1 $PU
check 3.json-tcp4 "packets.json has one record rule new-in, 127.0.0.1:$P4" [ "$(json_count new-in 127.0.0.1 $P4)" = 1 ]
check 3.json-tcp6 "packets.json has one record rule new-in, [::1]:$P6" [ "$(json_count new-in ::1 $P6)" = 1 ]
check 3.json-udp4 "packets.json has one record rule new-in, 127.0.0.1:$PU (UDP)" [ "$(json_count new-in 127.0.0.1 $PU)" = 1 ]
run ls -la "$LOGDIR"
fm=$(stat -c '%a %U:%G' "$LOGDIR/packets.log" "$LOGDIR/packets.json" 2>&1 | sort -u | tr '\n' ' ')
check 3.file-mode "packets.log/.json: $fm (want 640 nflogd:adm)" [ "$fm" = "640 nflogd:adm " ]
status_changed() { [[ $(status_line) != "$S1" ]]; }
wait_for 20 status_changed
S2=$(status_line)
check 3.status-live "the STATUS= line follows the traffic: '$S1' -> '$S2'" bash -c '[[ $1 != "$2" && $1 == *[0-9]* ]]' _ "$S2" "$S1"

# ------------------------------------------------------------ 4: reload
STEP=4
cp -p "$CONF" /root/nflogd.conf.orig
# A rule appended to the rules list (the last list in the shipped file).
add_rule() {
	awk -v rule="$1" '{ lines[NR] = $0 }
		END {
			for (i = NR; i > 0; i--) if (lines[i] ~ /^\);[ \t]*$/) break
			if (i == 0) exit 1
			for (j = 1; j < i; j++) print lines[j]
			sub(/[ \t]*$/, "", lines[i - 1])
			print ","
			print rule
			for (j = i; j <= NR; j++) print lines[j]
		}' /root/nflogd.conf.orig
}
NEWRULE='	{ name = "boot-added"; group = 10; prefix = "boot-added: "; level = "notice";
	  action = "log"; outputs = [ "journal", "text", "json" ];
	  family = "inet"; hook = "input"; priority = -5; match = "udp dport 22222"; }'
if add_rule "$NEWRULE" >/root/nflogd.conf.new && timeout 20 nflogd --check-config -c /root/nflogd.conf.new; then
	cat /root/nflogd.conf.new >"$CONF" # keeps the file's owner and mode
	if run sc reload nflogd.service; then
		pass 4.reload "systemctl reload nflogd with a rule added: exit 0"
	else
		fail 4.reload "systemctl reload nflogd with a rule added failed: $(systemctl show -p StatusText --value nflogd)"
		run journalctl -u nflogd --no-pager -n 30
	fi
	check 4.reload-pid "same MainPID after reload ($PID -> $(main_pid)), active" bash -c "[ $(main_pid) = $PID ] && [ \$(systemctl is-active nflogd) = active ]"
	r=$(nflogd_rules)
	check 4.reload-rule "nft list ruleset after reload: $r" grep -q 'nflogd:boot-added' <<<"$r"
	udp_to 127.0.0.1 22222
	if wait_for 10 jhas NFLOG_RULE=boot-added PROTO=UDP DST=127.0.0.1 DPT=22222; then
		pass 4.reload-records "journal has the new rule's record (NFLOG_RULE=boot-added DPT=22222)"
	else
		fail 4.reload-records "no journal record NFLOG_RULE=boot-added DPT=22222 in 10 s"
	fi
else
	fail 4.reload "could not append a rule to the shipped config (its rules list is not the last '(...);' of the file?)"
	cp /root/nflogd.conf.orig /root/nflogd.conf.new
fi
# A broken config: reload must fail, the daemon keep running as it was.
printf '%s\n' "this is not libconfig" >>"$CONF"
if run sc reload nflogd.service; then
	fail 4.reload-broken "systemctl reload with a broken config exited 0"
else
	pass 4.reload-broken "systemctl reload with a broken config fails"
fi
why=$(journalctl -q -r -u nflogd.service -o cat -n 30 --no-pager | grep -m1 -E "^$CONF:[0-9]+:" || true)
check 4.broken-message "the journal says why, as file:line: ${why:-nothing}" [ -n "$why" ]
check 4.broken-running "after the failed reload: active, same MainPID $PID" bash -c "[ \$(systemctl is-active nflogd) = active ] && [ $(main_pid) = $PID ]"
r=$(nflogd_rules)
check 4.broken-rules "rules after the failed reload unchanged: $r" grep -q 'nflogd:boot-added' <<<"$r"
tcp_to 127.0.0.1 21004
wait_for 10 jhas NFLOG_RULE=new-in DST=127.0.0.1 DPT=21004
check 4.broken-logging "still logging after the failed reload (DPT=21004 in the journal)" jhas NFLOG_RULE=new-in DST=127.0.0.1 DPT=21004
cat /root/nflogd.conf.orig >"$CONF"
run sc reload nflogd.service
r=$(nflogd_rules)
check 4.reload-back "shipped config reloaded: boot-added gone ($r)" bash -c "! grep -q boot-added <<<'$r' && grep -q nflogd:new-in <<<'$r'"

# ------------------------------------------------------------ 5: logrotate
STEP=5
N=300 BASE=30000
run cat /etc/logrotate.d/nflogd
# N connections, one every ~40 ms (25/s: under the shipped rule's limit of
# 50/s), each to its own port BASE+i.
(
	for ((i = 0; i < N; i++)); do
		tcp_to 127.0.0.1 $((BASE + i))
		sleep 0.04
	done
) &
GEN=$!
lr_ok=1
for _ in 1 2; do
	sleep 3
	if run timeout 60 logrotate --force /etc/logrotate.d/nflogd; then
		say "logrotate run done (generator alive: $(kill -0 $GEN 2>/dev/null && echo yes || echo no))"
	else
		lr_ok=0
	fi
done
timeout 60 tail --pid=$GEN -f /dev/null
wait $GEN
check 5.logrotate "two forced logrotate runs while traffic flowed exited 0" [ $lr_ok = 1 ]
run ls -la "$LOGDIR"
# All of packets.log*, packets.json* (plain and compressed), oldest first.
all_files() { ls -1 "$LOGDIR/$1" "$LOGDIR/$1".* 2>/dev/null; }
cat_all() { local f; for f in $(all_files "$1"); do case $f in *.gz) zcat "$f" ;; *) cat "$f" ;; esac; done; }
markers_log() { cat_all packets.log | grep -o "new-in: .* DST=127.0.0.1 .*PROTO=TCP SPT=[0-9]* DPT=[0-9]*" | sed 's/.*DPT=//' | awk -v b=$BASE -v n=$N '$1 >= b && $1 < b + n'; }
markers_json() { cat_all packets.json | jq -r --argjson b $BASE --argjson n $N 'select(.rule.name == "new-in" and .destination.ip == "127.0.0.1" and .destination.port >= $b and .destination.port < $b + $n) | .destination.port'; }
markers_journal() { journalctl -q -u nflogd.service -o cat NFLOG_RULE=new-in DST=127.0.0.1 PROTO=TCP | grep -o 'DPT=[0-9]*' | sed 's/DPT=//' | awk -v b=$BASE -v n=$N '$1 >= b && $1 < b + n'; }
all_markers() { (($(markers_$1 | sort -u | wc -l) >= N)); }
for src in log json journal; do
	wait_for 15 all_markers $src
	total=$(markers_$src | wc -l)
	distinct=$(markers_$src | sort -u | wc -l)
	check 5.$src-markers "$src: $distinct distinct markers of $N, $total records (none lost, none twice)" \
		[ "$distinct" = $N -a "$total" = $N ]
done
nrot=$(all_files packets.log | wc -l)
check 5.rotated "packets.log was rotated: $(all_files packets.log | tr '\n' ' ')" [ "$nrot" -ge 3 ]
cur=$(jq -r 'select(.rule.name == "new-in") | .destination.port' "$LOGDIR/packets.json" 2>/dev/null | awk -v b=$BASE '$1 >= b' | grep -c .)
check 5.reopened "the new packets.json got records after the last rotation ($cur)" [ "${cur:-0}" -gt 0 ]
fm=$(stat -c '%a %U:%G' "$LOGDIR/packets.log" "$LOGDIR/packets.json" 2>&1 | sort -u | tr '\n' ' ')
check 5.new-mode "files created by logrotate: $fm (want 640 nflogd:adm)" [ "$fm" = "640 nflogd:adm " ]
run timeout 20 nflogd --status

# ------------------------------------------------------------ 8: upgrade
STEP=8
# The administrator makes the config private the way README.Debian says;
# the upgrade must keep that, and the daemon must still read it.
run dpkg-statoverride --update --add root adm 0640 "$CONF"
if run timeout 180 dpkg -i "${DEBS[@]}"; then
	NPID=$(main_pid)
	check 8.upgrade-running "reinstall/upgrade while running: restarted (MainPID $PID -> $NPID), $(systemctl is-active nflogd)" \
		bash -c "[ '$NPID' != '$PID' ] && [ '$NPID' != 0 ] && [ \$(systemctl is-active nflogd) = active ]"
	PID=$NPID
else
	fail 8.upgrade-running "dpkg -i (reinstall) failed"
fi
cm=$(stat -c '%a %U:%G' "$CONF" 2>&1)
check 8.statoverride "$CONF after the upgrade keeps the admin's dpkg-statoverride: $cm" [ "$cm" = "640 root:adm" ]
check 8.reload-private "systemctl reload with the 0640 root:adm config" run sc reload nflogd.service
run dpkg-statoverride --remove "$CONF"

# ------------------------------------------------------------ 6: stop
STEP=6
run sc stop nflogd.service
check 6.stop "systemctl stop nflogd: $(systemctl is-active nflogd)" is_active inactive
ruleset >"$OUT/ruleset-after-stop.txt"
if diff -u "$OUT/ruleset-before-start.txt" "$OUT/ruleset-after-stop.txt"; then
	pass 6.ruleset "nft list ruleset after stop = before start ($(wc -l <"$OUT/ruleset-before-start.txt") lines)"
else
	fail 6.ruleset "nft list ruleset after stop differs from before start (diff in log.txt)"
fi

STEP=8
if run timeout 180 dpkg -i "${DEBS[@]}"; then
	check 8.upgrade-stopped "reinstall/upgrade while stopped: stays $(systemctl is-active nflogd)" is_active inactive
else
	fail 8.upgrade-stopped "dpkg -i (reinstall) failed"
fi

}

if is_active active; then
	daemon_checks
else
	fail deps "checks 3, 4, 5, 6, 7, 8 not run: the daemon did not start (see 2.start)"
	sc stop nflogd.service
fi

# ------------------------------------------------------------ 9: remove, purge
STEP=9
run sc start nflogd.service
was=$(systemctl is-active nflogd.service)
if run timeout 180 dpkg -r "${PKGS[@]}"; then
	check 9.remove-stops "dpkg -r while $was stops the daemon: $(systemctl is-active nflogd)" \
		bash -c '[ "$1" = active ] && ! grep -qx nflogd /proc/[0-9]*/comm 2>/dev/null && [ "$(systemctl is-active nflogd)" != active ]' _ "$was"
	ruleset >"$OUT/ruleset-after-remove.txt"
	check 9.remove-ruleset "nft list ruleset after remove = before start" \
		diff -u "$OUT/ruleset-before-start.txt" "$OUT/ruleset-after-remove.txt"
	check 9.remove-keeps-conf "remove keeps the conffile $CONF" test -f "$CONF"
else
	fail 9.remove-stops "dpkg -r ${PKGS[*]} failed"
fi
if run timeout 180 dpkg -P "${PKGS[@]}"; then
	left=$(ls -d /etc/nflogd /var/log/nflogd /var/lib/nflogd /etc/logrotate.d/nflogd \
		/etc/systemd/system/multi-user.target.wants/nflogd.service 2>/dev/null | tr '\n' ' ')
	check 9.purge "purge removes config, logs, state, enablement: left '${left}'" [ -z "$left" ]
	check 9.purge-user "purge leaves the system user nflogd (Debian policy): $(getent passwd nflogd)" getent passwd nflogd
else
	fail 9.purge "dpkg -P ${PKGS[*]} failed"
fi

STEP=end
say "done"
echo DONE >>"$RES"
