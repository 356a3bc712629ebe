//! Look-alike kanji: a town or municipality name one mistyped character away, accepted only
//! when nothing else can be meant.
//!
//! Variant forms of one character (舘/館, 塩竈/塩釜) are folded by [`crate::normalize`] and
//! need nothing here. Look-alikes are *different* characters that a hand or an OCR pass swaps
//! for one another (己/巳/已, 冶/治, 祇/祗 …, [`LOOKALIKES`]): 鍛冶町 and 鍛治町 are both real
//! towns, sometimes in one municipality, so they can never share a key. Instead, when the exact
//! lookup misses ([`super::locate`] found no town, or a town followed by more name rather than
//! its block number), the written name is tried with one look-alike substituted, and the
//! result is accepted only if
//!
//! * the text after the name begins with the block number, so the name's end is known;
//! * the name has three or more characters (辰己 is not read as 辰巳: too little is left to
//!   tell a typo from another place);
//! * exactly one name of the municipality fits (of the prefecture, for a municipality): 辰已町
//!   in 阿南市, one stroke from both 辰己町 and 辰巳町, stays unknown.
//!
//! The address is then flagged [`crate::Anomaly::FuzzyTown`] / [`crate::Anomaly::FuzzyCity`].
//! There is deliberately no edit distance: a real town missing from the gazetteer must not
//! take its neighbour's key because their names are one character apart.
//!
//! Cost: nothing on the common path (an exact match never gets here); on a miss, a scan of the
//! name for the dozen look-alike characters, and one gazetteer walk per substitution.

use super::location::{skip_spaces, town_starts, Location};
use crate::gazetteer::{CityId, Gazetteer, TownId};

/// Groups of kanji that differ by a stroke or a radical and are mistaken for one another in
/// place names. No registry source lists look-alikes (Unicode's confusables and Unihan's
/// kSpoofingVariant hold none of these), so the list is curated, small and explicit; see
/// `dictionaries/NOTICE.md`. Every char is its own matching form (tested).
pub const LOOKALIKES: &[&[char]] = &[
    // おのれ / み (辰巳) / すでに: the hook of the last stroke open, closed or half closed
    // (己斐 in 広島市西区, 辰巳町, 一已 in 秩父別町).
    &['己', '巳', '已'],
    // 文 or 刂 between the two 王 (斑鳩町, 斑尾高原 / 班渓).
    &['斑', '班'],
    // 冫 or 氵 (鍛冶町 / 明治町, 塩冶町 in 出雲市).
    &['冶', '治'],
    // 氏 or 氐 (祇園 written 祗園).
    &['祇', '祗'],
    // 木 or 扌 (櫟本町 in 天理市).
    &['櫟', '擽'],
    // 金 or 食 (飽海郡, 塩飽町 / 氷鉋 in 長野市).
    &['鉋', '飽'],
];

/// Shortest name (in characters) accepted one look-alike away.
const MIN_NAME_CHARS: usize = 3;

/// How far into the text after the prefecture a mistyped municipality is looked for.
const CITY_SCAN_CHARS: usize = 12;

/// The other members of `c`'s look-alike group (empty for most characters).
fn lookalikes(c: char) -> &'static [char] {
    if (c as u32) < 0x4E00 {
        return &[];
    }
    LOOKALIKES
        .iter()
        .find(|group| group.contains(&c))
        .copied()
        .unwrap_or(&[])
}

/// A better location than `best` one look-alike away, if the exact lookup missed and exactly
/// one name fits; `None` keeps `best`.
pub(super) fn retry(g: &Gazetteer, text: &str, best: Location) -> Option<Location> {
    if best.ambiguous {
        return None; // several municipalities fit already: a guess on top would hide it
    }
    match best.city {
        Some(city) => town(g, text, best, city),
        None => city(g, text, best, best.pref?),
    }
}

/// True when a block number starts at `pos` (after spaces).
fn block_follows(text: &str, pos: usize) -> bool {
    text.as_bytes()
        .get(skip_spaces(text, pos))
        .is_some_and(u8::is_ascii_digit)
}

/// Each look-alike substitution in `text[from..]` before the first digit (and within `limit`
/// characters): calls `try_one(offset of the char, text[from..] with it substituted)`.
fn substitutions(text: &str, from: usize, limit: usize, mut try_one: impl FnMut(usize, &str)) {
    let rest = &text[from..];
    let mut buf = String::new();
    // A name may begin with a folded numeral (一已町 is `1已町` in the matching form): only a
    // digit after the name's first letter is the block number.
    let mut in_name = false;
    for (i, c) in rest.char_indices().take(limit) {
        if c.is_ascii_digit() {
            if in_name {
                break;
            }
            continue;
        }
        in_name = true;
        for &alt in lookalikes(c).iter().filter(|&&alt| alt != c) {
            buf.clear();
            buf.push_str(&rest[..i]);
            buf.push(alt);
            buf.push_str(&rest[i + c.len_utf8()..]);
            try_one(i, &buf);
        }
    }
}

/// The town of `city` one look-alike away from what follows `best.town_start`.
fn town(g: &Gazetteer, text: &str, best: Location, city: CityId) -> Option<Location> {
    if best.town.is_some() && (block_follows(text, best.end) || best.end >= text.len()) {
        return None; // an exact town and its block number: not a miss
    }
    let from = best.town_start;
    // Distinct towns that fit (by their first posting, so the two rows of one town written
    // two ways count once), with the end of the longest fitting spelling.
    let mut fits: Vec<(TownId, usize)> = Vec::new();
    substitutions(text, from, usize::MAX, |at_char, written| {
        for start in town_starts(written, 0) {
            g.town_prefixes(city, &written[start..], |len, ids| {
                let end = start + len;
                let Some(first) = ids.iter().min() else {
                    return;
                };
                if end <= at_char
                    || !block_follows(written, end)
                    || g.town(first).name_chars() < MIN_NAME_CHARS
                {
                    return;
                }
                match fits.iter_mut().find(|(t, _)| *t == first) {
                    Some((_, e)) => *e = (*e).max(from + end),
                    None => fits.push((first, from + end)),
                }
            });
        }
    });
    // Substitutions keep byte lengths (every look-alike is 3 bytes, tested), so an end in the
    // substituted text is a char boundary of `text`; checked all the same.
    match fits.as_slice() {
        [(t, end)] if (*end > best.end || best.town.is_none()) && text.is_char_boundary(*end) => {
            Some(Location {
                town: Some(*t),
                end: *end,
                chome: None,
                ambiguous: false,
                fuzzy_town: true,
                ..best
            })
        }
        _ => None,
    }
}

/// The municipality of `pref` one look-alike away from what follows the prefecture, with the
/// exact town after it (or its block number directly).
fn city(g: &Gazetteer, text: &str, best: Location, pref: u8) -> Option<Location> {
    let from = skip_spaces(text, best.end);
    let mut fits: Vec<(CityId, usize)> = Vec::new();
    substitutions(text, from, CITY_SCAN_CHARS, |at_char, written| {
        g.city_prefixes(written, |end, ids| {
            for id in ids.iter() {
                let id = id as CityId;
                let c = g.city(id);
                if end <= at_char || c.pref != pref || c.name.chars().count() < MIN_NAME_CHARS {
                    continue;
                }
                match fits.iter_mut().find(|(f, _)| *f == id) {
                    Some((_, e)) => *e = (*e).max(from + end),
                    None => fits.push((id, from + end)),
                }
            }
        });
    });
    let [(id, city_end)] = fits.as_slice() else {
        return None;
    };
    if !text.is_char_boundary(*city_end) {
        return None;
    }
    let after = skip_spaces(text, *city_end);
    let base = Location {
        pref: Some(pref),
        city: Some(*id),
        end: after,
        town_start: after,
        duplicated_pref: best.duplicated_pref,
        fuzzy_city: true,
        ..Location::default()
    };
    if block_follows(text, after) {
        return Some(base);
    }
    // The town must be written exactly and end at the block number: that is what tells
    // where the municipality's name ended.
    let mut town_end: Option<(usize, TownId)> = None;
    for start in town_starts(text, after) {
        g.town_prefixes(*id, &text[start..], |len, ids| {
            let end = start + len;
            if let Some(t) = ids.iter().min() {
                if block_follows(text, end) && town_end.is_none_or(|(e, _)| end > e) {
                    town_end = Some((end, t));
                }
            }
        });
    }
    let (end, t) = town_end?;
    Some(Location {
        town: Some(t),
        end,
        ..base
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::{match_variant, modern};

    #[test]
    fn lookalikes_are_their_own_matching_form() {
        for group in LOOKALIKES {
            assert!(group.len() >= 2);
            for &c in *group {
                assert_eq!(match_variant(modern(c)), c, "{c} is folded to another char");
                assert_eq!(c.len_utf8(), 3);
                assert!(lookalikes(c).contains(&c));
                let others = LOOKALIKES.iter().filter(|g| g.contains(&c)).count();
                assert_eq!(others, 1, "{c} is in two groups");
            }
        }
        assert!(lookalikes('東').is_empty());
        assert!(lookalikes('a').is_empty());
    }

    #[test]
    fn substitutions_stop_at_the_block_number() {
        let mut seen = Vec::new();
        substitutions("x己斐冶1冶", 0, usize::MAX, |at, s| {
            seen.push((at, s.to_owned()))
        });
        let got: Vec<_> = seen.iter().map(|(at, s)| (*at, s.as_str())).collect();
        assert_eq!(
            got,
            [(1, "x巳斐冶1冶"), (1, "x已斐冶1冶"), (7, "x己斐治1冶"),]
        );
    }

    #[test]
    fn substitutions_step_over_a_leading_folded_numeral() {
        let mut seen = Vec::new();
        substitutions("1巳町100", 0, usize::MAX, |at, s| {
            seen.push((at, s.to_owned()))
        });
        let got: Vec<_> = seen.iter().map(|(at, s)| (*at, s.as_str())).collect();
        assert_eq!(got, [(1, "1己町100"), (1, "1已町100")]);
    }
}
