#!/bin/sh
# Re-creates the listings in this directory from the real kernel, inside a
# throwaway network namespace (needs root and nft):
#     unshare -n sh tests/data/nft/capture.sh tests/data/nft
# host.nft is a host's ruleset plus what a dead nflogd (tag "nflogd") left
# behind; traffic over lo makes the counters non-zero.
set -eu
dir=$1
ip link set lo up
nft -f "$dir/host.nft"
ping -c 3 -i 0.2 -W 1 127.0.0.1 >/dev/null 2>&1 || true
nft -j -t -a list ruleset >"$dir/host.json"
nft -j -t -a list chain inet filter input >"$dir/chain-input.json"
nft -j -t -a list chain inet nflogd output >"$dir/chain-own-output.json"
nft flush ruleset
nft -j -t -a list ruleset >"$dir/empty.json"
# nft's error text for a script (the path as nft prints it)
nft 'table inet filter { chain input { type filter hook input priority 0; }; }'
(cd "$dir" && ! nft -f bad-txn.nft 2>bad-txn.err)
(cd "$dir" && ! nft -f vanished.nft 2>vanished.err)
nft flush ruleset
