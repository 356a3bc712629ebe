//! The parsed address: the value every later stage (matching, scoring, bulk) consumes.
//!
//! An [`Address`] holds the canonical parts of one Japanese address as far as the parser could
//! resolve them, how far that was ([`Level`]), what looked odd on the way ([`Anomaly`]), and the
//! canonical delivery-point [`Address::key`] that watchlists index.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How far an address resolved against the gazetteer.
///
/// Levels are ordered: `None < Prefecture < City < Town < Block < Unit`.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Nothing recognised.
    #[default]
    None,
    /// The prefecture is known.
    Prefecture,
    /// The municipality (city, ward, town or village) is known.
    City,
    /// The town (町・大字・町丁目) was found in the gazetteer.
    Town,
    /// A block number (banchi) follows a known town.
    Block,
    /// A floor or a room is known on top of the block.
    Unit,
}

impl Level {
    /// The snake_case name used in JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::None => "none",
            Level::Prefecture => "prefecture",
            Level::City => "city",
            Level::Town => "town",
            Level::Block => "block",
            Level::Unit => "unit",
        }
    }

    /// The byte a level is stored as (beside a rejected row's code in an index file).
    pub(crate) fn code(self) -> u8 {
        self as u8
    }

    /// The level a stored byte names (`None` for a byte no level has).
    pub(crate) fn from_code(b: u8) -> Option<Level> {
        Some(match b {
            0 => Level::None,
            1 => Level::Prefecture,
            2 => Level::City,
            3 => Level::Town,
            4 => Level::Block,
            5 => Level::Unit,
            _ => return None,
        })
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Notation that a person would find strange, with a stable snake_case code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Anomaly {
    /// The prefecture is written twice (東京都世田谷区東京都黒猫…).
    DuplicatedPrefecture,
    /// The municipality is written twice (世田谷区世田谷区…).
    DuplicatedCity,
    /// The municipality is known but the town is not in the gazetteer.
    UnknownTown,
    /// A known town is followed by no block number.
    MissingBlockNumber,
    /// An ID-like token (PM12345, LYF2266455) follows the address: the mark of a
    /// forwarding-service customer number.
    TrailingCustomerId,
    /// The prefecture or municipality could not be told apart among several candidates.
    Ambiguous,
    /// The written prefecture does not hold the municipality found (the parser trusted the
    /// municipality).
    PrefectureMismatch,
    /// The municipality is followed directly by its block number and it has several towns:
    /// which one is meant is not written (`〇〇町391-1`).
    MissingTown,
    /// The town was found one look-alike kanji away from what is written (己/巳, 冶/治…).
    FuzzyTown,
    /// The municipality was found one look-alike kanji away from what is written.
    FuzzyCity,
    /// The postal code written (or given) does not belong to the town parsed.
    PostalCodeMismatch,
}

impl Anomaly {
    /// The stable snake_case code.
    pub fn code(self) -> &'static str {
        match self {
            Anomaly::DuplicatedPrefecture => "duplicated_prefecture",
            Anomaly::DuplicatedCity => "duplicated_city",
            Anomaly::UnknownTown => "unknown_town",
            Anomaly::MissingBlockNumber => "missing_block_number",
            Anomaly::TrailingCustomerId => "trailing_customer_id",
            Anomaly::Ambiguous => "ambiguous",
            Anomaly::PrefectureMismatch => "prefecture_mismatch",
            Anomaly::MissingTown => "missing_town",
            Anomaly::FuzzyTown => "fuzzy_town",
            Anomaly::FuzzyCity => "fuzzy_city",
            Anomaly::PostalCodeMismatch => "postal_code_mismatch",
        }
    }
}

impl fmt::Display for Anomaly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The canonical parts of one address.
///
/// Text fields hold the gazetteer's own spelling where the gazetteer knew the part
/// (prefecture, city, town) and the normalized input otherwise. Numeric block parts are kept
/// as strings because real ones are not always numbers (`1-2` as a go, `イ` as a banchi).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// The input as given.
    pub input: String,
    /// 都道府県, e.g. `東京都`.
    pub prefecture: Option<String>,
    /// Municipality as the gazetteer writes it, with its designated-city ward and its 郡:
    /// `中央区`, `札幌市中央区`, `高座郡寒川町` (the 郡 may be left out in the input).
    pub city: Option<String>,
    /// Town, 大字 or 町丁目 base name without the chome, e.g. `銀座`.
    pub town: Option<String>,
    /// 丁目 as an integer, e.g. `4` for 四丁目.
    pub chome: Option<u32>,
    /// 番地 / 番, e.g. `6`.
    pub banchi: Option<String>,
    /// 号 (or the second block number), e.g. `16`.
    pub go: Option<String>,
    /// Building name, normalized, e.g. `サンハイツ21`.
    pub building: Option<String>,
    /// Floor: `3` for 3F/3階, `B1` for a basement.
    pub floor: Option<String>,
    /// Room, e.g. `301`.
    pub room: Option<String>,
    /// Forwarding-service customer ID found after the address, e.g. `PM12345`.
    pub customer_id: Option<String>,
    /// How far the address resolved.
    pub level: Level,
    /// Canonical delivery-point key (see [`Address::key`]).
    pub key: String,
    /// JIS X 0402 municipality code, e.g. `13102`, when the city is known.
    pub city_code: Option<String>,
    /// The postal code written in front of the address or given beside it, as `104-0061`.
    #[serde(default)]
    pub postal_code: Option<String>,
    /// Notation oddities, sorted, without repeats.
    pub anomalies: Vec<Anomaly>,
}

impl Address {
    /// The address written back from its parts: `東京都中央区銀座4丁目6-16 銀座ビル 3F 301号室`
    /// (customer ID in brackets after it). What bulk output's `normalized` column and
    /// `banchi check` show.
    pub fn normalized_text(&self) -> String {
        let mut s = String::with_capacity(64);
        for p in [&self.prefecture, &self.city, &self.town]
            .into_iter()
            .flatten()
        {
            s.push_str(p);
        }
        if let Some(c) = self.chome {
            s.push_str(&c.to_string());
            s.push_str("丁目");
        }
        match (&self.banchi, &self.go) {
            (Some(b), Some(g)) => {
                s.push_str(b);
                s.push('-');
                s.push_str(g);
            }
            (Some(b), None) => s.push_str(b),
            (None, Some(g)) => s.push_str(g),
            (None, None) => {}
        }
        if let Some(b) = &self.building {
            s.push(' ');
            s.push_str(b);
        }
        if let Some(f) = &self.floor {
            s.push(' ');
            s.push_str(f);
            s.push('F');
        }
        if let Some(r) = &self.room {
            s.push(' ');
            s.push_str(r);
            s.push_str("号室");
        }
        if let Some(c) = &self.customer_id {
            s.push_str(" [");
            s.push_str(c);
            s.push(']');
        }
        s
    }

    /// Builds the canonical delivery-point key from the parts.
    ///
    /// The key is `CODE|TOWN|CHOME|BANCHI|GO|FLOOR|ROOM`, empty where a part is unknown; the
    /// municipality code stands for prefecture + city, so two spellings of one place give one
    /// key. When the city is unknown the prefecture name takes the code's place. The building
    /// name is left out on purpose: people write it every way, the room identifies the flat.
    pub fn compute_key(&self) -> String {
        let mut key = String::with_capacity(48);
        match (&self.city_code, &self.prefecture) {
            (Some(code), _) => key.push_str(code),
            (None, Some(pref)) => key.push_str(pref),
            (None, None) => {}
        }
        let chome = self.chome.map(|c| c.to_string());
        for part in [
            self.town.as_deref(),
            chome.as_deref(),
            self.banchi.as_deref(),
            self.go.as_deref(),
            self.floor.as_deref(),
            self.room.as_deref(),
        ] {
            key.push('|');
            if let Some(p) = part {
                key.push_str(p);
            }
        }
        key
    }

    /// True when the anomaly was recorded.
    pub fn has(&self, anomaly: Anomaly) -> bool {
        self.anomalies.contains(&anomaly)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalized_text_is_built_from_parts() {
        let a = Address {
            prefecture: Some("東京都".into()),
            city: Some("中央区".into()),
            town: Some("銀座".into()),
            chome: Some(4),
            banchi: Some("6".into()),
            go: Some("16".into()),
            building: Some("銀座ビル".into()),
            floor: Some("3".into()),
            room: Some("301".into()),
            ..Address::default()
        };
        assert_eq!(
            a.normalized_text(),
            "東京都中央区銀座4丁目6-16 銀座ビル 3F 301号室"
        );
        let bare = Address {
            town: Some("銀座".into()),
            go: Some("16".into()),
            customer_id: Some("PM12345".into()),
            ..Address::default()
        };
        assert_eq!(bare.normalized_text(), "銀座16 [PM12345]");
    }
}
