#!/bin/sh
# test_readme.sh - every ```sh block of README.md runs, in order, in a
# scratch directory holding a corpus.txt, with rnnbow on PATH. A block
# that fails is a README that lies. Usage: sh tests/test_readme.sh ./rnnbow
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/tests/lib.sh"

mkdir "$T/bin"
ln -s "$BIN" "$T/bin/rnnbow"
cat "$ROOT"/libcore/*.c >"$T/corpus.txt"
awk -v dir="$T" '
	/^```sh$/ { n++; f = sprintf("%s/block%02d.sh", dir, n); inb = 1; next }
	/^```/ { inb = 0; next }
	inb { print > f }
' "$ROOT/README.md"
for b in "$T"/block*.sh; do
	[ -e "$b" ] || { notok "README has sh examples"; break; }
	if (cd "$T" && PATH="$T/bin:/usr/bin:$PATH" sh -e "$b" >"$T/out" 2>&1); then
		ok "README example $(basename "$b" .sh): $(head -n 1 "$b")"
	else
		notok "README example $(basename "$b" .sh): $(head -n 1 "$b")"
		sed 's/^/# /' "$T/out" | tail -5
	fi
done
finish
