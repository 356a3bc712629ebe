//! The output's text encoding: UTF-8, UTF-8 with a byte-order mark, or a Japanese legacy
//! encoding (Shift_JIS as Windows writes it, CP932; EUC-JP).
//!
//! Operations teams export a list from Excel and open the result in Excel: Japanese Excel
//! reads a CSV as CP932 unless it starts with a UTF-8 byte-order mark, so a Shift_JIS list
//! must come back Shift_JIS and a UTF-8 list with a BOM must keep it. The default is therefore
//! the input's encoding ([`OutputEncoding::for_input`]); `--output-encoding` overrides it.
//!
//! The pipeline works in UTF-8 and encodes each row on the worker that formatted it. A
//! character the output encoding cannot hold (a 𠮷 in a CP932 file) never disappears: it is
//! written as [`STAND_IN`] (〓, the customary stand-in of Japanese text, present in every
//! Japanese encoding) and the row's `error` names the column (done by the caller, which
//! knows the columns: [`OutputEncoding::encode_into`] says whether it had to).

use encoding_rs::{EncoderResult, Encoding};

/// Written in place of a character the output encoding cannot hold.
pub const STAND_IN: char = '〓';

/// The output's text encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputEncoding {
    /// UTF-8 without a byte-order mark.
    Utf8,
    /// UTF-8 starting with a byte-order mark (how Excel recognises UTF-8).
    Utf8Bom,
    /// A legacy encoding encoding_rs can write: Shift_JIS (CP932) or EUC-JP.
    Legacy(&'static Encoding),
}

impl OutputEncoding {
    /// The input's encoding as output: a UTF-8 input with a BOM keeps it, a Shift_JIS or
    /// EUC-JP input comes back as it came, anything else is UTF-8.
    pub fn for_input(input: Option<&'static Encoding>, input_has_bom: bool) -> OutputEncoding {
        match input {
            _ if input_has_bom => OutputEncoding::Utf8Bom,
            Some(enc) if enc == encoding_rs::SHIFT_JIS || enc == encoding_rs::EUC_JP => {
                OutputEncoding::Legacy(enc)
            }
            _ => OutputEncoding::Utf8,
        }
    }

    /// From a command-line name: `utf-8`, `utf-8-bom`, `cp932` (also `shift_jis`, `sjis`,
    /// `windows-31j`), `euc-jp`.
    pub fn from_name(name: &str) -> Option<OutputEncoding> {
        let name = name.trim().to_ascii_lowercase().replace('_', "-");
        Some(match name.as_str() {
            "utf-8" | "utf8" => OutputEncoding::Utf8,
            "utf-8-bom" | "utf8-bom" | "utf-8-sig" => OutputEncoding::Utf8Bom,
            "cp932" | "shift-jis" | "sjis" | "windows-31j" | "ms932" => {
                OutputEncoding::Legacy(encoding_rs::SHIFT_JIS)
            }
            "euc-jp" | "eucjp" => OutputEncoding::Legacy(encoding_rs::EUC_JP),
            _ => return None,
        })
    }

    /// The name `--output-encoding` takes for it.
    pub fn name(self) -> &'static str {
        match self {
            OutputEncoding::Utf8 => "utf-8",
            OutputEncoding::Utf8Bom => "utf-8-bom",
            OutputEncoding::Legacy(enc) if enc == encoding_rs::EUC_JP => "euc-jp",
            OutputEncoding::Legacy(_) => "cp932",
        }
    }

    /// True for both UTF-8 forms (rows are written as they are formatted).
    pub fn is_utf8(self) -> bool {
        !matches!(self, OutputEncoding::Legacy(_))
    }

    /// The bytes the output starts with.
    pub fn bom(self) -> &'static [u8] {
        match self {
            OutputEncoding::Utf8Bom => b"\xEF\xBB\xBF",
            _ => b"",
        }
    }

    /// Appends UTF-8 `text` to `out` in this encoding. Returns false when some character
    /// could not be held and was written as [`STAND_IN`] (invalid UTF-8 counts as such).
    pub fn encode_into(self, text: &[u8], out: &mut Vec<u8>) -> bool {
        let OutputEncoding::Legacy(enc) = self else {
            out.extend_from_slice(text);
            return true;
        };
        let text = String::from_utf8_lossy(text);
        let mut clean = !matches!(text, std::borrow::Cow::Owned(_));
        let mut rest: &str = &text;
        loop {
            // A fresh encoder per call: the legacy Japanese encoders carry no state.
            let mut encoder = enc.new_encoder();
            let need = encoder
                .max_buffer_length_from_utf8_without_replacement(rest.len())
                .unwrap_or(rest.len().saturating_mul(4))
                .saturating_add(8);
            let start = out.len();
            out.resize(start + need, 0);
            let (result, read, written) = match out.get_mut(start..) {
                Some(dst) => encoder.encode_from_utf8_without_replacement(rest, dst, true),
                None => (EncoderResult::InputEmpty, rest.len(), 0),
            };
            out.truncate(start + written);
            rest = rest.get(read..).unwrap_or("");
            match result {
                EncoderResult::InputEmpty => return clean,
                EncoderResult::OutputFull => {}
                EncoderResult::Unmappable(_) => {
                    clean = false;
                    let mut buf = [0u8; 4];
                    let (stand_in, _, _) = enc.encode(STAND_IN.encode_utf8(&mut buf));
                    out.extend_from_slice(&stand_in);
                }
            }
        }
    }

    /// True when every character of `text` can be written in this encoding.
    pub fn can_hold(self, text: &[u8]) -> bool {
        match self {
            OutputEncoding::Legacy(enc) => match std::str::from_utf8(text) {
                Ok(s) => !enc.encode(s).2,
                Err(_) => false,
            },
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CP932: OutputEncoding = OutputEncoding::Legacy(encoding_rs::SHIFT_JIS);

    #[test]
    fn default_follows_the_input() {
        assert_eq!(
            OutputEncoding::for_input(Some(encoding_rs::SHIFT_JIS), false),
            CP932
        );
        assert_eq!(
            OutputEncoding::for_input(None, true),
            OutputEncoding::Utf8Bom
        );
        assert_eq!(OutputEncoding::for_input(None, false), OutputEncoding::Utf8);
        assert_eq!(
            OutputEncoding::for_input(Some(encoding_rs::UTF_8), false),
            OutputEncoding::Utf8
        );
    }

    #[test]
    fn names_round_trip() {
        for e in [
            OutputEncoding::Utf8,
            OutputEncoding::Utf8Bom,
            CP932,
            OutputEncoding::Legacy(encoding_rs::EUC_JP),
        ] {
            assert_eq!(OutputEncoding::from_name(e.name()), Some(e));
        }
        assert_eq!(OutputEncoding::from_name("Shift_JIS"), Some(CP932));
        assert_eq!(OutputEncoding::from_name("latin1"), None);
    }

    #[test]
    fn unmappable_becomes_the_stand_in() {
        let mut out = Vec::new();
        assert!(CP932.encode_into("東京都".as_bytes(), &mut out));
        assert_eq!(out, b"\x93\x8C\x8B\x9E\x93\x73");
        out.clear();
        // 𠮷 (U+20BB7) is not in CP932.
        assert!(!CP932.encode_into("𠮷野家,a".as_bytes(), &mut out));
        let (back, _, errors) = encoding_rs::SHIFT_JIS.decode(&out);
        assert!(!errors);
        assert_eq!(back, "〓野家,a");
        assert!(!CP932.can_hold("𠮷".as_bytes()));
        assert!(
            CP932.can_hold("髙橋".as_bytes()),
            "CP932 holds the IBM extension 髙"
        );
        let mut utf8 = Vec::new();
        assert!(OutputEncoding::Utf8Bom.encode_into("𠮷".as_bytes(), &mut utf8));
        assert_eq!(utf8, "𠮷".as_bytes());
    }
}
