#!/usr/bin/env bash
# The journal catalog must parse (journalctl --update-catalog) and document
# every MESSAGE_ID nflogd sends (daemon/log.h, common/fmt_journal.h).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/usr/lib/systemd/catalog" "$root/var/lib/systemd/catalog"
cp "$top/systemd/nflogd.catalog" "$root/usr/lib/systemd/catalog/"
journalctl --root="$root" --update-catalog
listed=$(journalctl --root="$root" --list-catalog | awk '{print $1}')
ids=$(grep -ohE '"[0-9a-f]{32}"' "$top/daemon/log.h" "$top/common/fmt_journal.h" | tr -d '"')
fail=0
n=0
for id in $ids; do
	n=$((n + 1))
	grep -qx "$id" <<<"$listed" || { echo "MESSAGE_ID $id has no catalog entry"; fail=1; }
done
echo "catalog: $n MESSAGE_IDs, all documented: $([[ $fail == 0 ]] && echo yes || echo no)"
exit $fail
