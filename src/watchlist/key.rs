//! Binary block keys: the sort order that makes near-block lookups range scans.
//!
//! A block key identifies a delivery block — (municipality code, town, chome, banchi, go) — as
//! bytes whose lexicographic order is the order a person would walk the blocks in:
//!
//! ```text
//! code(u16 BE) town 0x00 chome banchi go
//! ```
//!
//! The five-digit municipality code is stored as a big-endian `u16` (it is below 48000), and
//! each of chome, banchi and go is one *part*, encoded so that numbers sort numerically and
//! stay short (FST lookups cost a step per key byte):
//!
//! * `0x01` — absent;
//! * `0x02` + 1 byte — a number below 256; `0x03` + 2 bytes BE — below 65536;
//!   `0x04` + 4 bytes BE — any other `u32` (a longer tag is always a larger number);
//! * `0x05` + bytes + `0x00` — anything else (`イ`, `1-2`).
//!
//! One town + chome's blocks are therefore contiguous, and inside them the numeric banchi sort
//! numerically: "banchi within 2 of 15" is the key range from `enc(13)` to `enc(18)`. The key
//! is built from the [`Address`] fields, not from [`Address::key`], so the municipality code
//! stands for prefecture + city whatever spelling the input used.

use crate::address::Address;

/// Tag of an absent part.
pub(crate) const TAG_NONE: u8 = 0x01;
/// Tag of a number below 2^8 (one byte follows).
pub(crate) const TAG_NUM8: u8 = 0x02;
/// Tag of a number below 2^16 (two bytes follow).
pub(crate) const TAG_NUM16: u8 = 0x03;
/// Tag of any other `u32` (four bytes follow).
pub(crate) const TAG_NUM32: u8 = 0x04;
/// Tag of a non-numeric part (followed by its bytes and `0x00`).
pub(crate) const TAG_TEXT: u8 = 0x05;

/// One chome / banchi / go part as it sorts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Not given.
    None,
    /// A plain number.
    Num(u32),
    /// Anything else (`イ`, `1-2`).
    Text(String),
}

/// Appends the order-preserving encoding of `n`.
fn encode_num(n: u32, out: &mut Vec<u8>) {
    if n < 1 << 8 {
        out.extend_from_slice(&[TAG_NUM8, n as u8]);
    } else if n < 1 << 16 {
        out.push(TAG_NUM16);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(TAG_NUM32);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

impl Part {
    /// Reads a part from the parser's string form: all ASCII digits that fit a `u32` are a
    /// number, anything else is text.
    pub fn from_str_part(s: Option<&str>) -> Part {
        match s {
            None | Some("") => Part::None,
            Some(s) => match parse_number(s) {
                Some(n) => Part::Num(n),
                None => Part::Text(s.to_owned()),
            },
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Part::None => out.push(TAG_NONE),
            Part::Num(n) => encode_num(*n, out),
            Part::Text(t) => {
                out.push(TAG_TEXT);
                out.extend_from_slice(t.as_bytes());
                out.push(0);
            }
        }
    }

    /// Decodes one part from the front of `bytes`, returning it and the bytes it used.
    fn decode(bytes: &[u8]) -> Option<(Part, usize)> {
        match *bytes.first()? {
            TAG_NONE => Some((Part::None, 1)),
            TAG_NUM8 => Some((Part::Num(u32::from(*bytes.get(1)?)), 2)),
            TAG_NUM16 => {
                let raw: [u8; 2] = bytes.get(1..3)?.try_into().ok()?;
                Some((Part::Num(u32::from(u16::from_be_bytes(raw))), 3))
            }
            TAG_NUM32 => {
                let raw: [u8; 4] = bytes.get(1..5)?.try_into().ok()?;
                Some((Part::Num(u32::from_be_bytes(raw)), 5))
            }
            TAG_TEXT => {
                let rest = &bytes[1..];
                let end = rest.iter().position(|&b| b == 0)?;
                let text = std::str::from_utf8(&rest[..end]).ok()?;
                Some((Part::Text(text.to_owned()), end + 2))
            }
            _ => None,
        }
    }

    /// The number, for a numeric part.
    pub fn number(&self) -> Option<u32> {
        match self {
            Part::Num(n) => Some(*n),
            _ => None,
        }
    }
}

impl std::fmt::Display for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Part::None => Ok(()),
            Part::Num(n) => write!(f, "{n}"),
            Part::Text(t) => f.write_str(t),
        }
    }
}

fn parse_number(s: &str) -> Option<u32> {
    if s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

/// Why an address has no block key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyError {
    /// No municipality code (the city was not recognised), or not a five-digit one.
    NoCity,
    /// No town.
    NoTown,
    /// No banchi.
    NoBanchi,
    /// A name holds a NUL byte, which the key uses as a separator.
    Nul,
}

/// The block key of an address, split where lookups need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockKey {
    bytes: Vec<u8>,
    /// Length of `code town 0x00 chome`: the town + chome prefix.
    chome_end: usize,
    /// Length up to and including the banchi part.
    banchi_end: usize,
    banchi: Part,
}

impl BlockKey {
    /// Builds the key of `addr`'s block. Needs the municipality code, the town and the banchi.
    pub fn from_address(addr: &Address) -> Result<BlockKey, KeyError> {
        let code = addr.city_code.as_deref().ok_or(KeyError::NoCity)?;
        let code: u16 = (code.len() == 5 && code.bytes().all(|b| b.is_ascii_digit()))
            .then(|| code.parse().ok())
            .flatten()
            .ok_or(KeyError::NoCity)?;
        let town = addr.town.as_deref().ok_or(KeyError::NoTown)?;
        if addr.banchi.as_deref().is_none_or(str::is_empty) {
            return Err(KeyError::NoBanchi);
        }
        let banchi = Part::from_str_part(addr.banchi.as_deref());
        let go = Part::from_str_part(addr.go.as_deref());
        let chome = addr.chome.map_or(Part::None, Part::Num);
        let has_nul = |s: &str| s.as_bytes().contains(&0);
        let text_nul = |p: &Part| matches!(p, Part::Text(t) if has_nul(t));
        if has_nul(town) || text_nul(&banchi) || text_nul(&go) {
            return Err(KeyError::Nul);
        }
        let mut bytes = Vec::with_capacity(town.len() + 16);
        bytes.extend_from_slice(&code.to_be_bytes());
        bytes.extend_from_slice(town.as_bytes());
        bytes.push(0);
        chome.encode(&mut bytes);
        let chome_end = bytes.len();
        banchi.encode(&mut bytes);
        let banchi_end = bytes.len();
        go.encode(&mut bytes);
        Ok(BlockKey {
            bytes,
            chome_end,
            banchi_end,
            banchi,
        })
    }

    /// The key bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The key range of the block and the blocks near it: same town and chome, numeric banchi
    /// within `distance` (every go), or — for a non-numeric banchi — the same banchi with any
    /// go. Returns the inclusive start and the exclusive end.
    pub fn near_range(&self, distance: u32) -> (Vec<u8>, Vec<u8>) {
        let prefix = &self.bytes[..self.chome_end];
        match self.banchi {
            Part::Num(n) => {
                let mut lo = Vec::with_capacity(prefix.len() + 5);
                lo.extend_from_slice(prefix);
                encode_num(n.saturating_sub(distance), &mut lo);
                let mut hi = Vec::with_capacity(prefix.len() + 5);
                hi.extend_from_slice(prefix);
                match n.checked_add(distance).and_then(|h| h.checked_add(1)) {
                    Some(h) => encode_num(h, &mut hi),
                    // Past the largest number: every numeric banchi sorts below the text tag.
                    None => hi.push(TAG_TEXT),
                }
                (lo, hi)
            }
            _ => {
                let lo = self.bytes[..self.banchi_end].to_vec();
                let mut hi = lo.clone();
                // Every key with this prefix sorts below prefix + 0xFF (tags are < 0xFF).
                hi.push(0xFF);
                (lo, hi)
            }
        }
    }

    /// Length of the town + chome prefix (`code town 0x00 chome`): the banchi's tag follows.
    pub fn chome_end(&self) -> usize {
        self.chome_end
    }

    /// The banchi part.
    pub fn banchi(&self) -> &Part {
        &self.banchi
    }
}

/// The banchi of a full key when it is a number, without decoding the rest (runs per block
/// in a scan).
pub(crate) fn banchi_number(key: &[u8]) -> Option<u32> {
    let town = key.get(2..)?;
    let nul = town.iter().position(|&b| b == 0)?;
    let rest = &town[nul + 1..];
    let chome_len = match *rest.first()? {
        TAG_NONE => 1,
        TAG_NUM8 => 2,
        TAG_NUM16 => 3,
        TAG_NUM32 => 5,
        _ => return None,
    };
    match Part::decode(rest.get(chome_len..)?)? {
        (Part::Num(n), _) => Some(n),
        _ => None,
    }
}

/// The chome, banchi and go decoded from a full key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockParts {
    /// 丁目.
    pub chome: Part,
    /// 番地.
    pub banchi: Part,
    /// 号.
    pub go: Part,
}

impl BlockParts {
    /// Decodes the block parts of a key made by [`BlockKey::from_address`]; `None` when the
    /// bytes are not such a key.
    pub fn decode(key: &[u8]) -> Option<BlockParts> {
        let town = key.get(2..)?;
        let nul = town.iter().position(|&b| b == 0)?;
        let rest = &town[nul + 1..];
        let (chome, a) = Part::decode(rest)?;
        let (banchi, b) = Part::decode(rest.get(a..)?)?;
        let (go, c) = Part::decode(rest.get(a + b..)?)?;
        (a + b + c == rest.len()).then_some(BlockParts { chome, banchi, go })
    }

    /// `4-6-16` style: the parts that are present, joined by `-`.
    pub fn display(&self) -> String {
        let mut s = String::with_capacity(16);
        for p in [&self.chome, &self.banchi, &self.go] {
            if matches!(p, Part::None) {
                continue;
            }
            if !s.is_empty() {
                s.push('-');
            }
            match p {
                Part::Num(n) => push_number(*n, &mut s),
                Part::Text(t) => s.push_str(t),
                Part::None => {}
            }
        }
        s
    }
}

/// Appends the decimal digits of `n` (no formatting machinery: this runs per match).
fn push_number(mut n: u32, s: &mut String) {
    let mut buf = [0u8; 10];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &b in &buf[i..] {
        s.push(char::from(b));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(town: &str, chome: Option<u32>, banchi: &str, go: Option<&str>) -> Address {
        Address {
            city_code: Some("13102".into()),
            town: Some(town.into()),
            chome,
            banchi: Some(banchi.into()),
            go: go.map(Into::into),
            ..Address::default()
        }
    }

    fn key(town: &str, chome: Option<u32>, banchi: &str, go: Option<&str>) -> Vec<u8> {
        BlockKey::from_address(&addr(town, chome, banchi, go))
            .unwrap()
            .as_bytes()
            .to_vec()
    }

    #[test]
    fn numbers_sort_numerically() {
        assert!(key("銀座", Some(4), "2", None) < key("銀座", Some(4), "10", None));
        assert!(key("銀座", Some(4), "9", Some("30")) < key("銀座", Some(4), "10", Some("1")));
        assert!(key("銀座", Some(3), "99", None) < key("銀座", Some(4), "1", None));
        assert!(key("銀座", Some(4), "6", Some("2")) < key("銀座", Some(4), "6", Some("16")));
    }

    #[test]
    fn numbers_sort_across_encoding_widths() {
        let ns = [0u32, 1, 9, 255, 256, 257, 65_535, 65_536, 1 << 20, u32::MAX];
        for w in ns.windows(2) {
            let a = key("銀座", Some(1), &w[0].to_string(), None);
            let b = key("銀座", Some(1), &w[1].to_string(), None);
            assert!(a < b, "{} < {}", w[0], w[1]);
            let p = BlockParts::decode(&b).unwrap();
            assert_eq!(p.banchi, Part::Num(w[1]));
        }
        let text = key("銀座", Some(1), "イ", None);
        assert!(key("銀座", Some(1), &u32::MAX.to_string(), Some("9")) < text);
        // A near range that crosses a width boundary still covers every number in it.
        let k = BlockKey::from_address(&addr("銀座", None, "255", None)).unwrap();
        let (lo, hi) = k.near_range(2);
        for n in 253..=257u32 {
            let x = key("銀座", None, &n.to_string(), Some("4"));
            assert!(x >= lo && x < hi, "{n}");
        }
        assert!(key("銀座", None, "258", None) >= hi);
        assert!(key("銀座", None, "252", Some("99")) < lo);
    }

    #[test]
    fn banchi_number_reads_the_key() {
        assert_eq!(
            banchi_number(&key("銀座", Some(4), "300", Some("1"))),
            Some(300)
        );
        assert_eq!(banchi_number(&key("銀座", None, "7", None)), Some(7));
        assert_eq!(banchi_number(&key("銀座", Some(70000), "イ", None)), None);
        assert_eq!(banchi_number(b"xx"), None);
    }

    #[test]
    fn keys_are_short() {
        // 2 (code) + 6 (銀座) + 1 + 2 + 2 + 2: FST lookups walk one step per byte.
        assert_eq!(key("銀座", Some(4), "6", Some("16")).len(), 15);
    }

    #[test]
    fn leading_zeros_fold() {
        assert_eq!(
            key("銀座", Some(4), "06", None),
            key("銀座", Some(4), "6", None)
        );
    }

    #[test]
    fn town_prefix_does_not_interleave() {
        // 銀座 and 銀座西: the NUL after the town keeps 銀座's blocks together.
        let a = key("銀座", Some(9), "99", None);
        let b = key("銀座西", Some(1), "1", None);
        let c = key("銀座", Some(1), "1", None);
        assert!(c < a && a < b);
    }

    #[test]
    fn near_range_covers_distance_only() {
        let k = BlockKey::from_address(&addr("銀座", Some(4), "15", Some("3"))).unwrap();
        let (lo, hi) = k.near_range(2);
        let inside = |b: &str, g: Option<&str>| {
            let x = key("銀座", Some(4), b, g);
            x >= lo && x < hi
        };
        assert!(inside("13", None));
        assert!(inside("17", Some("99")));
        assert!(inside("15", Some("1")));
        assert!(!inside("12", Some("1")));
        assert!(!inside("18", None));
        assert!(!inside("イ", None));
        let other_chome = key("銀座", Some(5), "15", Some("3"));
        assert!(!(other_chome >= lo && other_chome < hi));
    }

    #[test]
    fn near_range_at_the_edges() {
        let k = BlockKey::from_address(&addr("銀座", None, "1", None)).unwrap();
        let (lo, _) = k.near_range(5);
        assert!(key("銀座", None, "0", None) >= lo);
        let max = u32::MAX.to_string();
        let k = BlockKey::from_address(&addr("銀座", None, &max, None)).unwrap();
        let (_, hi) = k.near_range(2);
        assert!(key("銀座", None, &max, Some("9")) < hi);
        assert!(key("銀座", None, "イ", None) >= hi);
    }

    #[test]
    fn text_banchi_range_is_same_banchi() {
        let k = BlockKey::from_address(&addr("字北", None, "イ", Some("2"))).unwrap();
        let (lo, hi) = k.near_range(2);
        let x = key("字北", None, "イ", Some("7"));
        assert!(x >= lo && x < hi);
        let y = key("字北", None, "ロ", Some("2"));
        assert!(!(y >= lo && y < hi));
    }

    #[test]
    fn decode_round_trips() {
        let k = key("銀座", Some(4), "イ", Some("1-2"));
        let p = BlockParts::decode(&k).unwrap();
        assert_eq!(p.chome, Part::Num(4));
        assert_eq!(p.banchi, Part::Text("イ".into()));
        assert_eq!(p.go, Part::Text("1-2".into()));
        assert_eq!(p.display(), "4-イ-1-2");
        let big = key("銀座", None, &u32::MAX.to_string(), Some("0"));
        assert_eq!(BlockParts::decode(&big).unwrap().display(), "4294967295-0");
        assert_eq!(BlockParts::decode(b"garbage"), None);
        assert_eq!(BlockParts::decode(b"\x33\x2et\x00\x09"), None);
        assert_eq!(BlockParts::decode(b"\x33\x2et\x00\x02"), None);
    }

    #[test]
    fn missing_parts_are_errors() {
        let mut a = addr("銀座", None, "1", None);
        a.banchi = None;
        assert_eq!(BlockKey::from_address(&a), Err(KeyError::NoBanchi));
        a.town = None;
        assert_eq!(BlockKey::from_address(&a), Err(KeyError::NoTown));
        a.city_code = None;
        assert_eq!(BlockKey::from_address(&a), Err(KeyError::NoCity));
        let mut b = addr("銀\0座", None, "1", None);
        assert_eq!(BlockKey::from_address(&b), Err(KeyError::Nul));
        b.town = Some("銀座".into());
        b.go = Some("\0".into());
        assert_eq!(BlockKey::from_address(&b), Err(KeyError::Nul));
        let mut c = addr("銀座", None, "1", None);
        c.city_code = Some("東京都".into());
        assert_eq!(BlockKey::from_address(&c), Err(KeyError::NoCity));
    }
}
