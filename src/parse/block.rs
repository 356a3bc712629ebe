//! Block numbers: 丁目 / 番地 / 号 in every notation, read from the folded text after the town.
//!
//! `1-2-3`, `1丁目2番3号`, `1番地2`, `1番地ノ2`, `1ノ2ノ3` and kanji numerals (already turned
//! into digits by the fold) all come out as the same [`Block`]. A number that follows the go
//! (`1-2-3-101`) is a room folded onto the block. The reader stops at the first thing that is
//! not part of a block number — a building name, a floor (`3F`, `3階`), a room (`101号室`) —
//! and reports where, so that [`super::unit`] can take the rest.

use super::location::skip_spaces;

/// Block numbers read after a town.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Block {
    /// 丁目.
    pub chome: Option<u32>,
    /// 番地 / 番.
    pub banchi: Option<String>,
    /// 号, or the second block number (`2-3` when a third short number follows).
    pub go: Option<String>,
    /// A room folded onto the block (`1-2-3-101`).
    pub room: Option<String>,
    /// Byte offset in the folded text just after the block.
    pub end: usize,
}

/// How the town shapes the reading of unmarked numbers.
#[derive(Debug, Clone, Copy)]
pub struct TownShape {
    /// The town is divided into chome.
    pub has_chome: bool,
    /// Lowest and highest chome.
    pub chome_range: (u32, u32),
    /// The town is not in the gazetteer: three unmarked numbers or more read as
    /// chome-banchi-go, as in most cities.
    pub unknown: bool,
}

impl TownShape {
    /// No town known.
    pub const UNKNOWN: TownShape = TownShape {
        has_chome: false,
        chome_range: (0, 0),
        unknown: true,
    };

    /// A known town without chome.
    pub const NO_CHOME: TownShape = TownShape {
        has_chome: false,
        chome_range: (0, 0),
        unknown: false,
    };

    /// True when `n` reads as one of the town's chome. A town whose last chome the
    /// gazetteer does not know (`chome_max` 255) takes only 1–9: a first number above 9 is far
    /// more often a banchi (see ARCHITECTURE.md, "Block numbers").
    fn accepts(&self, n: u32) -> bool {
        let last = if self.chome_range.1 >= UNKNOWN_LAST_CHOME {
            LAST_GUESSED_CHOME
        } else {
            self.chome_range.1
        };
        self.has_chome && n >= self.chome_range.0 && n <= last
    }
}

/// `chome_max` of a town known to have chome whose range the sources do not give.
const UNKNOWN_LAST_CHOME: u32 = 255;

/// Highest first number read as a chome when no source gives the town's last chome.
const LAST_GUESSED_CHOME: u32 = 9;

/// Counts the numbers joined by `-`/`ノ` from `pos` (1-2-3 → 3).
fn run_length(text: &str, pos: usize) -> usize {
    let mut count = 0;
    let mut at = pos;
    loop {
        let len = digits_at(text, at);
        if len == 0 {
            return count;
        }
        count += 1;
        let (m, l) = marker_at(&text[at + len..]);
        if m != Marker::Sep {
            return count;
        }
        at += len + l;
    }
}

/// Longest digit run read as a block number; longer runs are not block numbers.
const MAX_DIGITS: usize = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    Chome,
    Banchi,
    Go,
    Chiwari,
    /// `-` or `ノ` followed by a digit.
    Sep,
    /// Nothing that continues the block.
    End,
    /// A room marker (号室, 室) or floor marker (F, 階): the number is not a block number.
    Unit,
}

fn marker_at(rest: &str) -> (Marker, usize) {
    const TABLE: [(&str, Marker); 12] = [
        ("号室", Marker::Unit),
        ("号棟", Marker::Unit),
        ("丁目", Marker::Chome),
        ("番地", Marker::Banchi),
        ("地割", Marker::Chiwari),
        ("番", Marker::Banchi),
        ("号", Marker::Go),
        ("丁", Marker::Chome),
        ("室", Marker::Unit),
        ("階", Marker::Unit),
        ("F", Marker::Unit),
        ("f", Marker::Unit),
    ];
    for (word, m) in TABLE {
        if rest.starts_with(word) {
            if m == Marker::Unit && matches!(word, "F" | "f") {
                // "3F" is a floor, "3Fuji" is not.
                let after = rest[1..].chars().next();
                if after.is_some_and(|c| c.is_ascii_alphabetic()) {
                    return (Marker::End, 0);
                }
            }
            return (m, word.len());
        }
    }
    let b = rest.as_bytes();
    let sep_len = if rest.starts_with('-') {
        1
    } else if rest.starts_with('ノ') {
        'ノ'.len_utf8()
    } else {
        0
    };
    if sep_len > 0 && b.get(sep_len).is_some_and(u8::is_ascii_digit) {
        return (Marker::Sep, sep_len);
    }
    (Marker::End, 0)
}

/// True when `rest` begins with a letter (kanji, kana, Latin): the number before it is part
/// of a word.
fn starts_word(rest: &str) -> bool {
    rest.chars().next().is_some_and(char::is_alphabetic)
}

fn digits_at(text: &str, pos: usize) -> usize {
    text.as_bytes()[pos..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count()
}

/// The marker after the number ending at `pos`, spaces allowed before a marker word
/// (`3 番 7 号`, `6 地割`, `5 F` read like `3番7号`, `6地割`, `5F`): the marker and the
/// bytes from `pos` to its end.
fn marker_after(text: &str, pos: usize) -> (Marker, usize) {
    let rest = &text[pos..];
    let (marker, len) = marker_at(rest);
    let spaced = skip_spaces(text, pos);
    if marker != Marker::End || spaced == pos {
        return (marker, len);
    }
    match marker_at(&text[spaced..]) {
        (m @ (Marker::Chome | Marker::Banchi | Marker::Go | Marker::Chiwari | Marker::Unit), l) => {
            (m, spaced - pos + l)
        }
        _ => (Marker::End, 0),
    }
}

/// Letters that name a sub-area of a town before its banchi: イロハ order (`佐原イ92`), the ten
/// stems (`和食甲2145`) and the twelve branches (`藤橋町酉部22`).
const SUB_AREA_KANJI: &str = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥";
const SUB_AREA_KANA: &str = "アイウエオカキクケコサシスセソタチツテトナニヌネハヒフヘホマミムメモヤユヨラリルレロワヰヱヲン";

/// A sub-area letter at `pos` before a number (`イ92`, `己部54`, `イ-17`, `タ字97`, `亥 45`):
/// the letter and the bytes up to the number. ノ is left out: it joins numbers (`1ノ2`).
fn sub_area_at(text: &str, pos: usize) -> Option<(char, usize)> {
    let rest = &text[pos..];
    let letter = rest
        .chars()
        .next()
        .filter(|&c| !c.is_ascii() && (SUB_AREA_KANJI.contains(c) || SUB_AREA_KANA.contains(c)))?;
    let mut len = skip_spaces(rest, letter.len_utf8());
    for word in ["部", "字", "-"] {
        if rest[len..].starts_with(word) {
            len += word.len();
        }
    }
    len = skip_spaces(rest, len);
    (digits_at(rest, len) > 0).then_some((letter, len))
}

/// True when `text[pos..]` starts with a sub-area letter and its number (`イ92`, `甲2145`):
/// the letter belongs to the block, not to a 小字 name.
pub fn starts_sub_area(text: &str, pos: usize) -> bool {
    sub_area_at(text, pos).is_some()
}

/// Written in place of a banchi for land without one: (spelling, canonical value).
const NO_NUMBER: [(&str, &str); 8] = [
    ("官有地無番地", "無番地"),
    ("国有地無番地", "無番地"),
    ("官有無番地", "無番地"),
    ("国有無番地", "無番地"),
    ("無番地", "無番地"),
    ("官有地番外地", "番外地"),
    ("国有地番外地", "番外地"),
    ("番外地", "番外地"),
];

/// True when another block number follows `pos` (after `-`/`ノ` or spaces), not the start
/// of a name (`5番地 3ツ星ビル`).
fn number_follows(text: &str, pos: usize) -> bool {
    if marker_at(&text[pos..]).0 == Marker::Sep {
        return true;
    }
    let at = skip_spaces(text, pos);
    let len = digits_at(text, at);
    len > 0 && (at == pos || !starts_word(&text[at + len..]))
}

/// True when `text[pos..]` is written in place of a banchi (`無番地`, `国有地番外地`): a block
/// with no number, which may follow a municipality directly (`綾瀬市無番地`).
pub fn starts_without_number(text: &str, pos: usize) -> bool {
    text.get(pos..)
        .is_some_and(|rest| NO_NUMBER.iter().any(|(w, _)| rest.starts_with(w)))
}

/// Reads block numbers from `text[start..]`.
pub fn read(text: &str, start: usize, shape: TownShape) -> Block {
    let mut block = Block {
        end: start,
        ..Block::default()
    };
    let mut pos = skip_spaces(text, start);
    if let Some((word, value)) = NO_NUMBER.iter().find(|(w, _)| text[pos..].starts_with(w)) {
        block.banchi = Some((*value).to_owned());
        block.end = pos + word.len();
        return block;
    }
    let mut numbers_read = 0;
    let mut last_marked = true; // a space may follow a town or a marked number
    let mut spaced = false; // spaces came between the last marked number and this one
    let mut previous = Marker::End; // the marker of the number read before this one
    loop {
        let mut at = pos;
        // 第1地割, 第2号: "第" before a number.
        let ordinal = text[at..].starts_with('第') && digits_at(text, at + '第'.len_utf8()) > 0;
        if ordinal {
            at += '第'.len_utf8();
        }
        let mut sub_area = None;
        if block.banchi.is_none() && digits_at(text, at) == 0 {
            if let Some((letter, len)) = sub_area_at(text, at) {
                sub_area = Some(letter);
                at += len;
            }
        }
        let len = digits_at(text, at);
        if len == 0 || len > MAX_DIGITS {
            break;
        }
        let digits = &text[at..at + len];
        let (marker, mlen) = marker_after(text, at + len);
        if marker == Marker::Unit {
            break;
        }
        if ordinal && marker == Marker::End {
            // 第2コーポ, 第44興和ビル: an ordinal not marked as a block number begins a name.
            break;
        }
        let n: u32 = digits.parse().unwrap_or(u32::MAX);
        let value = trim_zeros(digits);
        let taken = if let Some(letter) = sub_area {
            // イ92, 甲2145-3: the letter leads the banchi.
            if matches!(marker, Marker::Chome | Marker::Chiwari) {
                false
            } else {
                let mut banchi = String::with_capacity(letter.len_utf8() + value.len());
                banchi.push(letter);
                banchi.push_str(value);
                block.banchi = Some(banchi);
                true
            }
        } else {
            match marker {
                Marker::Chome | Marker::Chiwari => {
                    if block.chome.is_none() && block.banchi.is_none() {
                        block.chome = Some(n);
                        true
                    } else {
                        false
                    }
                }
                Marker::Banchi => {
                    if block.chome.is_none()
                        && block.banchi.is_none()
                        && text[at + len..at + len + mlen].ends_with("番地")
                        && shape.accepts(n)
                        && number_follows(text, at + len + mlen)
                    {
                        // One town, one reading: `9番地6` in a town with a 9丁目 reads
                        // like `9-6` (`9番6号` keeps its own marks).
                        block.chome = Some(n);
                        true
                    } else if block.banchi.is_none() {
                        block.banchi = Some(value.to_owned());
                        true
                    } else if block.go.is_none() && previous == Marker::Banchi {
                        // 1300番地7番: the second 番 numbers the go.
                        block.go = Some(value.to_owned());
                        true
                    } else {
                        false
                    }
                }
                Marker::Go => {
                    if block.banchi.is_none() {
                        block.banchi = Some(value.to_owned());
                        true
                    } else if block.go.is_none() {
                        block.go = Some(value.to_owned());
                        true
                    } else {
                        false
                    }
                }
                Marker::Sep | Marker::End => {
                    let glued_to_word = marker == Marker::End && starts_word(&text[at + len..]);
                    if !last_marked && text[pos..].starts_with(' ') {
                        false
                    } else if glued_to_word
                        && numbers_read > 0
                        && (spaced || ordinal || previous == Marker::Go)
                    {
                        // `2番 三毛ビル`, `16号十八銀行`, `7号第一生命ビル` fold to `2番 3毛ビル`,
                        // `16号18銀行`, `7号第1生命ビル`: a number glued to a word after the
                        // block is the start of a name, not a go or a room.
                        false
                    } else {
                        let run = if numbers_read == 0 {
                            run_length(text, at)
                        } else {
                            0
                        };
                        place_unmarked(&mut block, n, value, shape, numbers_read, run)
                    }
                }
                Marker::Unit => false,
            }
        };
        if !taken {
            break;
        }
        numbers_read += 1;
        previous = marker;
        pos = at + len + mlen;
        block.end = pos;
        if marker == Marker::End {
            break;
        }
        last_marked = marker != Marker::Sep;
        // After 番地 or 丁目 an optional ノ/- may still come before the next number.
        if matches!(
            marker,
            Marker::Chome | Marker::Banchi | Marker::Chiwari | Marker::Go
        ) {
            let (m2, l2) = marker_at(&text[pos..]);
            if m2 == Marker::Sep {
                pos += l2;
                last_marked = false;
                continue;
            }
            let next = skip_spaces(text, pos);
            let sub_area_next = block.banchi.is_none() && sub_area_at(text, next).is_some();
            if next > pos && digits_at(text, next) == 0 && !sub_area_next {
                break;
            }
            spaced = next > pos;
            pos = next;
        }
    }
    block
}

/// Places a number written without a marker into the next free part.
fn place_unmarked(
    block: &mut Block,
    n: u32,
    value: &str,
    shape: TownShape,
    read: usize,
    run: usize,
) -> bool {
    let first = block.chome.is_none() && block.banchi.is_none() && read == 0;
    if first && (shape.accepts(n) || (shape.unknown && run >= 3 && n <= LAST_GUESSED_CHOME)) {
        block.chome = Some(n);
    } else if block.banchi.is_none() {
        block.banchi = Some(value.to_owned());
    } else if block.go.is_none() {
        block.go = Some(value.to_owned());
    } else if block.room.is_none() {
        let chome_town = block.chome.is_some();
        if !chome_town && value.len() < 3 {
            // 12-3-5 in a town without chome: a sub-number of the go, not a room.
            if let Some(go) = block.go.as_mut() {
                go.push('-');
                go.push_str(value);
            }
        } else {
            block.room = Some(value.to_owned());
        }
    } else {
        return false;
    }
    true
}

fn trim_zeros(digits: &str) -> &str {
    let t = digits.trim_start_matches('0');
    if t.is_empty() {
        "0"
    } else {
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHOME: TownShape = TownShape {
        has_chome: true,
        chome_range: (1, 8),
        unknown: false,
    };

    fn parts(b: &Block) -> (Option<u32>, Option<&str>, Option<&str>, Option<&str>) {
        (
            b.chome,
            b.banchi.as_deref(),
            b.go.as_deref(),
            b.room.as_deref(),
        )
    }

    #[test]
    fn notations_agree() {
        for text in [
            "4-6-16",
            "4丁目6番16号",
            "4丁目6-16",
            "4丁目6番地16",
            "4ノ6ノ16",
            "4丁目 6番 16号",
            " 4-6-16",
        ] {
            let b = read(text, 0, CHOME);
            assert_eq!(parts(&b), (Some(4), Some("6"), Some("16"), None), "{text}");
        }
    }

    #[test]
    fn towns_without_chome() {
        let b = read("1-1-1-101", 0, TownShape::UNKNOWN);
        assert_eq!(parts(&b), (Some(1), Some("1"), Some("1"), Some("101")));
        let b = read("8番21号", 0, TownShape::NO_CHOME);
        assert_eq!(parts(&b), (None, Some("8"), Some("21"), None));
        let b = read("45番地ノ1", 0, TownShape::NO_CHOME);
        assert_eq!(parts(&b), (None, Some("45"), Some("1"), None));
        let b = read("12-3-5", 0, TownShape::NO_CHOME);
        assert_eq!(parts(&b), (None, Some("12"), Some("3-5"), None));
        let b = read("12-3-101", 0, TownShape::NO_CHOME);
        assert_eq!(parts(&b), (None, Some("12"), Some("3"), Some("101")));
    }

    #[test]
    fn room_folded_and_stops() {
        let text = "1-2-3-101";
        let b = read(text, 0, CHOME);
        assert_eq!(parts(&b), (Some(1), Some("2"), Some("3"), Some("101")));
        assert_eq!(b.end, text.len());
        let text = "1-2-3 101";
        let b = read(text, 0, CHOME);
        assert_eq!(parts(&b), (Some(1), Some("2"), Some("3"), None));
        assert_eq!(&text[b.end..], " 101");
        let text = "1-2-3メゾン21 3F";
        let b = read(text, 0, CHOME);
        assert_eq!(&text[b.end..], "メゾン21 3F");
        let text = "2-8 3F";
        let b = read(text, 0, CHOME);
        assert_eq!(parts(&b), (Some(2), Some("8"), None, None));
        assert_eq!(&text[b.end..], " 3F");
    }

    #[test]
    fn a_number_starting_a_name_is_not_a_block_number() {
        // 1番2号 三毛ビル / 2番 一休ハイツ: kanji numerals of a name, folded to digits.
        for (text, want, rest) in [
            (
                "1番2号 3毛ビル 2階",
                (None, Some("1"), Some("2"), None),
                " 3毛ビル 2階",
            ),
            (
                "1丁目2番 1休ハイツ",
                (Some(1), Some("2"), None, None),
                " 1休ハイツ",
            ),
            (
                "5番地 3ツ星ビル",
                (None, Some("5"), None, None),
                " 3ツ星ビル",
            ),
        ] {
            let b = read(text, 0, CHOME);
            assert_eq!(parts(&b), want, "{text}");
            assert_eq!(&text[b.end..], rest, "{text}");
        }
        // A number standing alone after the block is still read.
        let b = read("1番2号 301", 0, TownShape::NO_CHOME);
        assert_eq!(parts(&b), (None, Some("1"), Some("2"), Some("301")));
        let b = read("1丁目2番 3", 0, CHOME);
        assert_eq!(parts(&b), (Some(1), Some("2"), Some("3"), None));
    }

    #[test]
    fn a_spaced_floor_or_room_marker_ends_the_block() {
        for (text, rest) in [
            ("2丁目3番1号 16 F", " 16 F"),
            ("2丁目3番1号 3 階", " 3 階"),
            ("2丁目3番1号 101 号室", " 101 号室"),
        ] {
            let b = read(text, 0, CHOME);
            assert_eq!(parts(&b), (Some(2), Some("3"), Some("1"), None), "{text}");
            assert_eq!(&text[b.end..], rest, "{text}");
        }
        // Without a marker after it, a number set apart is still a room.
        let b = read("2丁目3番1号 1601", 0, CHOME);
        assert_eq!(parts(&b), (Some(2), Some("3"), Some("1"), Some("1601")));
    }

    #[test]
    fn an_ordinal_after_the_block_begins_a_name() {
        for (text, want, rest) in [
            (
                "12番5号第2コーポ山田",
                (None, Some("12"), Some("5"), None),
                "第2コーポ山田",
            ),
            (
                "2番1号第44興和ビル",
                (None, Some("2"), Some("1"), None),
                "第44興和ビル",
            ),
            ("3番地第2ハイツ", (None, Some("3"), None, None), "第2ハイツ"),
        ] {
            let b = read(text, 0, TownShape::NO_CHOME);
            assert_eq!(parts(&b), want, "{text}");
            assert_eq!(&text[b.end..], rest, "{text}");
        }
        // 第 marked as a block number is still read.
        let b = read("第1地割5番地", 0, TownShape::NO_CHOME);
        assert_eq!(parts(&b), (Some(1), Some("5"), None, None));
    }

    #[test]
    fn chome_out_of_range_is_banchi() {
        let b = read("24-13", 0, CHOME);
        assert_eq!(parts(&b), (None, Some("24"), Some("13"), None));
    }

    #[test]
    fn spaced_markers_read_like_compact_ones() {
        for text in ["1丁目 3 番 7 号", "1 丁目 3 番 7 号", "1-3-7"] {
            let b = read(text, 0, CHOME);
            assert_eq!(parts(&b), (Some(1), Some("3"), Some("7"), None), "{text}");
        }
        let b = read("6 地割 1-1", 0, TownShape::NO_CHOME);
        assert_eq!(parts(&b), (Some(6), Some("1"), Some("1"), None));
        // A floor set apart stops the block before its number.
        let text = "1-4-10-8 F";
        let b = read(text, 0, CHOME);
        assert_eq!(parts(&b), (Some(1), Some("4"), Some("10"), None));
        assert_eq!(&text[b.end..], "8 F");
    }

    #[test]
    fn banchi_word_in_a_chome_town_reads_like_the_dashes() {
        let dashes = read("3-24", 0, CHOME);
        assert_eq!(parts(&dashes), (Some(3), Some("24"), None, None));
        assert_eq!(parts(&read("3番地24", 0, CHOME)), parts(&dashes));
        // Above the last chome, and in a town without chome, it stays a banchi.
        let b = read("33番地24", 0, CHOME);
        assert_eq!(parts(&b), (None, Some("33"), Some("24"), None));
        let b = read("3番地24", 0, TownShape::NO_CHOME);
        assert_eq!(parts(&b), (None, Some("3"), Some("24"), None));
        // Explicit 番…号 keeps its marks.
        let b = read("3番24号", 0, CHOME);
        assert_eq!(parts(&b), (None, Some("3"), Some("24"), None));
    }

    #[test]
    fn unknown_chome_range_and_unknown_towns_prefer_banchi_above_nine() {
        let unknown_range = TownShape {
            has_chome: true,
            chome_range: (1, 255),
            unknown: false,
        };
        assert_eq!(read("4-5", 0, unknown_range).chome, Some(4));
        assert_eq!(read("12-5", 0, unknown_range).chome, None);
        assert_eq!(read("1-2-3", 0, TownShape::UNKNOWN).chome, Some(1));
        let b = read("12-3-5", 0, TownShape::UNKNOWN);
        assert_eq!(parts(&b), (None, Some("12"), Some("3-5"), None));
    }

    #[test]
    fn sub_areas_and_land_without_numbers() {
        for (text, banchi, go) in [
            ("イ92-11", "イ92", Some("11")),
            ("イ-17", "イ17", None),
            ("己部54", "己54", None),
            ("甲2145", "甲2145", None),
            ("タ字97", "タ97", None),
        ] {
            let b = read(text, 0, TownShape::NO_CHOME);
            assert_eq!(parts(&b), (None, Some(banchi), go, None), "{text}");
        }
        let b = read("2丁目ソ22番地", 0, CHOME);
        assert_eq!(parts(&b), (Some(2), Some("ソ22"), None, None));
        // A katakana word is not a sub-area.
        assert_eq!(read("メゾン21", 0, CHOME).banchi, None);
        let text = "国有無番地(私書箱)";
        let b = read(text, 0, TownShape::NO_CHOME);
        assert_eq!(b.banchi.as_deref(), Some("無番地"));
        assert_eq!(&text[b.end..], "(私書箱)");
    }

    #[test]
    fn a_number_glued_to_a_word_after_the_go_is_a_name() {
        let text = "1丁目2番16号18銀行ビル";
        let b = read(text, 0, CHOME);
        assert_eq!(parts(&b), (Some(1), Some("2"), Some("16"), None));
        assert_eq!(&text[b.end..], "18銀行ビル");
        let b = read("6番7号第1生命ビル", 0, TownShape::NO_CHOME);
        assert_eq!(parts(&b), (None, Some("6"), Some("7"), None));
        // A bare number after the go is still a room.
        let b = read("1番2号101", 0, TownShape::NO_CHOME);
        assert_eq!(parts(&b), (None, Some("1"), Some("2"), Some("101")));
    }

    #[test]
    fn hostile_digits_are_not_blocks() {
        let long = "9".repeat(100_000);
        let b = read(&long, 0, CHOME);
        assert_eq!(b.end, 0);
        assert_eq!(b.banchi, None);
    }
}
