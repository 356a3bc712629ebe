//! Parsing: one address string → [`Address`].
//!
//! The pipeline, each stage in its own module:
//!
//! 1. [`crate::normalize`] — display form and folded matching form of the input;
//! 2. [`locate`] — prefecture, municipality and town against the gazetteer (on a miss,
//!    `fuzzy` tries a name one look-alike kanji away);
//! 3. [`block`] — 丁目 / 番地 / 号 (and a room folded onto them) after the town;
//! 4. [`unit`](mod@unit) — building, floor, room and customer ID from what is left;
//!
//! then the parts, the level reached and the anomalies are put together here. A postal code
//! written in front or given beside the address is checked by [`postal`].

pub mod block;
mod fuzzy;
pub mod locate;
mod location;
pub mod postal;
pub mod unit;

use crate::address::{Address, Anomaly, Level};
use crate::error::{ParseError, MAX_INPUT_BYTES};
use crate::gazetteer::{CityId, Gazetteer, TownId};
use crate::normalize::{fold, has_old_kanji, normalize, normalize_as_written, Folded};
use crate::segment::{Segmenter, TokenKind};
use block::TownShape;
use location::Location;
use postal::{PostalCities, PostalCode};
use std::sync::LazyLock;

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
        self.parse_with_postal(input, None)
    }

    /// Parses one address given with its postal code (`104-0061`, `1040061`, `〒104-0061`),
    /// e.g. from a column of its own. The code given wins over one written in the address; a
    /// value that is not a whole code (empty, partial) is ignored. The code is checked
    /// against the place parsed ([`Anomaly::PostalCodeMismatch`]) and helps find a
    /// municipality or prefecture the address leaves out.
    ///
    /// ```
    /// let parser = banchi::Parser::new();
    /// let a = parser.parse_with_postal("銀座４丁目６番１６号", Some("104-0061")).unwrap();
    /// assert_eq!((a.city.as_deref(), a.town.as_deref()), (Some("中央区"), Some("銀座")));
    /// let a = parser.parse_with_postal("東京都中央区銀座4-6-16", Some("100-0001")).unwrap();
    /// assert!(a.has(banchi::Anomaly::PostalCodeMismatch));
    /// ```
    pub fn parse_with_postal(
        &self,
        input: &str,
        postal_code: Option<&str>,
    ) -> Result<Address, ParseError> {
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
        let (written_code, start) = postal::read_leading(&folded.text);
        let start = skip_leading_note(&folded.text, start);
        let code = postal_code.and_then(PostalCode::parse).or(written_code);
        let near = code.map(PostalCities::of).unwrap_or_default();
        let loc = {
            let mut l = locate::locate_near(&folded.text[start..], near.as_slice());
            l.end += start;
            l.town_start += start;
            l
        };
        if loc.pref.is_none() && loc.city.is_none() && !loc.ambiguous {
            return Err(ParseError::Unrecognized);
        }
        let mut a = assemble(input, &display, &folded, loc);
        if let Some(code) = code {
            postal::apply(code, &mut a, loc.pref, loc.city, loc.town);
        }
        Ok(a)
    }
}

/// Puts the located front, the block and the unit together.
fn assemble(input: &str, display: &str, folded: &Folded, loc: Location) -> Address {
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
    // The town is the gazetteer's (or the municipality has no towns to name).
    let mut town_known = loc.town.is_some();
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
        let after_town = block_start;
        block_start = skip_koaza(g, t, folded, display, block_start);
        if block_start > after_town {
            // A 小字 came between: the numbers after it are its banchi, not chome.
            shape = TownShape::NO_CHOME;
        }
    } else if let Some(city) = loc
        .city
        .filter(|_| number_follows_city(folded, display, &loc))
    {
        // `〇〇村1234番地`: the municipality followed directly by its block number.
        block_start = loc.town_start;
        match towns_of(city) {
            CityTowns::None => town_known = true,
            CityTowns::One(t) => {
                let town = g.town(t);
                a.town = Some(town.name.to_owned());
                shape = TownShape {
                    has_chome: town.has_chome(),
                    chome_range: (town.chome_min as u32, town.chome_max as u32),
                    unknown: false,
                };
                town_known = true;
            }
            CityTowns::Several => anomalies.push(Anomaly::MissingTown),
        }
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
        // Without a municipality the rest cannot be told apart: leave it unread. A town
        // written alone that several municipalities have says so.
        if loc.ambiguous {
            anomalies.push(Anomaly::Ambiguous);
        }
        a.key = a.compute_key();
        a.anomalies = anomalies;
        return a;
    }
    let block = block::read(text, block_start, shape);
    a.chome = loc.chome.or(block.chome);
    a.banchi = block.banchi;
    a.go = block.go;
    let rest_start = folded.source(block.end);
    let unit = unit::read(&display[rest_start..]);
    a.building = unit
        .building
        .map(|b| building_as_written(input, display, rest_start, b));
    a.floor = unit.floor;
    a.room = block.room.or(unit.room);
    a.customer_id = unit.customer_id;

    if town_known {
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
    if loc.fuzzy_town {
        anomalies.push(Anomaly::FuzzyTown);
    }
    if loc.fuzzy_city {
        anomalies.push(Anomaly::FuzzyCity);
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

/// Longest note in brackets stepped over before the address (`(前期)`, `【至急】`), in chars.
const MAX_NOTE_CHARS: usize = 16;

/// The position after a bracketed note that starts the text at `pos` (spaces around it
/// skipped): `(前期)長野県大町市八坂1090` is read from `長野県`. Unchanged when no bracket
/// opens there; a bracket that does not close within [`MAX_NOTE_CHARS`] is stepped over alone.
fn skip_leading_note(text: &str, pos: usize) -> usize {
    let at = location::skip_spaces(text, pos);
    let Some(open) = text[at..].chars().next() else {
        return pos;
    };
    let close = match open {
        '(' => ')',
        '[' => ']',
        '【' => '】',
        '「' => '」',
        '〔' => '〕',
        '<' => '>',
        '〈' => '〉',
        _ => return pos,
    };
    let inner = at + open.len_utf8();
    match text[inner..]
        .char_indices()
        .take(MAX_NOTE_CHARS + 1)
        .find(|&(_, c)| c == close)
    {
        Some((i, _)) => location::skip_spaces(text, inner + i + close.len_utf8()),
        // A bracket left open (`(東京都…`): only the bracket is stepped over.
        None => location::skip_spaces(text, inner),
    }
}

/// The building name with the old and variant kanji the input wrote (`嶋村ビル`, `大藪ビル`)
/// put back: the display form writes them modern (`島村`, `大薮`) for matching, but a name
/// is shown as written. `building` was cut from `display[rest_start..]`: its characters
/// (spaces aside) are that text's in order, so each is matched to the first one at or after
/// the previous match; the input's display form without the kanji rewrite
/// ([`normalize_as_written`]) lines up with `display` character for character and gives the
/// character as written there. Unchanged when the input has no old kanji (nearly always: no
/// work) or the two forms do not line up.
fn building_as_written(input: &str, display: &str, rest_start: usize, building: String) -> String {
    if !has_old_kanji(input) {
        return building;
    }
    let written = normalize_as_written(input);
    if written.chars().count() != display.chars().count() {
        return building;
    }
    let skip = display.get(..rest_start).map_or(0, |d| d.chars().count());
    let rest: Vec<(char, char)> = display.chars().zip(written.chars()).skip(skip).collect();
    if rest.iter().all(|(d, w)| d == w) {
        return building;
    }
    let mut next = 0;
    building
        .chars()
        .map(|b| {
            if b.is_whitespace() {
                return b;
            }
            match rest
                .get(next..)
                .and_then(|r| r.iter().position(|&(d, _)| d == b))
            {
                Some(i) => {
                    next += i + 1;
                    rest[next - 1].1
                }
                None => b,
            }
        })
        .collect()
}

/// True when the municipality found is followed directly by a block number written in
/// digits (`南箕輪村3884-1`), with no town between.
fn number_follows_city(folded: &Folded, display: &str, loc: &Location) -> bool {
    let text = folded.text.as_str();
    let mut at = loc.town_start;
    while text.as_bytes().get(at) == Some(&b' ') {
        at += 1;
    }
    loc.town.is_none()
        && loc.chome.is_none()
        && ((text[at..].starts_with(|c: char| c.is_ascii_digit())
            && written_digit(folded, display, at))
            || block::starts_without_number(text, at))
}

/// How many towns the gazetteer lists for a municipality.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CityTowns {
    /// None: its addresses have no town name.
    None,
    /// Exactly this one.
    One(TownId),
    /// Several.
    Several,
}

/// The towns of every municipality (by city index), counted once on first use.
static TOWNS_OF_CITY: LazyLock<Vec<CityTowns>> = LazyLock::new(|| {
    let g = Gazetteer::get();
    let mut by_city = vec![CityTowns::None; g.cities().len()];
    for id in 0..g.town_count() as TownId {
        let city = g.town(id).city as usize;
        if let Some(slot) = by_city.get_mut(city) {
            *slot = match *slot {
                CityTowns::None => CityTowns::One(id),
                _ => CityTowns::Several,
            };
        }
    }
    by_city
});

fn towns_of(city: CityId) -> CityTowns {
    TOWNS_OF_CITY
        .get(city as usize)
        .copied()
        .unwrap_or(CityTowns::None)
}

/// The leading words of `text` that read as a place name: lindera's tokens up to the first
/// one that looks like a building name (katakana or Latin letters, digits, symbols).
fn leading_place_words(text: &str) -> &str {
    let mut end = 0;
    for t in Segmenter::shared().tokens(text) {
        // ヶ/ケ/ヵ and ノ alone join place words (架空ヶ丘, 架空ノ森): not a katakana name;
        // nor is a katakana word right after 字 or 大字 (`字ウラウスナイ`).
        let joiner = t
            .text
            .chars()
            .all(|c| matches!(c, 'ヶ' | 'ケ' | 'ヵ' | 'ノ'));
        let after_aza = text[..end].ends_with('字');
        let katakana = t
            .text
            .chars()
            .all(|c| ('\u{30A1}'..='\u{30FF}').contains(&c));
        let building_like = !joiner
            && (matches!(t.kind, TokenKind::Number | TokenKind::Symbol)
                || (katakana && !after_aza)
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

/// Steps over a 小字 written after the town (藤橋町亥45番地, 南長野県町, 鴻池字街道下1,
/// 大山崎町字下植野小字二階下13): one the gazetteer lists for the town (after an optional
/// 字/小字), else a name directly followed by a number — up to eight kanji or hiragana, or,
/// when 字/小字 marks it, up to sixteen characters of any script (`字ウチダ216`). Kanji
/// numerals inside the name (`字二ツ池`, `字五百刈田`), folded to digits, stay in the name.
/// A sub-area letter before the number (`イ92`, `甲2145`) is left to the block reader.
fn skip_koaza(g: &Gazetteer, town: TownId, folded: &Folded, display: &str, pos: usize) -> usize {
    let text = folded.text.as_str();
    let mut at = pos;
    while text.as_bytes().get(at) == Some(&b' ') {
        at += 1;
    }
    if text[at..].starts_with(|c: char| c.is_ascii_digit()) || block::starts_sub_area(text, at) {
        return pos;
    }
    let marker_len = KOAZA_MARKERS
        .iter()
        .find(|m| text[at..].starts_with(*m))
        .map_or(0, |m| m.len());
    let mut longest = None;
    for start in [at, at + marker_len] {
        g.koaza_prefixes(town, &text[start..], |end| {
            longest = longest.max(Some(start + end));
        });
    }
    if let Some(end) = longest {
        return skip_koaza_marker(text, end);
    }
    let marked = marker_len > 0;
    let max_chars = if marked { 16 } else { 8 };
    let name_start = at + marker_len;
    let mut i = name_start;
    let mut count = 0;
    let mut previous_katakana = false;
    while let Some(c) = text[i..].chars().next() {
        if c.is_ascii_digit() {
            let run_end = i + text[i..].bytes().take_while(u8::is_ascii_digit).count();
            if written_digit(folded, display, i) || !name_goes_on(text, run_end) {
                return if count == 0 { pos } else { i };
            }
            count += 1;
            i = run_end;
            previous_katakana = false;
            continue;
        }
        if c == ' ' {
            return if count == 0 { pos } else { i };
        }
        let katakana = ('\u{30A1}'..='\u{30FA}').contains(&c);
        if katakana && !previous_katakana && count > 0 && block::starts_sub_area(text, i) {
            // 宇出津タ字97: the name ends where a sub-area letter starts.
            return i;
        }
        previous_katakana = katakana;
        let name_char = ('\u{3041}'..='\u{309F}').contains(&c)
            || ('\u{4E00}'..='\u{9FFF}').contains(&c)
            || c == 'ケ'
            || c == 'ノ'
            || (marked && katakana);
        if !name_char || count >= max_chars || c == '第' {
            return pos;
        }
        count += 1;
        i += c.len_utf8();
    }
    pos
}

/// True when the folded digit at `i` was written as a digit (not a kanji numeral).
fn written_digit(folded: &Folded, display: &str, i: usize) -> bool {
    display
        .as_bytes()
        .get(folded.source(i))
        .is_some_and(u8::is_ascii_digit)
}

/// True when the name goes on after a kanji numeral ending at `pos` (`2ツ池`, `500刈田`):
/// a letter follows that is not a block mark (番, 号, 丁, 地割, `-`, `ノ2`).
fn name_goes_on(text: &str, pos: usize) -> bool {
    let rest = &text[pos..];
    let Some(c) = rest.chars().next() else {
        return false;
    };
    if ["番", "号", "丁", "地割"]
        .iter()
        .any(|m| rest.starts_with(m))
    {
        return false;
    }
    if c == 'ノ' {
        return !rest['ノ'.len_utf8()..].starts_with(|d: char| d.is_ascii_digit());
    }
    c.is_alphabetic()
}

/// Words that mark a 小字 after a town, longest first.
const KOAZA_MARKERS: [&str; 2] = ["小字", "字"];

/// After a listed 小字, steps over a second one marked 小字 (字下植野小字二階下).
fn skip_koaza_marker(text: &str, end: usize) -> usize {
    if !text[end..].starts_with("小字") {
        return end;
    }
    let rest = &text[end + "小字".len()..];
    let name = rest
        .char_indices()
        .find(|&(_, c)| c.is_ascii_digit() || c == ' ')
        .map_or(0, |(i, _)| i);
    if name > 0 && rest[..name].chars().count() <= 16 {
        end + "小字".len() + name
    } else {
        end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leading_note_is_stepped_over() {
        assert_eq!(skip_leading_note("(前期)長野県", 0), "(前期)".len());
        assert_eq!(skip_leading_note(" 【至急】 東京都", 0), " 【至急】 ".len());
        assert_eq!(skip_leading_note("(東京都", 0), 1);
        assert_eq!(skip_leading_note("東京都(前期)", 0), 0);
        assert_eq!(skip_leading_note("", 0), 0);
    }

    #[test]
    fn a_building_keeps_its_old_kanji() {
        let parser = Parser::new();
        let building = |s: &str| parser.parse(s).ok().and_then(|a| a.building);
        assert_eq!(
            building("東京都中央区銀座4-6-16 嶋村ビル3F").as_deref(),
            Some("嶋村ビル")
        );
        assert_eq!(
            building("東京都中央区銀座4-6-16 島村ビル・嶋村ビル別館").as_deref(),
            Some("島村ビル・嶋村ビル別館")
        );
        assert_eq!(
            building("東京都千代田区麴町1-2 麹町ビル").as_deref(),
            Some("麹町ビル")
        );
    }

    #[test]
    fn koaza_is_stepped_over() {
        let p = Parser::new();
        let parts = |a: &Address| {
            (
                a.town.clone(),
                a.chome,
                a.banchi.clone(),
                a.go.clone(),
                a.level,
            )
        };
        // 七尾市's zodiac sub-areas (亥部) lead the banchi, written with or without 部.
        let a = p.parse("石川県七尾市藤橋町亥45番地1").unwrap_or_default();
        assert_eq!(
            (a.town.as_deref(), a.banchi.as_deref(), a.go.as_deref()),
            (Some("藤橋町"), Some("亥45"), Some("1"))
        );
        for other in [
            "石川県七尾市藤橋町亥部45番地1",
            "石川県七尾市藤橋町 亥 四十五番地1",
        ] {
            let b = p.parse(other).unwrap_or_default();
            assert_eq!(parts(&b), parts(&a), "{other}");
        }
        // A 小字 marked with 字, any script, kanji numerals inside; the numbers after it are
        // banchi even in a town with chome.
        for (text, town, banchi, go) in [
            ("兵庫県伊丹市鴻池字街道下1", "鴻池", "1", None),
            ("兵庫県豊岡市上陰字ウチダ216番地", "上陰", "216", None),
            (
                "新潟県柏崎市大字茨目字二ツ池2071-1",
                "茨目",
                "2071",
                Some("1"),
            ),
            ("愛知県安城市今本町東向山7", "今本町", "7", None),
            (
                "京都府乙訓郡大山崎町字下植野小字二階下13",
                "下植野",
                "13",
                None,
            ),
        ] {
            let a = p.parse(text).unwrap_or_default();
            assert_eq!(
                (
                    a.town.as_deref(),
                    a.chome,
                    a.banchi.as_deref(),
                    a.go.as_deref()
                ),
                (Some(town), None, Some(banchi), go),
                "{text}"
            );
        }
        let a = p.parse("長野県長野市南長野県町").unwrap_or_default();
        assert_eq!(
            (a.town.as_deref(), a.building.as_deref()),
            (Some("南長野"), None)
        );
        let a = p.parse("長野県長野市南長野字県町593").unwrap_or_default();
        assert_eq!(a.banchi.as_deref(), Some("593"));
    }
}
