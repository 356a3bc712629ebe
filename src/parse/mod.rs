//! Parsing: one address string → [`Address`].
//!
//! The pipeline, each stage in its own module:
//!
//! 1. [`crate::normalize`] — display form and folded matching form of the input;
//! 2. [`locate`] — prefecture, municipality and town against the gazetteer;
//! 3. [`block`] — 丁目 / 番地 / 号 (and a room folded onto them) after the town;
//! 4. [`unit`](mod@unit) — building, floor, room and customer ID from what is left;
//!
//! then the parts, the level reached and the anomalies are put together here.

pub mod block;
pub mod locate;
pub mod unit;

use crate::address::{Address, Anomaly, Level};
use crate::error::{ParseError, MAX_INPUT_BYTES};
use crate::gazetteer::{Gazetteer, TownId};
use crate::normalize::{fold, normalize, Folded};
use crate::segment::{Segmenter, TokenKind};
use block::TownShape;

/// Parses addresses against the built-in gazetteer.
///
/// Cheap to create and to copy, `Send + Sync`: the gazetteer behind it is shared.
///
/// ```
/// let parser = banchi::Parser::new();
/// let a = parser.parse("東京都中央区銀座４丁目６番１６号 銀座ビル３Ｆ 301号室").unwrap();
/// assert_eq!(a.prefecture.as_deref(), Some("東京都"));
/// assert_eq!(a.city.as_deref(), Some("中央区"));
/// assert_eq!(a.town.as_deref(), Some("銀座"));
/// assert_eq!(a.chome, Some(4));
/// assert_eq!((a.banchi.as_deref(), a.go.as_deref()), (Some("6"), Some("16")));
/// assert_eq!((a.floor.as_deref(), a.room.as_deref()), (Some("3"), Some("301")));
/// assert_eq!(a.building.as_deref(), Some("銀座ビル"));
/// assert_eq!(a.level, banchi::Level::Unit);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Parser {
    _private: (),
}

impl Parser {
    /// A parser over the built-in gazetteer (opened on first use, in microseconds).
    pub fn new() -> Self {
        Gazetteer::get();
        Parser { _private: () }
    }

    /// Parses one address.
    ///
    /// Errors: [`ParseError::Empty`] for blank input, [`ParseError::TooLong`] over
    /// [`MAX_INPUT_BYTES`], [`ParseError::Unrecognized`] when neither a prefecture nor a
    /// municipality is found. Anything else parses as far as it goes, with [`Address::level`]
    /// saying how far.
    pub fn parse(&self, input: &str) -> Result<Address, ParseError> {
        if input.len() > MAX_INPUT_BYTES {
            return Err(ParseError::TooLong {
                len: input.len(),
                max: MAX_INPUT_BYTES,
            });
        }
        let display = normalize(input);
        if display.is_empty() {
            return Err(ParseError::Empty);
        }
        let folded = fold(&display);
        let start = skip_postal_code(&folded.text);
        let loc = {
            let mut l = locate::locate(&folded.text[start..]);
            l.end += start;
            l.town_start += start;
            l
        };
        if loc.pref.is_none() && loc.city.is_none() {
            return Err(ParseError::Unrecognized);
        }
        Ok(assemble(input, &display, &folded, loc))
    }
}

/// Skips a leading postal code (`〒100-0001`, `100-0001`) and spaces.
fn skip_postal_code(text: &str) -> usize {
    let b = text.as_bytes();
    let mut i = 0;
    if text.starts_with('〒') {
        i += '〒'.len_utf8();
    }
    while b.get(i) == Some(&b' ') {
        i += 1;
    }
    let d1 = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    let code_len = if d1 == 3 && b.get(i + 3) == Some(&b'-') {
        let d2 = b[i + 4..].iter().take_while(|c| c.is_ascii_digit()).count();
        (d2 == 4).then_some(8)
    } else {
        (d1 == 7).then_some(7)
    };
    match code_len {
        Some(n) => {
            i += n;
            while b.get(i) == Some(&b' ') {
                i += 1;
            }
            i
        }
        None if i > 0 && text.starts_with('〒') => i,
        None => 0,
    }
}

/// Puts the located front, the block and the unit together.
fn assemble(input: &str, display: &str, folded: &Folded, loc: locate::Location) -> Address {
    let g = Gazetteer::get();
    let text = folded.text.as_str();
    let mut a = Address {
        input: input.to_owned(),
        ..Address::default()
    };
    let mut anomalies = Vec::new();
    if let Some(code) = loc.pref {
        a.prefecture = g.prefecture(code).map(|p| p.name.to_owned());
        a.level = Level::Prefecture;
    }
    if let Some(id) = loc.city {
        let city = g.city(id);
        a.city = Some(city.full_name());
        a.city_code = Some(city.code.to_owned());
        a.level = Level::City;
    }

    let mut shape = TownShape::UNKNOWN;
    let mut block_start = loc.end;
    if let Some(t) = loc.town {
        let town = g.town(t);
        a.town = Some(town.name.to_owned());
        a.level = Level::Town;
        shape = TownShape {
            has_chome: town.has_chome(),
            chome_range: (town.chome_min as u32, town.chome_max as u32),
            unknown: false,
        };
        block_start = loc.end;
        if g.city(town.city).code.starts_with("261") {
            block_start = locate::skip_kyoto_street(text, block_start);
        }
        block_start = skip_koaza(g, t, text, block_start);
    } else if loc.city.is_some() {
        // A town the gazetteer does not know: keep the place words up to the block number
        // (or up to a building name when they run into one).
        let from = loc.town_start;
        // The first digit written as a digit (三栄町's 三 is folded to 3 but is a name).
        let digit = text[from..]
            .char_indices()
            .map(|(i, c)| (from + i, c))
            .find(|&(i, c)| {
                c.is_ascii_digit()
                    && display
                        .as_bytes()
                        .get(folded.source(i))
                        .is_some_and(u8::is_ascii_digit)
            })
            .map_or(text.len(), |(i, _)| i);
        let span = &display[folded.source(from)..folded.source(digit)];
        let town = leading_place_words(span.trim_start()).trim_end_matches(['第', '-', ' ']);
        if !span.trim().is_empty() {
            anomalies.push(Anomaly::UnknownTown);
        }
        if !town.is_empty() {
            a.town = Some(town.to_owned());
            let town_end = town.as_ptr() as usize - display.as_ptr() as usize + town.len();
            block_start = fold_pos_of(folded, town_end);
        }
    }

    if loc.chome.is_some() {
        shape = TownShape::NO_CHOME;
    }
    if loc.city.is_none() {
        // Without a municipality the rest cannot be told apart: leave it unread.
        a.key = a.compute_key();
        a.anomalies = anomalies;
        return a;
    }
    let block = block::read(text, block_start, shape);
    a.chome = loc.chome.or(block.chome);
    a.banchi = block.banchi;
    a.go = block.go;
    let unit = unit::read(&display[folded.source(block.end)..]);
    a.building = unit.building;
    a.floor = unit.floor;
    a.room = block.room.or(unit.room);
    a.customer_id = unit.customer_id;

    if loc.town.is_some() {
        if a.banchi.is_some() {
            a.level = Level::Block;
            if a.floor.is_some() || a.room.is_some() {
                a.level = Level::Unit;
            }
        } else {
            anomalies.push(Anomaly::MissingBlockNumber);
        }
    }
    if loc.duplicated_pref {
        anomalies.push(Anomaly::DuplicatedPrefecture);
    }
    if loc.duplicated_city {
        anomalies.push(Anomaly::DuplicatedCity);
    }
    if loc.ambiguous {
        anomalies.push(Anomaly::Ambiguous);
    }
    if loc.pref_mismatch {
        anomalies.push(Anomaly::PrefectureMismatch);
    }
    if a.customer_id.is_some() {
        anomalies.push(Anomaly::TrailingCustomerId);
    }
    anomalies.sort();
    anomalies.dedup();
    a.anomalies = anomalies;
    a.key = a.compute_key();
    a
}

/// The leading words of `text` that read as a place name: lindera's tokens up to the first
/// one that looks like a building name (katakana or Latin letters, digits, symbols).
fn leading_place_words(text: &str) -> &str {
    let mut end = 0;
    for t in Segmenter::shared().tokens(text) {
        // ヶ/ケ/ヵ and ノ alone join place words (架空ヶ丘, 架空ノ森): not a katakana name.
        let joiner = t
            .text
            .chars()
            .all(|c| matches!(c, 'ヶ' | 'ケ' | 'ヵ' | 'ノ'));
        let building_like = !joiner
            && (matches!(t.kind, TokenKind::Number | TokenKind::Symbol)
                || t.text
                    .chars()
                    .all(|c| ('\u{30A1}'..='\u{30FF}').contains(&c))
                || t.text.chars().any(|c| c.is_ascii_alphanumeric()));
        if building_like {
            break;
        }
        end = t.end;
    }
    &text[..end]
}

/// The folded-text offset whose display offset is `display_pos` (or the next one after it).
fn fold_pos_of(folded: &Folded, display_pos: usize) -> usize {
    (0..=folded.text.len())
        .find(|&i| folded.text.is_char_boundary(i) && folded.source(i) >= display_pos)
        .unwrap_or(folded.text.len())
}

/// Steps over a 小字 written after the town (藤橋町亥45番地, 南長野県町): one the gazetteer
/// lists for the town (after an optional 字), else up to eight kanji or hiragana directly
/// followed by a number.
fn skip_koaza(g: &Gazetteer, town: TownId, text: &str, pos: usize) -> usize {
    let mut at = pos;
    while text.as_bytes().get(at) == Some(&b' ') {
        at += 1;
    }
    if text[at..].starts_with(|c: char| c.is_ascii_digit()) {
        return pos;
    }
    let mut longest = None;
    for start in [
        at,
        at + if text[at..].starts_with('字') {
            '字'.len_utf8()
        } else {
            0
        },
    ] {
        g.koaza_prefixes(town, &text[start..], |end| {
            longest = longest.max(Some(start + end));
        });
    }
    if let Some(end) = longest {
        return end;
    }
    let rest = &text[at..];
    for (count, (i, c)) in rest.char_indices().enumerate() {
        if c.is_ascii_digit() || c == ' ' {
            return if count == 0 { pos } else { at + i };
        }
        let kanji_or_hira = ('\u{3041}'..='\u{309F}').contains(&c)
            || ('\u{4E00}'..='\u{9FFF}').contains(&c)
            || c == 'ケ'
            || c == 'ノ';
        if !kanji_or_hira || count >= 8 || c == '第' {
            return pos;
        }
    }
    pos
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postal_codes_are_skipped() {
        assert_eq!(skip_postal_code("〒100-0001 東京都"), "〒100-0001 ".len());
        assert_eq!(skip_postal_code("1000001 東京都"), 8);
        assert_eq!(skip_postal_code("東京都"), 0);
        assert_eq!(skip_postal_code("1-2-3"), 0);
    }

    #[test]
    fn koaza_is_stepped_over() {
        let p = Parser::new();
        let a = p.parse("石川県七尾市藤橋町亥45番地1").unwrap_or_default();
        assert_eq!(
            (a.town.as_deref(), a.banchi.as_deref(), a.go.as_deref()),
            (Some("藤橋町"), Some("45"), Some("1"))
        );
        let a = p
            .parse("石川県七尾市藤橋町 亥 四十五番地1")
            .unwrap_or_default();
        assert_eq!(
            (a.banchi.as_deref(), a.go.as_deref()),
            (Some("45"), Some("1"))
        );
        let a = p.parse("長野県長野市南長野県町").unwrap_or_default();
        assert_eq!(
            (a.town.as_deref(), a.building.as_deref()),
            (Some("南長野"), None)
        );
        let a = p.parse("長野県長野市南長野字県町593").unwrap_or_default();
        assert_eq!(a.banchi.as_deref(), Some("593"));
    }
}
