//! Name tables: which indexed names start a text, answered from a few cache lines.
//!
//! The parser asks, several times per address, "which municipality spellings start this
//! text?" and "which towns of this municipality start it?". A byte-at-a-time FST walk answers
//! with one node decode (and, the tables being cold, about one cache miss) per byte of text it
//! follows. A name table hashes (group, first character) — a group is one municipality's towns,
//! or all municipality spellings — to the bucket of keys that begin with that character, stored
//! side by side, and compares them with the text in key order.
//!
//! `build.rs` writes the three blobs (see its doc; the slot hash is `name_hash`, shared with it);
//! this module reads them in place.

use super::name_hash::bucket_hash;
use super::{posting_one, postings_at, splits_number, Postings};

/// Bytes per bucket slot: first char u32, group u32, byte offset u32, byte length u32.
const SLOT_LEN: usize = 16;
/// Bytes of a record before its key: key length u16, postings count u16, postings offset u32
/// (the posting itself when there is one: most keys name one town, and this spares a cache
/// miss).
const RECORD_HEAD: usize = 8;

/// One embedded name table.
#[derive(Debug, Clone, Copy)]
pub(super) struct NameTable {
    records: &'static [u8],
    buckets: &'static [u8],
    groups: &'static [u8],
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    bytes
        .get(at..at + 4)
        .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn u16_at(bytes: &[u8], at: usize) -> usize {
    bytes
        .get(at..at + 2)
        .map_or(0, |b| usize::from(u16::from_le_bytes([b[0], b[1]])))
}

/// The records of a byte range, in order: (key, postings).
fn records(bytes: &'static [u8]) -> impl Iterator<Item = (&'static [u8], Postings)> {
    let mut at = 0;
    std::iter::from_fn(move || {
        let len = u16_at(bytes, at);
        let count = u16_at(bytes, at + 2);
        let post = u32_at(bytes, at + 4);
        let key = bytes.get(at + RECORD_HEAD..at + RECORD_HEAD + len)?;
        at += RECORD_HEAD + len;
        let postings = match count {
            1 => posting_one(post),
            _ => postings_at(post as usize, count),
        };
        Some((key, postings))
    })
}

impl NameTable {
    pub(super) const fn new(
        records: &'static [u8],
        buckets: &'static [u8],
        groups: &'static [u8],
    ) -> NameTable {
        NameTable {
            records,
            buckets,
            groups,
        }
    }

    /// Number of groups.
    pub(super) fn group_count(&self) -> usize {
        (self.groups.len() / 4).saturating_sub(1)
    }

    /// The records of `group`, in key order.
    #[cfg(test)]
    pub(super) fn group_entries(
        &self,
        group: usize,
    ) -> impl Iterator<Item = (&'static [u8], Postings)> {
        let bytes = if group < self.group_count() {
            let (from, to) = (
                u32_at(self.groups, group * 4),
                u32_at(self.groups, group * 4 + 4),
            );
            self.records.get(from as usize..to as usize).unwrap_or(&[])
        } else {
            &[]
        };
        records(bytes)
    }

    /// The records of `group` whose key begins with `first`, in key order (empty when none).
    fn bucket(&self, group: usize, first: char) -> &'static [u8] {
        let slots = self.buckets.len() / SLOT_LEN;
        if group >= self.group_count() || slots == 0 {
            return &[];
        }
        let Ok(group) = u32::try_from(group) else {
            return &[];
        };
        let first = first as u32;
        let mut slot = bucket_hash(group, first) as usize & (slots - 1);
        // The table is at most half full: a run of taken slots ends within `slots` steps.
        for _ in 0..slots {
            let at = slot * SLOT_LEN;
            let len = u32_at(self.buckets, at + 12) as usize;
            if len == 0 {
                break;
            }
            if u32_at(self.buckets, at) == first && u32_at(self.buckets, at + 4) == group {
                let from = u32_at(self.buckets, at + 8) as usize;
                return self.records.get(from..from + len).unwrap_or(&[]);
            }
            slot = (slot + 1) & (slots - 1);
        }
        &[]
    }

    /// Calls `found(end, postings)` for every key of `group` that starts `text` once its ASCII
    /// spaces are left out, `end` being the offset in `text` just after the key's last byte, in
    /// increasing `end` order. A key ending in a digit does not end inside a number (与1 is not
    /// 与11's start).
    pub(super) fn prefixes(
        &self,
        group: usize,
        text: &str,
        mut found: impl FnMut(usize, Postings),
    ) {
        let bytes = text.as_bytes();
        let Some(first) = text.chars().find(|&c| c != ' ') else {
            return;
        };
        for (key, postings) in records(self.bucket(group, first)) {
            match match_key(key, bytes) {
                Match::Prefix(end) => {
                    if !key.last().is_some_and(|&b| splits_number(b, bytes, end)) {
                        found(end, postings);
                    }
                }
                Match::Before => {}
                // Keys come in byte order: once one sorts after the text, so do the rest, and
                // a key after the text cannot start it.
                Match::After => break,
            }
        }
    }
}

/// Where a key stands against a text (its ASCII spaces left out).
enum Match {
    /// The key starts the text; the offset just after its last byte.
    Prefix(usize),
    /// The key sorts before the text without starting it.
    Before,
    /// The key sorts after the text.
    After,
}

fn match_key(key: &[u8], text: &[u8]) -> Match {
    let mut at = 0;
    for &k in key {
        while text.get(at) == Some(&b' ') {
            at += 1;
        }
        let Some(&t) = text.get(at) else {
            return Match::After; // the text is a proper prefix of the key
        };
        if k != t {
            return if k < t { Match::Before } else { Match::After };
        }
        at += 1;
    }
    Match::Prefix(at)
}

#[cfg(test)]
mod tests {
    use super::super::{CITY_TABLE, TOWN_TABLE};
    use super::*;

    /// The reference: every key of the group tried against the text, spaces left out.
    fn brute_force(table: &NameTable, group: usize, text: &str) -> Vec<(usize, Vec<u32>)> {
        let mut out: Vec<(usize, Vec<u32>)> = table
            .group_entries(group)
            .filter_map(|(key, p)| match match_key(key, text.as_bytes()) {
                Match::Prefix(end)
                    if !(key.last().is_some_and(u8::is_ascii_digit)
                        && text.as_bytes().get(end).is_some_and(u8::is_ascii_digit)) =>
                {
                    Some((end, p.iter().collect()))
                }
                _ => None,
            })
            .collect();
        out.sort_by_key(|(end, _)| *end);
        out
    }

    fn lookup(table: &NameTable, group: usize, text: &str) -> Vec<(usize, Vec<u32>)> {
        let mut out = Vec::new();
        table.prefixes(group, text, |end, p| out.push((end, p.iter().collect())));
        out
    }

    #[test]
    fn every_town_key_is_found_before_what_follows_it() {
        let t = &TOWN_TABLE;
        let mut checked = 0;
        for city in 0..t.group_count() {
            for (key, postings) in t.group_entries(city) {
                let key = std::str::from_utf8(key).unwrap_or_default();
                for tail in ["", "1丁目2-3", " 南", "X"] {
                    let text = format!("{key}{tail}");
                    let hits = lookup(t, city, &text);
                    assert_eq!(hits, brute_force(t, city, &text), "{text}");
                    let ids: Vec<u32> = postings.iter().collect();
                    let digit_split = key.ends_with(|c: char| c.is_ascii_digit())
                        && tail.starts_with(|c: char| c.is_ascii_digit());
                    assert_eq!(
                        hits.iter().any(|(end, p)| *end == key.len() && *p == ids),
                        !digit_split,
                        "{text}"
                    );
                }
                checked += 1;
            }
        }
        assert!(checked > 100_000, "{checked} town keys");
    }

    #[test]
    fn spaces_inside_the_text_are_stepped_over() {
        let t = &CITY_TABLE;
        let hits = lookup(t, 0, "世田 谷区 太子堂");
        assert!(
            hits.iter().any(|&(end, _)| end == "世田 谷区".len()),
            "{hits:?}"
        );
        assert_eq!(hits, brute_force(t, 0, "世田 谷区 太子堂"));
        assert!(lookup(t, 0, "").is_empty() && lookup(t, 0, "   ").is_empty());
    }

    #[test]
    fn agrees_with_every_key_of_every_city_against_mixed_texts() {
        let t = &CITY_TABLE;
        let keys: Vec<String> = t
            .group_entries(0)
            .map(|(k, _)| String::from_utf8_lossy(k).into_owned())
            .collect();
        assert!(keys.len() > 1900, "{} spellings", keys.len());
        // Each key followed by the start of another: the longest run of prefixes.
        for (i, k) in keys.iter().enumerate() {
            let text = format!("{k}{}", keys[(i * 7 + 3) % keys.len()]);
            assert_eq!(lookup(t, 0, &text), brute_force(t, 0, &text), "{text}");
        }
    }

    #[test]
    fn groups_out_of_range_are_empty() {
        assert!(lookup(&TOWN_TABLE, usize::MAX / 2, "銀座").is_empty());
        assert!(lookup(&CITY_TABLE, 1, "札幌市").is_empty());
    }
}
