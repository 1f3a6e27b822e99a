#!/usr/bin/env bash
# The man pages must document every command-line option and every
# configuration key the code knows, and render without a single warning.
#
#   tests/man-check.sh [SOURCE_DIR]      (default: the repository of this script)
#
# 1. Every long option in longopts[] of daemon/main.c appears in
#    man/nflogd.8 as a .TP term (the line after .TP) written \-\-NAME
#    (roff's minus, so it can be copied into a shell).
# 2. Every configuration key of common/config.c appears in man/nflogd.conf.5
#    in bold in a .TP term: "\fBKEY\fR ...", or ".B KEY" / ".BR KEY ...".
#    The keys are taken from the arrays that config.c checks keys against
#    (see keys_of_config_c below), so a key added there without
#    documentation makes this fail.
# 3. Both pages are ASCII (groff 1.22 does not read UTF-8 input without
#    preconv) and render with groff -man -ww (every warning) on the utf8
#    and the default (ps) device, and with man --warnings, with nothing on
#    stderr.
# Exit 0 when all holds; else 1, naming each missing option or key.
set -euo pipefail

src=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
main_c=$src/daemon/main.c
config_c=$src/common/config.c
page8=$src/man/nflogd.8
page5=$src/man/nflogd.conf.5
fail=0

die() { echo "man-check: $*" >&2; exit 1; }
problem() { echo "man-check: $*"; fail=1; }

for f in "$main_c" "$config_c" "$page8" "$page5"; do
	[[ -r $f ]] || die "cannot read $f"
done
command -v groff >/dev/null || die "groff is missing (apt-get install groff-base)"

# The initializer of a C array: from the first line matching the ERE $2 to
# the first line after it that holds "};", comments removed (both kinds;
# none of these initializers has "//" or "/*" inside a string).
c_block() {
	awk -v re="$2" '!on && $0 ~ re { on = 1 } on { print; if (/};/) exit }' "$1" |
		perl -0pe 's{/\*.*?\*/}{ }gs; s{//[^\n]*}{}g'
}

# The text of the .TP terms of a page: the line after each .TP.
tp_terms() {
	awk 'tp { print; tp = 0; next } /^\.TP([ \t]|$)/ { tp = 1 }' "$1"
}

# ------------------------------------------------------------ 1. options
# longopts[] in main(): { "name", has_arg, NULL, 'c' }, ... { NULL, ... }.
opts=$(c_block "$main_c" 'struct option longopts\[\] *= *\{' |
	grep -oE '\{ *"[^"]+"' | sed -E 's/^\{ *"//; s/"$//')
[[ -n $opts ]] || die "found no long options in $main_c (longopts[] moved or renamed?)"
terms8=$(tp_terms "$page8")
n_opts=0
for o in $opts; do
	n_opts=$((n_opts + 1))
	# --log-target is written \-\-log\-target in roff
	esc=${o//-/\\\\-}
	grep -qE "\\\\-\\\\-${esc}([^a-z0-9\\\\]|\\\\f|\$)" <<<"$terms8" ||
		problem "option --$o (daemon/main.c longopts[]) is not documented in man/nflogd.8: no .TP term with \\-\\-${o//-/\\-}"
done
echo "man-check: nflogd.8: $n_opts long options of daemon/main.c longopts[]: $(tr '\n' ' ' <<<"$opts")"

# ------------------------------------------------------------ 2. keys
# How many enumerators the enum { ... } that declares $1 has before $1.
enumerators_before() {
	perl -0ne 's{/\*.*?\*/}{ }gs;
		while (/\benum\s+\w*\s*\{([^}]*)\}/g) {
			my $b = $1;
			next unless $b =~ /\b\Q'"$1"'\E\b/;
			$b =~ s/\b\Q'"$1"'\E\b.*//s;
			my @e = $b =~ /\b([A-Za-z_]\w*)\b/g;
			print scalar(@e), "\n";
			last;
		}' "$config_c"
}

# config.c rejects unknown keys in walk_keys(): key_index() looks the name
# up in sections[id].keys, and every section's keys are a string array
#   static const char *const top_keys[T_N] = { "identity", ... };
# named in the sections[] table
#   [SEC_TOP] = { "at the top level", "at the top level", top_keys, T_N },
# So: the arrays are the lower-case identifiers of the sections[]
# initializer (its strings and [SEC_...] designators removed, its first
# line skipped), and the keys are the string literals of each array.  As a
# check on the extraction, each array's number of strings must equal the
# number of enumerators before its size constant (T_N: the enum that
# declares it), which is what the compiler sizes the array with.
keys_of_config_c() {
	local sec arrays arr size body strings n_str n_enum
	sec=$(c_block "$config_c" '^static const struct section sections\[')
	[[ -n $sec ]] || die "no sections[] table in $config_c (renamed?)"
	arrays=$(tail -n +2 <<<"$sec" | sed -E 's/"[^"]*"//g; s/\[[A-Z_0-9]+\] *=//g' |
		grep -oE '\b[a-z_][a-z0-9_]*\b' | sort -u)
	[[ -n $arrays ]] || die "no key arrays in sections[] of $config_c"
	for arr in $arrays; do
		body=$(c_block "$config_c" "^static const char \\*const ${arr}\\[")
		[[ -n $body ]] || die "sections[] names $arr, but $config_c has no 'static const char *const ${arr}[...]'"
		size=$(head -1 <<<"$body" | sed -nE "s/.*${arr}\\[([A-Za-z_0-9]+)\\].*/\\1/p")
		strings=$(sed '1s/^[^{]*{//' <<<"$body" | grep -oE '"[^"]*"' | tr -d '"')
		n_str=$(grep -c . <<<"$strings" || true)
		if [[ -n $size ]]; then
			n_enum=$(enumerators_before "$size")
			[[ $n_enum == "$n_str" ]] ||
				die "$arr: found $n_str key strings but ${n_enum:-no} enumerators before $size: the extraction from $config_c is broken, fix tests/man-check.sh"
		fi
		[[ $n_str -gt 0 ]] || die "$arr in $config_c has no key strings"
		awk -v a="$arr" '{ print a, $0 }' <<<"$strings"
	done
}
keys=$(keys_of_config_c)
terms5=$(tp_terms "$page5")
n_keys=0
# (keys are C identifiers: word splitting is safe)
# shellcheck disable=SC2013
for k in $(awk '{ print $2 }' <<<"$keys" | sort -u); do
	n_keys=$((n_keys + 1))
	grep -qE "\\\\fB${k}\\\\f[RP]|^\\.B[IR]? +\"?${k}\"?( |\$)" <<<"$terms5" ||
		problem "key '$k' ($(awk -v k="$k" '$2 == k { print $1 }' <<<"$keys" | tr '\n' ' ' | sed 's/ $//') in common/config.c) is not documented in man/nflogd.conf.5: no .TP term with \\fB$k\\fR"
done
summary=$(awk '{ n[$1]++ } END { for (a in n) printf "%s %d, ", a, n[a] }' <<<"$keys" | sed 's/, $//')
echo "man-check: nflogd.conf.5: $n_keys distinct keys of common/config.c ($summary)"

# ------------------------------------------------------------ 3. rendering
for page in "$page8" "$page5"; do
	name=$(basename "$page")
	if LC_ALL=C grep -nP '[^\x00-\x7f]' "$page" >/dev/null; then
		problem "$name has non-ASCII bytes (write \\(em, \\(lq ... instead):"
		LC_ALL=C grep -nP '[^\x00-\x7f]' "$page" | head -5
	fi
	for dev in utf8 ps; do
		err=$(LC_ALL=C.UTF-8 groff -man -ww -z -t -T"$dev" "$page" 2>&1 >/dev/null) || true
		if [[ -n $err ]]; then
			problem "$name: groff -man -ww -T$dev warns:"
			echo "$err" | head -20
		fi
	done
	if command -v man >/dev/null; then
		err=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l -Tutf8 -Z "$page" 2>&1 >/dev/null) || true
		if [[ -n $err ]]; then
			problem "$name: man --warnings warns:"
			echo "$err" | head -20
		fi
	fi
done
echo "man-check: rendering: nflogd.8 and nflogd.conf.5 with groff -man -ww (utf8, ps)$(command -v man >/dev/null && echo ' and man --warnings'): $([[ $fail == 0 ]] && echo 'no warnings' || echo 'see above')"

if [[ $fail != 0 ]]; then
	echo "man-check: FAILED"
	exit 1
fi
echo "man-check: OK"
