//! Typed errors of the library.

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
    NotABlock(crate::address::Level),
    /// The address cannot be indexed for another reason (an ambiguous municipality…).
    #[error("the address cannot be indexed: {0}")]
    NotIndexable(crate::watchlist::RejectReason),
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
