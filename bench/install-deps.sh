#!/usr/bin/env bash
# Install what bench/run.sh needs besides nflogd's own dependencies
# (scripts/install-deps.sh): ulogd2 and its JSON plugin, the loggers it is
# compared with, and valgrind for --callgrind.  Idempotent; needs root.
#
# Debian's ulogd2 package starts its service at install, and Debian's
# /etc/ulogd.conf binds NFLOG group 0 -- the group nflogd's
# conntrack_invalid section and tests use.  The benchmark starts ulogd2
# itself, so the service is kept from starting (policy-rc.d for the
# install, then disabled and stopped if a systemd runs it).
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
	echo "bench/install-deps.sh: run as root (it calls apt-get)" >&2
	exit 1
fi

pkgs=(ulogd2 ulogd2-json valgrind)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
((${#missing[@]})) || exit 0

policy=/usr/sbin/policy-rc.d
own_policy=
if [[ ! -e $policy ]]; then
	printf '#!/bin/sh\n# bench/install-deps.sh: no service starts during its install\nexit 101\n' >"$policy"
	chmod 0755 "$policy"
	own_policy=1
fi
cleanup() { [[ -z $own_policy ]] || rm -f "$policy"; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"

if [[ -d /run/systemd/system ]]; then
	systemctl disable --now ulogd2.service >/dev/null 2>&1 || true
fi
if pgrep -x ulogd >/dev/null; then
	echo "bench/install-deps.sh: a ulogd is running (it may hold NFLOG groups)" >&2
fi
