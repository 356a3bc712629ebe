//! Locating an address in the gazetteer: prefecture → municipality → town.
//!
//! Every way of reading the front of the folded text is a `Candidate`: with or without the
//! prefecture, each municipality spelling that starts the rest (with or without 郡, a
//! designated city with or without its ward), each town of those municipalities that starts
//! what follows (大字/字 optional), or — when the municipality was left out — each town of the
//! prefecture. Candidates are scored on how much they explain and on whether a block number
//! follows the town, and the best wins; equally good candidates in different municipalities
//! make the address ambiguous. Repeated prefecture or municipality names and Kyoto street
//! directions (…通…上る) are stepped over here too.

pub use super::location::Location;
use super::location::{skip_spaces, town_starts};
use crate::gazetteer::{ChomeRange, CityId, Gazetteer, TownId};
use crate::normalize::name_key;
use smallvec::{smallvec, SmallVec};
use std::sync::LazyLock;

#[derive(Debug, Clone, Copy)]
struct Candidate {
    loc: Location,
    score: i32,
}

/// A prefecture spelling: (code, folded key, is the full name).
type PrefSpelling = (u8, String, bool);

/// Folded spellings of the prefectures, grouped by their first character (sorted, for a
/// binary search): each group lists full names first, then short ones, as
/// `(code, key, is the full name)`. A parse looks at one group, not all 94 spellings.
static PREF_KEYS: LazyLock<Vec<(char, Vec<PrefSpelling>)>> = LazyLock::new(|| {
    let g = Gazetteer::get();
    let mut all: Vec<PrefSpelling> = Vec::new();
    for p in g.prefectures() {
        all.push((p.code, name_key(p.name), true));
    }
    for p in g.prefectures() {
        if p.short != p.name {
            all.push((p.code, name_key(p.short), false));
        }
    }
    let mut groups: Vec<(char, Vec<PrefSpelling>)> = Vec::new();
    for entry in all {
        let Some(first) = entry.1.chars().next() else {
            continue;
        };
        match groups.iter_mut().find(|(c, _)| *c == first) {
            Some((_, group)) => group.push(entry),
            None => groups.push((first, vec![entry])),
        }
    }
    groups.sort_by_key(|(c, _)| *c);
    groups
});

/// Folded spellings of each municipality, by city index: with its 郡, then without (for
/// spotting a municipality written twice without folding names on every parse).
static CITY_KEYS: LazyLock<Vec<[String; 2]>> = LazyLock::new(|| {
    Gazetteer::get()
        .cities()
        .iter()
        .map(|c| [name_key(&c.full_name()), name_key(c.name)])
        .collect()
});

/// Kyoto's street directions, after which the town name comes.
const KYOTO_DIRECTIONS: [&str; 10] = [
    "上る",
    "上ル",
    "下る",
    "下ル",
    "東入る",
    "東入ル",
    "東入",
    "西入る",
    "西入ル",
    "西入",
];

/// Prefectures written at `pos`: (code, end, was the full name).
fn prefectures_at(text: &str, pos: usize) -> SmallVec<[(u8, usize, bool); 2]> {
    let rest = &text[pos..];
    let mut out = SmallVec::new();
    let Some(first) = rest.chars().next() else {
        return out;
    };
    let keys = &*PREF_KEYS;
    let Ok(i) = keys.binary_search_by_key(&first, |(c, _)| *c) else {
        return out;
    };
    for (code, key, full) in &keys[i].1 {
        if rest.starts_with(key.as_str()) && !out.iter().any(|&(c, _, _)| c == *code) {
            out.push((*code, pos + key.len(), *full));
        }
    }
    out
}

/// One way to read the text's start: (prefecture, where the rest starts, the prefecture's
/// full name was written, it was written twice). The first reading has no prefecture.
type PrefReading = (Option<u8>, usize, bool, bool);

/// Finds the best location for the folded text.
pub fn locate(text: &str) -> Location {
    locate_near(text, &[])
}

/// [`locate`], knowing the municipalities a postal code covers (`postal_cities`, see
/// [`super::postal`]): among equally good readings the one in them wins, and when the text
/// names no municipality their towns are tried (the prefecture and municipality left out).
pub fn locate_near(text: &str, postal_cities: &[CityId]) -> Location {
    let g = Gazetteer::get();
    let start = skip_spaces(text, 0);
    // Sized once for the usual handful of readings (a `Vec` grows from 4 by doubling).
    let mut cands: Vec<Candidate> = Vec::with_capacity(16);

    // Prefecture readings: none, or each prefecture written at the start.
    let mut pref_readings: SmallVec<[PrefReading; 3]> = smallvec![(None, start, false, false)];
    for (code, end, full) in prefectures_at(text, start) {
        let mut end = skip_spaces(text, end);
        let mut dup = false;
        // 東京都東京都… : the same prefecture again.
        if let Some(&(_, end2, _)) = prefectures_at(text, end)
            .iter()
            .find(|&&(c, _, f)| c == code && f)
        {
            end = skip_spaces(text, end2);
            dup = true;
        }
        pref_readings.push((Some(code), end, full, dup));
    }

    let mut city_written = false;
    for &(pref, pos, full_pref, dup_pref) in &pref_readings {
        let mut found_city = false;
        let mut city_hits: SmallVec<[(usize, CityId); 4]> = SmallVec::new();
        g.city_prefixes(&text[pos..], |end, ids| {
            for id in ids.iter() {
                city_hits.push((pos + end, id as CityId));
            }
        });
        let in_pref: SmallVec<[_; 4]> = city_hits
            .iter()
            .copied()
            .filter(|&(_, id)| pref.is_none_or(|p| g.city(id).pref == p))
            .collect();
        let (mut hits, mismatch) = if in_pref.is_empty() && pref.is_some() && full_pref {
            (city_hits, true)
        } else {
            (in_pref, false)
        };
        // The longest spelling wins: 京都市下京区 over 京都市 (all wards).
        let longest = hits.iter().map(|&(end, _)| end).max().unwrap_or(0);
        hits.retain(|&mut (end, _)| end == longest);
        for (end, id) in hits {
            found_city = true;
            let city = g.city(id);
            let after = skip_spaces(text, end);
            let mut dup_city = false;
            // 世田谷区世田谷区… : the municipality again (its full spelling, with or
            // without its 郡).
            let repeated = CITY_KEYS[id as usize]
                .iter()
                .find(|k| text[after..].starts_with(k.as_str()));
            if let Some(key) = repeated {
                let again = skip_spaces(text, after + key.len());
                if town_candidates(g, id, text, again).next().is_some() {
                    add_towns(
                        g,
                        &mut cands,
                        text,
                        again,
                        Location {
                            pref: Some(city.pref),
                            city: Some(id),
                            duplicated_pref: dup_pref,
                            duplicated_city: true,
                            pref_mismatch: mismatch,
                            town_start: again,
                            end: again,
                            ..Location::default()
                        },
                        score_base(pref, full_pref, mismatch) + 5,
                    );
                    dup_city = true;
                }
            }
            let base = Location {
                pref: Some(city.pref),
                city: Some(id),
                duplicated_pref: dup_pref,
                pref_mismatch: mismatch,
                town_start: after,
                end: after,
                ..Location::default()
            };
            let s = score_base(pref, full_pref, mismatch);
            if !dup_city {
                // 東京都世田谷区東京都黒猫… : the prefecture written again after the city.
                if let Some(&(_, e, _)) = prefectures_at(text, after)
                    .iter()
                    .find(|&&(c, _, f)| c == city.pref && f)
                {
                    let again = skip_spaces(text, e);
                    let before = cands.len();
                    add_towns(
                        g,
                        &mut cands,
                        text,
                        again,
                        Location {
                            duplicated_pref: true,
                            town_start: again,
                            end: again,
                            ..base
                        },
                        s,
                    );
                    if cands.len() == before {
                        cands.push(Candidate {
                            loc: Location {
                                duplicated_pref: true,
                                town_start: again,
                                end: again,
                                ..base
                            },
                            score: s + city_len_score(end - pos),
                        });
                    }
                }
            }
            let before = cands.len();
            add_towns(g, &mut cands, text, base.end, base, s);
            add_kyoto_towns(g, &mut cands, text, base, s);
            add_sapporo_shorthand(g, &mut cands, text, base, s);
            add_sapporo_four_numbers(g, &mut cands, text, base, s);
            if cands.len() == before {
                // No town of the municipality starts the text: maybe one written short.
                add_short_towns(g, &mut cands, text, base, s);
            }
            // The city alone (unknown town or none).
            cands.push(Candidate {
                loc: base,
                score: s + city_len_score(end - pos),
            });
        }
        city_written |= found_city && !mismatch;
        // Municipality left out (or only found in another prefecture): towns of the
        // prefecture.
        if !found_city || mismatch {
            if let Some(p) = pref {
                let mut hits: SmallVec<[(usize, TownId); 8]> = SmallVec::new();
                for at in town_starts(text, pos) {
                    g.any_town_prefixes(&text[at..], |end, ids| {
                        for t in ids.iter() {
                            hits.push((at + end, t));
                        }
                    });
                }
                for (end, t) in hits {
                    let town = g.town(t);
                    if g.city(town.city).pref != p {
                        continue;
                    }
                    let loc = Location {
                        pref: Some(p),
                        city: Some(town.city),
                        town: Some(t),
                        end,
                        duplicated_pref: dup_pref,
                        town_start: pos,
                        ..Location::default()
                    };
                    cands.push(Candidate {
                        loc,
                        score: score_base(pref, full_pref, false) - 4 + town_score(g, t, text, end),
                    });
                }
                cands.push(Candidate {
                    loc: Location {
                        pref: Some(p),
                        end: pos,
                        town_start: pos,
                        duplicated_pref: dup_pref,
                        ..Location::default()
                    },
                    score: if full_pref { 2 } else { 0 },
                });
            }
        }
    }

    if !city_written {
        add_postal_towns(g, &mut cands, text, &pref_readings, postal_cities);
    }
    let best = pick(cands, postal_cities);
    if best.pref.is_none() && best.city.is_none() {
        if let Some(found) = town_anywhere(g, text, start) {
            return found;
        }
    }
    // Only on a miss: a look-alike kanji one substitution away (己/巳, 冶/治 …).
    super::fuzzy::retry(g, text, best).unwrap_or(best)
}

/// Neither prefecture nor municipality written (`紀尾井町1-3`, `久太郎町4丁目渡辺3号`): the
/// towns of all Japan whose name starts the text and is followed by a block number — a
/// number written `N丁目` must be one of the town's chome. The longest such name wins; when
/// all its towns are in one municipality, that town (and its municipality) is the reading;
/// else no municipality is guessed: `ambiguous`, with the prefecture only when they share
/// it. `None` when no town fits.
fn town_anywhere(g: &Gazetteer, text: &str, start: usize) -> Option<Location> {
    let mut hits: SmallVec<[(usize, TownId); 8]> = SmallVec::new();
    for at in town_starts(text, start) {
        g.any_town_prefixes(&text[at..], |end, ids| {
            for t in ids.iter() {
                hits.push((at + end, t));
            }
        });
    }
    hits.retain(|&mut (end, t)| {
        let next = skip_spaces(text, end);
        let rest = &text[next..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > MAX_BLOCK_DIGITS {
            return false;
        }
        if !rest[digits..].starts_with('丁') {
            return true;
        }
        let town = g.town(t);
        rest[..digits].parse().is_ok_and(|n| {
            town.accepts_chome(n) || matches!(town.chome_range(), ChomeRange::Unknown)
        })
    });
    let longest = hits.iter().map(|&(end, _)| end).max()?;
    hits.retain(|&mut (end, _)| end == longest);
    let (end, t) = *hits.first()?;
    let town = g.town(t);
    let pref = g.city(town.city).pref;
    if hits
        .iter()
        .any(|&(_, other)| g.town(other).city != town.city)
    {
        // Several municipalities have a town of that name: no guess. The prefecture stays
        // when they share it.
        let same_pref = hits
            .iter()
            .all(|&(_, other)| g.city(g.town(other).city).pref == pref);
        return Some(Location {
            pref: same_pref.then_some(pref),
            end: start,
            town_start: start,
            ambiguous: true,
            ..Location::default()
        });
    }
    Some(Location {
        pref: Some(pref),
        city: Some(town.city),
        town: Some(t),
        end,
        town_start: start,
        ..Location::default()
    })
}

/// The municipality left out, a postal code naming it: the towns of the code's
/// municipalities (in the written prefecture, if any), scored like a town found in the
/// prefecture; else the municipality alone.
fn add_postal_towns(
    g: &Gazetteer,
    cands: &mut Vec<Candidate>,
    text: &str,
    pref_readings: &[PrefReading],
    postal_cities: &[CityId],
) {
    for &(pref, pos, full_pref, dup_pref) in pref_readings {
        for &id in postal_cities {
            let city = g.city(id);
            if pref.is_some_and(|p| p != city.pref) {
                continue;
            }
            let base = Location {
                pref: Some(city.pref),
                city: Some(id),
                duplicated_pref: dup_pref,
                town_start: pos,
                end: pos,
                ..Location::default()
            };
            let s = score_base(pref, full_pref, false);
            add_towns(g, cands, text, pos, base, s - 14);
            // Above the prefecture alone: the code does name the municipality.
            cands.push(Candidate {
                loc: base,
                score: s,
            });
        }
    }
}

fn town_candidates<'a>(
    g: &'a Gazetteer,
    city: CityId,
    text: &'a str,
    pos: usize,
) -> impl Iterator<Item = (usize, TownId)> + 'a {
    let mut hits = Vec::new();
    for at in town_starts(text, pos) {
        g.town_prefixes(city, &text[at..], |end, ids| {
            for t in ids.iter() {
                hits.push((at + end, t));
            }
        });
        add_inner_oaza_towns(g, city, text, at, &mut hits);
    }
    hits.into_iter()
}

/// Longest former-town name (旧町名) read before an inner 大字, in characters.
const MAX_FORMER_TOWN_CHARS: usize = 8;

/// Merged municipalities write 旧町名 + 大字 + 大字名 (`鎮西町大字名護屋`) where the gazetteer
/// has `鎮西町名護屋`, and likewise 旧村名 + 字 + 字名 (`沢内字太田` for `沢内太田`): towns read
/// with the inner 大字 or 字 left out, their ends mapped back to the text. A hit needs the joined
/// name in the gazetteer, so a 小字 after a whole town (`一箕町亀賀字北柳原`) is not joined.
/// Costs nothing unless 大字 or 字 follows within a few characters.
fn add_inner_oaza_towns(
    g: &Gazetteer,
    city: CityId,
    text: &str,
    at: usize,
    hits: &mut Vec<(usize, TownId)>,
) {
    let rest = &text[at..];
    // 字 is U+5B57 (E5 AD 97): nothing to do unless its last byte is there at all.
    let near = rest.len().min(3 * (MAX_FORMER_TOWN_CHARS + 2));
    if !rest.as_bytes()[..near].contains(&0x97) {
        return;
    }
    let window = rest
        .char_indices()
        .nth(MAX_FORMER_TOWN_CHARS + 1)
        .map_or(rest.len(), |(i, _)| i);
    let Some(k) = rest[..window].find('字').filter(|&k| k > 0) else {
        return;
    };
    // 大字 or a bare 字.
    let (cut, mark_len) = match rest[..k].strip_suffix('大') {
        Some(before) => (before.len(), "大字".len()),
        None => (k, "字".len()),
    };
    if cut == 0 {
        return;
    }
    // The former town is a name: no space or dash, and not ending in a number. Digits inside
    // are folded numerals (八本松町 is `8本松町` in the matching form).
    let former = &rest[..cut];
    if former.contains([' ', '-']) || former.ends_with(|c: char| c.is_ascii_digit()) {
        return;
    }
    let mut joined = String::with_capacity(rest.len());
    joined.push_str(former);
    joined.push_str(&rest[cut + mark_len..]);
    g.town_prefixes(city, &joined, |end, ids| {
        if end <= cut {
            return; // the former town alone is found without the cut
        }
        for t in ids.iter() {
            hits.push((at + end + mark_len, t));
        }
    });
}

fn add_towns(
    g: &Gazetteer,
    cands: &mut Vec<Candidate>,
    text: &str,
    pos: usize,
    base: Location,
    score: i32,
) {
    let Some(city) = base.city else { return };
    for (end, t) in town_candidates(g, city, text, pos) {
        cands.push(Candidate {
            loc: Location {
                town: Some(t),
                end,
                ..base
            },
            score: score + 10 + town_score(g, t, text, end),
        });
    }
}

/// Kyoto: the town comes after a street and a direction (寺町通御池上る上本能寺前町).
fn add_kyoto_towns(
    g: &Gazetteer,
    cands: &mut Vec<Candidate>,
    text: &str,
    base: Location,
    score: i32,
) {
    let Some(city) = base.city else { return };
    if !g.city(city).code.starts_with("261") {
        return;
    }
    for after in direction_ends(text, base.end) {
        let loc = Location {
            town_start: after,
            ..base
        };
        add_towns(g, cands, text, after, loc, score);
    }
}

/// Offsets just after each Kyoto street direction (上る, 西入…) within the 24 characters from
/// `pos`, where a street and its direction are written.
fn direction_ends(text: &str, pos: usize) -> impl Iterator<Item = usize> + '_ {
    let rest = &text[pos..];
    let window = &rest[..rest.char_indices().nth(24).map_or(rest.len(), |(i, _)| i)];
    KYOTO_DIRECTIONS.iter().flat_map(move |dir| {
        window
            .match_indices(dir)
            .map(move |(i, d)| pos + i + d.len())
    })
}

/// Kyoto writes the street after the town too (忠庵町柳馬場通松原下ル(忠庵町)316): steps over
/// a street and its direction, and a repeated town in brackets, up to the block number.
pub fn skip_kyoto_street(text: &str, pos: usize) -> usize {
    let Some(mut at) = direction_ends(text, pos).max() else {
        return pos;
    };
    if text[at..].starts_with('(') {
        if let Some(close) = text[at..].find(')') {
            at += close + 1;
        }
    }
    skip_spaces(text, at)
}

/// Sapporo's shorthand: 北3西1 for 北3条西1丁目 (and 南…東…), then the block.
fn add_sapporo_shorthand(
    g: &Gazetteer,
    cands: &mut Vec<Candidate>,
    text: &str,
    base: Location,
    score: i32,
) {
    let Some(city) = base.city else { return };
    if !g.city(city).code.starts_with("011") {
        return;
    }
    let rest = &text[base.end..];
    let Some(ns) = rest.chars().next().filter(|c| matches!(c, '北' | '南')) else {
        return;
    };
    let after_ns = &rest[ns.len_utf8()..];
    let d1 = after_ns.bytes().take_while(u8::is_ascii_digit).count();
    let Some(ew) = after_ns[d1..]
        .chars()
        .next()
        .filter(|c| matches!(c, '東' | '西'))
    else {
        return;
    };
    let after_ew = &after_ns[d1 + ew.len_utf8()..];
    let d2 = after_ew.bytes().take_while(u8::is_ascii_digit).count();
    if d1 == 0 || d1 > 2 || d2 == 0 || d2 > 2 {
        return;
    }
    let key = format!("{ns}{}条{ew}", &after_ns[..d1]);
    let chome: u32 = after_ew[..d2].parse().unwrap_or(0);
    let mut end = base.end + ns.len_utf8() + d1 + ew.len_utf8() + d2;
    if text[end..].starts_with('-') {
        end += 1;
    }
    g.town_prefixes(city, &key, |len, ids| {
        if len != key.len() {
            return;
        }
        for t in ids.iter() {
            cands.push(Candidate {
                loc: Location {
                    town: Some(t),
                    end,
                    chome: Some(chome),
                    ..base
                },
                score: score + 10 + town_score(g, t, text, end),
            });
        }
    });
}

/// Hokkaido's four-number form: `北郷1-2-3-4` for 北郷1条2丁目3番4号, read when the town
/// with its 条 (`北郷1条`) exists, four numbers follow the bare town name and the second fits
/// that town's chome. The bare name need not be a town itself (`月寒東3-18-1-72`: only
/// 月寒東一条…五条 exist): the name up to the first digit is tried too.
fn add_sapporo_four_numbers(
    g: &Gazetteer,
    cands: &mut Vec<Candidate>,
    text: &str,
    base: Location,
    score: i32,
) {
    let Some(city) = base.city else { return };
    if !g.city(city).code.starts_with("01") {
        return;
    }
    let mut found = Vec::new();
    let mut ends: SmallVec<[usize; 4]> = town_candidates(g, city, text, base.end)
        .map(|(end, _)| end)
        .collect();
    if let Some(digit) = text[base.end..].find(|c: char| c.is_ascii_digit()) {
        let name = &text[base.end..base.end + digit];
        if !name.is_empty() && !name.contains([' ', '-']) && !ends.contains(&(base.end + digit)) {
            ends.push(base.end + digit);
        }
    }
    for end in ends {
        let numbers = &text[end..];
        // Three numbers each followed by its hyphen, then a fourth (`1条北1-13-9-412` is not).
        let pieces: SmallVec<[&str; 4]> = numbers.split('-').take(4).collect();
        let lens: SmallVec<[usize; 4]> = pieces
            .iter()
            .map(|n| n.bytes().take_while(u8::is_ascii_digit).count())
            .collect();
        let whole = pieces.iter().zip(&lens).take(3).all(|(p, &l)| p.len() == l);
        let four =
            whole && lens.len() == 4 && lens.iter().all(|&l| (1..=MAX_BLOCK_DIGITS).contains(&l));
        if !four || lens[0] > 2 || lens[1] > 2 {
            continue;
        }
        let jo = &numbers[..lens[0]];
        let chome: u32 = numbers[lens[0] + 1..lens[0] + 1 + lens[1]]
            .parse()
            .unwrap_or(0);
        let mut key = String::with_capacity(end - base.end + jo.len() + "条".len());
        key.push_str(&text[base.end..end]);
        key.push_str(jo);
        key.push('条');
        let block_at = end + lens[0] + 1 + lens[1] + 1;
        g.town_prefixes(city, &key, |len, ids| {
            if len == key.len() {
                found.extend(
                    ids.iter()
                        .filter(|&t| {
                            let town = g.town(t);
                            !town.has_chome() || town.accepts_chome(chome)
                        })
                        .map(|t| (t, chome, block_at)),
                );
            }
        });
    }
    for (t, chome, end) in found {
        cands.push(Candidate {
            loc: Location {
                town: Some(t),
                end,
                chome: Some(chome),
                ..base
            },
            score: score + 10 + town_score(g, t, text, end),
        });
    }
}

/// A town written short, read under the part-5 rule (only when exactly one gazetteer name
/// fits, never by edit distance), with the block number right after the written name:
///
/// * without its final 町: `釧路市豊川8-19` → 豊川町 (`寄木第1地割…` is tried as `寄木`);
/// * `北3-4-17` for a town spelled `…北三番町`: `名張市つつじが丘北3-4-17` → つつじが丘北三番町,
///   banchi 4, go 17 (the first number and its hyphen are the town's).
///
/// Scored below a town written whole, so a town of the written name always wins.
fn add_short_towns(
    g: &Gazetteer,
    cands: &mut Vec<Candidate>,
    text: &str,
    base: Location,
    score: i32,
) {
    let Some(city) = base.city else { return };
    let rest = &text[base.end..];
    let Some(digit) = rest.find(|c: char| c.is_ascii_digit()) else {
        return;
    };
    let written = rest[..digit].trim_end_matches(' ');
    let name = written
        .strip_suffix('第')
        .unwrap_or(written)
        .trim_end_matches(' ');
    if name.chars().count() < 2 || name.contains([' ', '-']) || name.len() > 36 {
        return;
    }
    let mut fits: SmallVec<[(TownId, usize); 2]> = SmallVec::new();
    let exact = |key: &str, end: usize, fits: &mut SmallVec<[(TownId, usize); 2]>| {
        g.town_prefixes(city, key, |len, ids| {
            if len == key.len() {
                fits.extend(ids.iter().map(|t| (t, end)));
            }
        });
    };
    let name_end = base.end + name.len();
    exact(&format!("{name}町"), name_end, &mut fits);
    if !fits.is_empty() && towns_starting_with(g, city, name) > 1 {
        // `牛島` could be 牛島町, 牛島新町 or 牛島本町: more than one name fits.
        fits.clear();
    }
    // `…北3-`: the number and its hyphen close a town spelled `…北N番町`.
    let digits = rest[digit..].bytes().take_while(u8::is_ascii_digit).count();
    if digit == name.len() && digits <= 2 && rest[digit + digits..].starts_with('-') {
        let n = &rest[digit..digit + digits];
        exact(
            &format!("{name}{n}番町"),
            base.end + digit + digits + 1,
            &mut fits,
        );
    }
    if let [(t, end)] = fits[..] {
        cands.push(Candidate {
            loc: Location {
                town: Some(t),
                end,
                ..base
            },
            score: score - 2 + town_score(g, t, text, end),
        });
    }
}

/// Every municipality's towns (by city index), listed on first use.
static TOWNS_BY_CITY: LazyLock<Vec<Vec<TownId>>> = LazyLock::new(|| {
    let g = Gazetteer::get();
    let mut by_city = vec![Vec::new(); g.cities().len()];
    for id in 0..g.town_count() as TownId {
        if let Some(list) = by_city.get_mut(g.town(id).city as usize) {
            list.push(id);
        }
    }
    by_city
});

/// How many towns of `city` have a folded name starting with `name` (folded), counting a
/// name listed twice once. Walks the municipality's towns: only for a short town that fits.
fn towns_starting_with(g: &Gazetteer, city: CityId, name: &str) -> usize {
    let mut names: SmallVec<[String; 4]> = SmallVec::new();
    for &t in TOWNS_BY_CITY
        .get(city as usize)
        .map_or(&[][..], Vec::as_slice)
    {
        let key = name_key(g.town(t).name);
        if key.starts_with(name) && !names.contains(&key) {
            names.push(key);
        }
    }
    names.len()
}

/// Longest digit run read as one block number.
const MAX_BLOCK_DIGITS: usize = 6;

fn score_base(pref: Option<u8>, full_pref: bool, mismatch: bool) -> i32 {
    let mut s = 0;
    if pref.is_some() {
        s += if full_pref { 3 } else { 1 };
    }
    if mismatch {
        // A full prefecture written is strong evidence: another prefecture's municipality
        // wins only when nothing in the written one explains the text.
        s -= 15;
    }
    s
}

fn city_len_score(len: usize) -> i32 {
    (len / 3).min(6) as i32
}

/// How well a town explains the text: its length and what follows it.
fn town_score(g: &Gazetteer, t: TownId, text: &str, end: usize) -> i32 {
    let town = g.town(t);
    let mut s = (town.name_chars() as i32).min(12);
    if town.in_japan_post() {
        s += 1;
    }
    let next = skip_spaces(text, end);
    let rest = &text[next..];
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if rest.is_empty() {
        s += 4;
    } else if digits > 0 {
        s += 8;
        let n: u32 = rest[..digits.min(6)].parse().unwrap_or(0);
        let after = &rest[digits..];
        if after.starts_with("丁") {
            s += if town.accepts_chome(n) {
                4
            } else if town.has_chome() {
                -2
            } else {
                -1
            };
        } else if town.has_chome() && town.accepts_chome(n) {
            s += 2;
        }
    } else if rest.starts_with('第') || rest.starts_with('字') || rest.starts_with('-') {
        s += 3;
    } else if rest.starts_with(|c: char| c.is_ascii_alphabetic() || is_katakana(c)) {
        s += 2; // a building name right after the town
    } else {
        s -= 3; // more name follows: maybe a longer town we do not know
    }
    s
}

fn is_katakana(c: char) -> bool {
    ('\u{30A1}'..='\u{30FA}').contains(&c)
}

fn pick(mut cands: Vec<Candidate>, postal_cities: &[CityId]) -> Location {
    if cands.is_empty() {
        return Location::default();
    }
    let in_postal = |c: &Candidate| c.loc.city.is_some_and(|id| postal_cities.contains(&id));
    // Highest score; among equals, one in the postal code's municipalities, then the one that
    // explains more text.
    cands.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then(in_postal(b).cmp(&in_postal(a)))
            .then(b.loc.end.cmp(&a.loc.end))
    });
    let best = cands[0];
    let ambiguous = cands[1..].iter().any(|c| {
        c.score == best.score
            && in_postal(c) == in_postal(&best)
            && c.loc.end == best.loc.end
            && c.loc.city != best.loc.city
    });
    Location {
        ambiguous,
        ..best.loc
    }
}
