//! What locating found, and the reading steps the locator ([`super::locate`]), its
//! look-alike retry (`fuzzy`), [`super::block`] and [`super::postal`] share: [`Location`]
//! (prefecture, municipality, town and where the text found ends), [`skip_spaces`] and
//! [`town_starts`] (大字/字 optional before a town). This module imports none of them, so
//! the retry reads these without importing the locator that calls it.

use crate::gazetteer::{CityId, TownId};

/// Where the front of an address was found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Location {
    /// Prefecture code.
    pub pref: Option<u8>,
    /// Municipality.
    pub city: Option<CityId>,
    /// Town.
    pub town: Option<TownId>,
    /// Folded-text offset just after the last part found.
    pub end: usize,
    /// The prefecture was written twice.
    pub duplicated_pref: bool,
    /// The municipality was written twice.
    pub duplicated_city: bool,
    /// Another candidate in another municipality scored as well.
    pub ambiguous: bool,
    /// The written prefecture does not hold the municipality found.
    pub pref_mismatch: bool,
    /// Folded-text offset where an unknown town starts (after the municipality).
    pub town_start: usize,
    /// A chome read while locating the town (Sapporo's shorthand 北3西1).
    pub chome: Option<u32>,
    /// The town was found one look-alike kanji away (see `fuzzy`).
    pub fuzzy_town: bool,
    /// The municipality was found one look-alike kanji away (see `fuzzy`).
    pub fuzzy_city: bool,
}

/// The first position at or after `pos` that is not an ASCII space (folded text, or the
/// bytes of a postal code).
pub(super) fn skip_spaces(text: impl AsRef<[u8]>, mut pos: usize) -> usize {
    let bytes = text.as_ref();
    while bytes.get(pos) == Some(&b' ') {
        pos += 1;
    }
    pos
}

/// Positions where a town may start: at `pos`, and after a leading 大字 or 字.
pub(super) fn town_starts(text: &str, pos: usize) -> impl Iterator<Item = usize> + '_ {
    let mut v = [Some(pos), None];
    for prefix in ["大字", "字"] {
        if text[pos..].starts_with(prefix) {
            v[1] = Some(pos + prefix.len());
            break;
        }
    }
    v.into_iter().flatten()
}
