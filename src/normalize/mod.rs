//! Normalization: the character filters that run before parsing.
//!
//! Two forms come out of an input, like lindera's character filters feeding its segmenter:
//!
//! * [`normalize`] gives the **display form**: NFKC (full-width ASCII and digits to half
//!   width, half-width kana to full width), every hyphen look-alike to `-`, old and variant
//!   kanji to their modern forms (澤 → 沢), controls dropped, white space collapsed to single
//!   spaces. Building names are cut from this form, so they keep their own numerals.
//! * [`fold`] gives the **matching form** of a display string: kanji numerals to Arabic
//!   digits (二十三 → 23, 一四〇六 → 1406), ヶ/ヵ/が → ケ (and ガ between kanji, 緑ガ丘),
//!   の/ノ/之 → ノ, and the variant kanji that the display form keeps as written because an
//!   official name uses them (塩竈/塩釜, 飯舘/飯館: [`match_variant`]). Gazetteer names are
//!   folded the same way when the indexes are built (see `build.rs`), so folded input meets
//!   folded names. [`Folded::source`] maps every position back to the display form.
//!
//! Variation selectors (U+FE00–FE0F, U+E0100–E01EF: 葛󠄀 is 葛) are dropped from both forms.
//!
//! This module depends on nothing else in the crate: `build.rs` includes it to fold the
//! gazetteer with exactly the code that folds input at run time.

mod chars;
pub mod numerals;
mod variant_table;

pub use chars::{fold_kana, is_hyphen, match_variant, modern};

use unicode_normalization::UnicodeNormalization;

/// Returns the display form of `input` (see the module docs).
///
/// Idempotent: `normalize(&normalize(s)) == normalize(s)`.
///
/// ```
/// assert_eq!(banchi::normalize::normalize("東京都　港区１ー２－３　澤ハイツ"), "東京都 港区1-2-3 沢ハイツ");
/// ```
pub fn normalize(input: &str) -> String {
    normalize_with(input, chars::modern)
}

/// The display form with old and variant kanji kept as written (`嶋村ビル` stays, where
/// [`normalize`] gives `島村ビル`): everything else as [`normalize`] does it, character for
/// character. Building names are shown in this form; they are matched in the folded one.
///
/// ```
/// assert_eq!(banchi::normalize::normalize_as_written("ＫＯ嶋村ビル　２Ｆ"), "KO嶋村ビル 2F");
/// ```
pub fn normalize_as_written(input: &str) -> String {
    normalize_with(input, |c| c)
}

/// True when [`normalize`] would write some character of `input` in its modern form, that
/// is when [`normalize_as_written`] may differ from it.
pub fn has_old_kanji(input: &str) -> bool {
    input.chars().any(|c| chars::modern(c) != c)
}

/// [`normalize`] with `kanji` as the rewrite of each character that is not a hyphen.
fn normalize_with(input: &str, kanji: impl Fn(char) -> char + Copy) -> String {
    // Invisible characters go first, before composition (a zero-width space must not keep
    // `a` and a combining accent apart on one pass only) and before a `ー`'s context is read.
    if input.chars().all(|c| chars::nfkc_simple(c).is_some()) {
        // Most addresses: ASCII, full-width ASCII, kana, common kanji — NFKC of each is one
        // character, known without the decomposition and recomposition passes.
        let it = input
            .chars()
            .filter(|&c| !chars::is_invisible(c))
            .filter_map(chars::nfkc_simple);
        display(input.len(), it, kanji)
    } else {
        let it = input
            .chars()
            .filter(|&c| !chars::is_invisible(c))
            .nfkc()
            .filter(|&c| !chars::is_invisible(c));
        display(input.len(), it, kanji)
    }
}

/// The display-form loop over NFKC'd characters: hyphens, modern kanji, white space.
fn display(len: usize, it: impl Iterator<Item = char>, kanji: impl Fn(char) -> char) -> String {
    let mut out = String::with_capacity(len + 8);
    let mut pending_space = false;
    let mut it = it.peekable();
    while let Some(c) = it.next() {
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        let prev = out.chars().next_back();
        let mapped = if chars::is_contextual_hyphen(c) {
            let next = it.peek().copied();
            if hyphen_in_context(c, prev, next) {
                '-'
            } else {
                c
            }
        } else if chars::is_hyphen(c) {
            '-'
        } else {
            kanji(c)
        };
        if mapped == '-' {
            // "1 - 2" is one hyphen.
            pending_space = false;
            if out.ends_with(' ') {
                out.pop();
            }
        }
        if pending_space && prev != Some('-') {
            out.push(' ');
        }
        pending_space = false;
        out.push(mapped);
    }
    out
}

/// Decides whether `ー` or `一` stands for a hyphen between `prev` and `next`.
fn hyphen_in_context(c: char, prev: Option<char>, next: Option<char>) -> bool {
    let Some(prev) = prev else { return false };
    // At the end (or before a space, which may be the end) a mark is left as written.
    let Some(next) = next.filter(|n| !n.is_whitespace()) else {
        return false;
    };
    if c == '一' {
        // The kanji one is a numeral unless it stands between Arabic digits.
        return prev.is_ascii_digit() && next.is_ascii_digit();
    }
    let digitish = |x: char| x.is_ascii_digit() || numerals::digit_value(x).is_some();
    // ー after a katakana letter is a long vowel (ビーム); between numbers it is a hyphen.
    digitish(prev) && (digitish(next) || next.is_ascii_alphabetic()) && !chars::is_katakana(prev)
}

/// The matching form of a display string, with a map back to it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Folded {
    /// The folded text.
    pub text: String,
    /// For each byte of `text`, the byte offset in the display string it came from.
    offsets: Vec<u32>,
    /// Length of the display string.
    source_len: usize,
}

impl Folded {
    /// The display-form byte offset for a char boundary `pos` of the folded text
    /// (`pos == text.len()` maps to the end of the display string).
    pub fn source(&self, pos: usize) -> usize {
        self.offsets
            .get(pos)
            .map_or(self.source_len, |&o| o as usize)
    }
}

/// Counters after which a run of unit kanji alone (十, 百…) is still a number: 十番 → 10番.
const COUNTERS: [&str; 8] = ["丁", "番", "号", "条", "線", "階", "地割", "区"];

/// Block markers after which a run of unit kanji alone is a number: 番地十 → 番地10.
const AFTER_BLOCK: [&str; 7] = ["番地", "番", "丁目", "号", "の", "ノ", "-"];

/// Returns the matching form of `display` (a string from [`normalize`]).
///
/// ```
/// let f = banchi::normalize::fold("銀座四丁目六番十六号");
/// assert_eq!(f.text, "銀座4丁目6番16号");
/// let f = banchi::normalize::fold("一四〇六 霞ヶ関");
/// assert_eq!(f.text, "1406 霞ケ関");
/// ```
pub fn fold(display: &str) -> Folded {
    let mut text = String::with_capacity(display.len());
    let mut offsets = Vec::with_capacity(display.len());
    let bytes = display.as_bytes();
    let mut i = 0;
    while i < display.len() {
        let Some(c) = display[i..].chars().next() else {
            break;
        };
        if numerals::is_kanji_numeral(c) {
            let name_end = display[i..]
                .char_indices()
                .find(|&(_, x)| !numerals::is_kanji_numeral(x))
                .map_or(display.len(), |(k, _)| i + k);
            // After a block number, a name may begin inside the run (十三千葉: 千葉).
            let run_end =
                i + numerals::number_len_after_block(&display[..i], &display[i..], name_end - i);
            let run = &display[i..run_end];
            let prev_digit = i > 0 && bytes[i - 1].is_ascii_digit();
            let next_digit = bytes.get(run_end).is_some_and(u8::is_ascii_digit);
            let has_digit = run.chars().any(|x| numerals::digit_value(x).is_some());
            let counted = COUNTERS.iter().any(|k| display[run_end..].starts_with(k))
                || AFTER_BLOCK.iter().any(|k| display[..i].ends_with(k));
            let value = if has_digit || counted {
                numerals::value(run)
            } else {
                None
            };
            match value {
                Some(v) => {
                    // A numeral touching Arabic digits (下二39: town 下二, banchi 39) gets a
                    // space on that side so the two numbers stay apart; spaces are skipped
                    // by the gazetteer walk and the block reader.
                    if prev_digit {
                        push_char(&mut text, &mut offsets, ' ', i);
                    }
                    push_number(&mut text, v);
                    offsets.resize(text.len(), i as u32);
                    if next_digit {
                        push_char(&mut text, &mut offsets, ' ', run_end);
                    }
                }
                None => {
                    for (k, x) in run.char_indices() {
                        push_char(&mut text, &mut offsets, fold_kana(x), i + k);
                    }
                }
            }
            for (k, x) in display[run_end..name_end].char_indices() {
                push_char(&mut text, &mut offsets, x, run_end + k);
            }
            i = name_end;
            continue;
        }
        if chars::is_variation_selector(c) {
            i += c.len_utf8();
            continue;
        }
        let mapped = if chars::is_contextual_hyphen(c)
            && text.ends_with(|p: char| p.is_ascii_digit())
        {
            let next = display[i + c.len_utf8()..].chars().next();
            if next.is_some_and(|n| {
                n.is_ascii_digit() || numerals::digit_value(n).is_some() || n.is_ascii_alphabetic()
            }) {
                '-'
            } else {
                c
            }
        } else if c == 'ガ' && ga_is_small_ke(display, i) {
            'ケ'
        } else {
            fold_kana(chars::match_variant(c))
        };
        push_char(&mut text, &mut offsets, mapped, i);
        i += c.len_utf8();
    }
    Folded {
        text,
        offsets,
        source_len: display.len(),
    }
}

/// True when the ガ at byte `at` of `display` stands for ヶ: after a kanji or hiragana and
/// before a kanji (緑ガ丘, すみれガ丘), not inside a katakana word (ガーデン, ススガ平).
fn ga_is_small_ke(display: &str, at: usize) -> bool {
    let before = display[..at].chars().next_back();
    let after = display[at + 'ガ'.len_utf8()..].chars().next();
    before.is_some_and(|b| chars::is_kanji(b) || ('\u{3041}'..='\u{309F}').contains(&b))
        && after.is_some_and(chars::is_kanji)
}

fn push_char(text: &mut String, offsets: &mut Vec<u32>, c: char, source: usize) {
    text.push(c);
    offsets.resize(text.len(), source as u32);
}

fn push_number(text: &mut String, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut n = buf.len();
    loop {
        n -= 1;
        buf[n] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    for &b in &buf[n..] {
        text.push(b as char);
    }
}

/// The key under which a gazetteer name is indexed: display form, folded, without spaces.
pub fn name_key(name: &str) -> String {
    fold(&normalize(name)).text.replace(' ', "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_path_agrees_with_full_nfkc() {
        let full = |s: &str| {
            let it = s
                .chars()
                .filter(|&c| !chars::is_invisible(c))
                .nfkc()
                .filter(|&c| !chars::is_invisible(c));
            display(s.len(), it, chars::modern)
        };
        for s in [
            "東京都　港区１ー２－３　澤ハイツ",
            "大阪府大阪市北区梅田３丁目１番１号　大阪ビル１２Ｆ",
            "ｔｅｓｔ＠ｅｘａｍｐｌｅ．ｃｏｍ ー ー",
            "カーサ一ー二 3ー4ー5 ビーム",
            "\u{0}\tabc\u{7F} 1 - 2",
        ] {
            assert!(s.chars().all(|c| chars::nfkc_simple(c).is_some()), "{s}");
            assert_eq!(normalize(s), full(s), "{s}");
        }
    }

    #[test]
    fn widths_spaces_and_hyphens() {
        assert_eq!(normalize("ＡＢＣ１２３"), "ABC123");
        assert_eq!(normalize("ｻﾝﾊｲﾂ"), "サンハイツ");
        assert_eq!(normalize("  東京都 　 港区  "), "東京都 港区");
        for h in ["-", "－", "‐", "−", "‒", "–", "—", "─", "━", "―", "ー", "ｰ"]
        {
            assert_eq!(normalize(&format!("1{h}2")), "1-2", "hyphen {h:?}");
        }
        assert_eq!(normalize("1一2"), "1-2");
        assert_eq!(normalize("1 - 2"), "1-2");
        assert_eq!(normalize("コーポ"), "コーポ");
        assert_eq!(normalize("14ーA22"), "14-A22");
    }

    #[test]
    fn controls_and_variants() {
        assert_eq!(normalize("東京\u{0}都\u{200B}"), "東京都");
        assert_eq!(normalize("0ー\u{0}0"), "0-0");
        assert_eq!(normalize("1ｰ\u{FEFF}2"), "1-2");
        assert_eq!(normalize("1ー "), "1ー");
        assert_eq!(normalize("a\u{200B}\u{301}"), "\u{E1}");
        assert_eq!(normalize("濱松"), "浜松");
        assert_eq!(normalize(""), "");
    }

    #[test]
    fn normalize_is_idempotent_on_samples() {
        for s in [
            "１ー２ー２７",
            "大字 国納 ３０８ー１",
            "Ａ棟　１０１号室",
            "一四━Ａ二二",
        ] {
            let once = normalize(s);
            assert_eq!(normalize(&once), once);
        }
    }

    #[test]
    fn fold_numerals_and_kana() {
        assert_eq!(fold("四十五番地1").text, "45番地1");
        assert_eq!(fold("一四ー二").text, "14-2");
        assert_eq!(fold("北三条西").text, "北3条西");
        assert_eq!(fold("麻布十番").text, "麻布10番");
        assert_eq!(fold("十日町").text, "十日町");
        assert_eq!(fold("千代田").text, "千代田");
        assert_eq!(fold("3千代田").text, "3千代田");
        assert_eq!(fold("下二39").text, "下2 39");
        assert_eq!(fold("1-2-3一宮").text, "1-2-3 1宮");
        assert_eq!(fold("11番地十").text, "11番地10");
        assert_eq!(fold("ひばりが丘の1").text, "ひばりケ丘ノ1");
    }

    #[test]
    fn fold_meets_variants_the_display_keeps() {
        // The display form keeps the official spelling; the matching form meets the other.
        assert_eq!(normalize("塩竈市"), "塩竃市");
        assert_eq!(name_key("塩竈市"), name_key("塩釜市"));
        assert_eq!(normalize("飯舘村"), "飯舘村");
        assert_eq!(name_key("飯舘村"), name_key("飯館村"));
        assert_ne!(name_key("舟屋町"), name_key("船屋町"));
    }

    #[test]
    fn fold_reads_ga_between_kanji_as_ke() {
        assert_eq!(fold("緑ガ丘").text, "緑ケ丘");
        assert_eq!(fold("すみれガ丘").text, "すみれケ丘");
        assert_eq!(fold("ガス平").text, "ガス平");
        assert_eq!(fold("名塩ガーデン").text, "名塩ガーデン");
        assert_eq!(fold("ススガ平").text, "ススガ平");
        assert_eq!(fold("緑ガ").text, "緑ガ");
    }

    #[test]
    fn variation_selectors_are_dropped() {
        assert_eq!(normalize("葛\u{E0100}飾区"), "葛飾区");
        assert_eq!(normalize("辻\u{FE00}"), "辻");
        let f = fold("葛\u{E0101}飾");
        assert_eq!(f.text, "葛飾");
        assert_eq!(f.source("葛".len()), "葛\u{E0101}".len());
        assert_eq!(name_key("葛\u{E0100}飾区"), name_key("葛飾区"));
    }

    #[test]
    fn fold_maps_back() {
        let d = "銀座四丁目六番";
        let f = fold(d);
        assert_eq!(f.text, "銀座4丁目6番");
        let p = f.text.find('丁').unwrap_or(0);
        assert_eq!(&d[f.source(p)..], "丁目六番");
        assert_eq!(f.source(f.text.len()), d.len());
    }
}
