#!/bin/bash
# nspawn-boot.sh: install the nflogd .deb into a real Debian 12 system that
# boots systemd as PID 1 (systemd-nspawn --boot, private network namespace)
# and test the package and the service there.
#
#   sudo tests/boot/nspawn-boot.sh build-deb/nflogd_*.deb
#
# 1. tests/boot/deb-check.sh: the .deb's paths, dependencies, scripts.
# 2. A minimal Debian 12 root (debootstrap --variant=minbase, plus systemd,
#    dbus, nftables, logrotate, jq and the .deb's dependencies), cached as a
#    tarball in $NFLOGD_BOOT_CACHE (default /var/cache/nflogd-boot/), keyed
#    by suite, mirror and package list: the first run downloads it from the
#    mirror (~1 min), later runs unpack it (seconds).  Delete the directory
#    to drop the cache; NFLOGD_BOOT_REBUILD=1 rebuilds it.
# 3. A fresh copy of it per run (under $NFLOGD_BOOT_WORKDIR, default
#    /var/tmp), with the .deb(s) and tests/boot/boottest.sh in /boottest and
#    nflogd-boottest.service enabled; the .deb is NOT preinstalled: the test
#    installs it with dpkg on the running system, as an operator would.
# 4. `timeout systemd-nspawn --boot --private-network`: the container has
#    only its own lo, so nothing touches the host's network or rules.  The
#    test unit writes /out/result.txt (bind-mounted from the work dir) and
#    powers the container off.
# 5. Every check is printed as PASS/FAIL.  Exit 1 if any failed or the
#    result is missing (then the container's journal is printed too).
#
# Environment: NFLOGD_BOOT_TIMEOUT (seconds for the boot, default 600),
# NFLOGD_BOOT_MIRROR (default http://deb.debian.org/debian),
# NFLOGD_BOOT_KEEP=1 (keep the work dir), NFLOGD_BOOT_CACHE,
# NFLOGD_BOOT_WORKDIR, NFLOGD_BOOT_REBUILD=1.
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SUITE=bookworm
MIRROR=${NFLOGD_BOOT_MIRROR:-http://deb.debian.org/debian}
CACHE=${NFLOGD_BOOT_CACHE:-/var/cache/nflogd-boot}
WORKBASE=${NFLOGD_BOOT_WORKDIR:-/var/tmp}
BOOT_TIMEOUT=${NFLOGD_BOOT_TIMEOUT:-600}
# Version of what this script does to the debootstrapped root (part of the
# cache key: bump it when the customisation below changes).
ROOT_FORMAT=1
BASE_PKGS=(systemd systemd-sysv dbus iproute2 nftables logrotate jq gzip)

say() { printf 'nspawn-boot: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
now() { date +%s; }

(($# >= 1)) || die "usage: nspawn-boot.sh DEB_FILE..."
[[ $(id -u) -eq 0 ]] || die "run as root (debootstrap, systemd-nspawn)"
debs=()
for f in "$@"; do
	[[ -f $f ]] || die "no such file: $f"
	debs+=("$(cd "$(dirname "$f")" && pwd)/$(basename "$f")")
done

# ------------------------------------------------------------ host tools
need=()
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v systemd-nspawn >/dev/null || need+=(systemd-container)
command -v journalctl >/dev/null || need+=(systemd)
if ((${#need[@]})); then
	say "installing ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

# A container cannot load kernel modules: load what nflogd's rules use, on a
# kernel that has them as modules (here they are built in: nothing to do).
if command -v modprobe >/dev/null && [[ -d /lib/modules/$(uname -r) ]]; then
	for m in nf_tables nft_log nft_limit nft_ct nf_conntrack nfnetlink_log; do
		modprobe -q "$m" 2>/dev/null || true
	done
fi

# ------------------------------------------------------------ 1: the .deb itself
t_start=$(now)
set +e
deb_out=$("$here/deb-check.sh" "${debs[@]}" 2>&1)
deb_rc=$?
set -e

# ------------------------------------------------------------ 2: the cached base root
# The .debs' dependencies (first alternative, no version), minus the debs.
own=" $(for d in "${debs[@]}"; do dpkg-deb -f "$d" Package; done | tr '\n' ' ') "
deps=$(for d in "${debs[@]}"; do dpkg-deb -f "$d" Depends Pre-Depends; done |
	sed 's/^[A-Za-z-]*: //' | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/:any//; s/ //g' | grep -v '^$' || true)
pkgs=$(printf '%s\n' "${BASE_PKGS[@]}" $deps | sort -u | while read -r p; do
	[[ $own == *" $p "* ]] || echo "$p"
done | tr '\n' ',' | sed 's/,$//')
key=$(printf '%s\n' "$ROOT_FORMAT" "$SUITE" "$MIRROR" minbase "$pkgs" | sha256sum | cut -c1-16)
tarball=$CACHE/$SUITE-minbase-$key.tar
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock -w 900 9 || die "cache lock $CACHE/.lock busy for 15 min"
if [[ ${NFLOGD_BOOT_REBUILD:-0} == 1 ]]; then rm -f "$tarball"; fi
if [[ ! -s $tarball ]]; then
	say "building the base root ($SUITE, minbase + $pkgs) from $MIRROR; cache $tarball"
	t0=$(now)
	b=$(mktemp -d "$CACHE/build.XXXXXX")
	if ! timeout 1200 debootstrap --variant=minbase --include="$pkgs" "$SUITE" "$b/root" "$MIRROR" >"$b/debootstrap.log" 2>&1; then
		tail -n 30 "$b/debootstrap.log" >&2
		rm -rf --one-file-system "$b"
		die "debootstrap failed (log above)"
	fi
	r=$b/root
	rm -f "$r"/var/cache/apt/archives/*.deb "$r"/var/cache/apt/*.bin
	rm -rf "$r"/var/lib/apt/lists/*
	mkdir -p "$r/var/log/journal"        # persistent journal: read from the host afterwards
	echo nflogd-boottest >"$r/etc/hostname"
	# the container's shutdown must not wait 90 s for anything
	mkdir -p "$r/etc/systemd/system.conf.d"
	printf '[Manager]\nDefaultTimeoutStopSec=15s\n' >"$r/etc/systemd/system.conf.d/boottest.conf"
	tar -C "$r" --numeric-owner --xattrs -cf "$b/root.tar" .
	mv "$b/root.tar" "$tarball"
	rm -rf --one-file-system "$b"
	# older cached roots of this suite are of no more use
	find "$CACHE" -maxdepth 1 -name "$SUITE-minbase-*.tar" ! -name "$(basename "$tarball")" -delete
	say "base root built in $(($(now) - t0)) s ($(du -h "$tarball" | cut -f1))"
else
	say "cached base root $tarball"
fi

# ------------------------------------------------------------ 3: this run's root
work=$(mktemp -d "$WORKBASE/nflogd-boot.XXXXXX")
root=$work/root
out=$work/out
cleanup() {
	local rc=$?
	# systemd-nspawn unmounts everything it mounted; make sure before rm -rf
	if findmnt -rn -o TARGET | grep -q "^$root"; then
		findmnt -rn -o TARGET | grep "^$root" | sort -r | xargs -r -n1 umount -l || true
	fi
	if [[ ${NFLOGD_BOOT_KEEP:-0} == 1 ]]; then
		say "kept $work"
	else
		rm -rf --one-file-system "$work"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$root" "$out"
t0=$(now)
tar -C "$root" --numeric-owner --xattrs -xf "$tarball"
flock -u 9
mkdir -p "$root/boottest/debs"
cp "${debs[@]}" "$root/boottest/debs/"
install -m 0755 "$here/boottest.sh" "$root/boottest/boottest.sh"
install -m 0644 "$here/nflogd-boottest.service" "$root/etc/systemd/system/nflogd-boottest.service"
ln -sf /etc/systemd/system/nflogd-boottest.service \
	"$root/etc/systemd/system/multi-user.target.wants/nflogd-boottest.service"
t_unpack=$(($(now) - t0))

# ------------------------------------------------------------ 4: boot
say "booting the container (timeout ${BOOT_TIMEOUT}s); console: $work/console.log"
t0=$(now)
set +e
# --register=no --keep-unit: no machined/D-Bus on the host needed.
# --link-journal=no: the journal stays in the root's /var/log/journal.
timeout -k 30 "$BOOT_TIMEOUT" systemd-nspawn --quiet \
	--directory="$root" --machine=nflogd-boottest \
	--boot --private-network --register=no --keep-unit --link-journal=no \
	--console=read-only --bind="$out:/out" \
	</dev/null >"$work/console.log" 2>&1
boot_rc=$?
set -e
t_boot=$(($(now) - t0))
((boot_rc == 124 || boot_rc == 137)) && say "the container did not power off within ${BOOT_TIMEOUT}s: killed"

# ------------------------------------------------------------ 5: results
res=$out/result.txt
nfail=0 npass=0
echo
echo "== the package: tests/boot/deb-check.sh"
printf '%s\n' "$deb_out"
npass=$(grep -c '^PASS ' <<<"$deb_out" || true)
nfail=$(grep -c '^FAIL ' <<<"$deb_out" || true)
((deb_rc == 0 || nfail > 0)) || nfail=1
echo
echo "== nflogd boot test: $(basename -a "${debs[@]}" | tr '\n' ' ')"
if [[ -s $res ]]; then
	while IFS= read -r line; do
		case $line in
		PASS\ *) npass=$((npass + 1)); echo "$line" ;;
		FAIL\ *) nfail=$((nfail + 1)); echo "$line" ;;
		DONE) ;;
		*) echo "  $line" ;;
		esac
	done <"$res"
fi
if ! grep -qx DONE "$res" 2>/dev/null; then
	echo "FAIL boot.complete: the test did not finish (result file $([[ -e $res ]] && echo incomplete || echo missing); systemd-nspawn exit $boot_rc)"
	nfail=$((nfail + 1))
else
	echo "PASS boot.complete: the test ran to its end; systemd-nspawn exit $boot_rc"
	npass=$((npass + 1))
fi

if ((nfail)); then
	# packet records (kernel LOG lines) would drown the rest: left out here
	nopackets() { grep -v -E ' IN=[^ ]* OUT=[^ ]* ' || true; }
	echo
	echo "== container journal, without packet records (last 100 lines)"
	journalctl -D "$root/var/log/journal" --no-pager -o short-monotonic 2>&1 | nopackets | tail -n 100
	echo
	echo "== nflogd.service journal, without packet records (last 40 lines)"
	journalctl -D "$root/var/log/journal" --no-pager -u nflogd.service 2>&1 | nopackets | tail -n 40
	echo
	echo "== test log: what led to each FAIL (/out/log.txt)"
	grep -B 12 '^[0-9:.]* \[[^]]*\] FAIL ' "$out/log.txt" 2>/dev/null | nopackets | tail -n 200 || true
	echo
	echo "== console (last 20 lines)"
	tail -n 20 "$work/console.log" 2>/dev/null || true
fi
echo
echo "timings: unpack ${t_unpack}s, boot+test+poweroff ${t_boot}s, total $(($(now) - t_start))s"
echo "boot test: $npass passed, $nfail failed"
((nfail == 0))
