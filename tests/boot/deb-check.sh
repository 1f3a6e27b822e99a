#!/bin/bash
# deb-check.sh: the cheap check of a built nflogd .deb, without installing
# or booting anything: the paths it ships (dpkg-deb -c), its dependencies
# and conffiles (dpkg-deb -I / -f), and what its maintainer scripts do.
#
#   tests/boot/deb-check.sh build-deb/nflogd_*.deb
#
# Prints PASS/FAIL per check; exits 1 if any failed.  Needs dpkg-deb only.
set -u
export LC_ALL=C

deb=
for f in "$@"; do
	[[ $(dpkg-deb -f "$f" Package 2>/dev/null) == nflogd ]] && deb=$f
done
if [[ -z $deb ]]; then
	echo "usage: deb-check.sh NFLOGD_DEB [OTHER_DEB...]  (no nflogd package among: $*)" >&2
	exit 2
fi

nfail=0
pass() { echo "PASS deb.$1: $2"; }
fail() { echo "FAIL deb.$1: $2"; nfail=$((nfail + 1)); }

ctl=$(mktemp -d)
trap 'rm -rf "$ctl"' EXIT
dpkg-deb -e "$deb" "$ctl/DEBIAN"
contents=$(dpkg-deb -c "$deb" | awk '{ p = $6; for (i = 7; i <= NF; i++) p = p " " $i; sub(/^\.\//, "/", p); print $1, $2, p }')
paths=$(awk '{ $1 = $2 = ""; sub(/^  /, ""); sub(/ -> .*/, ""); print }' <<<"$contents")

# ------------------------------------------------------------ paths
has() { grep -qxE "$1" <<<"$paths"; }
want=(
	'/usr/sbin/nflogd'
	'/etc/nflogd/nflogd.conf'
	'(/usr)?/lib/systemd/system/nflogd\.service'
	'/usr/lib/sysusers\.d/nflogd\.conf'
	'/usr/lib/tmpfiles\.d/nflogd\.conf'
	'/etc/logrotate\.d/nflogd'
	'(/usr)?/lib/systemd/catalog/nflogd\.catalog'
	'/usr/share/man/man8/nflogd\.8\.gz'
	'/usr/share/man/man5/nflogd\.conf\.5\.gz'
	'/usr/share/doc/nflogd/copyright'
	'/usr/share/doc/nflogd/README\.Debian(\.gz)?'
	'/usr/share/doc/nflogd/.*examples.*/drop-logging\.conf'
)
for re in "${want[@]}"; do
	if has "$re"; then pass "path" "ships $(grep -xE "$re" <<<"$paths" | head -1)"; else fail "path" "no path matching $re"; fi
done
# Nothing from the build tree or the tests: every file (not directory) in
# one of the places nflogd installs to.
odd=$(awk '$1 !~ /^d/ { $1 = $2 = ""; sub(/^  /, ""); sub(/ -> .*/, ""); print }' <<<"$contents" |
	grep -vE '^/(usr/sbin/nflogd|etc/nflogd/|etc/logrotate\.d/nflogd$|(usr/)?lib/systemd/(system|catalog)/nflogd|usr/lib/(sysusers|tmpfiles)\.d/nflogd\.conf$|usr/share/(doc|man|lintian)/)' |
	tr '\n' ' ')
if [[ -z $odd ]]; then pass "no-stray-paths" "every file in nflogd's places"; else fail "no-stray-paths" "unexpected: $odd"; fi
mode=$(awk '$3 == "/usr/sbin/nflogd" { print $1, $2 }' <<<"$contents")
[[ $mode == "-rwxr-xr-x root/root" ]] && pass "binary-mode" "/usr/sbin/nflogd $mode" || fail "binary-mode" "/usr/sbin/nflogd $mode"
if grep -q 'ELF' < <(dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./usr/sbin/nflogd | head -c 4); then
	pass "binary" "/usr/sbin/nflogd is an ELF file"
else
	fail "binary" "/usr/sbin/nflogd is not an ELF file"
fi

# ------------------------------------------------------------ control
dep=$(dpkg-deb -f "$deb" Depends)
for lib in libnetfilter-log1 libmnl0 libsystemd0 libconfig9 libnftables1 libjson-c5; do
	if grep -qE "(^|, )$lib( |,|$)" <<<"$dep"; then pass "depends" "$lib"; else fail "depends" "$lib missing from Depends: $dep"; fi
done
grep -qE '(^|, )systemd( |$|,)|systemd-sysusers' <<<"$dep" &&
	pass "depends" "systemd-sysusers provider (for the postinst)" ||
	fail "depends" "no systemd/systemd-sysusers in Depends: $dep"
cf=$(cat "$ctl/DEBIAN/conffiles" 2>/dev/null | tr '\n' ' ')
for c in /etc/nflogd/nflogd.conf /etc/logrotate.d/nflogd; do
	grep -qw "$c" <<<"$cf" && pass "conffile" "$c" || fail "conffile" "$c is not a conffile ($cf)"
done

# ------------------------------------------------------------ maintainer scripts
# script_has ID SCRIPT PATTERN WHAT: PASS "WHAT" if the maintainer script
# has a line matching PATTERN (grep -E)
script_has() {
	if grep -qE "$3" "$ctl/DEBIAN/$2" 2>/dev/null; then
		pass "$1" "$4"
	else
		fail "$1" "not so: $4 ($2 has no /$3/)"
	fi
}
script_has postinst-sysusers postinst 'systemd-sysusers.*nflogd\.conf' \
	"postinst creates the user (systemd-sysusers nflogd.conf)"
script_has postinst-enable postinst 'deb-systemd-helper enable' "postinst enables the unit"
if grep -qE 'deb-systemd-invoke (\$_dh_action|start|restart) ' "$ctl/DEBIAN/postinst" 2>/dev/null; then
	fail "postinst-no-start" "postinst starts or restarts the unit unconditionally"
else
	script_has postinst-no-start postinst 'deb-systemd-invoke try-restart' \
		"postinst never starts it; try-restart on upgrade"
fi
script_has prerm-stop prerm 'deb-systemd-invoke stop nflogd.service' "prerm stops the daemon on removal"
script_has postrm-purge postrm 'rm -rf /var/log/nflogd' \
	"postrm purge removes /var/log/nflogd, /var/lib/nflogd"

echo "deb-check: $deb: $nfail failed"
((nfail == 0))
