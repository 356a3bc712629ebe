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
//!
//! # Fallback keys: towns the gazetteer does not know
//!
//! A fraud row whose municipality and block number are found but whose town is not in the
//! gazetteer as written (`unknown_town`), or not written at all (`missing_town`:
//! `〇〇村1234番地`), is not dropped: it is indexed under a **fallback key**,
//!
//! ```text
//! code(u16 BE) 0x01 folded-town 0x00 chome banchi go
//! ```
//!
//! The `0x01` mark cannot start a gazetteer town (normalization drops control characters), so
//! the two key spaces never collide, and the rest of the layout — hence near ranges, the
//! node walk and the open-time validation — is the same. The town is the text as written,
//! folded the way queries are ([`fallback_town`]): widths, kanji numerals, old kanji,
//! `ヶ/ケ/が`, `の/ノ/之` and spaces by [`crate::normalize::name_key`], then every `大字` and
//! `字` marker dropped, and a trailing `N丁目` moved into the chome; it is empty for a missing
//! town. So `大字架空字北澤４５６` and `架空北沢四五六番地` share a key.
//!
//! Which keys a query probes ([`BlockKey::for_query`]):
//!
//! * a query whose town is unknown (or missing) probes the fallback space only: the exact
//!   space holds gazetteer towns, and the parser has just said the text names none;
//! * a query that resolves to a known town probes its exact key **and**, when the list holds
//!   any fallback row, the fallback key of the gazetteer's name for that town: a row the
//!   parser could not place when the list was built (its town written in a way it did not
//!   resolve then, by an older gazetteer or parser) is still found by a query that names the
//!   town plainly. It costs one more FST walk per query, and only on lists with fallback rows.
//! * A query or row whose municipality is ambiguous gets no fallback key: `府中市架空町1-2`
//!   could be in Tokyo or in Hiroshima, and a danger grade must not rest on a guess.
//! * A row with a missing town (`阿智村1234番地`) is found by the same text, not by a query
//!   that names a town (`阿智村大字駒場1234`): a village's 大字 each number their own blocks, so
//!   the same banchi under an unnamed town is no evidence of the same point.

use crate::address::{Address, Anomaly, Level};
use crate::normalize::name_key;
use crate::watchlist::report::FallbackReason;

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
/// First byte after the municipality code of a fallback key (see the module docs).
pub(crate) const FALLBACK_MARK: u8 = 0x01;

/// The town of a fallback key: `text` folded like queries ([`name_key`]), every `大字` and
/// `字` marker dropped, and a trailing `N丁目` split off as the chome (returned beside it).
///
/// ```
/// use banchi::watchlist::key::fallback_town;
/// assert_eq!(fallback_town("大字架空字北澤"), ("架空北沢".to_string(), None));
/// assert_eq!(fallback_town("架空ヶ丘三丁目"), ("架空ケ丘".to_string(), Some(3)));
/// assert_eq!(fallback_town("架空の森"), fallback_town("架空之森"));
/// ```
pub fn fallback_town(text: &str) -> (String, Option<u32>) {
    let mut folded = name_key(text);
    if folded.contains('字') {
        folded = folded.replace("大字", "").replace('字', "");
    }
    let chome = folded.strip_suffix("丁目").and_then(|head| {
        let digits = head.len() - head.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        let n: u32 = head.get(head.len() - digits..)?.parse().ok()?;
        Some((head.len() - digits, n))
    });
    match chome {
        Some((end, n)) => {
            folded.truncate(end);
            (folded, Some(n))
        }
        None => (folded, None),
    }
}

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
    /// The municipality is ambiguous and the town is not known (no fallback key).
    Ambiguous,
}

/// Which key space a key belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySpace {
    /// Keyed by a gazetteer town.
    Exact,
    /// Keyed by the town as written (see the module docs), and why.
    Fallback(FallbackReason),
}

/// The keys a query probes: its exact key and/or a fallback key (see the module docs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryKeys {
    /// The gazetteer town's key, when the query resolved to a block.
    pub exact: Option<BlockKey>,
    /// The fallback key, when the list holds fallback rows and the query has one.
    pub fallback: Option<BlockKey>,
}

impl QueryKeys {
    /// The keys present, each with whether it is the fallback key.
    pub fn iter(&self) -> impl Iterator<Item = (&BlockKey, bool)> + '_ {
        self.exact
            .iter()
            .map(|k| (k, false))
            .chain(self.fallback.iter().map(|k| (k, true)))
    }
}

/// The municipality code of `addr` as the key's `u16`.
fn city_code(addr: &Address) -> Result<u16, KeyError> {
    let code = addr.city_code.as_deref().ok_or(KeyError::NoCity)?;
    (code.len() == 5 && code.bytes().all(|b| b.is_ascii_digit()))
        .then(|| code.parse().ok())
        .flatten()
        .ok_or(KeyError::NoCity)
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
        let code = city_code(addr)?;
        let town = addr.town.as_deref().ok_or(KeyError::NoTown)?;
        Self::build(code, None, town, addr.chome, addr)
    }

    /// Builds the fallback key of `addr`'s block with `town` as its town text (the text as
    /// written for an unknown town, the gazetteer name for a query's probe, `""` for a
    /// missing town). Needs the municipality code and the banchi.
    pub fn fallback(addr: &Address, town: &str) -> Result<BlockKey, KeyError> {
        let code = city_code(addr)?;
        let (town, chome_in_town) = fallback_town(town);
        Self::build(
            code,
            Some(FALLBACK_MARK),
            &town,
            addr.chome.or(chome_in_town),
            addr,
        )
    }

    /// The key a list row is indexed under, and its key space: the exact key when the row
    /// resolved to a block, else the fallback key when the municipality (unambiguous) and
    /// a banchi were found. The error says what is missing.
    pub fn for_list(addr: &Address) -> Result<(BlockKey, KeySpace), KeyError> {
        city_code(addr)?;
        if addr.level >= Level::Block {
            return Ok((Self::from_address(addr)?, KeySpace::Exact));
        }
        if addr.banchi.as_deref().is_none_or(str::is_empty) {
            return Err(KeyError::NoBanchi);
        }
        if addr.level != Level::City {
            // A known town without a block number never reaches here (no banchi); anything
            // else below a block is not a place we can key.
            return Err(KeyError::NoBanchi);
        }
        if addr.has(Anomaly::Ambiguous) {
            return Err(KeyError::Ambiguous);
        }
        let (town, reason) = match addr.town.as_deref() {
            Some(t) if !t.is_empty() => (t, FallbackReason::UnknownTown),
            _ => ("", FallbackReason::MissingTown),
        };
        Ok((Self::fallback(addr, town)?, KeySpace::Fallback(reason)))
    }

    /// The keys a query probes (see the module docs). `list_has_fallback` says whether the
    /// list holds any fallback row: without one, no fallback key is built (no allocation).
    pub fn for_query(addr: &Address, list_has_fallback: bool) -> QueryKeys {
        if addr.level >= Level::Block {
            let exact = Self::from_address(addr).ok();
            let fallback = (list_has_fallback && !addr.has(Anomaly::Ambiguous))
                .then(|| addr.town.as_deref().map(|t| Self::fallback(addr, t).ok()))
                .flatten()
                .flatten();
            return QueryKeys { exact, fallback };
        }
        if !list_has_fallback {
            return QueryKeys::default();
        }
        QueryKeys {
            exact: None,
            fallback: Self::for_list(addr).ok().map(|(k, _)| k),
        }
    }

    /// Lays out a key: code, the optional mark, town, NUL, chome, banchi, go.
    fn build(
        code: u16,
        mark: Option<u8>,
        town: &str,
        chome: Option<u32>,
        addr: &Address,
    ) -> Result<BlockKey, KeyError> {
        if addr.banchi.as_deref().is_none_or(str::is_empty) {
            return Err(KeyError::NoBanchi);
        }
        let banchi = Part::from_str_part(addr.banchi.as_deref());
        let go = Part::from_str_part(addr.go.as_deref());
        let chome = chome.map_or(Part::None, Part::Num);
        let has_nul = |s: &str| s.as_bytes().contains(&0);
        let text_nul = |p: &Part| matches!(p, Part::Text(t) if has_nul(t));
        if has_nul(town) || text_nul(&banchi) || text_nul(&go) {
            return Err(KeyError::Nul);
        }
        let mut bytes = Vec::with_capacity(town.len() + 17);
        bytes.extend_from_slice(&code.to_be_bytes());
        bytes.extend(mark);
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

    /// The same town, chome and banchi with `go` as the go (the number after a 番地-only
    /// block read the other way: `21番地103号` and `21 103号室`, see `grade`).
    pub(crate) fn with_go(&self, go: Option<&str>) -> BlockKey {
        let mut bytes = Vec::with_capacity(self.banchi_end + 6);
        bytes.extend_from_slice(&self.bytes[..self.banchi_end]);
        Part::from_str_part(go).encode(&mut bytes);
        BlockKey {
            bytes,
            chome_end: self.chome_end,
            banchi_end: self.banchi_end,
            banchi: self.banchi.clone(),
        }
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

    fn unknown(town: Option<&str>, chome: Option<u32>, banchi: &str, go: Option<&str>) -> Address {
        Address {
            city_code: Some("20201".into()),
            town: town.map(Into::into),
            chome,
            banchi: Some(banchi.into()),
            go: go.map(Into::into),
            level: Level::City,
            anomalies: vec![Anomaly::UnknownTown],
            ..Address::default()
        }
    }

    #[test]
    fn fallback_towns_fold_every_notation() {
        let key = |t: &str| fallback_town(t).0;
        for (a, b) in [
            ("大字架空字北澤", "架空北沢"),
            ("字架空", "架空"),
            ("架空ヶ丘", "架空が丘"),
            ("架空ケ丘", "架空ヵ丘"),
            ("架空の森", "架空ノ森"),
            ("架空之森", "架空ノ森"),
            ("ｶｸｳ台", "カクウ台"),
            ("架空 北沢", "架空北沢"),
            ("架空二区", "架空2区"),
        ] {
            assert_eq!(key(a), key(b), "{a} / {b}");
        }
        assert_ne!(key("架空北沢"), key("架空南沢"));
        assert_eq!(fallback_town("架空三丁目"), ("架空".to_string(), Some(3)));
        assert_eq!(fallback_town("架空丁目"), ("架空丁目".to_string(), None));
        assert_eq!(fallback_town(""), (String::new(), None));
    }

    #[test]
    fn fallback_keys_live_apart_from_gazetteer_towns() {
        let listed = unknown(Some("架空"), None, "4", Some("5"));
        let (k, space) = BlockKey::for_list(&listed).unwrap();
        assert_eq!(space, KeySpace::Fallback(FallbackReason::UnknownTown));
        assert_eq!(k.as_bytes()[2], FALLBACK_MARK);
        // The same town name as a gazetteer town is another key.
        let mut known = listed.clone();
        known.level = Level::Block;
        known.anomalies.clear();
        let (exact, space) = BlockKey::for_list(&known).unwrap();
        assert_eq!(space, KeySpace::Exact);
        assert_ne!(exact.as_bytes(), k.as_bytes());
        // Fallback keys decode like any key, and their near range stays in their town.
        let parts = BlockParts::decode(k.as_bytes()).unwrap();
        assert_eq!(parts.display(), "4-5");
        let (lo, hi) = k.near_range(2);
        assert!(exact.as_bytes() < lo.as_slice() || exact.as_bytes() >= hi.as_slice());
        // A chome written inside the town text or read as the chome gives one key.
        let a = BlockKey::for_list(&unknown(Some("架空三丁目"), None, "4", None)).unwrap();
        let b = BlockKey::for_list(&unknown(Some("架空"), Some(3), "4", None)).unwrap();
        assert_eq!(a.0, b.0);
        // A missing town is its own key: empty town text.
        let mut missing = unknown(None, None, "1234", None);
        missing.anomalies = vec![Anomaly::MissingTown];
        let (m, space) = BlockKey::for_list(&missing).unwrap();
        assert_eq!(space, KeySpace::Fallback(FallbackReason::MissingTown));
        assert_eq!(&m.as_bytes()[2..4], &[FALLBACK_MARK, 0]);
    }

    #[test]
    fn list_keys_say_what_is_missing() {
        let mut ambiguous = unknown(Some("架空町"), None, "1", Some("2"));
        ambiguous.anomalies.push(Anomaly::Ambiguous);
        assert_eq!(BlockKey::for_list(&ambiguous), Err(KeyError::Ambiguous));
        let mut no_banchi = unknown(Some("架空町"), None, "1", None);
        no_banchi.banchi = None;
        assert_eq!(BlockKey::for_list(&no_banchi), Err(KeyError::NoBanchi));
        let mut town_level = no_banchi.clone();
        town_level.level = Level::Town;
        assert_eq!(BlockKey::for_list(&town_level), Err(KeyError::NoBanchi));
        let mut no_city = unknown(Some("架空町"), None, "1", None);
        no_city.city_code = None;
        assert_eq!(BlockKey::for_list(&no_city), Err(KeyError::NoCity));
    }

    #[test]
    fn queries_probe_the_fallback_space_only_when_the_list_has_one() {
        let mut known = unknown(Some("架空"), None, "4", Some("5"));
        known.level = Level::Block;
        known.anomalies.clear();
        let keys = BlockKey::for_query(&known, false);
        assert!(keys.exact.is_some() && keys.fallback.is_none());
        let keys = BlockKey::for_query(&known, true);
        let (fallback, _) =
            BlockKey::for_list(&unknown(Some("架空"), None, "4", Some("5"))).unwrap();
        assert_eq!(keys.fallback.as_ref(), Some(&fallback));
        assert_eq!(
            keys.iter().map(|(_, f)| f).collect::<Vec<_>>(),
            [false, true]
        );
        // An unknown town probes the fallback space only.
        let q = unknown(Some("架空"), None, "4", Some("5"));
        assert_eq!(BlockKey::for_query(&q, false), QueryKeys::default());
        let keys = BlockKey::for_query(&q, true);
        assert_eq!((keys.exact, keys.fallback), (None, Some(fallback)));
        // An ambiguous municipality probes nothing by fallback.
        let mut amb = known.clone();
        amb.anomalies.push(Anomaly::Ambiguous);
        assert!(BlockKey::for_query(&amb, true).fallback.is_none());
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
