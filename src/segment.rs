//! Morphological segmentation of free address text (lindera with IPADIC).
//!
//! **What:** splits a string into words, each tagged with a coarse [`TokenKind`] taken from
//! IPADIC's part of speech (`名詞,固有名詞,地域` → [`TokenKind::Place`], other proper nouns,
//! common nouns, numbers, symbols). Offsets are byte offsets into the input, so a token can
//! always be sliced back out of the text it came from.
//!
//! **Why:** the parser resolves prefecture, municipality and town against the gazetteer, but
//! shipping addresses also carry text the gazetteer cannot know: building and facility names
//! (`サウスクラウドビル`, `奥田ビル`), towns and 字 missing from both gazetteer sources, and junk
//! appended after the block number. Segmenting that remainder lets the parser find where a
//! building name starts and ends, and recognise an unlisted place name as one, instead of
//! guessing from character classes alone.
//!
//! The dictionary is IPADIC compiled at build time from source kept in the repository (crate
//! `banchi-ipadic`, see `dictionaries/ipadic/README.md`), embedded in the binary, and viewed in
//! place when loaded: no file or network access at run time. [`Segmenter::shared`] loads it
//! once per process. Should loading ever fail (a dictionary built by a different lindera
//! version), `shared()` degrades to a character-class splitter instead of panicking; see
//! [`Segmenter::load_error`].
//!
//! Whitespace (anything `char::is_whitespace`, including U+3000) is never part of a token:
//! tokens cover every other character of the input, in order, without overlap.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::sync::OnceLock;

use lindera::dictionary::Lattice;
use lindera::mode::Mode;

/// Why the IPADIC segmenter could not be built or could not segment a text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SegmentError {
    /// The embedded IPADIC could not be loaded (for example it was compiled by a lindera
    /// version whose dictionary format differs from the linked one).
    #[error("cannot load the embedded IPADIC dictionary: {0}")]
    DictionaryLoad(String),
    /// lindera reported an error while segmenting.
    #[error("lindera failed to segment the text: {0}")]
    Segmentation(String),
}

/// Coarse word class of a [`Token`], from IPADIC's part-of-speech fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// A place name: `名詞,固有名詞,地域` (`東京`, `千代田`, `南林間`).
    Place,
    /// Any other proper noun: person, organisation or general (`名詞,固有名詞,*`).
    ProperNoun,
    /// A common noun, including suffixes such as `都`, `区`, `町` (`名詞,*` except `数`).
    Noun,
    /// A number in digits or kanji numerals (`名詞,数`).
    Number,
    /// Punctuation and symbols: `記号,*`, and any token without a letter or digit
    /// (`-`, `〒`, `＃`).
    Symbol,
    /// Everything else: particles, verbs, prefixes, ... and every token produced by the
    /// character-class fallback.
    Other,
}

/// One word of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token<'a> {
    /// The word, a slice of the input: `text == &input[start..end]`.
    pub text: &'a str,
    /// Byte offset of the first byte in the input.
    pub start: usize,
    /// Byte offset one past the last byte in the input.
    pub end: usize,
    /// Coarse word class.
    pub kind: TokenKind,
}

/// A morphological segmenter over the embedded IPADIC.
///
/// Cheap to share: it is `Send + Sync`, and [`Segmenter::shared`] hands out one instance per
/// process. Segmenting reuses a per-thread lattice, so concurrent calls do not contend.
pub struct Segmenter {
    inner: Inner,
}

enum Inner {
    /// lindera over IPADIC (boxed: lindera's segmenter is a few hundred bytes).
    Lindera(Box<lindera::segmenter::Segmenter>),
    /// Character-class runs; `reason` says why lindera is not used, if it failed.
    Fallback { reason: Option<SegmentError> },
}

thread_local! {
    /// Viterbi lattice reused across calls on one thread (lindera allocates one per call
    /// otherwise). Its size is bounded: lindera cuts sentences at 32 KiB.
    static LATTICE: RefCell<Lattice> = RefCell::new(Lattice::default());
}

impl Segmenter {
    /// Loads the embedded IPADIC and builds a segmenter over it (normal mode, no user
    /// dictionary). The dictionary is viewed in place and cached by `banchi-ipadic`, so this
    /// is cheap (about half a millisecond the first time), but prefer [`Segmenter::shared`].
    ///
    /// # Errors
    ///
    /// [`SegmentError::DictionaryLoad`] if the embedded dictionary cannot be read.
    pub fn new() -> Result<Segmenter, SegmentError> {
        let dictionary =
            banchi_ipadic::load().map_err(|e| SegmentError::DictionaryLoad(e.to_string()))?;
        let segmenter = lindera::segmenter::Segmenter::new(Mode::Normal, dictionary, None);
        Ok(Segmenter {
            inner: Inner::Lindera(Box::new(segmenter)),
        })
    }

    /// A segmenter without a dictionary: one [`TokenKind::Other`] token per maximal run of
    /// characters of one class (kanji, hiragana, katakana, Latin letters, digits, other
    /// symbols; whitespace runs are skipped). This is what [`Segmenter::shared`] falls back
    /// to if IPADIC cannot be loaded.
    pub fn fallback() -> Segmenter {
        Segmenter {
            inner: Inner::Fallback { reason: None },
        }
    }

    /// The process-wide segmenter, built on first use and shared across threads.
    ///
    /// Never panics: if IPADIC cannot be loaded, the shared segmenter is the
    /// character-class [`Segmenter::fallback`], and [`Segmenter::load_error`] on it
    /// returns the reason.
    pub fn shared() -> &'static Segmenter {
        static SHARED: OnceLock<Segmenter> = OnceLock::new();
        SHARED.get_or_init(|| {
            Segmenter::new().unwrap_or_else(|err| Segmenter {
                inner: Inner::Fallback { reason: Some(err) },
            })
        })
    }

    /// Whether this is the character-class fallback rather than lindera over IPADIC.
    pub fn is_fallback(&self) -> bool {
        matches!(self.inner, Inner::Fallback { .. })
    }

    /// Why the dictionary could not be loaded, for a segmenter that fell back.
    pub fn load_error(&self) -> Option<&SegmentError> {
        match &self.inner {
            Inner::Fallback { reason } => reason.as_ref(),
            Inner::Lindera(_) => None,
        }
    }

    /// Splits `text` into words. Offsets are byte offsets into `text`; whitespace is not
    /// emitted. Never panics; should lindera report an error, the text is split by
    /// character class instead (see [`Segmenter::try_tokens`] to see the error).
    pub fn tokens<'a>(&self, text: &'a str) -> Vec<Token<'a>> {
        self.try_tokens(text)
            .unwrap_or_else(|_| char_class_tokens(text))
    }

    /// Like [`Segmenter::tokens`], but reports a lindera error instead of falling back.
    ///
    /// # Errors
    ///
    /// [`SegmentError::Segmentation`] if lindera fails on this text.
    pub fn try_tokens<'a>(&self, text: &'a str) -> Result<Vec<Token<'a>>, SegmentError> {
        match &self.inner {
            Inner::Fallback { .. } => Ok(char_class_tokens(text)),
            Inner::Lindera(segmenter) => {
                if text.is_empty() {
                    return Ok(Vec::new());
                }
                let run = |lattice: &mut Lattice| lindera_tokens(segmenter, text, lattice);
                // Reuse this thread's lattice; a fresh one if it is unavailable (thread-local
                // storage being torn down, or a re-entrant call).
                LATTICE
                    .try_with(|cell| match cell.try_borrow_mut() {
                        Ok(mut lattice) => run(&mut lattice),
                        Err(_) => run(&mut Lattice::default()),
                    })
                    .unwrap_or_else(|_| run(&mut Lattice::default()))
            }
        }
    }
}

impl fmt::Debug for Segmenter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            Inner::Lindera(_) => f.write_str("Segmenter(lindera, ipadic)"),
            Inner::Fallback { reason } => f
                .debug_struct("Segmenter")
                .field("fallback", &true)
                .field("load_error", reason)
                .finish(),
        }
    }
}

fn lindera_tokens<'a>(
    segmenter: &lindera::segmenter::Segmenter,
    text: &'a str,
    lattice: &mut Lattice,
) -> Result<Vec<Token<'a>>, SegmentError> {
    let raw = segmenter
        .segment_with_lattice(Cow::Borrowed(text), lattice)
        .map_err(|e| SegmentError::Segmentation(e.to_string()))?;
    let mut out = Vec::with_capacity(raw.len());
    for token in &raw {
        let (span_start, slice) = token_span(text, token)?;
        // lindera drops only what IPADIC's char.def calls SPACE; U+3000, \r, U+2028 ... come
        // back as tokens of their own or at the edge of a symbol run. Trim them off.
        let trimmed = slice.trim_start();
        let start = span_start + (slice.len() - trimmed.len());
        let word = trimmed.trim_end();
        let end = start + word.len();
        if word.is_empty() {
            continue;
        }
        // Only the first three part-of-speech fields are read, straight from the
        // dictionary bytes (Token::details would allocate a Vec per token). Tokens without
        // a letter or digit are symbols whatever IPADIC says (its unknown-word entry for
        // the SYMBOL class is 名詞,サ変接続, which would make `-` a noun).
        let id = token.word_id.id() as usize;
        let kind = if !word.chars().any(char::is_alphanumeric) {
            TokenKind::Symbol
        } else if token.word_id.is_unknown() {
            classify(token.dictionary.unknown_word_details_iter(id))
        } else if token.word_id.is_system() {
            classify(token.dictionary.word_details_iter(id))
        } else {
            TokenKind::Other
        };
        out.push(Token {
            text: word,
            start,
            end,
            kind,
        });
    }
    Ok(out)
}

/// Where a lindera token starts in `text` and the (non-empty) slice of `text` it covers,
/// checked to lie on char boundaries.
fn token_span<'a>(
    text: &'a str,
    token: &lindera::token::Token<'_>,
) -> Result<(usize, &'a str), SegmentError> {
    // A borrowed surface is a slice of `text`: its address gives the offset exactly.
    let span = match &token.surface {
        Cow::Borrowed(surface) => (surface.as_ptr() as usize)
            .checked_sub(text.as_ptr() as usize)
            .map(|start| (start, start + surface.len())),
        Cow::Owned(_) => Some((token.byte_start, token.byte_end)),
    };
    match span.and_then(|(start, end)| Some((start, end, text.get(start..end)?))) {
        Some((start, end, slice)) if start < end => Ok((start, slice)),
        _ => Err(SegmentError::Segmentation(format!(
            "token {:?} has an invalid span {}..{} in a text of {} bytes",
            token.surface,
            token.byte_start,
            token.byte_end,
            text.len()
        ))),
    }
}

/// Maps IPADIC part-of-speech fields (`品詞,細分類1,細分類2,...`) to a [`TokenKind`].
fn classify<'d>(mut fields: impl Iterator<Item = &'d str>) -> TokenKind {
    let pos = fields.next().unwrap_or("");
    let sub1 = fields.next().unwrap_or("");
    let sub2 = fields.next().unwrap_or("");
    match (pos, sub1, sub2) {
        ("名詞", "固有名詞", "地域") => TokenKind::Place,
        ("名詞", "固有名詞", _) => TokenKind::ProperNoun,
        ("名詞", "数", _) => TokenKind::Number,
        ("名詞", _, _) => TokenKind::Noun,
        ("記号", _, _) => TokenKind::Symbol,
        _ => TokenKind::Other,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum CharClass {
    Space,
    Digit,
    Latin,
    Hiragana,
    Katakana,
    Kanji,
    Other,
}

fn char_class(c: char) -> CharClass {
    match c {
        _ if c.is_whitespace() => CharClass::Space,
        '0'..='9' | '０'..='９' => CharClass::Digit,
        'a'..='z' | 'A'..='Z' | 'ａ'..='ｚ' | 'Ａ'..='Ｚ' => CharClass::Latin,
        '\u{3041}'..='\u{309F}' => CharClass::Hiragana,
        // Katakana, the prolonged sound mark, and half-width katakana.
        '\u{30A0}'..='\u{30FF}' | '\u{31F0}'..='\u{31FF}' | '\u{FF66}'..='\u{FF9F}' => {
            CharClass::Katakana
        }
        // CJK ideographs (unified, extension A, compatibility, extensions B+), 々 and 〆.
        '\u{4E00}'..='\u{9FFF}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{3FFFF}'
        | '々'
        | '〆' => CharClass::Kanji,
        _ => CharClass::Other,
    }
}

/// One [`TokenKind::Other`] token per maximal run of one [`CharClass`], whitespace skipped.
fn char_class_tokens(text: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut run: Option<(usize, CharClass)> = None;
    for (i, c) in text.char_indices() {
        let class = char_class(c);
        match run {
            Some((_, current)) if current == class => {}
            _ => {
                if let Some((start, current)) = run.take() {
                    push_run(&mut out, text, start, i, current);
                }
                run = Some((i, class));
            }
        }
    }
    if let Some((start, current)) = run {
        push_run(&mut out, text, start, text.len(), current);
    }
    out
}

fn push_run<'a>(
    out: &mut Vec<Token<'a>>,
    text: &'a str,
    start: usize,
    end: usize,
    class: CharClass,
) {
    if class == CharClass::Space {
        return;
    }
    if let Some(slice) = text.get(start..end) {
        out.push(Token {
            text: slice,
            start,
            end,
            kind: TokenKind::Other,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared() -> &'static Segmenter {
        let segmenter = Segmenter::shared();
        assert!(
            !segmenter.is_fallback(),
            "IPADIC failed to load: {:?}",
            segmenter.load_error()
        );
        segmenter
    }

    /// Offsets slice back to the text, tokens are in order without overlap, and every
    /// non-whitespace character is covered by a token.
    fn assert_well_formed(text: &str, tokens: &[Token<'_>]) {
        let mut covered = vec![false; text.len()];
        let mut previous_end = 0;
        for token in tokens {
            assert!(token.start < token.end, "empty token {token:?} in {text:?}");
            assert!(
                token.start >= previous_end,
                "overlap at {token:?} in {text:?}"
            );
            assert_eq!(
                text.get(token.start..token.end),
                Some(token.text),
                "in {text:?}"
            );
            covered[token.start..token.end]
                .iter_mut()
                .for_each(|b| *b = true);
            previous_end = token.end;
        }
        for (i, c) in text.char_indices() {
            assert!(
                covered[i] || c.is_whitespace(),
                "{c:?} at byte {i} of {text:?} not covered by {tokens:?}"
            );
        }
    }

    #[test]
    fn tokyo_chiyoda_yields_place_tokens() {
        let text = "東京都千代田区";
        let tokens = shared().tokens(text);
        let places: Vec<&str> = tokens
            .iter()
            .filter(|t| t.kind == TokenKind::Place)
            .map(|t| t.text)
            .collect();
        assert!(places.contains(&"東京"), "{tokens:?}");
        assert!(places.contains(&"千代田"), "{tokens:?}");
        assert_well_formed(text, &tokens);
    }

    #[test]
    fn kinds_of_a_full_address() {
        let text = "神奈川県大和市南林間1-8-17 サウスクラウドビル3F";
        let tokens = shared().tokens(text);
        assert_well_formed(text, &tokens);
        let kind_of = |word: &str| tokens.iter().find(|t| t.text == word).map(|t| t.kind);
        assert_eq!(kind_of("神奈川"), Some(TokenKind::Place), "{tokens:?}");
        assert_eq!(kind_of("1"), Some(TokenKind::Number), "{tokens:?}");
        assert_eq!(kind_of("-"), Some(TokenKind::Symbol), "{tokens:?}");
        assert!(!tokens.iter().any(|t| t.text.contains(' ')), "{tokens:?}");
    }

    #[test]
    fn offsets_slice_back_to_the_text() {
        let texts = [
            "東京都千代田区丸の内1丁目9-1 グラントウキョウノースタワー 12F",
            "  〒135-0006\t東京都江東区常盤２－１－７　海外支援センター気付\n",
            "京都市中京区烏丸通御池上る二条殿町５５２番地。、。",
            "ｶﾞｯｺｳ ﾏｴ 😀 a\u{0}b\u{7}\u{1b}[0m c\r\n\u{200b}\u{feff}",
            "東京都世田谷区東京都黒猫1-1-1-101ハイツ黒猫",
            "🇯🇵\u{301}e\u{301}゙ﾞ",
            "。",
            " ",
        ];
        for text in texts {
            let tokens = shared().tokens(text);
            assert_well_formed(text, &tokens);
            assert_well_formed(text, &Segmenter::fallback().tokens(text));
        }
    }

    #[test]
    fn empty_input_gives_no_tokens() {
        assert!(shared().tokens("").is_empty());
        assert!(Segmenter::fallback().tokens("").is_empty());
        assert!(shared().tokens(" \t\n　").is_empty());
    }

    #[test]
    fn long_input_does_not_panic() {
        // ~100 kB, with and without sentence delimiters (lindera cuts at 32 KiB).
        let unit = "北海道札幌市中央区北1条西2丁目1-1 ABCビル\u{0}";
        let long: String = unit.repeat(100_000 / unit.len() + 1);
        let tokens = shared().tokens(&long);
        assert_well_formed(&long, &tokens);
        let kanji: String = "東".repeat(40_000);
        let tokens = shared().tokens(&kanji);
        assert_well_formed(&kanji, &tokens);
    }

    #[test]
    fn fallback_splits_by_character_class() {
        let text = "東京都 ちよだ区カタカナ12ab-!";
        let tokens = Segmenter::fallback().tokens(text);
        let words: Vec<&str> = tokens.iter().map(|t| t.text).collect();
        assert_eq!(
            words,
            ["東京都", "ちよだ", "区", "カタカナ", "12", "ab", "-!"]
        );
        assert!(tokens.iter().all(|t| t.kind == TokenKind::Other));
        assert!(Segmenter::fallback().is_fallback());
        assert_eq!(Segmenter::fallback().load_error(), None);
    }

    #[test]
    fn shared_is_one_instance() {
        assert!(std::ptr::eq(Segmenter::shared(), Segmenter::shared()));
    }

    #[test]
    fn is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Segmenter>();
        assert_send_sync::<Token<'static>>();
        assert_send_sync::<SegmentError>();
        let handles: Vec<_> = (0..2)
            .map(|_| std::thread::spawn(|| Segmenter::shared().tokens("東京都千代田区").len()))
            .collect();
        for handle in handles {
            assert!(handle.join().expect("thread panicked") > 0);
        }
    }
}
