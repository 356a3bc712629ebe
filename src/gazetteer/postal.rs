//! Japan Post's postal codes: where each 7-digit code points.
//!
//! An area code (郵便番号) points to one or more towns — a town may have several codes, one
//! code several towns — or to a whole municipality (Japan Post's `以下に掲載がない場合`, the
//! code for the municipality's places that have no code of their own). A 大口事業所 code
//! belongs to one business and points to that business's own town (or only its
//! municipality, when the town it gives is not one the gazetteer knows).
//!
//! `build.rs` writes the table as an FST keyed by the seven ASCII digits (`postal.fst`); a
//! code with one entry keeps it in the FST value, a code with several points into the shared
//! postings. [`super::Gazetteer::postal`] reads it in place.

use super::{CityId, Gazetteer, Postings, TownId};

/// Entry flag: a 大口事業所 code.
const OFFICE: u32 = 1 << 31;
/// Entry flag: the whole municipality (the low bits are its city index).
const WHOLE_CITY: u32 = 1 << 30;
/// FST value flag: an offset and a count into the postings rather than one entry.
pub(super) const LIST: u64 = 1 << 40;

/// What a postal code covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostalArea {
    /// One town (町・大字) of the gazetteer.
    Town(TownId),
    /// A whole municipality: every place in it that has no code of its own.
    City(CityId),
}

/// One place a postal code points to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostalEntry {
    /// The town or municipality.
    pub area: PostalArea,
    /// True for a 大口事業所 code (one business's own code), false for an area code.
    pub office: bool,
}

impl PostalEntry {
    fn decode(raw: u32) -> PostalEntry {
        let office = raw & OFFICE != 0;
        let area = if raw & WHOLE_CITY != 0 {
            PostalArea::City((raw & 0xFFFF) as CityId)
        } else {
            PostalArea::Town(raw & (WHOLE_CITY - 1))
        };
        PostalEntry { area, office }
    }

    /// The municipality the entry lies in.
    pub fn city(&self, g: &Gazetteer) -> CityId {
        match self.area {
            PostalArea::Town(t) => g.town(t).city,
            PostalArea::City(c) => c,
        }
    }
}

/// The entries of one postal code (none for a code Japan Post does not list).
#[derive(Debug, Clone, Copy)]
pub struct PostalEntries {
    one: Option<u32>,
    list: Postings,
}

impl PostalEntries {
    pub(super) const NONE: PostalEntries = PostalEntries {
        one: None,
        list: Postings::EMPTY,
    };

    /// Decodes an FST value (see `build.rs`).
    pub(super) fn from_value(value: u64) -> PostalEntries {
        if value & LIST != 0 {
            PostalEntries {
                one: None,
                list: super::postings(value & (LIST - 1)),
            }
        } else {
            PostalEntries {
                one: u32::try_from(value).ok(),
                list: Postings::EMPTY,
            }
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        usize::from(self.one.is_some()) + self.list.len()
    }

    /// True when Japan Post does not list the code.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The entries, in table order.
    pub fn iter(&self) -> impl Iterator<Item = PostalEntry> + '_ {
        self.one
            .into_iter()
            .chain(self.list.iter())
            .map(PostalEntry::decode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(code: &str) -> Vec<PostalEntry> {
        let digits: [u8; 7] = code.as_bytes().try_into().unwrap_or([0; 7]);
        Gazetteer::get().postal(&digits).iter().collect()
    }

    fn town_names(code: &str) -> Vec<(String, &'static str)> {
        let g = Gazetteer::get();
        entries(code)
            .into_iter()
            .map(|e| match e.area {
                PostalArea::Town(t) => (g.city(g.town(t).city).full_name(), g.town(t).name),
                PostalArea::City(c) => (g.city(c).full_name(), ""),
            })
            .collect()
    }

    #[test]
    fn an_area_code_points_to_its_town() {
        assert_eq!(town_names("1040061"), vec![("中央区".to_owned(), "銀座")]);
        assert!(entries("1040061").iter().all(|e| !e.office));
    }

    #[test]
    fn the_municipality_wide_code_points_to_the_municipality() {
        // 〒103-0000: 東京都中央区 以下に掲載がない場合.
        let e = entries("1030000");
        assert_eq!(e.len(), 1, "{e:?}");
        let g = Gazetteer::get();
        assert!(matches!(e[0].area, PostalArea::City(c) if g.city(c).code == "13102"));
    }

    #[test]
    fn one_code_may_cover_several_towns() {
        // 〒862-0970: 渡鹿, a town split between two wards of 熊本市.
        assert_eq!(
            town_names("8620970"),
            vec![
                ("熊本市中央区".to_owned(), "渡鹿"),
                ("熊本市東区".to_owned(), "渡鹿")
            ]
        );
    }

    #[test]
    fn an_office_code_points_to_the_business_town() {
        // 〒060-8621: 株式会社 日本経済新聞社 札幌支社, 北海道札幌市中央区北一条西 (office_data).
        let e = entries("0608621");
        assert!(e.iter().all(|e| e.office) && !e.is_empty(), "{e:?}");
        assert_eq!(
            town_names("0608621"),
            vec![("札幌市中央区".to_owned(), "北一条西")]
        );
    }

    #[test]
    fn unknown_codes_have_no_entries() {
        assert!(entries("0000000").is_empty());
        assert!(entries("9999999").is_empty());
    }

    #[test]
    fn every_code_is_seven_digits_and_decodes() {
        let g = Gazetteer::get();
        let mut n = 0;
        for (code, e) in g.postal_codes() {
            assert!(code.iter().all(u8::is_ascii_digit));
            assert!(!e.is_empty());
            for x in e.iter() {
                assert!((x.city(g) as usize) < g.cities().len());
            }
            n += 1;
        }
        assert!(n > 140_000, "{n} codes");
    }
}
