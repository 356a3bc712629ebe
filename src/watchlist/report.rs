//! What loading a list did with each row: indexed, disabled, or rejected and why.
//!
//! A list is never silently shorter than its file: every data row is counted in exactly one of
//! [`LoadReport::indexed`], [`LoadReport::disabled`] or [`LoadReport::rejected`]. Rejections carry
//! the CSV line number and a reason, never the address text (fraud lists hold victims'
//! addresses).

use crate::address::Level;
use crate::error::ParseError;
use serde::Serialize;
use std::fmt;

/// Why a list row was not indexed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum RejectReason {
    /// The address cell is empty.
    EmptyAddress,
    /// The address is longer than the parser accepts.
    TooLong,
    /// No prefecture, municipality or town was recognised.
    Unrecognized,
    /// The address resolved, but not down to a block (banchi).
    BelowBlock(Level),
    /// The `id` cell is empty.
    EmptyId,
    /// The address cell spans several lines (often a broken quote).
    MultilineAddress,
    /// A name holds a NUL character.
    NulCharacter,
    /// The address bytes are not UTF-8.
    NotUtf8,
}

impl RejectReason {
    /// The reason for a parse error.
    pub fn from_parse_error(e: &ParseError) -> RejectReason {
        match e {
            ParseError::Empty => RejectReason::EmptyAddress,
            ParseError::TooLong { .. } => RejectReason::TooLong,
            ParseError::Unrecognized => RejectReason::Unrecognized,
            ParseError::InvalidUtf8 => RejectReason::NotUtf8,
        }
    }

    /// Stored form: (code, level byte).
    pub(crate) fn code(self) -> (u8, u8) {
        match self {
            RejectReason::EmptyAddress => (1, 0),
            RejectReason::TooLong => (2, 0),
            RejectReason::Unrecognized => (3, 0),
            RejectReason::BelowBlock(l) => (4, super::table::level_code(l)),
            RejectReason::EmptyId => (5, 0),
            RejectReason::MultilineAddress => (6, 0),
            RejectReason::NulCharacter => (7, 0),
            RejectReason::NotUtf8 => (8, 0),
        }
    }

    /// Reads the stored form.
    pub(crate) fn from_code(code: u8, level: u8) -> Option<RejectReason> {
        Some(match code {
            1 => RejectReason::EmptyAddress,
            2 => RejectReason::TooLong,
            3 => RejectReason::Unrecognized,
            4 => RejectReason::BelowBlock(super::table::level_from_code(level)?),
            5 => RejectReason::EmptyId,
            6 => RejectReason::MultilineAddress,
            7 => RejectReason::NulCharacter,
            8 => RejectReason::NotUtf8,
            _ => return None,
        })
    }
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RejectReason::EmptyAddress => f.write_str("empty address"),
            RejectReason::TooLong => f.write_str("address too long"),
            RejectReason::Unrecognized => f.write_str("no place name recognised"),
            RejectReason::BelowBlock(l) => write!(f, "resolved only to {l} level, not a block"),
            RejectReason::EmptyId => f.write_str("empty id"),
            RejectReason::MultilineAddress => {
                f.write_str("address spans several lines (broken quoting?)")
            }
            RejectReason::NulCharacter => f.write_str("NUL character in the address"),
            RejectReason::NotUtf8 => f.write_str("address is not UTF-8"),
        }
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
    /// Rows in the index.
    pub indexed: u64,
    /// Rows whose `status` is `disabled`: kept in the file, not matched.
    pub disabled: u64,
    /// Rows that could not be indexed, in line order.
    pub rejected: Vec<RejectedRow>,
}

impl LoadReport {
    /// True when every row is accounted for once.
    pub fn is_consistent(&self) -> bool {
        self.indexed
            .checked_add(self.disabled)
            .and_then(|n| n.checked_add(self.rejected.len() as u64))
            == Some(self.rows)
    }

    /// A one-paragraph summary with the rejected line numbers (at most `max_lines` of them) —
    /// never any address text.
    pub fn summary(&self, max_lines: usize) -> String {
        let mut s = format!(
            "{} rows: {} indexed, {} disabled, {} rejected",
            self.rows,
            self.indexed,
            self.disabled,
            self.rejected.len()
        );
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

    #[test]
    fn codes_round_trip() {
        for r in [
            RejectReason::EmptyAddress,
            RejectReason::TooLong,
            RejectReason::Unrecognized,
            RejectReason::BelowBlock(Level::Town),
            RejectReason::BelowBlock(Level::None),
            RejectReason::EmptyId,
            RejectReason::MultilineAddress,
            RejectReason::NulCharacter,
            RejectReason::NotUtf8,
        ] {
            let (c, l) = r.code();
            assert_eq!(RejectReason::from_code(c, l), Some(r));
        }
        assert_eq!(RejectReason::from_code(99, 0), None);
        assert_eq!(RejectReason::from_code(4, 99), None);
    }

    #[test]
    fn summary_lists_lines_only() {
        let r = LoadReport {
            rows: 5,
            indexed: 2,
            disabled: 0,
            rejected: (1..=3)
                .map(|i| RejectedRow {
                    line: i + 1,
                    reason: RejectReason::BelowBlock(Level::Town),
                })
                .collect(),
        };
        assert!(r.is_consistent());
        let s = r.summary(2);
        assert!(s.starts_with("5 rows: 2 indexed, 0 disabled, 3 rejected"));
        assert!(s.contains("line 2: resolved only to town level"));
        assert!(s.contains("… and 1 more"));
        assert!(!s.contains("line 4"));
    }
}
