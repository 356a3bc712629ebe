//! Character classes and one-character rewrites: hyphen look-alikes, old kanji, kana folds.

use super::variant_table::{MATCH_VARIANTS, VARIANTS};

/// Hyphen look-alikes that always mean a hyphen in an address (after NFKC).
///
/// `ー` (the long-vowel mark) and the kanji `一` also stand for hyphens between digits; that
/// needs context and is decided by the callers.
pub fn is_hyphen(c: char) -> bool {
    matches!(
        c,
        '-' | '\u{2010}' // ‐ hyphen
            | '\u{2011}' // non-breaking hyphen
            | '\u{2012}' // ‒ figure dash
            | '\u{2013}' // – en dash
            | '\u{2014}' // — em dash
            | '\u{2015}' // ― horizontal bar
            | '\u{2212}' // − minus
            | '\u{2500}' // ─ box drawing light
            | '\u{2501}' // ━ box drawing heavy
            | '\u{FE63}' // ﹣ small hyphen-minus
            | '\u{FF0D}' // － full-width (NFKC already maps it)
            | '\u{30FC}' // ー long vowel mark (decided in context)
            | '\u{FF70}' // ｰ half-width long vowel mark
    )
}

/// True for the long-vowel marks and dashes that are hyphens only between numbers.
pub fn is_contextual_hyphen(c: char) -> bool {
    matches!(c, '\u{30FC}' | '\u{FF70}' | '一')
}

/// First and last code point of the dense kanji blocks (CJK Extension A and the Unified
/// Ideographs) that the bitsets below cover.
const DENSE: (u32, u32) = (0x3400, 0x9FFF);
const DENSE_WORDS: usize = ((DENSE.1 - DENSE.0) / 64 + 1) as usize;

/// One bit per code point of `DENSE`: set when `table` maps that character. Most kanji of an
/// address map to nothing, and one bit says so without the binary search.
const fn dense_bits(table: &[(char, char)]) -> [u64; DENSE_WORDS] {
    let mut bits = [0u64; DENSE_WORDS];
    let mut i = 0;
    while i < table.len() {
        let c = table[i].0 as u32;
        if c >= DENSE.0 && c <= DENSE.1 {
            let k = (c - DENSE.0) as usize;
            bits[k / 64] |= 1 << (k % 64);
        }
        i += 1;
    }
    bits
}

static VARIANT_BITS: [u64; DENSE_WORDS] = dense_bits(VARIANTS);
static MATCH_VARIANT_BITS: [u64; DENSE_WORDS] = dense_bits(MATCH_VARIANTS);

/// `c` through `table` (sorted by its first char), or `c` itself; `bits` is `table`'s
/// [`dense_bits`].
fn lookup(c: char, table: &[(char, char)], bits: &[u64; DENSE_WORDS]) -> char {
    let u = c as u32;
    if u < DENSE.0 {
        return c;
    }
    if u <= DENSE.1 {
        let k = (u - DENSE.0) as usize;
        if bits[k / 64] & (1 << (k % 64)) == 0 {
            return c;
        }
    }
    match table.binary_search_by(|&(from, _)| from.cmp(&c)) {
        Ok(i) => table[i].1,
        Err(_) => c,
    }
}

/// The modern form of an old or variant kanji (澤 → 沢), or the character itself.
pub fn modern(c: char) -> char {
    lookup(c, VARIANTS, &VARIANT_BITS)
}

/// The matching form of a variant kanji kept apart in the display form (塩竈 and 塩釜, 飯舘 and
/// 飯館 meet here), or the character itself. Applied after [`modern`], by the fold only.
pub fn match_variant(c: char) -> char {
    lookup(c, MATCH_VARIANTS, &MATCH_VARIANT_BITS)
}

/// True for the variation selectors, which pick a glyph of the character before them
/// (葛󠄀 is 葛): the standardized ones (U+FE00–FE0F) and the ideographic ones of the IVD
/// (U+E0100–E01EF). They are dropped: the glyph never changes the place.
pub fn is_variation_selector(c: char) -> bool {
    matches!(c, '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}')
}

/// True for the characters the katakana ガ stands between when it is the small ヶ written
/// large (緑ガ丘, 七里ガ浜, すみれガ丘): kanji, and hiragana before it.
pub fn is_kanji(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{9FFF}')
}

/// Folds spellings that name the same place: ヶ/ヵ/が/ケ → ケ and の/ノ/之 → ノ.
///
/// Only for the matching form: it is applied alike to gazetteer names and to input.
pub fn fold_kana(c: char) -> char {
    match c {
        'ヶ' | 'ヵ' | 'が' | 'ケ' | 'ｹ' => 'ケ',
        'の' | 'ノ' | '之' => 'ノ',
        _ => c,
    }
}

/// Characters dropped outright: controls and invisible formatting.
pub fn is_invisible(c: char) -> bool {
    c.is_control() && !c.is_whitespace()
        || matches!(
            c,
            '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}' | '\u{FEFF}'
        )
        || is_variation_selector(c)
}

/// NFKC of `c` when it is one of the characters most addresses are made of and NFKC maps it
/// to a single character whatever surrounds it: ASCII, full-width ASCII (`１` → `1`), the
/// ideographic space, hiragana and katakana letters, `ー`, CJK unified ideographs. `None`
/// for anything else — a string with such a character takes the full NFKC path. None of these
/// characters composes with a neighbour, and combining marks are not among them.
pub fn nfkc_simple(c: char) -> Option<char> {
    match c {
        '\0'..='\u{7F}'
        | '\u{3041}'..='\u{3096}'
        | '\u{30A1}'..='\u{30FA}'
        | '\u{30FC}'
        | '\u{4E00}'..='\u{9FFF}' => Some(c),
        '\u{3000}' => Some(' '),
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0),
        _ => None,
    }
}

/// Katakana letters (for telling a long-vowel mark from a hyphen).
pub fn is_katakana(c: char) -> bool {
    matches!(c, '\u{30A1}'..='\u{30FA}' | '\u{30FD}'..='\u{30FF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bitsets_agree_with_the_tables() {
        for table in [VARIANTS, MATCH_VARIANTS] {
            for &(from, to) in table {
                assert_eq!(lookup(from, table, &dense_bits(table)), to, "{from}");
            }
        }
        for u in 0x3000..0xA000u32 {
            let Some(c) = char::from_u32(u) else { continue };
            let search = |t: &[(char, char)]| {
                t.binary_search_by(|&(f, _)| f.cmp(&c))
                    .map_or(c, |i| t[i].1)
            };
            assert_eq!(modern(c), search(VARIANTS), "{c}");
            assert_eq!(match_variant(c), search(MATCH_VARIANTS), "{c}");
        }
    }

    #[test]
    fn nfkc_simple_is_nfkc() {
        use unicode_normalization::UnicodeNormalization;
        let mut simple = 0;
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            if let Some(m) = nfkc_simple(c) {
                simple += 1;
                let full: String = c.to_string().nfkc().collect();
                assert_eq!(full, m.to_string(), "U+{:04X}", c as u32);
            }
        }
        assert!(simple > 21_000, "{simple}");
    }

    #[test]
    fn variant_table_is_sorted_and_without_chains() {
        for pair in VARIANTS.windows(2) {
            assert!(pair[0].0 < pair[1].0, "unsorted near {:?}", pair);
        }
        for &(from, to) in VARIANTS {
            assert_ne!(from, to);
            assert_eq!(modern(to), to, "chain {from} → {to} → {}", modern(to));
        }
    }

    #[test]
    fn match_table_is_sorted_without_chains_and_after_variants() {
        for pair in MATCH_VARIANTS.windows(2) {
            assert!(pair[0].0 < pair[1].0, "unsorted near {:?}", pair);
        }
        for &(from, to) in MATCH_VARIANTS {
            assert_ne!(from, to);
            // Both sides are already in their display form, and the target is final.
            assert_eq!(modern(from), from, "{from} is rewritten by VARIANTS");
            assert_eq!(modern(to), to, "{to} is rewritten by VARIANTS");
            assert_eq!(match_variant(to), to, "chain {from} → {to}");
        }
    }

    #[test]
    fn variation_selectors() {
        assert!(is_variation_selector('\u{FE00}') && is_variation_selector('\u{E0100}'));
        assert!(is_variation_selector('\u{E01EF}') && is_invisible('\u{E0101}'));
        assert!(!is_variation_selector('葛') && !is_variation_selector('\u{E01F0}'));
    }

    #[test]
    fn folds() {
        assert_eq!(modern('澤'), '沢');
        assert_eq!(modern('東'), '東');
        assert_eq!(fold_kana('ヶ'), 'ケ');
        assert_eq!(fold_kana('之'), 'ノ');
        assert!(is_hyphen('━'));
        assert!(!is_hyphen('一'));
    }
}
