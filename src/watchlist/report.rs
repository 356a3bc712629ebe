//! What loading a list did with each row: indexed (exactly or by fallback key), disabled, or
//! rejected and why.
//!
//! A list is never silently shorter than its file: every data row is counted in exactly one of
//! [`LoadReport::indexed`], [`LoadReport::disabled`] or [`LoadReport::rejected`]. Of the indexed
//! rows, [`LoadReport::fallback`] counts those whose town is not in the gazetteer as written
//! (or not written at all) and that are indexed under a fallback key instead (see
//! [`super::key`]), by [`FallbackReason`]. Rejections carry the CSV line number and a reason
//! ([`RejectReason`], defined in [`crate::error`] beside the list errors that carry it),
//! never the address text (fraud lists hold victims' addresses).

pub use crate::error::RejectReason;
use serde::Serialize;
use std::fmt;

/// Why a row was indexed under a fallback key rather than its gazetteer town.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FallbackReason {
    /// The town is written but not in the gazetteer as written (anomaly `unknown_town`).
    UnknownTown,
    /// No town is written: the municipality is followed directly by its block number
    /// (anomaly `missing_town`, `〇〇村1234番地`).
    MissingTown,
}

impl FallbackReason {
    /// The snake_case name (the anomaly code it comes from).
    pub fn as_str(self) -> &'static str {
        match self {
            FallbackReason::UnknownTown => "unknown_town",
            FallbackReason::MissingTown => "missing_town",
        }
    }
}

impl fmt::Display for FallbackReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Indexed rows that took a fallback key, by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FallbackCounts {
    /// Town written but not in the gazetteer.
    pub unknown_town: u64,
    /// No town written.
    pub missing_town: u64,
}

impl FallbackCounts {
    /// Counts one row.
    pub fn add(&mut self, reason: FallbackReason) {
        match reason {
            FallbackReason::UnknownTown => self.unknown_town += 1,
            FallbackReason::MissingTown => self.missing_town += 1,
        }
    }

    /// All fallback rows.
    pub fn total(&self) -> u64 {
        self.unknown_town.saturating_add(self.missing_town)
    }
}

/// One row that was not indexed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RejectedRow {
    /// 1-based line of the CSV file where the row starts (the header is line 1).
    pub line: u64,
    /// Why.
    pub reason: RejectReason,
}

/// What loading a list did with its rows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LoadReport {
    /// Data rows read (the header not counted).
    pub rows: u64,
    /// Rows in the index, exactly and by fallback key.
    pub indexed: u64,
    /// Of the indexed rows, those indexed under a fallback key (their town is not in the
    /// gazetteer as written, or not written), by reason.
    pub fallback: FallbackCounts,
    /// Rows whose `status` is `disabled`: kept in the file, not matched.
    pub disabled: u64,
    /// Rows that could not be indexed, in line order.
    pub rejected: Vec<RejectedRow>,
}

impl LoadReport {
    /// True when every row is accounted for once.
    pub fn is_consistent(&self) -> bool {
        self.fallback.total() <= self.indexed
            && self
                .indexed
                .checked_add(self.disabled)
                .and_then(|n| n.checked_add(self.rejected.len() as u64))
                == Some(self.rows)
    }

    /// Rows indexed under their gazetteer town (not by fallback key).
    pub fn exact(&self) -> u64 {
        self.indexed.saturating_sub(self.fallback.total())
    }

    /// The counts of [`LoadReport::summary`] without the rejected rows' lines: the old first
    /// line, the `indexed:` line and, when a row was rejected, the `rejected:` counts.
    pub fn counts(&self) -> String {
        let mut s = format!(
            "{} rows: {} indexed, {} disabled, {} rejected",
            self.rows,
            self.indexed,
            self.disabled,
            self.rejected.len()
        );
        s.push_str(&format!(
            "\n  indexed: {} exactly, {} by fallback key ({} {}, {} {})",
            self.exact(),
            self.fallback.total(),
            self.fallback.unknown_town,
            FallbackReason::UnknownTown,
            self.fallback.missing_town,
            FallbackReason::MissingTown,
        ));
        if !self.rejected.is_empty() {
            // Counts by reason, in order of first appearance.
            let mut counts: Vec<(&'static str, u64)> = Vec::new();
            for r in &self.rejected {
                let name = r.reason.name();
                match counts.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, c)) => *c += 1,
                    None => counts.push((name, 1)),
                }
            }
            let counts: Vec<String> = counts.iter().map(|(n, c)| format!("{c} {n}")).collect();
            s.push_str(&format!("\n  rejected: {}", counts.join(", ")));
        }
        s
    }

    /// A one-paragraph summary — never any address text:
    ///
    /// ```text
    /// 5 rows: 3 indexed, 0 disabled, 2 rejected
    ///   indexed: 2 exactly, 1 by fallback key (1 unknown_town, 0 missing_town)
    ///   rejected: 1 no_block_number, 1 ambiguous_municipality
    ///   line 4: no block number (banchi) found (resolved to town level)
    /// ```
    ///
    /// The first line keeps the shape it always had (scripts read it); the `indexed:` line
    /// follows it always, the `rejected:` counts when a row was rejected, then the rejected
    /// rows' line numbers and reasons (at most `max_lines` of them).
    pub fn summary(&self, max_lines: usize) -> String {
        let mut s = self.counts();
        for r in self.rejected.iter().take(max_lines) {
            s.push_str(&format!("\n  line {}: {}", r.line, r.reason));
        }
        if self.rejected.len() > max_lines {
            s.push_str(&format!(
                "\n  … and {} more",
                self.rejected.len() - max_lines
            ));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::Level;

    #[test]
    fn summary_lists_lines_only() {
        let mut rejected: Vec<RejectedRow> = (1..=3)
            .map(|i| RejectedRow {
                line: i + 1,
                reason: RejectReason::NoBlockNumber(Level::Town),
            })
            .collect();
        rejected.push(RejectedRow {
            line: 9,
            reason: RejectReason::AmbiguousMunicipality,
        });
        let r = LoadReport {
            rows: 7,
            indexed: 3,
            fallback: FallbackCounts {
                unknown_town: 1,
                missing_town: 1,
            },
            disabled: 0,
            rejected,
        };
        assert!(r.is_consistent());
        assert_eq!(r.exact(), 1);
        let s = r.summary(2);
        let lines: Vec<&str> = s.lines().collect();
        // The first line keeps its old shape exactly; the fallback count comes after it.
        assert_eq!(lines[0], "7 rows: 3 indexed, 0 disabled, 4 rejected");
        assert_eq!(
            lines[1],
            "  indexed: 1 exactly, 2 by fallback key (1 unknown_town, 1 missing_town)"
        );
        assert_eq!(
            lines[2],
            "  rejected: 3 no_block_number, 1 ambiguous_municipality"
        );
        assert_eq!(
            lines[3],
            "  line 2: no block number (banchi) found (resolved to town level)"
        );
        assert!(s.contains("… and 2 more"));
        assert!(!s.contains("line 4") && !s.contains("line 9"));
        let none = LoadReport {
            rows: 1,
            indexed: 1,
            ..LoadReport::default()
        };
        assert_eq!(
            none.summary(5),
            "1 rows: 1 indexed, 0 disabled, 0 rejected\n  indexed: 1 exactly, 0 by fallback key (0 unknown_town, 0 missing_town)"
        );
    }

    #[test]
    fn fallback_beyond_indexed_is_inconsistent() {
        let r = LoadReport {
            rows: 1,
            indexed: 1,
            fallback: FallbackCounts {
                unknown_town: 2,
                missing_town: 0,
            },
            ..LoadReport::default()
        };
        assert!(!r.is_consistent());
    }
}
