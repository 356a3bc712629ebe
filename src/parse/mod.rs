//! Parsing: normalized text → [`Address`] (placeholder until the parser lands).

use crate::address::Address;
use crate::error::ParseError;

/// Parses addresses against the built-in gazetteer. Cheap to create, `Send + Sync`.
#[derive(Debug, Clone, Default)]
pub struct Parser {}

impl Parser {
    /// A parser over the built-in gazetteer.
    pub fn new() -> Self {
        Parser {}
    }

    /// Parses one address.
    pub fn parse(&self, input: &str) -> Result<Address, ParseError> {
        if input.trim().is_empty() {
            return Err(ParseError::Empty);
        }
        Err(ParseError::Unrecognized)
    }
}
