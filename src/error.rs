//! Typed errors of the library, and [`RejectReason`]: why a list row was not indexed (the
//! load report counts it, [`ListError::NotIndexable`] carries it).

use crate::address::Level;
use serde::Serialize;
use std::fmt;
use thiserror::Error;

/// Longest input, in bytes, that [`crate::Parser::parse`] accepts. Real addresses are under
/// 200 bytes; the cap bounds the work one hostile line can cause.
pub const MAX_INPUT_BYTES: usize = 1024;

/// Why an input could not be parsed as an address at all.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseError {
    /// The input is empty or only white space.
    #[error("empty address")]
    Empty,
    /// The input is longer than [`MAX_INPUT_BYTES`].
    #[error("address too long: {len} bytes (at most {max})")]
    TooLong {
        /// Length of the input in bytes.
        len: usize,
        /// The cap.
        max: usize,
    },
    /// The input bytes are not UTF-8 (only from byte-oriented callers such as the CLI).
    #[error("input is not valid UTF-8")]
    InvalidUtf8,
    /// Nothing in the input is a Japanese place name the gazetteer knows.
    #[error("no prefecture, municipality or town recognised")]
    Unrecognized,
}

/// Why an index file (`banchi index build` output) was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IndexError {
    /// The file does not start with the index magic bytes: not a banchi index.
    #[error("not a banchi watchlist index (bad magic bytes)")]
    NotAnIndex,
    /// Written by another version of the format.
    #[error("index format version {found} is not supported (this build reads version {supported}); rebuild it with `banchi index build`")]
    UnsupportedVersion {
        /// Version in the file.
        found: u32,
        /// Version this build reads.
        supported: u32,
    },
    /// The file is shorter or longer than its header says.
    #[error("index file is truncated or padded: header says {expected} bytes, file has {actual}")]
    Truncated {
        /// Size the header announces.
        expected: u64,
        /// Size on disk.
        actual: u64,
    },
    /// The body does not match its checksum.
    #[error(
        "index file is corrupt: checksum {actual:08x} does not match the header's {expected:08x}"
    )]
    ChecksumMismatch {
        /// CRC-32 in the header.
        expected: u32,
        /// CRC-32 of the body read.
        actual: u32,
    },
    /// The body passed the checksum but its layout is inconsistent.
    #[error("index file is malformed: {0}")]
    Malformed(&'static str),
}

/// Why a watchlist could not be loaded, built or written.
#[derive(Debug, Error)]
pub enum WatchlistError {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The CSV has no header row.
    #[error("list CSV is empty: a header row with an `address` column is required")]
    EmptyCsv,
    /// A required column is missing from the header.
    #[error("list CSV has no `{column}` column (header: {header})")]
    MissingColumn {
        /// The missing column.
        column: &'static str,
        /// The header as read.
        header: String,
    },
    /// The header names one column twice.
    #[error("list CSV header names the column `{0}` twice")]
    DuplicateColumn(String),
    /// The CSV itself is malformed (unequal field counts, broken quoting, bad UTF-8).
    #[error("list CSV is malformed near line {line}: {message}")]
    Csv {
        /// 1-based line where the problem was seen.
        line: u64,
        /// What the CSV reader reported.
        message: String,
    },
    /// A complete line of a list's edit journal is not a row image (the file was damaged).
    #[error("{path}: line {line} of the edit journal is not a row image")]
    Journal {
        /// The journal file.
        path: std::path::PathBuf,
        /// 1-based line.
        line: u64,
    },
    /// Two rows share an id.
    #[error("duplicate id `{id}` on lines {first} and {second}")]
    DuplicateId {
        /// The id.
        id: String,
        /// Line of the first row.
        first: u64,
        /// Line of the repeat.
        second: u64,
    },
    /// The index file was refused.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// The FST could not be built (keys out of order: a bug).
    #[error("building the block index failed: {0}")]
    Fst(String),
    /// The list is too large for the format.
    #[error("list too large for the index format")]
    TooLarge,
}

/// Why a list-management operation (`banchi list …`) failed.
#[derive(Debug, Error)]
pub enum ListError {
    /// Loading or writing the list file failed.
    #[error(transparent)]
    Watchlist(#[from] WatchlistError),
    /// No entry has this id.
    #[error("no entry with id `{0}`")]
    UnknownId(String),
    /// An entry with this id exists already.
    #[error("an entry with id `{0}` exists already")]
    DuplicateId(String),
    /// The reason is not one of the codes.
    #[error("unknown reason `{0}` (use one of: chargeback, credit_master, resale, unpaid, forwarding, other)")]
    UnknownReason(String),
    /// The address has no municipality or no block number, so it could never match.
    #[error(
        "the address resolves only to {0} level; a list entry needs a municipality and a block number (banchi)"
    )]
    NotABlock(Level),
    /// The address cannot be indexed for another reason (an ambiguous municipality…).
    #[error("the address cannot be indexed: {0}")]
    NotIndexable(RejectReason),
    /// The address does not parse.
    #[error("the address does not parse: {0}")]
    Unparseable(#[from] ParseError),
    /// A required field is empty.
    #[error("`{0}` must not be empty")]
    Empty(&'static str),
    /// The entry is already in the requested state.
    #[error("entry `{id}` is already {status}")]
    AlreadyInState {
        /// The entry.
        id: String,
        /// Its status.
        status: &'static str,
    },
    /// A change of the entry waits for a second person's approval (four eyes): approve or
    /// reject it before changing the entry again.
    #[error("entry `{0}` has a change waiting for approval; approve or reject it first")]
    PendingChange(String),
    /// The entry has no change waiting for approval.
    #[error("entry `{0}` has no change waiting for approval")]
    NotPending(String),
    /// The person reviewing a pending change is the one who made it (four eyes: another
    /// person must approve or reject it).
    #[error("entry `{0}`'s pending change was made by the same person; another must review it")]
    OwnChange(String),
}

/// Why a list row was not indexed (a watchlist's load report, [`crate::watchlist::LoadReport`],
/// counts each one; [`ListError::NotIndexable`] carries it). Re-exported as
/// `banchi::watchlist::RejectReason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum RejectReason {
    /// The address cell is empty.
    EmptyAddress,
    /// The address is longer than the parser accepts.
    TooLong,
    /// No prefecture, municipality or town was recognised.
    Unrecognized,
    /// No municipality was found (the address resolved to this level only).
    NoMunicipality(Level),
    /// No block number (banchi) was found after the municipality or town (the address
    /// resolved to this level).
    NoBlockNumber(Level),
    /// The municipality name fits several municipalities (`府中市` with no prefecture and no
    /// postal code) and the town does not tell them apart.
    AmbiguousMunicipality,
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

    /// A stable snake_case name, used in the report's counts by reason.
    pub fn name(self) -> &'static str {
        match self {
            RejectReason::EmptyAddress => "empty_address",
            RejectReason::TooLong => "too_long",
            RejectReason::Unrecognized => "unrecognized",
            RejectReason::NoMunicipality(_) => "no_municipality",
            RejectReason::NoBlockNumber(_) => "no_block_number",
            RejectReason::AmbiguousMunicipality => "ambiguous_municipality",
            RejectReason::EmptyId => "empty_id",
            RejectReason::MultilineAddress => "multiline_address",
            RejectReason::NulCharacter => "nul_character",
            RejectReason::NotUtf8 => "not_utf8",
        }
    }

    /// Stored form: (code, level byte).
    pub(crate) fn code(self) -> (u8, u8) {
        match self {
            RejectReason::EmptyAddress => (1, 0),
            RejectReason::TooLong => (2, 0),
            RejectReason::Unrecognized => (3, 0),
            RejectReason::NoMunicipality(l) => (9, l.code()),
            RejectReason::NoBlockNumber(l) => (10, l.code()),
            RejectReason::AmbiguousMunicipality => (11, 0),
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
            9 => RejectReason::NoMunicipality(Level::from_code(level)?),
            10 => RejectReason::NoBlockNumber(Level::from_code(level)?),
            11 => RejectReason::AmbiguousMunicipality,
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
            RejectReason::NoMunicipality(l) => {
                write!(f, "no municipality found (resolved only to {l} level)")
            }
            RejectReason::NoBlockNumber(l) => {
                write!(f, "no block number (banchi) found (resolved to {l} level)")
            }
            RejectReason::AmbiguousMunicipality => f.write_str(
                "the municipality is ambiguous (several fit; write the prefecture or the postal code)",
            ),
            RejectReason::EmptyId => f.write_str("empty id"),
            RejectReason::MultilineAddress => {
                f.write_str("address spans several lines (broken quoting?)")
            }
            RejectReason::NulCharacter => f.write_str("NUL character in the address"),
            RejectReason::NotUtf8 => f.write_str("address is not UTF-8"),
        }
    }
}

/// Why a configuration file (`--config FILE`) was refused.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The TOML is malformed or names an unknown key.
    #[error("configuration: {0}")]
    Toml(String),
    /// As [`ConfigError::Toml`], in a named file.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: std::path::PathBuf,
        /// What the TOML reader reported.
        message: String,
    },
    /// The values are inconsistent.
    #[error("configuration: {0}")]
    Invalid(String),
}

/// Why a bulk screening run (`banchi screen`) could not go on. Problems in single rows are
/// never errors: they fill that row's `error` column.
#[derive(Debug, Error)]
pub enum BulkError {
    /// Reading the input or writing the output failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The input has no header row (CSV/TSV).
    #[error("the input is empty: a header row is required")]
    NoHeader,
    /// No column holds the address.
    #[error("no address column: none of {wanted} in the header ({header}); name it with --address-column")]
    NoAddressColumn {
        /// The names looked for.
        wanted: String,
        /// The header's column names.
        header: String,
    },
    /// A column named on the command line is not in the header.
    #[error("column `{0}` is not in the input header")]
    UnknownColumn(String),
    /// The existing output cannot be resumed from.
    #[error("cannot resume: {0}")]
    Resume(String),
    /// The header row itself is unreadable.
    #[error("the header row is malformed: {0}")]
    BadHeader(String),
    /// The options ask for something this input or output cannot do.
    #[error("{0}")]
    Unsupported(String),
    /// The velocity state (`--velocity-state`) failed.
    #[error(transparent)]
    State(#[from] crate::bulk::state::StateError),
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
            RejectReason::NoMunicipality(Level::Prefecture),
            RejectReason::NoMunicipality(Level::None),
            RejectReason::NoBlockNumber(Level::Town),
            RejectReason::NoBlockNumber(Level::City),
            RejectReason::AmbiguousMunicipality,
            RejectReason::EmptyId,
            RejectReason::MultilineAddress,
            RejectReason::NulCharacter,
            RejectReason::NotUtf8,
        ] {
            let (c, l) = r.code();
            assert_eq!(RejectReason::from_code(c, l), Some(r));
        }
        assert_eq!(RejectReason::from_code(99, 0), None);
        assert_eq!(RejectReason::from_code(10, 99), None);
        // Version 1's "below block" code is not read (its files are refused anyway).
        assert_eq!(RejectReason::from_code(4, 3), None);
    }
}
