#!/bin/bash
# daemon-rotation: nflogd's own size rotation, with real packets.
#
# Outputs: JSON with max_size = 4096 and keep = 3, LOG text with
# max_size = 4096 and keep = 1.  40 UDP datagrams, each to its own
# destination port (6000..6039), so every record says which packet it is.
# Checks, per output:
#   - exactly keep rotated files exist (path.1 .. path.keep, no
#     path.<keep+1>, no leftover path.new), modes as configured;
#   - no file is over max_size, every file ends with a whole line, every
#     JSON line parses;
#   - rotation happened at the limit: each rotated file plus the first
#     record of the next file would have passed max_size;
#   - the files, oldest first, hold the newest packets in order with no
#     gap and no duplicate, ending with the last packet: rotation (keep)
#     is the only thing that removed records;
#   - kernel counter = written + losses (records of files removed by
#     keep count as written: they were).
# Usage: daemon-rotation.sh PATH_TO_NFLOGD
. "$(dirname "$0")/lib.sh"
e2e_init daemon-rotation "$@"

N=40
MAX=4096
e2e_netns_setup
P="e2e-$E2E_TAG-rot: "
nft_log_rules "$P"

conf=$E2E_TMP/nflogd.conf
out=$E2E_TMP/out
{
	conf_globals
	cat <<-EOF
	outputs = (
		{ name = "json"; type = "file"; path = "$out/packets.json"; format = "json";
		  max_size = $MAX; keep = 3; mode = "0640"; },
		{ name = "text"; type = "file"; path = "$out/packets.log"; format = "log";
		  line_style = "rfc3339"; max_size = "4K"; keep = 1; mode = "0600"; }
	);
	rules = (
		{ name = "e2e-rot"; group = 10; prefix = "$P"; log_flags = "none";
		  outputs = [ "json", "text" ]; }
	);
	EOF
} >"$conf"

start_nflogd "$conf"
udp_burst $N 6000
n=$(kernel_count)
[[ $n == "$N" ]] && ok "kernel rule counter $n" || fail "kernel rule counter $n, expected $N"
wait_written json "$n" 10 || true
wait_written text "$n" 10 || true

# dport_of OUTPUT FILE: destination ports of the records in FILE.
dport_of() {
	if [[ $1 == json ]]; then
		jq -r '.destination.port' "$2"
	else
		sed -E 's/.* DPT=([0-9]+) .*/\1/' "$2"
	fi
}

# check_rotation OUTPUT PATH KEEP MODE
check_rotation() {
	local o=$1 path=$2 keep=$3 mode=$4 i f files=() sz
	for ((i = keep; i >= 1; i--)); do
		if [[ -f $path.$i ]]; then files+=("$path.$i"); else fail "$o: $path.$i missing"; fi
	done
	files+=("$path")
	[[ -e $path.$((keep + 1)) ]] && fail "$o: $path.$((keep + 1)) exists, keep is $keep"
	[[ -e $path.new ]] && fail "$o: $path.new left behind"
	local total=0 prev=""
	for f in "${files[@]}"; do
		sz=$(stat -c %s "$f")
		total=$((total + $(wc -l <"$f")))
		[[ $sz -le $MAX ]] || fail "$o: $f has $sz bytes, max_size is $MAX"
		[[ $(stat -c %a "$f") == "$mode" ]] || fail "$o: $f has mode $(stat -c %a "$f"), expected $mode"
		[[ -z $(tail -c1 "$f") ]] || fail "$o: $f does not end with a whole line"
		if [[ -n $prev ]]; then
			# prev was rotated: the next record would not have fitted
			local next
			next=$(head -n1 "$f" | wc -c)
			if (($(stat -c %s "$prev") + next <= MAX)); then
				fail "$o: $prev rotated early: $(stat -c %s "$prev") bytes + next record $next <= $MAX"
			fi
		fi
		prev=$f
	done
	if [[ $o == json ]]; then
		cat "${files[@]}" | jq -e . >/dev/null || fail "$o: a line is not JSON"
	fi
	# the newest $total packets, in order, each once
	local got want
	got=$(for f in "${files[@]}"; do dport_of "$o" "$f"; done | tr '\n' ' ')
	want=$(seq $((6000 + N - total)) $((6000 + N - 1)) | tr '\n' ' ')
	if [[ $got == "$want" ]]; then
		ok "$o: ${#files[@]} files (keep $keep), each <= $MAX bytes and rotated at the limit, mode $mode; they hold the newest $total of $N records in order, no gap, no duplicate"
	else
		fail "$o: records in the files (oldest first): $got; expected: $want"
	fi
	[[ $total -ge $((keep * 2)) ]] || fail "$o: only $total records kept: rotation too eager?"
}

check_rotation json "$out/packets.json" 3 640
check_rotation text "$out/packets.log" 1 600

stop_nflogd TERM
[[ $NFLOGD_RC == 0 ]] && ok "SIGTERM: nflogd exited 0" || fail "SIGTERM: nflogd exited $NFLOGD_RC"
check_accounting "$n"
e2e_finish
