//! What follows the block: building name, floor, room, and a forwarding-service customer ID.
//!
//! Works on the display form (so building names keep their own numerals: `第2ハイツ`,
//! `メゾン21`, `ハイツII`). Floor and room are taken from the end, where people write them:
//! `3F` / `3階` / `B1` / `地下1階`, and `101号室` / `#101` / `No.101` / a bare trailing `101`.
//! Digits glued to a name are a room only from three digits up (`サンハイツ203`), else they
//! belong to the name (`メゾン21`).

use crate::normalize::numerals;
use regex::Regex;
use std::sync::LazyLock;

/// The parts found after the block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Unit {
    /// Building name.
    pub building: Option<String>,
    /// Floor, `3` or `B1`.
    pub floor: Option<String>,
    /// Room.
    pub room: Option<String>,
    /// Forwarding-service customer ID (`PM12345`).
    pub customer_id: Option<String>,
}

/// Compiles one of the literal patterns below.
// reason: each pattern is a literal in this file, compiled by every parse the tests run;
// input never reaches `Regex::new`, so the `expect` cannot fail on input.
#[allow(clippy::expect_used)]
fn literal_regex(pattern: &str) -> Regex {
    Regex::new(pattern)
        .expect("a literal regex pattern, checked by the tests: cannot fail on input")
}

/// Customer IDs: 2–5 letters and 4+ digits (PM12345, LYF2266455, JT0001234), or one letter and
/// 5+ digits (S123456), standing alone.
static CUSTOMER_ID: LazyLock<Regex> = LazyLock::new(|| {
    literal_regex(
        r"(?:^|[\s\-/,])((?:[A-Za-z]{2,5}-?[0-9]{4,12})|(?:[A-Za-z]-?[0-9]{5,12}))(?:$|[\s\-/,])",
    )
});

/// A floor: `3F`, `3階`, `B1F`, `B1`, `地下1階`, and in kanji `二階`, `地下一階`, `八F`.
static FLOOR: LazyLock<Regex> = LazyLock::new(|| {
    literal_regex(concat!(
        r"(地下|B)\s?([0-9]{1,3})\s?(F|階)?|([0-9]{1,3})\s?(?:F|階)",
        r"|(地下)?([〇一二三四五六七八九十]{1,3})(?:階|F)"
    ))
});

/// The first floor in `text`: its byte range and the floor (`3`, `B1`).
fn find_floor(text: &str) -> Option<(std::ops::Range<usize>, String)> {
    // Every branch of `FLOOR` holds 地(下), B, F or 階: without them, no regex search.
    if !text.contains(['B', 'F', '階', '地']) {
        return None;
    }
    for c in FLOOR.captures_iter(text) {
        let whole = c.get(0)?;
        let after = text[whole.end()..].chars().next();
        if after.is_some_and(|ch| ch.is_ascii_alphabetic()) && !whole.as_str().ends_with('階') {
            continue; // 3Fuji, B1X (but 3階A: a unit on the floor)
        }
        if let Some(n) = c.get(6) {
            let Some(v) = numerals::value(n.as_str()) else {
                continue;
            };
            let floor = if c.get(5).is_some() {
                format!("B{v}")
            } else {
                v.to_string()
            };
            return Some((whole.range(), floor));
        }
        let (basement, number) = match (c.get(1), c.get(2), c.get(4)) {
            (Some(b), Some(n), _) => {
                let before = text[..whole.start()].chars().next_back();
                let marked = c.get(3).is_some() || b.as_str() == "地下";
                // "B1" alone must stand apart: not ABC12, not B12345 (an ID).
                if !marked
                    && (before.is_some_and(|ch| ch.is_ascii_alphanumeric())
                        || after.is_some_and(|ch| ch.is_ascii_digit()))
                {
                    continue;
                }
                (true, n.as_str())
            }
            (_, _, Some(n)) => (false, n.as_str()),
            _ => continue,
        };
        let n = number.trim_start_matches('0');
        let n = if n.is_empty() { "0" } else { n };
        let floor = if basement {
            format!("B{n}")
        } else {
            n.to_owned()
        };
        return Some((whole.range(), floor));
    }
    None
}

/// A marked room: `101号室`, `101号`, `101室`, `A-101号室`, `#101`, `No.101`, `Room 101`, and
/// positional kanji rooms `二〇三号室`. Digits run up to eight so that a building's own number
/// glued to its room (`パレス桜221005号`) is seen whole and split by [`glued_room_start`].
static ROOM_MARKED: LazyLock<Regex> = LazyLock::new(|| {
    literal_regex(concat!(
        r"(?:#|No\.?\s?|Room\s?|ROOM\s?|号室\s?)([A-Za-z]?-?[0-9]{1,5}[A-Za-z]?)",
        r"|([A-Za-z]?-?[0-9]{1,8}[A-Za-z]?|[〇一二三四五六七八九]{2,5}|[A-Za-z])\s?(?:号室|号|室)"
    ))
});

/// A bare room at the very end: ` 101`, `-101`, `203` glued to a name, `A101`, `二〇三`.
static ROOM_TRAILING: LazyLock<Regex> = LazyLock::new(|| {
    literal_regex(concat!(
        r"(^|[\s\-]|[^\sA-Za-z0-9\-])([A-Za-z]?[0-9]{1,8}[A-Za-z]?)$",
        r"|(^|[^〇一二三四五六七八九])([〇一二三四五六七八九]{3,5})$"
    ))
});

/// A room glued to a Roman numeral that ends a building name: `メゾン白樺III1203`.
static ROOM_AFTER_ROMAN: LazyLock<Regex> =
    LazyLock::new(|| literal_regex(r"[^\x00-\x7F][IVX]{1,4}([0-9]{3,5})$"));

/// Where the room begins in a run of digits glued to a building name (`パレス桜221005`):
/// rooms have three or four digits and do not begin with 0, a building's own number one or
/// two. Five digits or more are read as that number and then the room, a three-digit room
/// first (`12301`: 12 and 301), else four (`21005`, `221005`: 1005); fewer are all room.
fn glued_room_start(digits: &str) -> usize {
    let n = digits.len();
    if n < 5 {
        return 0;
    }
    for room_len in [3, 4] {
        let start = n.saturating_sub(room_len);
        if start <= 2 && digits.as_bytes().get(start).is_some_and(|&d| d != b'0') {
            return start;
        }
    }
    0
}

/// Where a marked room `m` found in `text` really begins: after a Latin letter that belongs
/// to the name before it (`III1203` → `1203`), and after a building's own number glued to it.
fn room_start(text: &str, m: regex::Match<'_>) -> usize {
    let room = m.as_str();
    let before = text[..m.start()].chars().next_back();
    let name_letter = room.starts_with(|c: char| c.is_ascii_alphabetic())
        && before.is_some_and(|c| c.is_ascii_alphabetic())
        && room[1..].starts_with(|c: char| c.is_ascii_digit());
    if name_letter {
        return m.start() + 1;
    }
    let glued = before.is_some_and(|c| !c.is_whitespace() && !matches!(c, '-' | '#' | '.'));
    if glued && room.bytes().all(|b| b.is_ascii_digit()) {
        return m.start() + glued_room_start(room);
    }
    m.start()
}

/// Separators trimmed around what is left as the building name.
fn trim_separators(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || matches!(c, '-' | ',' | '、' | '/' | '・' | '.'))
}

/// Brackets around a unit or a note (`3-5(小野ビル101号)`, `1階(東側)`): read as spaces.
fn is_bracket(c: char) -> bool {
    matches!(
        c,
        '(' | ')'
            | '['
            | ']'
            | '【'
            | '】'
            | '「'
            | '」'
            | '『'
            | '』'
            | '〔'
            | '〕'
            | '<'
            | '>'
            | '〈'
            | '〉'
    )
}

/// A position that ends the text right after a floor: `2階北`, `1階 東側`, `1階東号室`,
/// `2F 奥`, `3階A` — the unit on that floor (read as the room), not part of the building.
static POSITION_AFTER_FLOOR: LazyLock<Regex> = LazyLock::new(|| {
    literal_regex(r"^[\s\-]*([東西南北]{1,2}|奥|手前|[A-Za-z])(?:側)?(?:号室|号|室)?[\s\-]*$")
});

/// Reads building, floor, room and customer ID from `rest` (display form).
pub fn read(rest: &str) -> Unit {
    let mut unit = Unit::default();
    let mut text = trim_separators(rest).to_owned();
    if text.contains(is_bracket) {
        text = trim_separators(&text.replace(is_bracket, " ")).to_owned();
    }
    if text.is_empty() {
        return unit;
    }

    // `CUSTOMER_ID` needs a Latin letter, which most addresses do not hold.
    let latin = text.bytes().any(|b| b.is_ascii_alphabetic());
    if let Some(c) = latin.then(|| CUSTOMER_ID.captures(&text)).flatten() {
        if let Some(m) = c.get(1) {
            unit.customer_id = Some(m.as_str().replace('-', "").to_ascii_uppercase());
            text.replace_range(m.range(), " ");
        }
    }

    // `1号館`, `第2号棟` number a building of a site, not a room.
    // Every branch of `ROOM_MARKED` holds #, N(o), R(oom), 号 or 室.
    let marked = text
        .contains(['#', 'N', 'R', '号', '室'])
        .then(|| {
            ROOM_MARKED.captures_iter(&text).find(|c| {
                c.get(0)
                    .is_some_and(|w| !text[w.end()..].starts_with(['館', '棟']))
            })
        })
        .flatten();
    if let Some((whole, m)) = marked.and_then(|c| Some((c.get(0)?, c.get(1).or_else(|| c.get(2))?)))
    {
        let start = room_start(&text, m);
        unit.room = Some(clean_room(&text[start..m.end()]));
        let cut = if start > m.start() {
            start
        } else {
            whole.start()
        };
        let range = cut..whole.end();
        text.replace_range(range, " ");
    }

    if let Some((range, floor)) = find_floor(&text) {
        unit.floor = Some(floor);
        let position = unit
            .room
            .is_none()
            .then(|| &text[range.end..])
            .filter(|tail| !tail.trim_matches([' ', '-']).is_empty())
            .and_then(|tail| POSITION_AFTER_FLOOR.captures(tail))
            .and_then(|c| c.get(1))
            .map(|m| m.as_str().to_ascii_uppercase());
        if let Some(position) = position {
            unit.room = Some(position);
            text.truncate(range.end);
        }
        text.replace_range(range, " ");
    }

    if unit.room.is_none() {
        let trimmed = trim_separators(&text).to_owned();
        if let Some(start) = trailing_room_start(&trimmed) {
            unit.room = Some(clean_room(&trimmed[start..]));
            text = trimmed[..start].to_owned();
        }
    }

    let building = collapse_spaces(trim_separators(&text));
    if !building.is_empty() {
        unit.building = Some(building);
    }
    unit
}

/// Where a bare room at the end of `text` begins, if there is one.
fn trailing_room_start(text: &str) -> Option<usize> {
    // Both patterns end in a Latin letter or digit, or a kanji digit, at the very end.
    let last = text.chars().next_back()?;
    if !(last.is_ascii_alphanumeric() || numerals::digit_value(last).is_some()) {
        return None;
    }
    if let Some(c) = ROOM_TRAILING.captures(text) {
        if let Some(m) = c.get(4) {
            return Some(m.start()); // 二〇三
        }
        let (lead, m) = (c.get(1)?, c.get(2)?);
        let glued = !lead.as_str().is_empty()
            && !lead
                .as_str()
                .starts_with(|ch: char| ch.is_whitespace() || ch == '-');
        let digits = m.as_str().chars().filter(char::is_ascii_digit).count();
        if !glued {
            return (digits <= 5).then_some(m.start());
        }
        if digits < 3 {
            return None; // メゾン21: the name's own number
        }
        if digits < 5 {
            return Some(m.start());
        }
        if !m.as_str().bytes().all(|b| b.is_ascii_digit()) {
            return (digits <= 5).then_some(m.start());
        }
        return match glued_room_start(m.as_str()) {
            0 => (digits <= 5).then_some(m.start()),
            start => Some(m.start() + start),
        };
    }
    let c = ROOM_AFTER_ROMAN.captures(text)?;
    c.get(1).map(|m| m.start())
}

fn clean_room(room: &str) -> String {
    let room = room.trim();
    if room.chars().all(|c| numerals::digit_value(c).is_some()) {
        if let Some(v) = numerals::value(room) {
            return v.to_string();
        }
    }
    let r = room.trim_matches('-').to_ascii_uppercase();
    let digits_only = r.bytes().all(|b| b.is_ascii_digit());
    if digits_only {
        let t = r.trim_start_matches('0');
        if t.is_empty() {
            "0".to_owned()
        } else {
            t.to_owned()
        }
    } else {
        r
    }
}

fn collapse_spaces(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(
        s: &str,
    ) -> (
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    ) {
        let u = read(s);
        (u.building, u.floor, u.room, u.customer_id)
    }

    fn s(v: &str) -> Option<String> {
        Some(v.to_owned())
    }

    #[test]
    fn rooms_every_way() {
        for text in [
            "サンハイツ 101号室",
            "サンハイツ#101",
            "サンハイツ 101",
            "サンハイツ101",
            "サンハイツ-101",
            "サンハイツ No.101",
            "サンハイツ 101号",
        ] {
            assert_eq!(r(text), (s("サンハイツ"), None, s("101"), None), "{text}");
        }
    }

    #[test]
    fn a_position_after_the_floor_is_the_room() {
        assert_eq!(r("大一ビル2階北"), (s("大一ビル"), s("2"), s("北"), None));
        assert_eq!(r("KOビル1階(東側)"), (s("KOビル"), s("1"), s("東"), None));
        assert_eq!(
            r("吉野ビル1階東号室"),
            (s("吉野ビル"), s("1"), s("東"), None)
        );
        assert_eq!(r("大藪ビル3階A"), (s("大藪ビル"), s("3"), s("A"), None));
        assert_eq!(
            r("北斗ビル2F 南西"),
            (s("北斗ビル"), s("2"), s("南西"), None)
        );
        // A name after the floor is not a position; a marked room wins.
        assert_eq!(
            r("吉野ビル1階東京堂"),
            (s("吉野ビル 東京堂"), s("1"), None, None)
        );
        assert_eq!(
            r("北斗ビル2階 201号室"),
            (s("北斗ビル"), s("2"), s("201"), None)
        );
        // 3Fuji stays a name.
        assert_eq!(r("3Fuji"), (s("3Fuji"), None, None, None));
    }

    #[test]
    fn brackets_are_spaces() {
        assert_eq!(r("(小野ビル101号)"), (s("小野ビル"), None, s("101"), None));
        assert_eq!(r("【小野ビル】502"), (s("小野ビル"), None, s("502"), None));
        assert_eq!(r("小野ビル(3F)"), (s("小野ビル"), s("3"), None, None));
    }

    #[test]
    fn names_keep_their_numbers() {
        assert_eq!(r("メゾン21 203"), (s("メゾン21"), None, s("203"), None));
        assert_eq!(r("メゾン21"), (s("メゾン21"), None, None, None));
        assert_eq!(
            r("第2サンハイツ 3F"),
            (s("第2サンハイツ"), s("3"), None, None)
        );
        assert_eq!(r("ハイツII 201号室"), (s("ハイツII"), None, s("201"), None));
    }

    #[test]
    fn floors() {
        assert_eq!(
            r("サウスクラウドビル3F"),
            (s("サウスクラウドビル"), s("3"), None, None)
        );
        assert_eq!(r("奥田ビルB1"), (s("奥田ビル"), s("B1"), None, None));
        assert_eq!(r("ビル 地下1階"), (s("ビル"), s("B1"), None, None));
        assert_eq!(r("ビル 3階 301号室"), (s("ビル"), s("3"), s("301"), None));
    }

    #[test]
    fn customer_ids() {
        assert_eq!(r("LYF2266455"), (None, None, None, s("LYF2266455")));
        assert_eq!(
            r("サウスクラウドビル3F DANKEBOX PM12345"),
            (s("サウスクラウドビル DANKEBOX"), s("3"), None, s("PM12345"))
        );
        assert_eq!(
            r("奥田ビルB1 S123456"),
            (s("奥田ビル"), s("B1"), None, s("S123456"))
        );
    }

    #[test]
    fn kanji_rooms_and_floors() {
        assert_eq!(
            r("コーポ山田二〇三号室"),
            (s("コーポ山田"), None, s("203"), None)
        );
        assert_eq!(r("一一〇二号室"), (None, None, s("1102"), None));
        assert_eq!(
            r("コーポ山田 二〇三"),
            (s("コーポ山田"), None, s("203"), None)
        );
        assert_eq!(
            r("京成くぬぎ山ビル二階"),
            (s("京成くぬぎ山ビル"), s("2"), None, None)
        );
        assert_eq!(r("ビル 地下一階"), (s("ビル"), s("B1"), None, None));
        assert_eq!(r("ビル十二階"), (s("ビル"), s("12"), None, None));
        assert_eq!(r("八F"), (None, s("8"), None, None));
        // A numeral that is a name is not a room: one kanji before 号 names a building.
        assert_eq!(r("第一号館"), (s("第一号館"), None, None, None));
        assert_eq!(r("三井生命ビル"), (s("三井生命ビル"), None, None, None));
    }

    #[test]
    fn a_numbered_wing_is_not_a_room() {
        assert_eq!(
            r("さいたま新都心合同庁舎1号館7階"),
            (s("さいたま新都心合同庁舎1号館"), s("7"), None, None)
        );
        assert_eq!(
            r("中央合同庁舎第4号館"),
            (s("中央合同庁舎第4号館"), None, None, None)
        );
        assert_eq!(
            r("コーポ山田2号棟105号室"),
            (s("コーポ山田2号棟"), None, s("105"), None)
        );
    }

    #[test]
    fn spaced_floor() {
        assert_eq!(r("ビル 16 F"), (s("ビル"), s("16"), None, None));
        assert_eq!(r("16 F 1601"), (None, s("16"), s("1601"), None));
    }

    #[test]
    fn roman_numeral_glued_to_a_room() {
        for text in [
            "メゾン白樺III1203号",
            "メゾン白樺III1203",
            "メゾン白樺III 1203号室",
        ] {
            assert_eq!(
                r(text),
                (s("メゾン白樺III"), None, s("1203"), None),
                "{text}"
            );
        }
        assert_eq!(r("ハイツII201"), (s("ハイツII"), None, s("201"), None));
        // A letter that is the room's own stays with it.
        assert_eq!(
            r("サンハイツ A101号室"),
            (s("サンハイツ"), None, s("A101"), None)
        );
        assert_eq!(r("B棟C203"), (s("B棟"), None, s("C203"), None));
    }

    #[test]
    fn building_number_glued_to_its_room() {
        for text in ["パレス桜22 1005号", "パレス桜221005号", "パレス桜221005"] {
            assert_eq!(r(text), (s("パレス桜22"), None, s("1005"), None), "{text}");
        }
        assert_eq!(
            r("パレス桜21005号"),
            (s("パレス桜2"), None, s("1005"), None)
        );
        assert_eq!(
            r("パレス桜12301号"),
            (s("パレス桜12"), None, s("301"), None)
        );
        // Four digits glued are a room; set apart, a long number is not split.
        assert_eq!(
            r("サンハイツ2203号"),
            (s("サンハイツ"), None, s("2203"), None)
        );
        assert_eq!(
            r("サンハイツ 12301号"),
            (s("サンハイツ"), None, s("12301"), None)
        );
        assert_eq!(glued_room_start("221005"), 2);
        assert_eq!(glued_room_start("12301"), 2);
        assert_eq!(glued_room_start("21005"), 1);
        assert_eq!(glued_room_start("2203"), 0);
        assert_eq!(glued_room_start("1234567"), 0);
    }

    #[test]
    fn empty_and_junk() {
        assert_eq!(r(""), (None, None, None, None));
        assert_eq!(r(" - "), (None, None, None, None));
        assert_eq!(r("都庁"), (s("都庁"), None, None, None));
    }
}
