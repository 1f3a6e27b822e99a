#!/usr/bin/env bash
# Install everything nflogd needs to build, run and test on Debian 12.
# Idempotent; needs root (apt-get).
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
	echo "install-deps.sh: run as root (it calls apt-get)" >&2
	exit 1
fi

pkgs=(
	# build
	build-essential cmake pkg-config
	libnetfilter-log-dev libmnl-dev libsystemd-dev libconfig-dev
	# rules: libnftables (nft in-process), json-c (its listings)
	libnftables-dev libjson-c-dev
	# tests: unit (Check; json-c above is also their JSON parser), fuzzing and
	# sanitizers (clang, compiler-rt), end-to-end (the real kernel)
	check clang libclang-rt-dev
	nftables iptables iproute2 iputils-ping netcat-openbsd tcpdump
	python3 python3-scapy jq logrotate systemd
	# fault injection: a file system forced read-only (daemon-fault-dir)
	e2fsprogs util-linux
	# man pages: groff renders them with warnings on (tests/man-check.sh)
	groff man-db
	# the Debian package and its boot test (scripts/build-deb.sh, tests/boot/)
	dpkg-dev debhelper debootstrap systemd-container
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
if ((${#missing[@]})); then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
