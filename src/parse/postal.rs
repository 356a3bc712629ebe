//! Postal codes (郵便番号) in or beside an address: reading them, checking them against the
//! place parsed, and naming the municipalities they cover for [`super::locate`].
//!
//! A code written in front of the address (`〒104-0061`, `104-0061`, `1040061`) or given
//! separately ([`super::Parser::parse_with_postal`]) is looked up in Japan Post's table
//! ([`Gazetteer::postal`]). A code that does not belong to the place found raises
//! [`Anomaly::PostalCodeMismatch`] — a made-up address often pairs a real town with any
//! code. Codes are per area and towns are finer, so the check errs towards silence: the code
//! fits when its towns include the town, when it is the municipality-wide code
//! (`以下に掲載がない場合`), or when the town is one Japan Post does not list (only the
//! municipality can be checked then). When the address leaves out its prefecture or
//! municipality, the code's municipalities stand in for them.

use super::location::skip_spaces;
use crate::address::{Address, Anomaly};
use crate::gazetteer::{CityId, Gazetteer, PostalArea, TownId};
use crate::normalize::name_key;
use std::fmt;

/// A postal code: seven digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PostalCode([u8; 7]);

impl PostalCode {
    /// Reads a code written on its own: `104-0061`, `1040061`, `〒104-0061`, full-width
    /// digits, any hyphen look-alike after the third digit, spaces around. `None` for anything
    /// else (an empty column, a partial code, letters).
    pub fn parse(text: &str) -> Option<PostalCode> {
        let mut digits = [0u8; 7];
        let mut n = 0;
        let body = text.trim().trim_start_matches('〒').trim_start();
        for c in body.chars() {
            if let Some(d) = digit_value(c) {
                *digits.get_mut(n)? = b'0' + d;
                n += 1;
            } else if !(n == 3 && is_hyphen(c)) {
                return None;
            }
        }
        (n == 7).then_some(PostalCode(digits))
    }

    /// The seven ASCII digits.
    pub fn digits(&self) -> &[u8; 7] {
        &self.0
    }
}

impl fmt::Display for PostalCode {
    /// `104-0061`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = std::str::from_utf8(&self.0).map_err(|_| fmt::Error)?;
        write!(f, "{}-{}", &s[..3], &s[3..])
    }
}

fn digit_value(c: char) -> Option<u8> {
    match c {
        '0'..='9' => Some(c as u8 - b'0'),
        '０'..='９' => u8::try_from(c as u32 - '０' as u32).ok(),
        _ => None,
    }
}

fn is_hyphen(c: char) -> bool {
    matches!(
        c,
        '-' | '－' | '‐' | '−' | '‒' | '–' | '—' | '─' | '━' | '―' | 'ー' | 'ｰ'
    )
}

/// Reads a postal code at the start of the folded text (`〒100-0001`, `100-0001`,
/// `1000001`): the code, if one is written whole, and the offset after it and the spaces
/// that follow. A lone `〒` is stepped over too.
pub fn read_leading(text: &str) -> (Option<PostalCode>, usize) {
    let b = text.as_bytes();
    let mut i = 0;
    let mark = text.starts_with('〒');
    if mark {
        i += '〒'.len_utf8();
    }
    i = skip_spaces(b, i);
    let rest = b.get(i..).unwrap_or_default();
    let d1 = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    let mut digits = [0u8; 7];
    let code_len = if d1 == 3 && rest.get(3) == Some(&b'-') {
        let d2 = rest[4..].iter().take_while(|c| c.is_ascii_digit()).count();
        (d2 == 4).then(|| {
            digits[..3].copy_from_slice(&rest[..3]);
            digits[3..].copy_from_slice(&rest[4..8]);
            8
        })
    } else {
        (d1 == 7).then(|| {
            digits.copy_from_slice(&rest[..7]);
            7
        })
    };
    match code_len {
        Some(n) => (Some(PostalCode(digits)), skip_spaces(b, i + n)),
        None if mark => (None, i),
        None => (None, 0),
    }
}

/// The municipalities a postal code covers (Japan Post's codes cover at most six), for
/// [`super::locate::locate_near`]. Empty for a code Japan Post does not list.
#[derive(Debug, Clone, Copy, Default)]
pub struct PostalCities {
    ids: [CityId; 8],
    len: usize,
}

impl PostalCities {
    /// The municipalities of `code`.
    pub fn of(code: PostalCode) -> PostalCities {
        let g = Gazetteer::get();
        let mut out = PostalCities::default();
        for e in g.postal(code.digits()).iter() {
            let city = e.city(g);
            if !out.as_slice().contains(&city) {
                if let Some(slot) = out.ids.get_mut(out.len) {
                    *slot = city;
                    out.len += 1;
                }
            }
        }
        out
    }

    /// The municipalities, in table order.
    pub fn as_slice(&self) -> &[CityId] {
        self.ids.get(..self.len).unwrap_or_default()
    }
}

/// Whether a postal code belongs to the place parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// The code covers the place (or the place is not precise enough to say otherwise).
    Fits,
    /// The code covers somewhere else, or Japan Post does not list it.
    Mismatch,
}

/// Checks `code` against the place parsed: prefecture code, municipality and town.
pub fn check(
    code: PostalCode,
    pref: Option<u8>,
    city: Option<CityId>,
    town: Option<TownId>,
) -> Fit {
    let g = Gazetteer::get();
    let entries = g.postal(code.digits());
    if pref.is_none() && city.is_none() {
        return Fit::Fits;
    }
    let mut city_seen = false;
    for e in entries.iter() {
        let c = e.city(g);
        let Some(city) = city else {
            // Only the prefecture is known: the code must lie in it.
            if pref == Some(g.city(c).pref) {
                return Fit::Fits;
            }
            continue;
        };
        if c != city {
            continue;
        }
        city_seen = true;
        match (e.area, town) {
            (PostalArea::City(_), _) | (_, None) => return Fit::Fits,
            (PostalArea::Town(t), Some(town)) if t == town => return Fit::Fits,
            (PostalArea::Town(t), Some(town)) if e.office && one_starts_the_other(g, t, town) => {
                return Fit::Fits
            }
            _ => {}
        }
    }
    match town {
        // A town only Geolonia lists has no code of its own: the municipality is all that
        // can be checked.
        Some(t) if city_seen && !g.town(t).in_japan_post() => Fit::Fits,
        _ => Fit::Mismatch,
    }
}

/// A business gives Japan Post its town more coarsely or more finely than the town table
/// (`巻` + `甲2690-1` for the town 巻甲, `稲葉` for 稲葉中千田): its 大口事業所 code fits a
/// town whose name starts with the business's town, or starts it.
fn one_starts_the_other(g: &Gazetteer, a: TownId, b: TownId) -> bool {
    let (a, b) = (name_key(g.town(a).name), name_key(g.town(b).name));
    a.starts_with(&b) || b.starts_with(&a)
}

/// Records `code` on the parsed address and raises [`Anomaly::PostalCodeMismatch`] when it
/// does not belong to the place found.
pub fn apply(
    code: PostalCode,
    a: &mut Address,
    pref: Option<u8>,
    city: Option<CityId>,
    town: Option<TownId>,
) {
    a.postal_code = Some(code.to_string());
    if check(code, pref, city, town) == Fit::Mismatch {
        a.anomalies.push(Anomaly::PostalCodeMismatch);
        a.anomalies.sort();
        a.anomalies.dedup();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> PostalCode {
        PostalCode::parse(s).unwrap_or_else(|| panic!("{s} is a postal code"))
    }

    fn city(code: &str) -> CityId {
        let g = Gazetteer::get();
        let i = g.cities().iter().position(|c| c.code == code);
        i.map_or(CityId::MAX, |i| i as CityId)
    }

    fn town(city_code: &str, name: &str) -> TownId {
        let g = Gazetteer::get();
        let key = name_key(name);
        let mut found = None;
        g.town_prefixes(city(city_code), &key, |end, ids| {
            if end == key.len() {
                found = ids.iter().find(|&t| g.town(t).name == name);
            }
        });
        found.unwrap_or_else(|| panic!("{name} in {city_code}"))
    }

    #[test]
    fn codes_are_read_in_every_writing() {
        let want = Some(PostalCode(*b"1040061"));
        for s in [
            "104-0061",
            "1040061",
            "〒104-0061",
            " 〒 １０４－００６１ ",
            "104ー0061",
        ] {
            assert_eq!(PostalCode::parse(s), want, "{s}");
        }
        for s in ["", "104-006", "10400611", "1040-061", "104-0061号", "abc"] {
            assert_eq!(PostalCode::parse(s), None, "{s}");
        }
        assert_eq!(code("1040061").to_string(), "104-0061");
    }

    #[test]
    fn a_leading_code_is_read_and_stepped_over() {
        let c = Some(PostalCode(*b"1000001"));
        assert_eq!(read_leading("〒100-0001 東京都"), (c, "〒100-0001 ".len()));
        assert_eq!(read_leading("1000001 東京都"), (c, 8));
        assert_eq!(read_leading("〒 東京都"), (None, "〒 ".len()));
        assert_eq!(read_leading("東京都"), (None, 0));
        assert_eq!(read_leading("1-2-3"), (None, 0));
        assert_eq!(read_leading("100-00"), (None, 0));
    }

    #[test]
    fn the_code_of_the_town_fits() {
        let ginza = town("13102", "銀座");
        let (pref, chuo) = (Some(13), Some(city("13102")));
        assert_eq!(check(code("104-0061"), pref, chuo, Some(ginza)), Fit::Fits);
        // The municipality-wide code (以下に掲載がない場合) fits every town of it.
        assert_eq!(check(code("103-0000"), pref, chuo, Some(ginza)), Fit::Fits);
        // Without a town, the municipality decides.
        assert_eq!(check(code("104-0061"), pref, chuo, None), Fit::Fits);
        assert_eq!(check(code("104-0061"), pref, None, None), Fit::Fits);
    }

    #[test]
    fn another_towns_code_is_a_mismatch() {
        let ginza = town("13102", "銀座");
        let (pref, chuo) = (Some(13), Some(city("13102")));
        // 〒104-0045 is 築地, same ward.
        assert_eq!(
            check(code("104-0045"), pref, chuo, Some(ginza)),
            Fit::Mismatch
        );
        // 〒100-0001 is 千代田区千代田.
        assert_eq!(
            check(code("100-0001"), pref, chuo, Some(ginza)),
            Fit::Mismatch
        );
        // 〒530-0001 is 大阪市北区梅田: not even the prefecture.
        assert_eq!(check(code("530-0001"), pref, None, None), Fit::Mismatch);
        // A code Japan Post does not list.
        assert_eq!(
            check(code("000-0000"), pref, chuo, Some(ginza)),
            Fit::Mismatch
        );
    }

    #[test]
    fn an_office_code_fits_its_business_town_only() {
        // 〒060-8621: 株式会社 日本経済新聞社 札幌支社, 札幌市中央区北一条西 (office_data).
        let sapporo_chuo = city("01101");
        let kita1 = town("01101", "北一条西");
        let c = code("060-8621");
        assert_eq!(
            check(c, Some(1), Some(sapporo_chuo), Some(kita1)),
            Fit::Fits
        );
        let odori = town("01101", "大通西");
        assert_eq!(
            check(c, Some(1), Some(sapporo_chuo), Some(odori)),
            Fit::Mismatch
        );
    }

    #[test]
    fn cities_of_a_code() {
        let c = PostalCities::of(code("104-0061"));
        assert_eq!(c.as_slice(), &[city("13102")]);
        assert!(PostalCities::of(code("000-0000")).as_slice().is_empty());
    }

    #[test]
    fn apply_records_the_code_and_the_anomaly() {
        let mut a = Address::default();
        let chuo = Some(city("13102"));
        let ginza = Some(town("13102", "銀座"));
        apply(code("1040061"), &mut a, Some(13), chuo, ginza);
        assert_eq!(a.postal_code.as_deref(), Some("104-0061"));
        assert!(a.anomalies.is_empty());
        apply(code("1000001"), &mut a, Some(13), chuo, ginza);
        assert_eq!(a.anomalies, vec![Anomaly::PostalCodeMismatch]);
    }
}
