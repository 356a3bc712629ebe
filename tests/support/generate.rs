//! Generated accuracy cases: true addresses drawn from the embedded gazetteer, written in every
//! notation issue 2 lists, each with the fields a careful reader would expect.
//!
//! Shared by `tests/it/accuracy.rs` (a few thousand cases, asserts the targets) and
//! `examples/accuracy.rs` (the figure the README quotes). Deterministic: the same seed and the
//! same gazetteer give the same cases (a splitmix64 stream, no dependency).
//!
//! # How a case is made
//!
//! 1. A notation **family** is drawn uniformly from [`FAMILIES`]. The `hyphen` family then
//!    draws one of the twelve look-alikes of [`HYPHENS`] or the kanji 一 between digits, and is
//!    reported per character (`hyphen(ー)`).
//! 2. A municipality is drawn uniformly among those holding a town that suits the family, then
//!    one of those towns uniformly.
//! 3. The truth: a chome within the town's range when it has chome (1–5 when the range is
//!    unknown), banchi 1–60, go 1–40 or none (20 %), optionally a fictional building (some with
//!    digits or Roman numerals: 第2サンハイツ, メゾン21, ハイツII, コーポ一番館), a floor
//!    (1–15, or B1–B2), a room (floor × 100 + 1–12).
//! 4. It is written in the family's notation and otherwise plainly
//!    (`東京都中央区銀座4-6-16 サンハイツ 3階 301号室`), except in the `mixed` family, which
//!    combines several notations at random (and sometimes a postal code in front).
//!
//! Families: `plain`; `fullwidth`; `kanji_counted` (四丁目六番十六号), `kanji_positional`
//! (三七番地の二七); `chome_ban_go` (4丁目6番16号), `chome_hyphen` (4丁目6-16, 四丁目6-16),
//! `banchi_chi` (6番地16), `banchi_no` (6番地の16), `no_no` (4の6の16, 4ノ6ノ16); `hyphen(…)`;
//! `old_kanji` (澤, 濱, 嶋, 﨑, 縣 … in prefecture, municipality, town and building);
//! `kana_swap` (ヶ/ケ/が, の/ノ/之 between kanji in the town); `halfwidth_kana` (building),
//! `halfwidth_town` (town and building); `spaces` (ASCII and full-width, between parts);
//! `no_prefecture`, `no_city`, `no_county`, `oaza` (大字 added); `jo_digits` (北3条西),
//! `jo_shorthand` (札幌 北3西1-2-3); `kyoto_street` (寺町通御池上る + town, or town + street);
//! `floor_F`, `floor_kai`, `floor_B` (B1, B1F, 地下1階); `room_goshitsu`, `room_hash`,
//! `room_bare`, `room_folded` (1-2-3-101); `building_numeric`; `dup_prefecture` (東京都東京都…
//! or 東京都世田谷区東京都…, expects `duplicated_prefecture`); `dup_city` (expects
//! `duplicated_city`); `customer_id` (trailing PM12345, expects `customer_id` and
//! `trailing_customer_id`); `mixed`.
//!
//! The expected fields come from the gazetteer and this file, never from the parser:
//! prefecture and city as the gazetteer spells them (`city` = 郡 + name), town as the
//! gazetteer spells it, chome an integer, banchi/go decimal strings, building the canonical
//! (half-width ASCII, modern kanji) name from our list, floor `3` or `B1`, room digits,
//! anomalies exactly the ones the notation calls for. One allowance: when the gazetteer lists
//! several spellings of one name in one municipality (Japan Post's 一斗俵 and Geolonia's
//! 壱斗俵; 嵯峨野投渕町 / 嵯峨野投淵町; 旭ケ丘 / 旭ヶ丘), any of them is accepted
//! ([`Expected::town_alternatives`]); the library's variant table is used for that grouping
//! only.
//!
//! # What is left out, and why
//!
//! Only addresses that one reading fits are generated. Excluded:
//!
//! * towns whose name holds digits or Latin letters (`東６線北`, `ＩＣパーク`), 丁目, 番地 or
//!   地割 (`三本木五丁目`, `国有無番地`, `第四地割字和野山`), a `・` list (`内田・飯塚・宮内入会`),
//!   or that end in a numeral followed by 号 or 番 (`二十六号`, `芋沢一番`): block markers inside
//!   the name make `…号12番地` readable two ways. They stay in the gazetteer, though: when
//!   Japan Post lists `三本木五丁目` beside Geolonia's `三本木` (chome 1–5), a drawn 三本木 +
//!   5丁目 is still expected as 三本木 / chome 5, the spelling the other notations give, so
//!   that one place has one key;
//! * kanji-numeral blocks after a town whose name ends in a kanji numeral or 万 (`砂子沢一` +
//!   `二番` reads as 砂子沢 + 12番 too; `新万十二番` as 新 + 10012番);
//! * three bare numbers after a town without chome (`12-3-101`: go or room?), hence a room
//!   folded onto the block (`1-2-3-101`) only for towns with chome, with a go, in hyphen
//!   notation and without a building; a bare room (` 101`) only after a building name (`6 101`
//!   after a lone banchi reads as banchi-go);
//! * `1の2の3` after a town whose name ends in の/ノ/之;
//! * the prefecture left out unless the municipality's written form is unique in Japan
//!   (`府中市` is not: Tokyo and Hiroshima; nor is Tokyo's `中央区`, since 札幌市中央区 is
//!   written `中央区` too); the municipality left out unless the town is unique in its
//!   prefecture (with variants folded: 佛生寺 and 仏生寺 are one name), does not begin with a
//!   municipality's name there and does not end in a kanji numeral (`北海道栄一38-30` also
//!   reads 稚内市栄1丁目); 郡 left out only when the bare name is unique in the prefecture;
//! * 大字 added only to towns without chome in a 郡 (町村) municipality, where it is real;
//! * 条 written in digits only in Hokkaido (岡山's 六条院 is a name), the 北3西1 shorthand only
//!   for Sapporo's 北/南 n 条 東/西 towns; Kyoto streets only in 上京・中京・下京区.
//!
//! Old kanji: only the Tōyō-kanji simplifications and a few well-established variants
//! (髙, 﨑, 嶋, 邉) listed in [`OLD_FORMS`], written only where the gazetteer's name holds the
//! modern character.

#![allow(dead_code)]

use banchi::gazetteer::{City, CityId, Gazetteer, Town, TownId};
use banchi::{Address, Anomaly, ParseError};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

// ---------------------------------------------------------------------------------------------
// PRNG

/// splitmix64.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() >> 11) % n as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u32, hi: u32) -> u32 {
        lo + self.below((hi - lo + 1) as usize) as u32
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

// ---------------------------------------------------------------------------------------------
// Character tables

/// The twelve hyphen look-alikes the issue names.
pub const HYPHENS: [char; 12] = ['-', '－', '‐', '−', '‒', '–', '—', '─', '━', '―', 'ー', 'ｰ'];

/// The kanji one standing for a hyphen between Arabic digits (`1一2一3`), which the issue
/// lists with the look-alikes.
pub const KANJI_HYPHEN: char = '一';

/// Kyoto's north–south streets (written with 通) and east–west cross streets (without).
const KYOTO_NS: &[&str] = &[
    "寺町通",
    "河原町通",
    "烏丸通",
    "堀川通",
    "室町通",
    "新町通",
    "西洞院通",
    "油小路通",
    "大宮通",
    "柳馬場通",
    "高倉通",
    "東洞院通",
];
const KYOTO_EW: &[&str] = &[
    "丸太町",
    "竹屋町",
    "夷川",
    "二条",
    "押小路",
    "御池",
    "姉小路",
    "三条",
    "六角",
    "蛸薬師",
    "錦小路",
    "四条",
    "綾小路",
    "仏光寺",
    "高辻",
    "松原",
    "五条",
];

/// Modern → old form. Tōyō-kanji simplifications (澤, 濱, 廣, 縣, 國, …) plus the common
/// variants 髙 (高), 﨑 (崎, U+FA11, a unified ideograph NFKC keeps), 嶋 (島), 邉 (辺).
pub const OLD_FORMS: &[(char, char)] = &[
    ('沢', '澤'),
    ('浜', '濱'),
    ('島', '嶋'),
    ('崎', '﨑'),
    ('辺', '邉'),
    ('広', '廣'),
    ('県', '縣'),
    ('国', '國'),
    ('桜', '櫻'),
    ('栄', '榮'),
    ('恵', '惠'),
    ('関', '關'),
    ('条', '條'),
    ('宝', '寶'),
    ('豊', '豐'),
    ('亀', '龜'),
    ('鉄', '鐵'),
    ('会', '會'),
    ('学', '學'),
    ('黒', '黑'),
    ('徳', '德'),
    ('穂', '穗'),
    ('瀬', '瀨'),
    ('礼', '禮'),
    ('斎', '齋'),
    ('高', '髙'),
    ('滝', '瀧'),
    ('来', '來'),
    ('円', '圓'),
    ('寿', '壽'),
    ('渋', '澁'),
    ('塩', '鹽'),
    ('与', '與'),
    ('弥', '彌'),
    ('稲', '稻'),
    ('真', '眞'),
    ('蔵', '藏'),
    ('駅', '驛'),
    ('巣', '巢'),
    ('竜', '龍'),
    ('辺', '邊'),
    ('児', '兒'),
    ('斉', '齊'),
    ('芸', '藝'),
    ('浅', '淺'),
    ('当', '當'),
    ('団', '團'),
    ('図', '圖'),
];

fn old_form(c: char) -> Option<char> {
    OLD_FORMS.iter().find(|&&(m, _)| m == c).map(|&(_, o)| o)
}

fn modern_form(c: char) -> char {
    OLD_FORMS
        .iter()
        .find(|&&(_, o)| o == c)
        .map_or(c, |&(m, _)| m)
}

const KANJI_DIGITS: [char; 10] = ['〇', '一', '二', '三', '四', '五', '六', '七', '八', '九'];

fn is_kanji_numeral(c: char) -> bool {
    KANJI_DIGITS.contains(&c) || matches!(c, '十' | '百' | '千' | '万' | '零')
}

fn is_kanji(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c)
        || ('\u{F900}'..='\u{FAFF}').contains(&c)
        || ('\u{3400}'..='\u{4DBF}').contains(&c)
        || c == '々'
}

/// `23` → `二十三`.
pub fn kanji_counted(n: u32) -> String {
    let mut s = String::new();
    let mut n = n;
    for (unit, ch) in [(1000, '千'), (100, '百'), (10, '十')] {
        let d = n / unit;
        if d > 0 {
            if d > 1 {
                s.push(KANJI_DIGITS[d as usize]);
            }
            s.push(ch);
        }
        n %= unit;
    }
    if n > 0 || s.is_empty() {
        s.push(KANJI_DIGITS[n as usize]);
    }
    s
}

/// `1406` → `一四〇六`.
pub fn kanji_positional(n: u32) -> String {
    n.to_string()
        .bytes()
        .map(|b| KANJI_DIGITS[(b - b'0') as usize])
        .collect()
}

/// ASCII → full width (space → U+3000).
pub fn to_fullwidth(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            ' ' => '\u{3000}',
            '!'..='~' => char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap_or(c),
            _ => c,
        })
        .collect()
}

const KATA_FULL: &str = "ァアィイゥウェエォオカキクケコサシスセソタチッツテトナニヌネノハヒフヘホマミムメモャヤュユョヨラリルレロワヲンー・";
const KATA_HALF: &str = "ｧｱｨｲｩｳｪｴｫｵｶｷｸｹｺｻｼｽｾｿﾀﾁｯﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓｬﾔｭﾕｮﾖﾗﾘﾙﾚﾛﾜｦﾝｰ･";
const KATA_VOICED: &str = "ガギグゲゴザジズゼゾダヂヅデドバビブベボ";
const KATA_VOICED_BASE: &str = "カキクケコサシスセソタチツテトハヒフヘホ";
const KATA_SEMI: &str = "パピプペポ";
const KATA_SEMI_BASE: &str = "ハヒフヘホ";

fn half_of(c: char) -> Option<char> {
    KATA_FULL
        .chars()
        .zip(KATA_HALF.chars())
        .find(|&(f, _)| f == c)
        .map(|(_, h)| h)
}

/// Full-width katakana → half-width (`サンハイツ` → `ｻﾝﾊｲﾂ`, `ガ` → `ｶﾞ`).
pub fn to_halfwidth_kana(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if let Some(h) = half_of(c) {
            out.push(h);
        } else if let Some(i) = KATA_VOICED.chars().position(|v| v == c) {
            let base = KATA_VOICED_BASE.chars().nth(i).and_then(half_of);
            out.extend(base);
            out.push('ﾞ');
        } else if let Some(i) = KATA_SEMI.chars().position(|v| v == c) {
            let base = KATA_SEMI_BASE.chars().nth(i).and_then(half_of);
            out.extend(base);
            out.push('ﾟ');
        } else if c == 'ヴ' {
            out.push_str("ｳﾞ");
        } else {
            out.push(c);
        }
    }
    out
}

fn has_katakana(s: &str) -> bool {
    s.chars().any(|c| ('\u{30A1}'..='\u{30FA}').contains(&c))
}

/// Names under the library's variant table and numeral spellings (佛 → 仏, 渕 → 淵, 壱 → 一),
/// on top of [`gen_key`]: a cheap stand-in for `banchi::normalize::name_key` (no NFKC, which
/// town names do not need), used only to group spellings of one name.
fn lib_fold(s: &str) -> String {
    use banchi::normalize::numerals::{digit_value, unit_value};
    let modern: String = s
        .chars()
        .map(|c| {
            let c = banchi::normalize::modern(modern_form(c));
            if let Some(d) = digit_value(c) {
                KANJI_DIGITS[d as usize]
            } else {
                match unit_value(c) {
                    Some(10) => '十',
                    _ => c,
                }
            }
        })
        .collect();
    gen_key(&modern)
}

/// The matching key this generator uses to tell names apart: old kanji modernised,
/// ヶ/ヵ/が → ケ, の/之 → ノ. Deliberately broad: it only decides what to leave out.
fn gen_key(s: &str) -> String {
    s.chars()
        .map(|c| match modern_form(c) {
            'ヶ' | 'ヵ' | 'が' => 'ケ',
            'の' | '之' => 'ノ',
            m => m,
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Buildings

/// A fictional building: canonical name (what the parser should return) and how it may be
/// written (besides the canonical form).
struct Building {
    name: &'static str,
    spellings: &'static [&'static str],
    numeric: bool,
}

const BUILDINGS: &[Building] = &[
    Building {
        name: "サンハイツ",
        spellings: &[],
        numeric: false,
    },
    Building {
        name: "グリーンヒルズ",
        spellings: &[],
        numeric: false,
    },
    Building {
        name: "シャトー桜",
        spellings: &[],
        numeric: false,
    },
    Building {
        name: "レジデンス黒猫",
        spellings: &[],
        numeric: false,
    },
    Building {
        name: "黒猫荘",
        spellings: &[],
        numeric: false,
    },
    Building {
        name: "日の出マンション",
        spellings: &[],
        numeric: false,
    },
    Building {
        name: "ベルウッド",
        spellings: &[],
        numeric: false,
    },
    Building {
        name: "クレストビル",
        spellings: &[],
        numeric: false,
    },
    Building {
        name: "コーポ浜田",
        spellings: &[],
        numeric: false,
    },
    Building {
        name: "高田ハイツ",
        spellings: &[],
        numeric: false,
    },
    Building {
        name: "プラザ広瀬",
        spellings: &[],
        numeric: false,
    },
    Building {
        name: "ヴィラ・セゾン",
        spellings: &[],
        numeric: false,
    },
    Building {
        name: "第2サンハイツ",
        spellings: &["第２サンハイツ"],
        numeric: true,
    },
    Building {
        name: "メゾン21",
        spellings: &["メゾン２１"],
        numeric: true,
    },
    Building {
        name: "ハイツII",
        spellings: &["ハイツⅡ", "ハイツＩＩ"],
        numeric: true,
    },
    Building {
        name: "アーバンコートIII",
        spellings: &["アーバンコートⅢ"],
        numeric: true,
    },
    Building {
        name: "コーポ一番館",
        spellings: &[],
        numeric: true,
    },
    Building {
        name: "パークハイム3",
        spellings: &["パークハイム３"],
        numeric: true,
    },
    Building {
        name: "スカイコート12",
        spellings: &["スカイコート１２"],
        numeric: true,
    },
    Building {
        name: "第3コーポ黒猫",
        spellings: &["第３コーポ黒猫"],
        numeric: true,
    },
    Building {
        name: "ロイヤルメゾン5番館",
        spellings: &["ロイヤルメゾン５番館"],
        numeric: true,
    },
    Building {
        name: "グランドール第一",
        spellings: &[],
        numeric: true,
    },
];

// ---------------------------------------------------------------------------------------------
// Families and cases

/// Notation families, drawn uniformly.
pub const FAMILIES: &[&str] = &[
    "plain",
    "fullwidth",
    "kanji_counted",
    "kanji_positional",
    "chome_ban_go",
    "chome_hyphen",
    "banchi_chi",
    "banchi_no",
    "no_no",
    "hyphen",
    "old_kanji",
    "kana_swap",
    "halfwidth_kana",
    "halfwidth_town",
    "spaces",
    "no_prefecture",
    "no_city",
    "no_county",
    "oaza",
    "jo_digits",
    "jo_shorthand",
    "kyoto_street",
    "floor_F",
    "floor_kai",
    "floor_B",
    "room_goshitsu",
    "room_hash",
    "room_bare",
    "room_folded",
    "building_numeric",
    "dup_prefecture",
    "dup_city",
    "customer_id",
    "mixed",
];

/// What the parser should find.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expected {
    pub prefecture: String,
    pub city: String,
    pub city_code: String,
    pub town: String,
    /// Other spellings of the same town that the gazetteer lists in the same municipality
    /// (P's 一斗俵 and Geolonia's 壱斗俵, 嵯峨野投渕町 and 嵯峨野投淵町): any of them is right.
    pub town_alternatives: Vec<String>,
    pub chome: Option<u32>,
    pub banchi: String,
    pub go: Option<String>,
    pub building: Option<String>,
    pub floor: Option<String>,
    pub room: Option<String>,
    pub customer_id: Option<String>,
    pub anomalies: Vec<Anomaly>,
}

impl Expected {
    /// The delivery-point key of the expected parts ([`Address::compute_key`]).
    pub fn key(&self) -> String {
        self.key_with(&self.town)
    }

    /// The key with another accepted spelling of the town.
    pub fn key_with(&self, town: &str) -> String {
        Address {
            prefecture: Some(self.prefecture.clone()),
            city: Some(self.city.clone()),
            city_code: Some(self.city_code.clone()),
            town: Some(town.to_owned()),
            chome: self.chome,
            banchi: Some(self.banchi.clone()),
            go: self.go.clone(),
            floor: self.floor.clone(),
            room: self.room.clone(),
            ..Address::default()
        }
        .compute_key()
    }
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        show_parts(
            f,
            Some(&self.prefecture),
            Some(&self.city),
            Some(&self.town),
            self.chome,
            Some(&self.banchi),
            self.go.as_ref(),
            self.building.as_ref(),
            self.floor.as_ref(),
            self.room.as_ref(),
            self.customer_id.as_ref(),
            &self.anomalies,
        )
    }
}

#[allow(clippy::too_many_arguments)]
fn show_parts(
    f: &mut fmt::Formatter<'_>,
    pref: Option<&String>,
    city: Option<&String>,
    town: Option<&String>,
    chome: Option<u32>,
    banchi: Option<&String>,
    go: Option<&String>,
    building: Option<&String>,
    floor: Option<&String>,
    room: Option<&String>,
    cid: Option<&String>,
    anomalies: &[Anomaly],
) -> fmt::Result {
    let o = |s: Option<&String>| s.map_or("∅".to_owned(), |s| s.clone());
    write!(
        f,
        "{}|{}|{}|{}|{}|{}|bldg={}|floor={}|room={}",
        o(pref),
        o(city),
        o(town),
        chome.map_or("∅".to_owned(), |c| c.to_string()),
        o(banchi),
        o(go),
        o(building),
        o(floor),
        o(room)
    )?;
    if let Some(c) = cid {
        write!(f, "|id={c}")?;
    }
    if !anomalies.is_empty() {
        let codes: Vec<_> = anomalies.iter().map(|a| a.code()).collect();
        write!(f, "|[{}]", codes.join(","))?;
    }
    Ok(())
}

/// A parsed address shown like [`Expected`].
pub struct Got<'a>(pub &'a Result<Address, ParseError>);

impl fmt::Display for Got<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Err(e) => write!(f, "error: {e}"),
            Ok(a) => show_parts(
                f,
                a.prefecture.as_ref(),
                a.city.as_ref(),
                a.town.as_ref(),
                a.chome,
                a.banchi.as_ref(),
                a.go.as_ref(),
                a.building.as_ref(),
                a.floor.as_ref(),
                a.room.as_ref(),
                a.customer_id.as_ref(),
                &a.anomalies,
            ),
        }
    }
}

/// One generated address.
#[derive(Debug, Clone)]
pub struct Case {
    /// Notation family (`hyphen` cases are labelled with their character: `hyphen(ー)`).
    pub family: String,
    pub input: String,
    pub expected: Expected,
}

/// The fields scored; the first six are "prefecture..go".
pub const FIELDS: [&str; 10] = [
    "prefecture",
    "city",
    "town",
    "chome",
    "banchi",
    "go",
    "building",
    "floor",
    "room",
    "customer_id",
];

/// Extra checks reported next to the fields (not part of "every field").
pub const EXTRAS: [&str; 2] = ["anomalies", "key"];

/// Which fields a parse got wrong.
#[derive(Debug, Clone, Default)]
pub struct Check {
    /// Per [`FIELDS`] entry: wrong?
    pub wrong: [bool; 10],
    /// Per [`EXTRAS`] entry: wrong?
    pub extra_wrong: [bool; 2],
}

impl Check {
    pub fn all_ok(&self) -> bool {
        !self.wrong.iter().any(|&w| w)
    }
    pub fn core_ok(&self) -> bool {
        !self.wrong[..6].iter().any(|&w| w)
    }
}

impl Case {
    pub fn check(&self, got: &Result<Address, ParseError>) -> Check {
        let Ok(a) = got else {
            return Check {
                wrong: [true; 10],
                extra_wrong: [true; 2],
            };
        };
        let e = &self.expected;
        let s = |x: &Option<String>| x.clone();
        let wrong = [
            a.prefecture.as_deref() != Some(e.prefecture.as_str()),
            a.city.as_deref() != Some(e.city.as_str()),
            !a.town
                .as_deref()
                .is_some_and(|t| t == e.town || e.town_alternatives.iter().any(|x| x == t)),
            a.chome != e.chome,
            a.banchi.as_deref() != Some(e.banchi.as_str()),
            a.go != s(&e.go),
            a.building != e.building,
            a.floor != e.floor,
            a.room != e.room,
            a.customer_id != e.customer_id,
        ];
        let mut want = e.anomalies.clone();
        want.sort();
        Check {
            wrong,
            extra_wrong: [
                a.anomalies != want,
                a.key != e.key() && !e.town_alternatives.iter().any(|t| a.key == e.key_with(t)),
            ],
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Scoring

/// Counts for one family (or overall).
#[derive(Debug, Clone, Default)]
pub struct Tally {
    pub n: usize,
    pub all_ok: usize,
    pub core_ok: usize,
    pub field_errors: [usize; 10],
    pub extra_errors: [usize; 2],
    /// (input, expected, got) of failing cases (any field or extra wrong), at most `keep`.
    pub failures: Vec<(String, String, String)>,
}

impl Tally {
    pub fn all_share(&self) -> f64 {
        self.all_ok as f64 / self.n.max(1) as f64
    }
    pub fn core_share(&self) -> f64 {
        self.core_ok as f64 / self.n.max(1) as f64
    }
}

/// Per-family and overall tallies.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub overall: Tally,
    pub families: BTreeMap<String, Tally>,
}

/// Parses every case and tallies; keeps up to `keep` failures per family.
pub fn score(cases: &[Case], keep: usize) -> Report {
    let parser = banchi::Parser::new();
    let mut r = Report::default();
    for c in cases {
        let got = parser.parse(&c.input);
        let chk = c.check(&got);
        let fam = r.families.entry(c.family.clone()).or_default();
        for t in [&mut r.overall, fam] {
            t.n += 1;
            t.all_ok += chk.all_ok() as usize;
            t.core_ok += chk.core_ok() as usize;
            for (i, &w) in chk.wrong.iter().enumerate() {
                t.field_errors[i] += w as usize;
            }
            for (i, &w) in chk.extra_wrong.iter().enumerate() {
                t.extra_errors[i] += w as usize;
            }
        }
        let fam = r.families.get_mut(&c.family).expect("inserted above");
        let failed = !chk.all_ok() || chk.extra_wrong.iter().any(|&w| w);
        if failed && fam.failures.len() < keep {
            fam.failures.push((
                c.input.clone(),
                c.expected.to_string(),
                Got(&got).to_string(),
            ));
        }
    }
    r
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let short = [
            "pref", "city", "town", "chome", "banchi", "go", "bldg", "floor", "room", "cid",
        ];
        write!(
            f,
            "{:<22} {:>6} {:>8} {:>8} ",
            "family", "n", "all %", "pref..go"
        )?;
        for s in short.iter().chain(["anom", "key"].iter()) {
            write!(f, "{s:>6}")?;
        }
        writeln!(f)?;
        let row = |f: &mut fmt::Formatter<'_>, name: &str, t: &Tally| -> fmt::Result {
            write!(
                f,
                "{:<22} {:>6} {:>8.3} {:>8.3} ",
                name,
                t.n,
                100.0 * t.all_share(),
                100.0 * t.core_share()
            )?;
            for e in t.field_errors.iter().chain(t.extra_errors.iter()) {
                write!(f, "{e:>6}")?;
            }
            writeln!(f)
        };
        for (name, t) in &self.families {
            row(f, name, t)?;
        }
        row(f, "OVERALL", &self.overall)
    }
}

// ---------------------------------------------------------------------------------------------
// The generator

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Numerals {
    Arabic,
    Counted,
    Positional,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BlockStyle {
    Hyphen(char),
    /// 1丁目2番3号
    ChomeBanGo,
    /// 1丁目2番地3
    BanchiChi,
    /// 1丁目2番地の3
    BanchiNo,
    /// 1の2の3 (or 1ノ2ノ3)
    NoNo(char),
    /// 1丁目2-3 (the chome in kanji when the flag is set: 四丁目6-16)
    ChomeHyphen(bool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FloorForm {
    F,
    Kai,
    Basement,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RoomForm {
    Goshitsu,
    Hash,
    Bare,
    Folded,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BuildingWant {
    Maybe,
    Yes,
    Numeric,
    No,
}

/// Every knob of a notation.
#[derive(Debug, Clone)]
struct Spec {
    fullwidth: bool,
    block: BlockStyle,
    numerals: Numerals,
    old_kanji: bool,
    kana_swap: bool,
    halfwidth_building: bool,
    halfwidth_town: bool,
    /// A postal code in front (〒123-4567).
    postal_code: bool,
    spaces: bool,
    omit_pref: bool,
    omit_city: bool,
    omit_county: bool,
    oaza: bool,
    jo_digits: bool,
    /// Sapporo's 北3西1 for 北3条西1丁目.
    jo_shorthand: bool,
    /// Kyoto street + direction before (or after) the town.
    kyoto: bool,
    dup_pref: bool,
    dup_city: bool,
    customer_id: bool,
    building: BuildingWant,
    floor: Option<FloorForm>,
    floor_p: f64,
    room: Option<RoomForm>,
    room_p: f64,
    go_required: bool,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            fullwidth: false,
            block: BlockStyle::Hyphen('-'),
            numerals: Numerals::Arabic,
            old_kanji: false,
            kana_swap: false,
            halfwidth_building: false,
            halfwidth_town: false,
            postal_code: false,
            spaces: false,
            omit_pref: false,
            omit_city: false,
            omit_county: false,
            oaza: false,
            jo_digits: false,
            jo_shorthand: false,
            kyoto: false,
            dup_pref: false,
            dup_city: false,
            customer_id: false,
            building: BuildingWant::Maybe,
            floor: None,
            floor_p: 0.15,
            room: None,
            room_p: 0.4,
            go_required: false,
        }
    }
}

/// Town requirements of a family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Need {
    Any,
    NoTrailingNumeral,
    NoTrailingNo,
    OldKanji,
    KanaSwap,
    HalfwidthTown,
    UniqueCity,
    UniqueTownInPref,
    County,
    Oaza,
    Jo,
    JoShorthand,
    Kyoto,
    Chome,
    ChomeNoTrailingNumeral,
}

/// A postal code that belongs to the town (`104-0061`): its own area code, else one of its
/// municipality's (the municipality-wide one first). Built once per process.
fn postal_code_of(id: TownId) -> Option<String> {
    use banchi::gazetteer::PostalArea;
    /// A code per town, and per municipality.
    type Codes = (HashMap<TownId, [u8; 7]>, HashMap<CityId, [u8; 7]>);
    static CODES: OnceLock<Codes> = OnceLock::new();
    let (by_town, by_city) = CODES.get_or_init(|| {
        let g = Gazetteer::get();
        let (mut by_town, mut by_city) = (HashMap::new(), HashMap::new());
        for (code, entries) in g.postal_codes() {
            for e in entries.iter().filter(|e| !e.office) {
                match e.area {
                    PostalArea::Town(t) => {
                        by_town.entry(t).or_insert(code);
                        by_city.entry(g.town(t).city).or_insert(code);
                    }
                    PostalArea::City(c) => {
                        by_city.insert(c, code);
                    }
                }
            }
        }
        (by_town, by_city)
    });
    let g = Gazetteer::get();
    let code = by_town.get(&id).or_else(|| by_city.get(&g.town(id).city))?;
    let s = std::str::from_utf8(code).ok()?;
    Some(format!("{}-{}", s.get(..3)?, s.get(3..)?))
}

/// What the generator knows about the gazetteer: built once per process, shared by every
/// [`Generator`].
struct Tables {
    /// Eligible towns (base filters) by city.
    towns_by_city: Vec<Vec<TownId>>,
    /// Other spellings of a town in its municipality (see [`Expected::town_alternatives`]).
    alternatives: HashMap<TownId, Vec<&'static str>>,
    /// City written forms (gen_key) → cities.
    city_forms: HashMap<String, HashSet<CityId>>,
    /// (pref, gen_key(name)) → cities, for 郡 left out.
    bare_names: HashMap<(u8, String), usize>,
    /// (pref, gen_key(town)) → cities holding it.
    town_in_pref: [HashMap<u8, HashMap<String, HashSet<CityId>>>; 2],
    /// Per town: [`gen_key`] and [`lib_fold`] of its name.
    town_keys: Vec<[String; 2]>,
    /// Per prefecture: gen_keys of municipality names, counties and designated cities.
    pref_city_keys: HashMap<u8, Vec<String>>,
    /// Towns by city per need, built on first use.
    by_need: Mutex<HashMap<Need, Arc<Vec<Vec<TownId>>>>>,
}

impl Tables {
    fn get() -> &'static Tables {
        static T: OnceLock<Tables> = OnceLock::new();
        T.get_or_init(Tables::build)
    }

    fn build() -> Tables {
        let g = Gazetteer::get();
        let cities = g.cities();
        // Spellings of one name in one municipality, under this generator's fold (ヶ/ケ/が,
        // の/ノ/之, old kanji) and under the library's variant table (佛/仏, 渕/淵, 壱/一 …).
        // Used only to accept every listed spelling, never to pick one.
        let town_keys: Vec<[String; 2]> = (0..g.town_count() as TownId)
            .map(|id| {
                let name = g.town(id).name;
                [gen_key(name), lib_fold(name)]
            })
            .collect();
        type ByKey = [HashMap<String, Vec<&'static str>>; 2];
        let mut spellings: HashMap<CityId, ByKey> = HashMap::new();
        let mut town_in_pref: [HashMap<u8, HashMap<String, HashSet<CityId>>>; 2] =
            [HashMap::new(), HashMap::new()];
        let mut towns_by_city: Vec<Vec<TownId>> = vec![Vec::new(); cities.len()];
        for (id, keys) in town_keys.iter().enumerate() {
            let t = g.town(id as TownId);
            let cid = t.city as usize;
            if cid >= cities.len() {
                continue;
            }
            let by_key = spellings.entry(t.city).or_default();
            for (i, k) in keys.iter().enumerate() {
                let v = by_key[i].entry(k.clone()).or_default();
                if !v.contains(&t.name) {
                    v.push(t.name);
                }
                town_in_pref[i]
                    .entry(cities[cid].pref)
                    .or_default()
                    .entry(keys[i].clone())
                    .or_default()
                    .insert(t.city);
            }
            if base_name_ok(t.name) {
                towns_by_city[cid].push(id as TownId);
            }
        }
        let mut alternatives: HashMap<TownId, Vec<&'static str>> = HashMap::new();
        for (id, keys) in town_keys.iter().enumerate() {
            let t = g.town(id as TownId);
            let Some(by_key) = spellings.get(&t.city) else {
                continue;
            };
            let mut alt: Vec<&'static str> = Vec::new();
            for (i, k) in keys.iter().enumerate() {
                if let Some(v) = by_key[i].get(k.as_str()) {
                    alt.extend(v.iter().copied().filter(|&n| n != t.name));
                }
            }
            alt.sort_unstable();
            alt.dedup();
            if !alt.is_empty() {
                alternatives.insert(id as TownId, alt);
            }
        }
        let mut city_forms: HashMap<String, HashSet<CityId>> = HashMap::new();
        let mut bare_names: HashMap<(u8, String), usize> = HashMap::new();
        let mut pref_city_keys: HashMap<u8, Vec<String>> = HashMap::new();
        for (cid, c) in cities.iter().enumerate() {
            let full = gen_key(&c.full_name());
            let bare = gen_key(c.name);
            city_forms
                .entry(full.clone())
                .or_default()
                .insert(cid as CityId);
            city_forms
                .entry(bare.clone())
                .or_default()
                .insert(cid as CityId);
            if let Some(ward) = c
                .name
                .strip_prefix(c.designated)
                .filter(|w| !w.is_empty() && !c.designated.is_empty())
            {
                // 札幌市中央区 is written 中央区 too: Tokyo's 中央区 is not unique.
                city_forms
                    .entry(gen_key(ward))
                    .or_default()
                    .insert(cid as CityId);
            }
            *bare_names.entry((c.pref, bare.clone())).or_default() += 1;
            let keys = pref_city_keys.entry(c.pref).or_default();
            keys.push(full);
            keys.push(bare);
            for extra in [c.county, c.designated] {
                if !extra.is_empty() {
                    keys.push(gen_key(extra));
                }
            }
        }
        Tables {
            towns_by_city,
            alternatives,
            city_forms,
            bare_names,
            town_in_pref,
            town_keys,
            pref_city_keys,
            by_need: Mutex::new(HashMap::new()),
        }
    }

    fn city_unique(&self, id: CityId, with_county: bool) -> bool {
        let c = Gazetteer::get().city(id);
        let form = if with_county {
            gen_key(&c.full_name())
        } else {
            gen_key(c.name)
        };
        self.city_forms.get(&form).is_some_and(|s| s.len() == 1)
    }

    fn bare_name_unique(&self, id: CityId) -> bool {
        let c = Gazetteer::get().city(id);
        self.bare_names.get(&(c.pref, gen_key(c.name))) == Some(&1)
    }

    fn town_unique_in_pref(&self, id: TownId, t: &Town) -> bool {
        let g = Gazetteer::get();
        let pref = g.city(t.city).pref;
        let keys = &self.town_keys[id as usize];
        let one_city = (0..2).all(|i| {
            self.town_in_pref[i]
                .get(&pref)
                .and_then(|m| m.get(keys[i].as_str()))
                .is_some_and(|s| s.len() == 1)
        });
        let key = &keys[0];
        let shadowed = self
            .pref_city_keys
            .get(&pref)
            .is_some_and(|ks| ks.iter().any(|k| key.starts_with(k.as_str())));
        let pref_short = g.prefecture(pref).map_or("", |p| p.short);
        one_city && !shadowed && !key.starts_with(pref_short)
    }

    /// The municipality-level part of a need (checked once per municipality).
    fn city_ok(&self, need: Need, id: CityId) -> bool {
        let city = Gazetteer::get().city(id);
        match need {
            Need::UniqueCity => self.city_unique(id, true),
            Need::County => !city.county.is_empty() && self.bare_name_unique(id),
            Need::Oaza => !city.county.is_empty(),
            Need::Jo => city.pref == 1,
            Need::JoShorthand => city.code.starts_with("011"),
            Need::Kyoto => matches!(city.code, "26102" | "26104" | "26106"),
            _ => true,
        }
    }

    fn meets(&self, need: Need, id: TownId) -> bool {
        let g = Gazetteer::get();
        let t = g.town(id);
        let city = g.city(t.city);
        let name = t.name;
        match need {
            Need::Any => true,
            Need::NoTrailingNumeral => !name.chars().next_back().is_some_and(is_kanji_numeral),
            Need::NoTrailingNo => !name.ends_with(['の', 'ノ', '之']),
            Need::OldKanji => name.chars().any(|c| old_form(c).is_some()),
            Need::KanaSwap => !swappable_positions(name).is_empty(),
            Need::HalfwidthTown => has_katakana(name),
            Need::UniqueCity => self.city_unique(t.city, true),
            // 北海道栄一38-30 also reads 稚内市栄1丁目 38-30: no trailing numeral here.
            Need::UniqueTownInPref => {
                self.town_unique_in_pref(id, &t)
                    && !name.chars().next_back().is_some_and(is_kanji_numeral)
            }
            Need::County => !city.county.is_empty() && self.bare_name_unique(t.city),
            Need::Oaza => !t.has_chome() && !city.county.is_empty(),
            // Hokkaido's 条 numbering only: 六条院 (岡山) is a name, not a 条.
            Need::Jo => city.pref == 1 && jo_position(name).is_some(),
            Need::JoShorthand => {
                city.code.starts_with("011") && t.has_chome() && jo_shorthand(name).is_some()
            }
            Need::Kyoto => {
                matches!(city.code, "26102" | "26104" | "26106")
                    && !t.has_chome()
                    && !["上る", "下る", "上ル", "下ル", "東入", "西入", "通"]
                        .iter()
                        .any(|d| name.contains(d))
            }
            Need::Chome => t.has_chome(),
            Need::ChomeNoTrailingNumeral => {
                t.has_chome() && !name.chars().next_back().is_some_and(is_kanji_numeral)
            }
        }
    }

    /// Eligible towns grouped by city (cities without one left out).
    fn towns_for(&self, need: Need) -> Arc<Vec<Vec<TownId>>> {
        let mut cache = self.by_need.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry(need)
            .or_insert_with(|| {
                Arc::new(
                    self.towns_by_city
                        .iter()
                        .enumerate()
                        .filter(|&(cid, _)| self.city_ok(need, cid as CityId))
                        .map(|(_, ids)| {
                            ids.iter()
                                .copied()
                                .filter(|&t| self.meets(need, t))
                                .collect::<Vec<_>>()
                        })
                        .filter(|v| !v.is_empty())
                        .collect(),
                )
            })
            .clone()
    }
}

/// Draws [`Case`]s from the embedded gazetteer.
pub struct Generator {
    g: &'static Gazetteer,
    t: &'static Tables,
    rng: Rng,
}

impl Generator {
    /// A generator with its own random stream (the gazetteer tables are shared).
    pub fn new(seed: u64) -> Self {
        Generator {
            g: Gazetteer::get(),
            t: Tables::get(),
            rng: Rng::new(seed),
        }
    }

    /// `n` cases.
    pub fn cases(&mut self, n: usize) -> Vec<Case> {
        (0..n).map(|_| self.case()).collect()
    }

    /// One case.
    pub fn case(&mut self) -> Case {
        loop {
            let fam = *self.rng.pick(FAMILIES);
            if let Some(c) = self.case_of(fam) {
                return c;
            }
        }
    }

    fn city(&self, id: CityId) -> &'static City {
        self.g.city(id)
    }

    fn city_unique(&self, id: CityId, with_county: bool) -> bool {
        self.t.city_unique(id, with_county)
    }

    fn bare_name_unique(&self, id: CityId) -> bool {
        self.t.bare_name_unique(id)
    }

    fn draw_town(&mut self, need: Need) -> Option<TownId> {
        let groups = self.t.towns_for(need);
        if groups.is_empty() {
            return None;
        }
        let ids = &groups[self.rng.below(groups.len())];
        Some(ids[self.rng.below(ids.len())])
    }

    fn case_of(&mut self, fam: &str) -> Option<Case> {
        let mut spec = Spec::default();
        let mut need = Need::Any;
        let mut label = fam.to_owned();
        let rng = &mut self.rng;
        match fam {
            "plain" => {}
            "fullwidth" => spec.fullwidth = true,
            "kanji_counted" | "kanji_positional" => {
                spec.numerals = if fam == "kanji_counted" {
                    Numerals::Counted
                } else {
                    Numerals::Positional
                };
                spec.block = *rng.pick(&[
                    BlockStyle::ChomeBanGo,
                    BlockStyle::BanchiChi,
                    BlockStyle::BanchiNo,
                ]);
                need = Need::NoTrailingNumeral;
            }
            "chome_ban_go" => spec.block = BlockStyle::ChomeBanGo,
            "chome_hyphen" => {
                let kanji = rng.chance(0.5);
                spec.block = BlockStyle::ChomeHyphen(kanji);
                need = if kanji {
                    Need::ChomeNoTrailingNumeral
                } else {
                    Need::Chome
                };
            }
            "banchi_chi" => spec.block = BlockStyle::BanchiChi,
            "banchi_no" => spec.block = BlockStyle::BanchiNo,
            "no_no" => {
                spec.block = BlockStyle::NoNo(*rng.pick(&['の', 'ノ']));
                spec.go_required = true;
                need = Need::NoTrailingNo;
            }
            "hyphen" => {
                let h = if rng.below(13) == 12 {
                    KANJI_HYPHEN
                } else {
                    *rng.pick(&HYPHENS)
                };
                spec.block = BlockStyle::Hyphen(h);
                spec.go_required = true;
                label = format!("hyphen({h})");
            }
            "old_kanji" => {
                spec.old_kanji = true;
                need = Need::OldKanji;
            }
            "kana_swap" => {
                spec.kana_swap = true;
                need = Need::KanaSwap;
            }
            "halfwidth_kana" => {
                spec.halfwidth_building = true;
                spec.building = BuildingWant::Yes;
            }
            "halfwidth_town" => {
                spec.halfwidth_town = true;
                spec.halfwidth_building = true;
                need = Need::HalfwidthTown;
            }
            "spaces" => {
                spec.spaces = true;
                spec.block = *rng.pick(&[
                    BlockStyle::Hyphen('-'),
                    BlockStyle::ChomeBanGo,
                    BlockStyle::BanchiChi,
                ]);
            }
            "no_prefecture" => {
                spec.omit_pref = true;
                need = Need::UniqueCity;
            }
            "no_city" => {
                spec.omit_city = true;
                need = Need::UniqueTownInPref;
            }
            "no_county" => {
                spec.omit_county = true;
                need = Need::County;
            }
            "oaza" => {
                spec.oaza = true;
                need = Need::Oaza;
            }
            "jo_digits" => {
                spec.jo_digits = true;
                need = Need::Jo;
            }
            "jo_shorthand" => {
                spec.jo_shorthand = true;
                need = Need::JoShorthand;
            }
            "kyoto_street" => {
                spec.kyoto = true;
                need = Need::Kyoto;
            }
            "floor_F" | "floor_kai" | "floor_B" => {
                spec.floor = Some(match fam {
                    "floor_F" => FloorForm::F,
                    "floor_kai" => FloorForm::Kai,
                    _ => FloorForm::Basement,
                });
                if rng.chance(0.7) {
                    spec.building = BuildingWant::Yes;
                }
            }
            "room_goshitsu" => spec.room = Some(RoomForm::Goshitsu),
            "room_hash" => spec.room = Some(RoomForm::Hash),
            "room_bare" => {
                spec.room = Some(RoomForm::Bare);
                spec.building = BuildingWant::Yes;
            }
            "room_folded" => {
                spec.room = Some(RoomForm::Folded);
                spec.building = BuildingWant::No;
                spec.go_required = true;
                spec.block = BlockStyle::Hyphen(*rng.pick(&['-', '-', '－', 'ー', '−']));
                need = Need::Chome;
            }
            "building_numeric" => spec.building = BuildingWant::Numeric,
            "dup_prefecture" => spec.dup_pref = true,
            "dup_city" => spec.dup_city = true,
            "customer_id" => spec.customer_id = true,
            "mixed" => {}
            _ => return None,
        }
        let id = self.draw_town(need)?;
        if fam == "mixed" {
            self.mix(&mut spec, id);
        }
        if fam == "no_prefecture" {
            let city = self.g.town(id).city;
            let county = !self.city(city).county.is_empty();
            spec.omit_county = county && self.city_unique(city, false) && self.rng.chance(0.5);
        }
        self.render(label, spec, id)
    }

    /// Several notations at once, each where the town allows it.
    fn mix(&mut self, spec: &mut Spec, id: TownId) {
        let t = self.g.town(id);
        let city = self.city(t.city);
        let r = &mut self.rng;
        spec.fullwidth = r.chance(0.3);
        spec.block = match r.below(6) {
            0 => BlockStyle::ChomeBanGo,
            1 => BlockStyle::BanchiChi,
            2 => BlockStyle::BanchiNo,
            3 if !t.name.ends_with(['の', 'ノ', '之']) => {
                BlockStyle::NoNo(*r.pick(&['の', 'ノ']))
            }
            4 if t.has_chome() => BlockStyle::ChomeHyphen(
                !t.name.chars().next_back().is_some_and(is_kanji_numeral) && r.chance(0.5),
            ),
            _ => BlockStyle::Hyphen(*r.pick(&HYPHENS)),
        };
        if matches!(spec.block, BlockStyle::NoNo(_)) {
            spec.go_required = true;
        }
        let marked = matches!(
            spec.block,
            BlockStyle::ChomeBanGo | BlockStyle::BanchiChi | BlockStyle::BanchiNo
        );
        if marked && !t.name.chars().next_back().is_some_and(is_kanji_numeral) && r.chance(0.4) {
            spec.numerals = if r.chance(0.5) {
                Numerals::Counted
            } else {
                Numerals::Positional
            };
        }
        spec.old_kanji = r.chance(0.3);
        spec.kana_swap = r.chance(0.5);
        spec.spaces = r.chance(0.3);
        spec.halfwidth_building = r.chance(0.2);
        spec.halfwidth_town = r.chance(0.1);
        spec.postal_code = r.chance(0.1);
        let county = !city.county.is_empty();
        spec.omit_county = county && r.chance(0.4);
        spec.oaza = county && !t.has_chome() && r.chance(0.3);
        spec.jo_digits = r.chance(0.5);
        spec.customer_id = r.chance(0.1);
        spec.floor_p = 0.3;
        spec.room_p = 0.5;
        if r.chance(0.5) {
            spec.floor = Some(*r.pick(&[FloorForm::F, FloorForm::Kai, FloorForm::Basement]));
        }
        if r.chance(0.6) {
            spec.room = Some(*r.pick(&[
                RoomForm::Goshitsu,
                RoomForm::Hash,
                RoomForm::Bare,
                RoomForm::Folded,
            ]));
        }
        if spec.omit_county && !self.bare_name_unique(t.city) {
            spec.omit_county = false;
        }
        let can_omit_pref = self.city_unique(t.city, !spec.omit_county);
        let r = &mut self.rng;
        if can_omit_pref && r.chance(0.2) {
            spec.omit_pref = true;
        } else if r.chance(0.05) {
            spec.dup_pref = true;
        }
    }

    fn render(&mut self, family: String, mut spec: Spec, id: TownId) -> Option<Case> {
        let g = self.g;
        let t = g.town(id);
        let city = g.city(t.city);
        let pref = g.prefecture(city.pref)?;
        let r = &mut self.rng;

        // --- the truth
        let chome = t.has_chome().then(|| {
            let lo = (t.chome_min as u32).max(1);
            let hi = if t.chome_max == 255 {
                lo.max(5)
            } else {
                (t.chome_max as u32).max(lo)
            };
            r.range(lo, hi)
        });
        let banchi = r.range(1, 60);
        let go = (spec.go_required || r.chance(0.8)).then(|| r.range(1, 40));

        // Room folded onto the block: chome + banchi + go, hyphens, no building.
        let hyphens = matches!(spec.block, BlockStyle::Hyphen(_));
        if spec.room == Some(RoomForm::Folded) && (chome.is_none() || go.is_none() || !hyphens) {
            spec.room = Some(RoomForm::Goshitsu);
        }
        let building: Option<&Building> = match spec.building {
            BuildingWant::No => None,
            _ if spec.room == Some(RoomForm::Folded) => None,
            BuildingWant::Maybe if !r.chance(0.5) => None,
            BuildingWant::Numeric => {
                let numeric: Vec<&Building> = BUILDINGS.iter().filter(|b| b.numeric).collect();
                Some(*r.pick(&numeric))
            }
            _ => Some(r.pick(BUILDINGS)),
        };
        if spec.room == Some(RoomForm::Bare) && building.is_none() {
            spec.room = Some(RoomForm::Goshitsu);
        }
        let floor_form = spec
            .floor
            .or_else(|| r.chance(spec.floor_p).then_some(FloorForm::Kai))
            .filter(|_| spec.room != Some(RoomForm::Folded));
        let floor_n = match floor_form {
            Some(FloorForm::Basement) => r.range(1, 2),
            Some(_) => r.range(1, 15),
            None => 0,
        };
        let room_form = spec
            .room
            .or_else(|| r.chance(spec.room_p).then_some(RoomForm::Goshitsu))
            .filter(|_| floor_form != Some(FloorForm::Basement));
        let room_n = room_form.map(|_| {
            let fl = if floor_form.is_some() {
                floor_n
            } else {
                r.range(1, 12)
            };
            fl * 100 + r.range(1, 12)
        });
        let customer_id = spec.customer_id.then(|| {
            let p = *r.pick(&["PM", "LYF", "TNS", "JX", "SPX", "KA"]);
            let len = r.range(5, 7);
            let digits: String = (0..len)
                .map(|_| char::from(b'0' + r.below(10) as u8))
                .collect();
            format!("{p}{digits}")
        });

        let mut anomalies = Vec::new();
        if spec.dup_pref {
            anomalies.push(Anomaly::DuplicatedPrefecture);
        }
        if spec.dup_city {
            anomalies.push(Anomaly::DuplicatedCity);
        }
        if customer_id.is_some() {
            anomalies.push(Anomaly::TrailingCustomerId);
        }
        anomalies.sort();

        let expected = Expected {
            prefecture: pref.name.to_owned(),
            city: city.full_name(),
            city_code: city.code.to_owned(),
            town: t.name.to_owned(),
            town_alternatives: self
                .t
                .alternatives
                .get(&id)
                .map(|v| v.iter().map(|s| s.to_string()).collect())
                .unwrap_or_default(),
            chome,
            banchi: banchi.to_string(),
            go: go.map(|g| g.to_string()),
            building: building.map(|b| b.name.to_owned()),
            floor: floor_form.map(|f| match f {
                FloorForm::Basement => format!("B{floor_n}"),
                _ => floor_n.to_string(),
            }),
            room: room_n.map(|n| n.to_string()),
            customer_id: customer_id.clone(),
            anomalies,
        };

        // --- the writing
        const SPACES: [&str; 5] = ["", " ", "\u{3000}", "  ", " \u{3000}"];
        let sp = |r: &mut Rng, on: bool| -> &'static str {
            if on {
                SPACES[r.below(SPACES.len())]
            } else {
                ""
            }
        };
        let mut pref_s = pref.name.to_owned();
        let mut city_s = if spec.omit_county {
            city.name.to_owned()
        } else {
            city.full_name()
        };
        if spec.old_kanji && r.chance(0.3) {
            pref_s = old_kanji(&pref_s, r);
        }
        if spec.old_kanji && r.chance(0.3) {
            city_s = old_kanji(&city_s, r);
        }
        let mut town_s = t.name.to_owned();
        if spec.old_kanji {
            town_s = old_kanji(&town_s, r);
        }
        if spec.kana_swap {
            town_s = kana_swap(&town_s, r);
        }
        if spec.jo_digits && city.pref == 1 {
            if let Some((start, end, n)) = jo_position(&town_s) {
                town_s = format!("{}{}{}", &town_s[..start], n, &town_s[end..]);
            }
        }
        if spec.halfwidth_town {
            town_s = to_halfwidth_kana(&town_s);
        }
        if spec.oaza {
            town_s = format!("大字{town_s}");
        }
        let street = spec.kyoto.then(|| {
            let ns = *r.pick(KYOTO_NS);
            let ew = *r.pick(KYOTO_EW);
            if r.chance(0.5) {
                format!("{ns}{ew}{}", r.pick(&["上る", "上ル", "下る", "下ル"]))
            } else {
                format!(
                    "{ew}通{}{}",
                    &ns[..ns.len() - "通".len()],
                    r.pick(&["東入", "東入ル", "西入", "西入る"])
                )
            }
        });
        let street_after = street.is_some() && r.chance(0.4);
        if let Some(st) = &street {
            if street_after {
                town_s = format!("{town_s}{st}");
            } else {
                town_s = format!("{st}{town_s}");
            }
        }
        let mut chome_written = chome;
        if spec.jo_shorthand {
            if let (Some((head, n, side)), Some(c)) = (jo_shorthand(t.name), chome) {
                // 北三条西 + 1丁目 → 北3西1-…
                town_s = format!("{head}{n}{side}{c}");
                chome_written = None;
            }
        }

        let mut s = String::new();
        if spec.postal_code {
            // The draws of the old random code are kept so that the other cases stay the same.
            let (_, _) = (r.below(1000), r.below(10000));
            let mark = if r.chance(0.5) { "〒" } else { "" };
            if let Some(code) = postal_code_of(id) {
                s.push_str(&format!("{mark}{code} "));
            }
        }
        if spec.spaces && r.chance(0.3) {
            s.push_str(sp(r, true));
        }
        // 東京都東京都世田谷区… or 東京都世田谷区東京都黒猫…
        let dup_after_city = spec.dup_pref && !spec.omit_city && r.chance(0.5);
        if !spec.omit_pref {
            s.push_str(&pref_s);
            s.push_str(sp(r, spec.spaces));
            if spec.dup_pref && !dup_after_city {
                s.push_str(&pref_s);
                s.push_str(sp(r, spec.spaces));
            }
        }
        if !spec.omit_city {
            s.push_str(&city_s);
            s.push_str(sp(r, spec.spaces));
            if spec.dup_city {
                s.push_str(&city_s);
                s.push_str(sp(r, spec.spaces));
            }
            if dup_after_city {
                s.push_str(&pref_s);
                s.push_str(sp(r, spec.spaces));
            }
        }
        s.push_str(&town_s);
        s.push_str(sp(r, spec.spaces));

        // Block.
        let num = |n: u32, numerals: Numerals| match numerals {
            Numerals::Arabic => n.to_string(),
            Numerals::Counted => kanji_counted(n),
            Numerals::Positional => kanji_positional(n),
        };
        let nm = spec.numerals;
        let inner = |r: &mut Rng| sp(r, spec.spaces);
        let mut block = String::new();
        match spec.block {
            BlockStyle::Hyphen(h) => {
                if spec.jo_shorthand && chome_written.is_none() {
                    block.push(h);
                }
                if let Some(c) = chome_written {
                    block.push_str(&c.to_string());
                    block.push(h);
                }
                block.push_str(&banchi.to_string());
                if let Some(g) = go {
                    block.push(h);
                    block.push_str(&g.to_string());
                }
                if room_form == Some(RoomForm::Folded) {
                    block.push(h);
                    block.push_str(&room_n.unwrap_or(101).to_string());
                }
            }
            BlockStyle::ChomeBanGo => {
                if let Some(c) = chome {
                    block.push_str(&format!("{}丁目{}", num(c, nm), inner(r)));
                }
                block.push_str(&format!("{}番", num(banchi, nm)));
                if let Some(g) = go {
                    block.push_str(&format!("{}{}号", inner(r), num(g, nm)));
                }
            }
            BlockStyle::BanchiChi | BlockStyle::BanchiNo => {
                if let Some(c) = chome {
                    block.push_str(&format!("{}丁目{}", num(c, nm), inner(r)));
                }
                block.push_str(&format!("{}番地", num(banchi, nm)));
                if let Some(g) = go {
                    if spec.block == BlockStyle::BanchiNo {
                        block.push('の');
                    }
                    block.push_str(&num(g, nm));
                }
            }
            BlockStyle::NoNo(no) => {
                if let Some(c) = chome {
                    block.push_str(&format!("{c}{no}"));
                }
                block.push_str(&banchi.to_string());
                if let Some(g) = go {
                    block.push_str(&format!("{no}{g}"));
                }
            }
            BlockStyle::ChomeHyphen(kanji) => {
                if let Some(c) = chome {
                    let c = if kanji {
                        kanji_counted(c)
                    } else {
                        c.to_string()
                    };
                    block.push_str(&format!("{c}丁目{}", inner(r)));
                }
                block.push_str(&banchi.to_string());
                if let Some(g) = go {
                    block.push_str(&format!("-{g}"));
                }
            }
        }
        s.push_str(&block);

        // Building, floor, room.
        let mut last_ascii = true; // the block ends in a digit (or 号/番地 — a space is safe)
        if let Some(b) = building {
            let mut w = if !b.spellings.is_empty() && r.chance(0.4) {
                (*r.pick(b.spellings)).to_owned()
            } else {
                b.name.to_owned()
            };
            if spec.old_kanji {
                w = old_kanji(&w, r);
            }
            if spec.halfwidth_building {
                w = to_halfwidth_kana(&w);
            }
            // A space after the block unless the block ends in a marker and the name cannot
            // join it.
            let glue_ok = !block.ends_with(|c: char| c.is_ascii_digit() || is_kanji_numeral(c))
                && !w.starts_with('第');
            if glue_ok && r.chance(0.3) {
                // glued: 16号サンハイツ
            } else {
                let x = if spec.spaces { sp(r, true) } else { " " };
                s.push_str(if x.is_empty() { " " } else { x });
            }
            s.push_str(&w);
            last_ascii = w.ends_with(|c: char| {
                c.is_ascii_alphanumeric()
                    || is_kanji_numeral(c)
                    || ('\u{FF10}'..='\u{FF5A}').contains(&c)
                    || ('\u{2160}'..='\u{217F}').contains(&c)
            });
        }
        let unit_sep = |r: &mut Rng, after_ascii: bool| -> &'static str {
            if spec.spaces {
                let x = sp(r, true);
                if x.is_empty() && after_ascii {
                    " "
                } else {
                    x
                }
            } else if after_ascii || r.chance(0.6) {
                " "
            } else {
                ""
            }
        };
        if let Some(f) = floor_form {
            let w = match f {
                FloorForm::F => format!("{floor_n}F"),
                FloorForm::Kai => format!("{floor_n}階"),
                FloorForm::Basement => match r.below(3) {
                    0 => format!("B{floor_n}F"),
                    1 => format!("地下{floor_n}階"),
                    _ => format!("B{floor_n}"),
                },
            };
            let need_space = last_ascii || building.is_none() || w.starts_with('B');
            s.push_str(unit_sep(r, need_space));
            s.push_str(&w);
        }
        if let (Some(form), Some(n)) = (room_form, room_n) {
            match form {
                RoomForm::Folded => {}
                RoomForm::Goshitsu => {
                    let after_kai = s.ends_with('階');
                    s.push_str(if after_kai && !spec.spaces && r.chance(0.5) {
                        ""
                    } else {
                        unit_sep(r, true)
                    });
                    s.push_str(&format!("{n}号室"));
                }
                RoomForm::Hash => {
                    s.push_str(unit_sep(r, false));
                    s.push_str(&format!("#{n}"));
                }
                RoomForm::Bare => {
                    s.push_str(unit_sep(r, true));
                    s.push_str(&n.to_string());
                }
            }
        }
        if let Some(cid) = &customer_id {
            s.push_str(unit_sep(r, true));
            s.push_str(cid);
        }
        if spec.spaces && r.chance(0.3) {
            s.push_str(sp(r, true));
        }
        if spec.fullwidth {
            s = to_fullwidth(&s);
        }
        Some(Case {
            family,
            input: s,
            expected,
        })
    }
}

/// Base filters on a town name (see the module docs).
fn base_name_ok(name: &str) -> bool {
    if name.is_empty()
        || name
            .chars()
            .any(|c| c.is_ascii_alphanumeric() || ('\u{FF10}'..='\u{FF5A}').contains(&c))
        || name.contains("丁目")
        || name.contains("番地")
        || name.contains("地割")
        || name.contains('・')
        || name.contains(['(', '（', ' ', '\u{3000}'])
    {
        return false;
    }
    let chars: Vec<char> = name.chars().collect();
    if chars.len() >= 2 {
        let last = chars[chars.len() - 1];
        let before = chars[chars.len() - 2];
        if matches!(last, '号' | '番') && is_kanji_numeral(before) {
            return false;
        }
    }
    true
}

/// Every char that has an old form written in one (chosen at random when it has several).
fn old_kanji(s: &str, r: &mut Rng) -> String {
    s.chars()
        .map(|c| {
            let olds: Vec<char> = OLD_FORMS
                .iter()
                .filter(|&&(m, _)| m == c)
                .map(|&(_, o)| o)
                .collect();
            if olds.is_empty() {
                c
            } else {
                *r.pick(&olds)
            }
        })
        .collect()
}

/// Byte offsets of ヶ/ケ/ヵ/が and の/ノ/之 standing between two kanji.
fn swappable_positions(name: &str) -> Vec<(usize, char)> {
    let chars: Vec<(usize, char)> = name.char_indices().collect();
    let mut out = Vec::new();
    for w in chars.windows(3) {
        let (a, (i, c), b) = (w[0].1, w[1], w[2].1);
        if is_kanji(a) && is_kanji(b) && matches!(c, 'ヶ' | 'ケ' | 'ヵ' | 'が' | 'の' | 'ノ' | '之')
        {
            out.push((i, c));
        }
    }
    out
}

fn kana_swap(name: &str, r: &mut Rng) -> String {
    let pos = swappable_positions(name);
    let mut out = String::with_capacity(name.len());
    let mut last = 0;
    for (i, c) in pos {
        out.push_str(&name[last..i]);
        let choices: &[char] = if matches!(c, 'ヶ' | 'ケ' | 'ヵ' | 'が') {
            &['ヶ', 'ケ', 'が']
        } else {
            &['の', 'ノ', '之']
        };
        let others: Vec<char> = choices.iter().copied().filter(|&x| x != c).collect();
        out.push(*r.pick(&others));
        last = i + c.len_utf8();
    }
    out.push_str(&name[last..]);
    out
}

/// Sapporo 条丁目 towns `北三条西` → (`北`, 3, `西`).
fn jo_shorthand(name: &str) -> Option<(&str, u32, &str)> {
    let (start, end, n) = jo_position(name)?;
    let head = &name[..start];
    let side = &name[end + "条".len()..];
    (matches!(head, "北" | "南") && matches!(side, "東" | "西")).then_some((head, n, side))
}

/// A kanji-numeral run followed by 条 (`北三条西`): its byte range and value.
fn jo_position(name: &str) -> Option<(usize, usize, u32)> {
    let idx = name.find('条')?;
    let head = &name[..idx];
    let start = head
        .char_indices()
        .rev()
        .take_while(|&(_, c)| is_kanji_numeral(c) && c != '零' && c != '〇')
        .last()
        .map(|(i, _)| i)?;
    let value = counted_value(&name[start..idx])?;
    Some((start, idx, value))
}

fn counted_value(s: &str) -> Option<u32> {
    let mut total = 0;
    let mut cur = 0;
    for c in s.chars() {
        if let Some(d) = KANJI_DIGITS.iter().position(|&k| k == c) {
            cur = d as u32;
        } else {
            let unit = match c {
                '十' => 10,
                '百' => 100,
                '千' => 1000,
                _ => return None,
            };
            total += cur.max(1) * unit;
            cur = 0;
        }
    }
    Some(total + cur)
}

#[cfg(test)]
mod self_tests {
    use super::*;

    #[test]
    fn numerals_and_widths() {
        assert_eq!(kanji_counted(23), "二十三");
        assert_eq!(kanji_counted(10), "十");
        assert_eq!(kanji_counted(1406), "千四百六");
        assert_eq!(kanji_positional(1406), "一四〇六");
        assert_eq!(to_fullwidth("1-2 #3"), "１－２\u{3000}＃３");
        assert_eq!(
            to_halfwidth_kana("サンハイツ・ガーデンパーク"),
            "ｻﾝﾊｲﾂ･ｶﾞｰﾃﾞﾝﾊﾟｰｸ"
        );
        assert_eq!(
            jo_position("北三十条西"),
            Some(("北".len(), "北三十".len(), 30))
        );
        assert_eq!(KATA_FULL.chars().count(), KATA_HALF.chars().count());
    }
}
