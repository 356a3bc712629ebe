//! The gazetteer: every prefecture, municipality and town of Japan, embedded in the binary.
//!
//! `build.rs` compiles `dictionaries/gazetteer/` into name tables, FST indexes and flat record
//! blobs; this module reads them in place (`include_bytes!`), so loading costs nothing and the
//! tables are shared read-only by every thread. Names are looked up by their matching form
//! ([`crate::normalize::name_key`]): [`Gazetteer::city_prefixes`] and
//! [`Gazetteer::town_prefixes`] report every indexed name that starts the given text, from
//! name tables (`names`: the hot lookups of every parse); the rarer lookups (any town of any
//! municipality, 小字) walk FSTs.
//! Japan Post's postal codes are looked up by their seven digits ([`Gazetteer::postal`]).

mod name_hash;
mod names;
mod postal;

pub use postal::{PostalArea, PostalEntries, PostalEntry};

use fst::raw::{Fst, Output};
use fst::Streamer;
use std::sync::OnceLock;

/// A prefecture (都道府県).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prefecture {
    /// JIS code, 1 (北海道) to 47 (沖縄県).
    pub code: u8,
    /// Full name, `東京都`.
    pub name: &'static str,
    /// Name without 都/府/県, `東京` (北海道 stays whole).
    pub short: &'static str,
}

/// A municipality: city, town, village, Tokyo ward, or designated-city ward.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct City {
    /// JIS X 0402 code without check digit, `13102`.
    pub code: &'static str,
    /// Prefecture code.
    pub pref: u8,
    /// The 郡 for towns and villages, `高座郡`, else empty.
    pub county: &'static str,
    /// Name with its designated city, without the county: `札幌市中央区`, `寒川町`.
    pub name: &'static str,
    /// For a designated-city ward, the city (`札幌市`), else empty.
    pub designated: &'static str,
}

impl City {
    /// The name as addresses print it: county + name (`高座郡寒川町`).
    pub fn full_name(&self) -> String {
        let mut s = String::with_capacity(self.county.len() + self.name.len());
        s.push_str(self.county);
        s.push_str(self.name);
        s
    }
}

mod tables {
    use super::{City, Prefecture};
    include!(concat!(env!("OUT_DIR"), "/cities.rs"));
}

/// Index of a city in [`Gazetteer::cities`].
pub type CityId = u16;
/// Index of a town in the town table.
pub type TownId = u32;

/// Which chome (丁目) a town has, as far as the sources tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChomeRange {
    /// The town is not divided into chome.
    None,
    /// The town has chome `min..=max` (Geolonia's chome rows, else Japan Post's notes).
    Known {
        /// Lowest chome.
        min: u8,
        /// Highest chome.
        max: u8,
    },
    /// Japan Post says the town has chome but no source lists which.
    Unknown,
}

/// A town (町・大字・町丁目 base name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Town {
    /// The city it belongs to.
    pub city: CityId,
    /// Name without chome, as the source spells it.
    pub name: &'static str,
    /// Lowest chome, or 0 when the town has none.
    pub chome_min: u8,
    /// Highest chome (255 when the range is unknown), or 0 when the town has none.
    pub chome_max: u8,
    flags: u8,
    chars: u8,
}

impl Town {
    /// True when the town is divided into chome.
    pub fn has_chome(&self) -> bool {
        self.chome_max > 0
    }

    /// True when `chome` is one of this town's chome (any, when the range is unknown).
    pub fn accepts_chome(&self, chome: u32) -> bool {
        self.has_chome() && chome >= self.chome_min as u32 && chome <= self.chome_max as u32
    }

    /// Whether the town has chome, up to which, or that nobody knows which.
    pub fn chome_range(&self) -> ChomeRange {
        if self.flags & 1 != 0 {
            ChomeRange::Unknown
        } else if self.chome_max == 0 {
            ChomeRange::None
        } else {
            ChomeRange::Known {
                min: self.chome_min,
                max: self.chome_max,
            }
        }
    }

    /// The name's length in characters (at most 255), without reading the name.
    pub fn name_chars(&self) -> usize {
        usize::from(self.chars)
    }

    /// True when Japan Post lists the town (else only Geolonia's data does).
    pub fn in_japan_post(&self) -> bool {
        self.flags & 2 != 0
    }
}

/// A list of table indexes behind one key: one held in place, or a slice of `postings.bin`.
#[derive(Debug, Clone, Copy)]
pub struct Postings {
    one: Option<u32>,
    bytes: &'static [u8],
}

impl Postings {
    /// No entries.
    pub(crate) const EMPTY: Postings = Postings {
        one: None,
        bytes: &[],
    };

    /// Number of entries.
    pub fn len(&self) -> usize {
        usize::from(self.one.is_some()) + self.bytes.len() / 4
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The entries.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.one.into_iter().chain(
            self.bytes
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])),
        )
    }
}

macro_rules! name_table {
    ($stem:literal) => {
        names::NameTable::new(
            include_bytes!(concat!(env!("OUT_DIR"), "/", $stem, ".records")),
            include_bytes!(concat!(env!("OUT_DIR"), "/", $stem, ".buckets")),
            include_bytes!(concat!(env!("OUT_DIR"), "/", $stem, ".groups")),
        )
    };
}

/// Municipality spellings (one group).
static CITY_TABLE: names::NameTable = name_table!("city_names");
/// Town names, grouped by city index.
static TOWN_TABLE: names::NameTable = name_table!("towns");
static TOWN_NAMES: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/town_names.fst"));
static KOAZA: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/koaza.fst"));
static POSTINGS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/postings.bin"));
static TOWN_RECORDS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/towns.bin"));
static TOWN_STRINGS: &str = include_str!(concat!(env!("OUT_DIR"), "/town_strings.bin"));
static POSTAL: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/postal.fst"));

const TOWN_RECORD_LEN: usize = 12;

/// The embedded gazetteer. Obtain it with [`Gazetteer::get`].
pub struct Gazetteer {
    town_names: Fst<&'static [u8]>,
    koaza: Fst<&'static [u8]>,
    postal: Fst<&'static [u8]>,
}

impl std::fmt::Debug for Gazetteer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gazetteer")
            .field("cities", &self.cities().len())
            .field("towns", &self.town_count())
            .finish()
    }
}

impl Gazetteer {
    /// The shared gazetteer, opened on first use (it validates three FST headers; no parsing).
    pub fn get() -> &'static Gazetteer {
        static G: OnceLock<Gazetteer> = OnceLock::new();
        G.get_or_init(|| {
            // reason: the bytes are written by build.rs and checked by its tests; a failure
            // here is a broken build, not bad input.
            #[allow(clippy::expect_used)]
            let open = |b: &'static [u8]| {
                Fst::new(b).expect("compiled-in FSTs that build.rs wrote and checked: never input")
            };
            Gazetteer {
                town_names: open(TOWN_NAMES),
                koaza: open(KOAZA),
                postal: open(POSTAL),
            }
        })
    }

    /// All 47 prefectures in code order.
    pub fn prefectures(&self) -> &'static [Prefecture] {
        tables::PREFECTURES
    }

    /// The prefecture with JIS code `code`.
    pub fn prefecture(&self, code: u8) -> Option<&'static Prefecture> {
        tables::PREFECTURES.get((code as usize).checked_sub(1)?)
    }

    /// All municipalities in code order.
    pub fn cities(&self) -> &'static [City] {
        tables::CITIES
    }

    /// The municipality with index `id`.
    pub fn city(&self, id: CityId) -> &'static City {
        &tables::CITIES[id as usize]
    }

    /// Number of towns.
    pub fn town_count(&self) -> usize {
        TOWN_RECORDS.len() / TOWN_RECORD_LEN
    }

    /// The town with index `id` (`id` from this gazetteer's postings).
    pub fn town(&self, id: TownId) -> Town {
        let at = id as usize * TOWN_RECORD_LEN;
        let r = &TOWN_RECORDS[at..at + TOWN_RECORD_LEN];
        let off = u32::from_le_bytes([r[2], r[3], r[4], r[5]]) as usize;
        let len = u16::from_le_bytes([r[6], r[7]]) as usize;
        Town {
            city: u16::from_le_bytes([r[0], r[1]]),
            name: TOWN_STRINGS.get(off..off + len).unwrap_or(""),
            chome_min: r[8],
            chome_max: r[9],
            flags: r[10],
            chars: r[11],
        }
    }

    /// Calls `found(end, cities)` for every municipality spelling that starts `text` (a folded
    /// string), `end` being the byte offset just after it. Spaces inside `text` are skipped.
    pub fn city_prefixes(&self, text: &str, found: impl FnMut(usize, Postings)) {
        CITY_TABLE.prefixes(0, text, found);
    }

    /// Calls `found(end, towns)` for every town of `city` whose name starts `text`.
    pub fn town_prefixes(&self, city: CityId, text: &str, found: impl FnMut(usize, Postings)) {
        TOWN_TABLE.prefixes(usize::from(city), text, found);
    }

    /// Calls `found(end)` for every 小字 of `town` whose name starts `text`.
    pub fn koaza_prefixes(&self, town: TownId, text: &str, mut found: impl FnMut(usize)) {
        walk(&self.koaza, &town.to_be_bytes(), text, |end, _| found(end));
    }

    /// Calls `found(end, towns)` for every town of any city whose name starts `text`.
    pub fn any_town_prefixes(&self, text: &str, found: impl FnMut(usize, Postings)) {
        walk(&self.town_names, &[], text, found);
    }
}

impl Gazetteer {
    /// Where the postal code `digits` (seven ASCII digits, `1040061`) points; empty when Japan
    /// Post does not list it.
    pub fn postal(&self, digits: &[u8; 7]) -> PostalEntries {
        self.postal.get(digits).map_or(PostalEntries::NONE, |out| {
            PostalEntries::from_value(out.value())
        })
    }

    /// Every postal code Japan Post lists, in order, with its entries.
    pub fn postal_codes(&self) -> impl Iterator<Item = ([u8; 7], PostalEntries)> + '_ {
        let mut stream = self.postal.stream();
        std::iter::from_fn(move || {
            let (key, out) = stream.next()?;
            let code = <[u8; 7]>::try_from(key).unwrap_or([b'0'; 7]);
            Some((code, PostalEntries::from_value(out.value())))
        })
    }
}

/// Walks `fst` over `prefix` then the bytes of `text` (skipping ASCII spaces), reporting each
/// final state reached at a char boundary of `text`.
fn walk(
    fst: &Fst<&'static [u8]>,
    prefix: &[u8],
    text: &str,
    mut found: impl FnMut(usize, Postings),
) {
    let mut node = fst.root();
    let mut out = Output::zero();
    for &b in prefix {
        match node.find_input(b) {
            Some(i) => {
                let t = node.transition(i);
                out = out.cat(t.out);
                node = fst.node(t.addr);
            }
            None => return,
        }
    }
    let bytes = text.as_bytes();
    for (pos, &b) in bytes.iter().enumerate() {
        if b == b' ' {
            continue;
        }
        let Some(i) = node.find_input(b) else { return };
        let t = node.transition(i);
        out = out.cat(t.out);
        node = fst.node(t.addr);
        let end = pos + 1;
        if node.is_final() && text.is_char_boundary(end) && !splits_number(b, bytes, end) {
            found(end, postings(out.cat(node.final_output()).value()));
        }
    }
}

/// True when a name whose last byte is `last`, read from `text` up to `end`, would end inside
/// a number: a name ending in a digit does not (与1 is not 与11's start).
fn splits_number(last: u8, text: &[u8], end: usize) -> bool {
    last.is_ascii_digit() && text.get(end).is_some_and(u8::is_ascii_digit)
}

/// The postings of an FST value (`offset << 16 | count`).
fn postings(value: u64) -> Postings {
    postings_at((value >> 16) as usize, (value & 0xFFFF) as usize)
}

/// `count` postings from index `offset` of `postings.bin`.
fn postings_at(offset: usize, count: usize) -> Postings {
    Postings {
        one: None,
        bytes: POSTINGS
            .get(offset * 4..(offset + count) * 4)
            .unwrap_or(&[]),
    }
}

/// The single posting `id`, held in place.
fn posting_one(id: u32) -> Postings {
    Postings {
        one: Some(id),
        bytes: &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::name_key;

    fn city_named(name: &str) -> Vec<&'static City> {
        let g = Gazetteer::get();
        let key = name_key(name);
        let mut hits = Vec::new();
        g.city_prefixes(&key, |end, p| {
            if end == key.len() {
                hits.extend(p.iter().map(|i| g.city(i as CityId)));
            }
        });
        hits
    }

    #[test]
    fn has_every_prefecture_and_municipality() {
        let g = Gazetteer::get();
        assert_eq!(g.prefectures().len(), 47);
        assert_eq!(g.prefecture(13).map(|p| p.name), Some("東京都"));
        assert_eq!(g.prefecture(13).map(|p| p.short), Some("東京"));
        assert!(g.cities().len() > 1880, "{} cities", g.cities().len());
        assert!(g.town_count() > 120_000, "{} towns", g.town_count());
    }

    #[test]
    fn finds_cities_by_every_spelling() {
        let chuo: Vec<_> = city_named("中央区").iter().map(|c| c.code).collect();
        assert!(
            chuo.contains(&"13102") && chuo.contains(&"01101"),
            "{chuo:?}"
        );
        assert_eq!(city_named("高座郡寒川町")[0].name, "寒川町");
        assert_eq!(city_named("寒川町")[0].county, "高座郡");
        assert!(city_named("札幌市").len() == 10);
        assert_eq!(city_named("袖ヶ浦市")[0].code, "12229");
    }

    #[test]
    fn finds_towns_with_chome() {
        let g = Gazetteer::get();
        let ginza = city_named("中央区")
            .into_iter()
            .position(|c| c.code == "13102")
            .map(|_| ());
        assert!(ginza.is_some());
        let id = g
            .cities()
            .iter()
            .position(|c| c.code == "13102")
            .unwrap_or(0) as CityId;
        let key = name_key("銀座四丁目");
        let mut towns = Vec::new();
        g.town_prefixes(id, &key, |end, p| {
            towns.extend(p.iter().map(|t| (end, g.town(t))))
        });
        let (end, town) = towns
            .iter()
            .find(|(_, t)| t.name == "銀座")
            .copied()
            .unwrap_or_else(|| panic!("{towns:?}"));
        assert_eq!(&key[end..], "4丁目");
        assert!(town.accepts_chome(8) && !town.accepts_chome(9));
    }

    #[test]
    fn every_town_knows_its_name_length() {
        let g = Gazetteer::get();
        for id in 0..g.town_count() as TownId {
            let t = g.town(id);
            assert_eq!(
                t.name_chars(),
                t.name.chars().count().min(255),
                "{}",
                t.name
            );
        }
    }
}
