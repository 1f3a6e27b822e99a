#!/bin/bash
# daemon-check-config: `nflogd --check-config` on the shipped and on broken
# configurations, and a start with a broken one.
#
#   - conf/nflogd.conf passes (exit 0, "configuration OK") and the check
#     creates nothing (no runtime_dir, no log directory);
#   - --print-config of it is accepted again and prints the same text
#     (the normalised form is a fixed point);
#   - broken files fail (exit non-zero) with FILE:LINE: at the right line:
#     a syntax error, a value out of range, an unknown key; a file with
#     two errors reports both at once;
#   - a missing file fails with its path;
#   - the daemon itself refuses to start on a broken file, with FILE:LINE:;
#   - a file others can write to, or in a directory others can write to,
#     is refused (--check-config, the start and a reload), saying why.
# Usage: daemon-check-config.sh PATH_TO_NFLOGD
. "$(dirname "$0")/lib.sh"
e2e_init daemon-check-config "$@"

repo_conf=$(cd "$E2E_DIR/../.." && pwd)/conf/nflogd.conf
[[ -f $repo_conf ]] || die "missing $repo_conf"
# A copy owned by root: a clone in someone's home directory is theirs, and
# nflogd refuses a file another user can change.
shipped=$E2E_TMP/shipped.conf
install -m 0644 -o root -g root "$repo_conf" "$shipped"

# created_dirs: which of the shipped config's directories exist now
created_dirs() {
	local d
	for d in /run/nflogd /var/log/nflogd /var/lib/nflogd; do [[ -e $d ]] && printf '%s ' "$d"; done
	return 0
}
before=$(created_dirs)
rc=0
"$NFLOGD" --check-config -c "$shipped" >"$E2E_TMP/check.out" 2>&1 || rc=$?
if [[ $rc == 0 ]] && grep -q 'configuration OK' "$E2E_TMP/check.out"; then
	ok "shipped config: '$(cat "$E2E_TMP/check.out")'"
else
	fail "shipped config: exit $rc: $(cat "$E2E_TMP/check.out")"
fi
[[ $(created_dirs) == "$before" ]] && ok "--check-config created nothing" ||
	fail "--check-config created: $(created_dirs) (before: $before)"

# print -> check -> print: a fixed point
if "$NFLOGD" --print-config -c "$shipped" >"$E2E_TMP/p1.conf" 2>"$E2E_TMP/p1.err" &&
	"$NFLOGD" --check-config -c "$E2E_TMP/p1.conf" >/dev/null 2>"$E2E_TMP/p2.err" &&
	"$NFLOGD" --print-config -c "$E2E_TMP/p1.conf" >"$E2E_TMP/p2.conf" 2>>"$E2E_TMP/p2.err"; then
	if cmp -s "$E2E_TMP/p1.conf" "$E2E_TMP/p2.conf"; then
		ok "--print-config: $(wc -l <"$E2E_TMP/p1.conf") lines, accepted again, printed identically"
	else
		fail "--print-config is not a fixed point:"
		diff "$E2E_TMP/p1.conf" "$E2E_TMP/p2.conf" | excerpt || true
	fi
else
	fail "--print-config round trip failed: $(cat "$E2E_TMP/p1.err" "$E2E_TMP/p2.err" 2>/dev/null)"
fi

# broken NAME 'MARKER' [MARKER2]: the file $E2E_TMP/NAME.conf must fail with
# FILE:LINE: for the line of each marker.
broken() {
	local name=$1 f=$E2E_TMP/$1.conf rc=0 m line msg
	shift
	"$NFLOGD" --check-config -c "$f" >"$E2E_TMP/$name.out" 2>&1 || rc=$?
	if [[ $rc == 0 ]]; then
		fail "$name: accepted: $(cat "$E2E_TMP/$name.out")"
		return
	fi
	for m in "$@"; do
		line=$(grep -m1 -nF -- "$m" "$f" | cut -d: -f1)
		msg=$(grep -m1 -F -- "$f:$line:" "$E2E_TMP/$name.out" || true)
		if [[ -n $msg ]]; then
			ok "$name: exit $rc, '$msg'"
		else
			fail "$name: exit $rc, no '$f:$line:' for '$m'; got: $(cat "$E2E_TMP/$name.out")"
		fi
	done
}

base() {        # a valid file; $1 goes into the group, $2 into the output
	cat <<-EOF
	# test configuration
	runtime_dir = "$E2E_TMP/run";
	groups = (
		{
			id = 10;
			${1:-}
		}
	);
	outputs = (
		{
			name = "json"; type = "file"; path = "$E2E_TMP/out/p.json"; format = "json";
			${2:-}
		}
	);
	rules = ( { name = "r"; group = 10; prefix = "p: "; outputs = [ "json" ]; } );
	EOF
}
base >"$E2E_TMP/valid.conf"
"$NFLOGD" --check-config -c "$E2E_TMP/valid.conf" >/dev/null 2>&1 &&
	ok "the base of the broken files is valid" || fail "the base of the broken files is invalid"

base 'copy_range = 256 256;' >"$E2E_TMP/syntax.conf"
broken syntax 'copy_range = 256 256;'
base 'copy_range = 70000;' >"$E2E_TMP/range.conf"
broken range 'copy_range = 70000;'
base 'copy_rnage = 256;' >"$E2E_TMP/unknown.conf"
broken unknown 'copy_rnage = 256;'
base 'flush_timeout = -1;' 'mode = "0666";' >"$E2E_TMP/two.conf"
broken two 'flush_timeout = -1;' 'mode = "0666";'
grep -q '2 error' "$E2E_TMP/two.out" && ok "two: both errors reported in one run" ||
	fail "two: not reported as 2 errors: $(tail -1 "$E2E_TMP/two.out")"

rc=0
"$NFLOGD" --check-config -c "$E2E_TMP/nonexistent.conf" >"$E2E_TMP/missing.out" 2>&1 || rc=$?
[[ $rc != 0 ]] && grep -q "$E2E_TMP/nonexistent.conf" "$E2E_TMP/missing.out" &&
	ok "missing file: exit $rc, '$(head -1 "$E2E_TMP/missing.out")'" ||
	fail "missing file: exit $rc, $(cat "$E2E_TMP/missing.out")"

# Who can change the file: refused when anyone but root can.
install -m 0644 "$shipped" "$E2E_TMP/open.conf"
chmod 0666 "$E2E_TMP/open.conf"
rc=0
"$NFLOGD" --check-config -c "$E2E_TMP/open.conf" >"$E2E_TMP/open.out" 2>&1 || rc=$?
[[ $rc != 0 ]] && grep -q "^$E2E_TMP/open.conf: refusing it, as whoever can change it decides what nflogd does as root: it is writable by others (mode 0666); allowed: not writable by group or others (chmod go-w)" "$E2E_TMP/open.out" &&
	ok "world-writable file: exit $rc, '$(head -1 "$E2E_TMP/open.out")'" ||
	fail "world-writable file: exit $rc, $(cat "$E2E_TMP/open.out")"
rc=0
timeout 10 "$NFLOGD" -c "$E2E_TMP/open.conf" --log-target stderr >"$E2E_TMP/open-start.out" 2>&1 || rc=$?
[[ $rc != 0 && $rc != 124 ]] && grep -q "writable by others (mode 0666)" "$E2E_TMP/open-start.out" &&
	ok "daemon start with a world-writable file: exit $rc" ||
	fail "daemon start with a world-writable file: exit $rc, $(cat "$E2E_TMP/open-start.out")"
mkdir -m 0777 "$E2E_TMP/opendir"
install -m 0644 "$shipped" "$E2E_TMP/opendir/nflogd.conf"
rc=0
"$NFLOGD" --check-config -c "$E2E_TMP/opendir/nflogd.conf" >"$E2E_TMP/opendir.out" 2>&1 || rc=$?
[[ $rc != 0 ]] && grep -q "its directory $E2E_TMP/opendir is writable by others (mode 0777)" "$E2E_TMP/opendir.out" &&
	ok "file in a world-writable directory: exit $rc" ||
	fail "file in a world-writable directory: exit $rc, $(cat "$E2E_TMP/opendir.out")"
chown nobody "$E2E_TMP/open.conf"
chmod 0644 "$E2E_TMP/open.conf"
rc=0
"$NFLOGD" --check-config -c "$E2E_TMP/open.conf" >"$E2E_TMP/nobody.out" 2>&1 || rc=$?
[[ $rc != 0 ]] && grep -q "it is owned by uid $(id -u nobody); allowed: owned by root (uid 0)" "$E2E_TMP/nobody.out" &&
	ok "file owned by nobody: exit $rc" || fail "file owned by nobody: exit $rc, $(cat "$E2E_TMP/nobody.out")"

# the daemon refuses to start
rc=0
timeout 10 "$NFLOGD" -c "$E2E_TMP/range.conf" --log-target stderr >"$E2E_TMP/start.out" 2>&1 || rc=$?
line=$(grep -n 'copy_range = 70000;' "$E2E_TMP/range.conf" | cut -d: -f1)
[[ $rc != 0 && $rc != 124 ]] && grep -q "$E2E_TMP/range.conf:$line:" "$E2E_TMP/start.out" &&
	ok "daemon start with a broken file: exit $rc, '$(grep "range.conf:$line:" "$E2E_TMP/start.out")'" ||
	fail "daemon start with a broken file: exit $rc, $(cat "$E2E_TMP/start.out")"
e2e_finish
