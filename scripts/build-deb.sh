#!/usr/bin/env bash
# Build the Debian package of nflogd from this source tree.
#
#   sudo scripts/build-deb.sh [OUTDIR]      # default OUTDIR: build-deb/ in the repo
#
# Installs the build dependencies (apt-get, idempotent, noninteractive),
# copies the tracked files of the tree (git ls-files: build directories and
# other untracked files stay out; modified tracked files go in as they are
# in the work tree) to a temporary directory, runs
# `dpkg-buildpackage -us -uc -b` there and puts the .deb files in OUTDIR.
# Prints the path of each .deb, one per line, on stdout (all else goes to
# stderr).  Needs root for apt-get only; NFLOGD_DEB_NO_DEPS=1 skips that
# step (the build dependencies must then be installed already).
set -euo pipefail

die() { echo "build-deb.sh: $*" >&2; exit 1; }

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
outdir=${1:-$repo/build-deb}
[[ -f $repo/debian/control ]] || die "no debian/control in $repo"

# ------------------------------------------------------------ build deps
if [[ ${NFLOGD_DEB_NO_DEPS:-0} != 1 ]]; then
	[[ $(id -u) -eq 0 ]] || die "run as root (it calls apt-get), or set NFLOGD_DEB_NO_DEPS=1"
	export DEBIAN_FRONTEND=noninteractive
	tools=(dpkg-dev debhelper build-essential git)
	missing=()
	for p in "${tools[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
			missing+=("$p")
	done
	updated=0
	if ((${#missing[@]})); then
		apt-get update -qq >&2
		updated=1
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
	fi
	# The Build-Depends of debian/control, alternatives resolved by apt.
	if ! (cd "$repo" && dpkg-checkbuilddeps) >/dev/null 2>&1; then
		((updated)) || apt-get update -qq >&2
		apt-get build-dep -y -qq --no-install-recommends "$repo" >&2
	fi
fi
command -v dpkg-buildpackage >/dev/null || die "dpkg-buildpackage missing (install dpkg-dev)"
(cd "$repo" && dpkg-checkbuilddeps) >&2 || die "build dependencies missing (see above)"

# ------------------------------------------------------------ source copy
work=$(mktemp -d "${TMPDIR:-/tmp}/nflogd-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
src=$work/nflogd
mkdir -p "$src"
if git -C "$repo" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	# Tracked files plus new files not ignored (debian/ before its first
	# commit, say); deleted-but-tracked files are skipped.
	(cd "$repo" && git ls-files -z --cached --others --exclude-standard) |
		(cd "$repo" && while IFS= read -r -d '' f; do
			[[ -e $f || -L $f ]] && printf '%s\0' "$f"
		done) |
		(cd "$repo" && tar --null -T - -cf -) | tar -C "$src" -xf -
else
	# A tarball without .git: everything but build outputs.
	tar -C "$repo" --exclude='./build*' --exclude='./.git' -cf - . | tar -C "$src" -xf -
fi
[[ -f $src/debian/rules ]] || die "debian/ is not in the copied tree (untracked and ignored?)"
chmod +x "$src/debian/rules"

# ------------------------------------------------------------ build
echo "build-deb.sh: building in $src" >&2
(cd "$src" && dpkg-buildpackage -us -uc -b -j"$(nproc)") >&2 ||
	die "dpkg-buildpackage failed (the log is above)"

mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
shopt -s nullglob
debs=("$work"/*.deb "$work"/*.ddeb)
((${#debs[@]})) || die "dpkg-buildpackage produced no .deb"
for f in "${debs[@]}" "$work"/*.buildinfo "$work"/*.changes; do
	cp -f "$f" "$outdir/"
done
for f in "${debs[@]}"; do
	echo "$outdir/$(basename "$f")"
done
