//! `banchi normalize`: addresses in, one JSON line each out.

use anyhow::Result;

/// Arguments of `banchi normalize`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Addresses to parse; with none, one address per line is read from stdin.
    pub addresses: Vec<String>,
}

/// Runs `banchi normalize`.
pub fn run(_args: Args) -> Result<u8> {
    Ok(super::EXIT_OK)
}
