//! Configuration: score weights, level thresholds, the near-block distance and velocity
//! settings, read from a TOML file.
//!
//! Every field has a default (the values below, also written out with comments in
//! `data/banchi.toml`), so a file only needs the keys it changes; an unknown key is an error,
//! so a typo never silently leaves a default in force. `banchi config show` prints the
//! effective configuration.
//!
//! ```
//! let cfg = banchi::config::Config::from_toml_str("[weights]\nfraud_danger = 90\n")?;
//! assert_eq!(cfg.weights.fraud_danger, 90);
//! assert_eq!(cfg.score.alert_threshold, 10);
//! # Ok::<(), banchi::error::ConfigError>(())
//! ```

use crate::error::ConfigError;
use crate::watchlist::MatchOptions;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The section of the configuration file that belongs to the server, not to this crate.
pub const SERVER_SECTION: &str = "server";

/// Every section of the configuration file that belongs to the server (crate
/// `banchi-server`), not to this crate: skipped by [`Config::from_toml_str`], read by `banchi
/// serve` from the same file (`[server]`, `[four_eyes]`: list edits approved by a second
/// person, `[decisions]`, `[webhooks]`).
pub const SERVER_SECTIONS: &[&str] = &[SERVER_SECTION, "four_eyes", "decisions", "webhooks"];

/// The whole configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Levels and the alert threshold.
    pub score: ScoreSettings,
    /// Watchlist lookup settings.
    pub matching: MatchSettings,
    /// Points each signal adds to the score.
    pub weights: Weights,
    /// Many names at one delivery point.
    pub velocity: VelocitySettings,
}

/// Levels and the alert threshold, on the 0–100 score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScoreSettings {
    /// A score at or above this is an alert (webコレクト's attribute score alerts at 10).
    pub alert_threshold: u32,
    /// Lowest `medium` score (`low` is below it): 31, as the payment industry uses.
    pub medium_from: u32,
    /// Lowest `high` score: 71.
    pub high_from: u32,
}

impl Default for ScoreSettings {
    fn default() -> Self {
        ScoreSettings {
            alert_threshold: 10,
            medium_from: 31,
            high_from: 71,
        }
    }
}

/// Watchlist lookup settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MatchSettings {
    /// Largest banchi difference still graded near (warning / possible).
    pub near_distance: u32,
    /// Most matches listed per list and address (the grade counts them all).
    pub max_matches: usize,
}

impl Default for MatchSettings {
    fn default() -> Self {
        let d = MatchOptions::default();
        MatchSettings {
            near_distance: d.near_distance,
            max_matches: d.max_matches,
        }
    }
}

impl MatchSettings {
    /// As the watchlist's lookup options.
    pub fn options(&self) -> MatchOptions {
        MatchOptions {
            near_distance: self.near_distance,
            max_matches: self.max_matches,
        }
    }
}

/// Points per signal. The score is their sum, capped at 100; a weight of 0 turns a signal
/// off (it is then not listed among the reasons either).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Weights {
    /// Fraud list ★★★危険: same block and unit as a past fraud.
    pub fraud_danger: u32,
    /// Fraud list ★★注意: same block, other or unknown unit.
    pub fraud_caution: u32,
    /// Fraud list ★警戒: a block near a past fraud.
    pub fraud_warning: u32,
    /// A listed forwarding-service warehouse.
    pub forwarding_service: u32,
    /// Near a warehouse, or a forwarding-style customer ID.
    pub forwarding_possible: u32,
    /// The prefecture written twice.
    pub duplicated_prefecture: u32,
    /// The municipality written twice.
    pub duplicated_city: u32,
    /// A town the gazetteer does not know.
    pub unknown_town: u32,
    /// A known town with no block number.
    pub missing_block_number: u32,
    /// A customer ID after the address (not counted again when the forwarder grade already
    /// counts it).
    pub trailing_customer_id: u32,
    /// The place could not be told apart among several candidates.
    pub ambiguous: u32,
    /// The written prefecture does not hold the municipality.
    pub prefecture_mismatch: u32,
    /// A municipality with several towns followed directly by a block number.
    pub missing_town: u32,
    /// The town read through one look-alike kanji.
    pub fuzzy_town: u32,
    /// The municipality read through one look-alike kanji.
    pub fuzzy_city: u32,
    /// The postal code does not belong to the parsed town (a made-up address's tell).
    pub postal_code_mismatch: u32,
    /// The address did not parse at all (empty, too long, nothing recognised).
    pub unparseable_address: u32,
    /// 営業所止め / 営業所留め: held at a carrier's depot.
    pub office_pickup: u32,
    /// 局留め: held at a post office.
    pub post_office_hold: u32,
    /// 私書箱: a post-office box.
    pub po_box: u32,
    /// コンビニ受取: collected at a convenience store.
    pub convenience_store_pickup: u32,
    /// 気付: care of someone else.
    pub care_of: u32,
    /// 様方: living at someone else's household.
    pub sama_kata: u32,
    /// A dummy buyer name (テスト, test, ああああ, …).
    pub dummy_name: u32,
    /// A dummy phone number (00-0000-0000, 090-1111-1111, too few digits, …).
    pub dummy_phone: u32,
    /// A dummy e-mail (test@test.com, …@example.com, no `@`, …).
    pub dummy_email: u32,
    /// One delivery point receiving orders under several names (see [`VelocitySettings`]).
    pub velocity: u32,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            fraud_danger: 80,
            fraud_caution: 50,
            fraud_warning: 20,
            forwarding_service: 60,
            forwarding_possible: 25,
            duplicated_prefecture: 15,
            duplicated_city: 10,
            unknown_town: 10,
            missing_block_number: 15,
            trailing_customer_id: 10,
            ambiguous: 5,
            prefecture_mismatch: 10,
            missing_town: 5,
            fuzzy_town: 5,
            fuzzy_city: 5,
            postal_code_mismatch: 20,
            unparseable_address: 30,
            office_pickup: 20,
            post_office_hold: 20,
            po_box: 25,
            convenience_store_pickup: 15,
            care_of: 15,
            sama_kata: 10,
            dummy_name: 15,
            dummy_phone: 20,
            dummy_email: 20,
            velocity: 30,
        }
    }
}

/// Velocity: one delivery point ([`crate::Address::key`]) receiving orders under several
/// different buyer names.
///
/// In bulk mode the file is read in order and each row is compared with the rows before it
/// that are still inside the window: a row raises the signal when its delivery point has
/// seen at least `min_names` different names (its own included) within the last
/// `window_rows` rows, and, when the input has an order-time column, within `window_hours`
/// of its own order time. Memory is bounded by the row window (see [`crate::bulk`]).
///
/// With a velocity state (`screen --velocity-state FILE`) the window reaches into earlier
/// runs: names seen within `state_window` count, a row without an order time taking the
/// run's start time (see [`crate::bulk::state`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VelocitySettings {
    /// Different names at one delivery point that raise the signal (0 turns it off; at most 4
    /// are told apart, larger values act as 4).
    pub min_names: u32,
    /// How many preceding rows are remembered.
    pub window_rows: u64,
    /// With an order-time column: how far back (in hours) an earlier order still counts.
    pub window_hours: u32,
    /// With a velocity state: how long a name is remembered, in hours (`36h`) or days
    /// (`7d`); older entries are pruned.
    pub state_window: String,
    /// With a velocity state: the file holding its hashing key (created, mode 0600, at first
    /// use; default: the state's path with `.key` added). Keep it apart from the database.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_file: Option<std::path::PathBuf>,
    /// A text file of shared delivery points that never raise velocity (a company's mail
    /// room, a dormitory): one address per line, `#` comments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowlist: Option<std::path::PathBuf>,
}

impl VelocitySettings {
    /// `state_window` in minutes.
    pub fn state_window_minutes(&self) -> Result<u32, ConfigError> {
        let text = self.state_window.trim();
        let bad = || {
            ConfigError::Invalid(format!(
                "velocity.state_window must be hours or days such as \"36h\" or \"7d\" (got {text:?})"
            ))
        };
        let (number, unit) = text.split_at(text.len().saturating_sub(1));
        let n: u32 = number.trim().parse().map_err(|_| bad())?;
        let minutes = match unit {
            "h" => n.checked_mul(60),
            "d" => n.checked_mul(24 * 60),
            _ => None,
        };
        minutes.filter(|&m| m > 0).ok_or_else(bad)
    }
}

impl Default for VelocitySettings {
    fn default() -> Self {
        VelocitySettings {
            min_names: 3,
            window_rows: 500_000,
            window_hours: 24,
            state_window: "7d".to_owned(),
            key_file: None,
            allowlist: None,
        }
    }
}

impl Config {
    /// Parses a TOML document; missing keys keep their defaults, unknown keys are refused.
    /// The server's sections ([`SERVER_SECTIONS`]: `[server]`, `[four_eyes]` …) are left to
    /// `banchi serve` (crate `banchi-server`), which reads the same file: they are skipped
    /// here.
    pub fn from_toml_str(text: &str) -> Result<Config, ConfigError> {
        let mut table: toml::Table =
            toml::from_str(text).map_err(|e| ConfigError::Toml(e.message().to_owned()))?;
        for section in SERVER_SECTIONS {
            table.remove(*section);
        }
        let cfg: Config = table
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Toml(e.message().to_owned()))?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Reads a TOML file.
    pub fn from_path(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::from_toml_str(&text).map_err(|e| match e {
            ConfigError::Toml(m) => ConfigError::File {
                path: path.to_owned(),
                message: m,
            },
            other => other,
        })
    }

    /// The configuration as TOML (every key, effective values).
    pub fn to_toml_string(&self) -> String {
        // Serializing plain structs of integers cannot fail; fall back to an empty document.
        toml::to_string(self).unwrap_or_default()
    }

    /// Checks the thresholds are ordered and within 0–100.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let s = &self.score;
        if !(1..=100).contains(&s.medium_from)
            || !(1..=100).contains(&s.high_from)
            || s.medium_from >= s.high_from
        {
            return Err(ConfigError::Invalid(format!(
                "score levels must satisfy 1 <= medium_from < high_from <= 100 (got {} and {})",
                s.medium_from, s.high_from
            )));
        }
        if s.alert_threshold > 100 {
            return Err(ConfigError::Invalid(format!(
                "alert_threshold must be at most 100 (got {})",
                s.alert_threshold
            )));
        }
        self.velocity.state_window_minutes()?;
        if self.matching.max_matches == 0 {
            return Err(ConfigError::Invalid(
                "matching.max_matches must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_document_is_the_default() {
        assert_eq!(Config::from_toml_str("").unwrap(), Config::default());
    }

    #[test]
    fn bundled_file_states_the_defaults() {
        let text = include_str!("../data/banchi.toml");
        assert_eq!(Config::from_toml_str(text).unwrap(), Config::default());
    }

    #[test]
    fn shown_config_reads_back() {
        let mut c = Config::default();
        c.weights.po_box = 40;
        c.matching.near_distance = 3;
        let back = Config::from_toml_str(&c.to_toml_string()).unwrap();
        assert_eq!(back, c);
    }

    #[test]
    fn server_section_is_left_to_the_server() {
        let cfg = Config::from_toml_str(
            "[server]\nlisten = \"127.0.0.1:9000\"\n[weights]\npo_box = 40\n",
        )
        .unwrap();
        assert_eq!(cfg.weights.po_box, 40);
        assert!(!cfg.to_toml_string().contains("listen"));
        let cfg = Config::from_toml_str(
            "[four_eyes]\nlists = [\"fraud\"]\npending_grade = \"caution\"\n[weights]\npo_box = 41\n",
        )
        .unwrap();
        assert_eq!(cfg.weights.po_box, 41);
        assert!(!cfg.to_toml_string().contains("four_eyes"));
    }

    #[test]
    fn unknown_keys_and_bad_levels_are_refused() {
        assert!(matches!(
            Config::from_toml_str("[weights]\nfraud_dangr = 1\n"),
            Err(ConfigError::Toml(_))
        ));
        assert!(matches!(
            Config::from_toml_str("[score]\nmedium_from = 80\nhigh_from = 70\n"),
            Err(ConfigError::Invalid(_))
        ));
        assert!(Config::from_toml_str("[weights]\nfraud_danger = -1\n").is_err());
        for bad in ["7", "7w", "0d", "d", "-1h"] {
            assert!(
                Config::from_toml_str(&format!("[velocity]\nstate_window = \"{bad}\"\n")).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn state_window_in_hours_or_days() {
        let c = Config::from_toml_str("[velocity]\nstate_window = \"36h\"\n").unwrap();
        assert_eq!(c.velocity.state_window_minutes().unwrap(), 36 * 60);
        assert_eq!(
            Config::default().velocity.state_window_minutes().unwrap(),
            7 * 24 * 60
        );
        let c = Config::from_toml_str(
            "[velocity]\nkey_file = \"/secure/banchi.key\"\nallowlist = \"shared.txt\"\n",
        )
        .unwrap();
        assert_eq!(
            c.velocity.key_file.as_deref(),
            Some(Path::new("/secure/banchi.key"))
        );
        assert_eq!(Config::from_toml_str(&c.to_toml_string()).unwrap(), c);
    }
}
