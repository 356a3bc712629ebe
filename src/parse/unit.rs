//! What follows the block: building name, floor, room, and a forwarding-service customer ID.
//!
//! Works on the display form (so building names keep their own numerals: `第2ハイツ`,
//! `メゾン21`, `ハイツII`). Floor and room are taken from the end, where people write them:
//! `3F` / `3階` / `B1` / `地下1階`, and `101号室` / `#101` / `No.101` / a bare trailing `101`.
//! Digits glued to a name are a room only from three digits up (`サンハイツ203`), else they
//! belong to the name (`メゾン21`).

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

/// Customer IDs: 2–5 letters and 4+ digits (PM12345, LYF2266455, JT0001234), or one letter and
/// 5+ digits (S123456), standing alone.
static CUSTOMER_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:^|[\s\-/,])((?:[A-Za-z]{2,5}-?[0-9]{4,12})|(?:[A-Za-z]-?[0-9]{5,12}))(?:$|[\s\-/,])",
    )
    .expect("static regex")
});

/// A floor: `3F`, `3階`, `B1F`, `B1`, `地下1階`.
static FLOOR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(地下|B)\s?([0-9]{1,3})\s?(F|階)?|([0-9]{1,3})\s?(?:F|階)").expect("static regex")
});

/// The first floor in `text`: its byte range and the floor (`3`, `B1`).
fn find_floor(text: &str) -> Option<(std::ops::Range<usize>, String)> {
    for c in FLOOR.captures_iter(text) {
        let whole = c.get(0)?;
        let after = text[whole.end()..].chars().next();
        if after.is_some_and(|ch| ch.is_ascii_alphabetic()) {
            continue; // 3Fuji, B1X
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

/// A marked room: `101号室`, `101号`, `101室`, `A-101号室`, `#101`, `No.101`, `Room 101`.
static ROOM_MARKED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?:#|No\.?\s?|Room\s?|ROOM\s?|号室\s?)([A-Za-z]?-?[0-9]{1,5}[A-Za-z]?)",
        r"|([A-Za-z]?-?[0-9]{1,5}[A-Za-z]?|[A-Za-z])\s?(?:号室|号|室)"
    ))
    .expect("static regex")
});

/// A bare room at the very end: ` 101`, `-101`, `203` glued to a name, `A101`.
static ROOM_TRAILING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(^|[\s\-]|[^\sA-Za-z0-9\-])([A-Za-z]?[0-9]{1,5}[A-Za-z]?)$").expect("static regex")
});

/// Separators trimmed around what is left as the building name.
fn trim_separators(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || matches!(c, '-' | ',' | '、' | '/' | '・' | '.'))
}

/// Reads building, floor, room and customer ID from `rest` (display form).
pub fn read(rest: &str) -> Unit {
    let mut unit = Unit::default();
    let mut text = trim_separators(rest).to_owned();
    if text.is_empty() {
        return unit;
    }

    if let Some(c) = CUSTOMER_ID.captures(&text) {
        if let Some(m) = c.get(1) {
            unit.customer_id = Some(m.as_str().replace('-', "").to_ascii_uppercase());
            text.replace_range(m.range(), " ");
        }
    }

    if let Some(c) = ROOM_MARKED.captures(&text) {
        if let (Some(whole), Some(m)) = (c.get(0), c.get(1).or_else(|| c.get(2))) {
            unit.room = Some(clean_room(m.as_str()));
            text.replace_range(whole.range(), " ");
        }
    }

    if let Some((range, floor)) = find_floor(&text) {
        unit.floor = Some(floor);
        text.replace_range(range, " ");
    }

    if unit.room.is_none() {
        let trimmed = trim_separators(&text).to_owned();
        if let Some(c) = ROOM_TRAILING.captures(&trimmed) {
            if let (Some(lead), Some(m)) = (c.get(1), c.get(2)) {
                let glued = !lead.as_str().is_empty()
                    && !lead
                        .as_str()
                        .starts_with(|ch: char| ch.is_whitespace() || ch == '-');
                let digits = m.as_str().chars().filter(char::is_ascii_digit).count();
                if !glued || digits >= 3 {
                    unit.room = Some(clean_room(m.as_str()));
                    text = trimmed[..m.start()].to_owned();
                }
            }
        }
    }

    let building = collapse_spaces(trim_separators(&text));
    if !building.is_empty() {
        unit.building = Some(building);
    }
    unit
}

fn clean_room(room: &str) -> String {
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
    fn empty_and_junk() {
        assert_eq!(r(""), (None, None, None, None));
        assert_eq!(r(" - "), (None, None, None, None));
        assert_eq!(r("都庁"), (s("都庁"), None, None, None));
    }
}
