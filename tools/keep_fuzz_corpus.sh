#!/usr/bin/env bash
# Copies a size-capped selection of each fuzz target's corpus (fuzz/corpus/<target>, run
# `cargo +nightly fuzz cmin <target>` first) into tests/data/fuzz/<target>/, where
# tests/it/fuzz_regressions.rs replays it on every `cargo test`. Smallest inputs first: after
# cmin every file adds coverage of its own, and small ones keep the repository light.
# Crash artifacts already kept (crash-*) are never removed.
#
# usage: tools/keep_fuzz_corpus.sh [MAX_FILES] [MAX_BYTES_PER_FILE]
set -euo pipefail
cd "$(dirname "$0")/.."
max_files=${1:-800}
max_bytes=${2:-8192}
for t in parse list_csv index_file bulk_input; do
  src=fuzz/corpus/$t
  dst=tests/data/fuzz/$t
  [ -d "$src" ] || { echo "no $src: run the fuzzer first" >&2; exit 1; }
  mkdir -p "$dst"
  find "$dst" -type f ! -name 'crash-*' -delete
  # (head closes the pipe early: collect the list first, so pipefail does not trip)
  listing=$(find "$src" -type f -size -"$((max_bytes + 1))"c -printf '%s %p\n' | sort -n -k1,1 -k2,2)
  head -n "$max_files" <<<"$listing" | cut -d' ' -f2- | while read -r f; do
    [ -n "$f" ] && cp "$f" "$dst/"
  done
  echo "$t: $(find "$dst" -type f | wc -l) files, $(du -sk "$dst" | cut -f1) kB"
done
