#!/usr/bin/env bash
# Replay the kernel-captured NFLOG fixtures through `nflogd --read` and check:
#  - with --format log, every line is byte-identical to the line the
#    kernel's own LOG target wrote for the same packet (same prefix, same
#    flags), for every capture whose NFLOG copy was complete;
#  - the snap-length capture (40 bytes kept) decodes without error, one line
#    per packet; the kernel saw the whole packet, so only the part both can
#    know is compared (everything before LEN=);
#  - with --format json, every line is a JSON object a real parser (jq)
#    accepts, one per packet.
# Usage: fixtures-log.sh NFLOGD FIXTURE_DIR
set -euo pipefail

nflogd=$1
dir=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The interface names of the namespaces the fixtures were captured in.
ifnames=()
while read -r _ns idx name _mac; do
	[[ $_ns == \#* || -z $_ns ]] && continue
	ifnames+=(--ifname "$idx=$name")
done <"$dir/ifaces.txt"

# capture name -> the LOG flags of its kernel rule (tests/data/README.md)
declare -A flags=(
	[all]=all
	[noflags]=none
	[noether]=tcpseq,tcpopt,ipopt,uid
	[output]=all
	[output-noflags]=none
	[input]=all
	[input-noflags]=none
	[ingress]=all
	[ingress-noflags]=none
)

fail=0
total=0
for cap in "${!flags[@]}"; do
	pcap=$dir/$cap.pcap
	[[ -f $pcap ]] || { echo "missing fixture $pcap"; fail=1; continue; }
	"$nflogd" --read "$pcap" --log-flags "${flags[$cap]}" "${ifnames[@]}" \
		>"$tmp/$cap.out"
	n=$(wc -l <"$dir/$cap.log")
	total=$((total + n))
	if cmp -s "$dir/$cap.log" "$tmp/$cap.out"; then
		echo "ok   $cap: $n lines byte-identical to the kernel's"
	else
		echo "FAIL $cap: differs from the kernel's lines:"
		paste -d '\n' "$dir/$cap.shapes" <(diff "$dir/$cap.log" "$tmp/$cap.out" | head -40) | head -40
		# name every differing shape
		diff --unchanged-line-format= --old-line-format='%dn ' \
			--new-line-format= "$dir/$cap.log" "$tmp/$cap.out" |
			tr ' ' '\n' | while read -r ln; do
				[[ -n $ln ]] && echo "  shape $(sed -n "${ln}p" "$dir/$cap.shapes") (line $ln)"
			done
		fail=1
	fi
done

# Snap length 40: nflogd holds 40 bytes of each packet, the kernel saw all
# of it.  Every packet must still give one line, starting with the same
# prefix, IN=/OUT=/MAC= and addresses as the kernel's.
"$nflogd" --read "$dir/snaplen.pcap" --log-flags all "${ifnames[@]}" >"$tmp/snap.out"
if [[ $(wc -l <"$tmp/snap.out") -ne $(wc -l <"$dir/snaplen.log") ]]; then
	echo "FAIL snaplen: line count differs"
	fail=1
else
	bad=$(paste -d '\t' "$dir/snaplen.log" "$tmp/snap.out" | awk -F'\t' '
		{ k = $1; sub(/ LEN=.*/, "", k); n = $2; sub(/ LEN=.*/, "", n)
		  if (k != n) bad++ } END { print bad + 0 }')
	if [[ $bad -ne 0 ]]; then
		echo "FAIL snaplen: $bad lines differ before LEN="
		fail=1
	else
		echo "ok   snaplen: $(wc -l <"$tmp/snap.out") lines agree with the kernel up to LEN="
	fi
fi

# JSON: one object per packet, each accepted by jq.
for pcap in "$dir"/*.pcap; do
	name=$(basename "$pcap" .pcap)
	"$nflogd" --read "$pcap" --format json "${ifnames[@]}" >"$tmp/$name.json"
	want=$(wc -l <"$dir/$name.log")
	got=$(jq -c 'select(type == "object")' "$tmp/$name.json" | wc -l) || got=invalid
	if [[ $got == "$want" ]]; then
		echo "ok   $name: $got JSON objects, all parsed by jq"
	else
		echo "FAIL $name: $got valid JSON objects, expected $want"
		fail=1
	fi
done

echo "checked $total kernel lines"
exit $fail
