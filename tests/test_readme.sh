#!/bin/sh
# test_readme.sh - every ```sh block of README.md runs, in order, in a
# scratch directory holding a corpus.txt, with rnnbow on PATH. A block
# that fails is a README that lies. The docs stand alone: every relative
# link of README.md and docs/*.md (or `../path`) names a file of the
# project (none outside it), and none cites an issue, which a reader of a clone cannot
# open. Usage: sh tests/test_readme.sh ./rnnbow
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

# --- the docs stand alone ---
for doc in "$ROOT/README.md" "$ROOT"/docs/*.md; do
	name=${doc#"$ROOT/"}
	bad=$(grep -oE '\]\([^)]*\)|`\.\./[^`]*`' "$doc" | sed 's/^](//; s/)$//; s/`//g; s/#.*//; s/ .*//' |
		grep -v '^[a-z]*:' | grep . |
		while read -r link; do
			target=$(realpath -m "$(dirname "$doc")/$link")
			case $target in "$ROOT"/*) [ -e "$target" ] || echo "$link" ;; *) echo "$link" ;; esac
		done)
	check "$name: every relative link is a file of the project${bad:+ (not: $(echo $bad))}" [ -z "$bad" ]
	cites=$(grep -niE '\bissues? ?#?[0-9]|\bthe [a-z]+ issue\b|closing notes? of' "$doc" | head -n 3)
	check "$name: cites no issue notes${cites:+ ($cites)}" [ -z "$cites" ]
done
finish
