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
