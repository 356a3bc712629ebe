//! The watchlists a subcommand screens against, opened from its `--fraud`, `--forwarders`
//! and `--no-forwarders` arguments (shared by `check` and `screen`).

use anyhow::{bail, Context, Result};
use banchi::watchlist::{ListKind, MatchOptions, Watchlist};
use banchi::{Parser, Screener};
use std::path::Path;

/// Opens a list given on the command line; reports rejected rows by line number on stderr.
pub fn open_list(path: &Path, kind: ListKind, parser: &Parser) -> Result<Watchlist> {
    let list = Watchlist::open(path, kind, parser)
        .with_context(|| format!("loading {} list {}", kind.as_str(), path.display()))?;
    if list.kind() != kind {
        bail!(
            "{} is an index of a {} list, not a {} list (rebuild it with `banchi index build --kind {}`)",
            path.display(),
            list.kind().as_str(),
            kind.as_str(),
            kind.as_str()
        );
    }
    let report = list.report();
    if !report.rejected.is_empty() {
        eprintln!(
            "banchi: {} list {}: {}",
            kind.as_str(),
            path.display(),
            report.summary(10)
        );
    }
    Ok(list)
}

/// A screener over the given fraud list (none when `None`) and forwarder list (the bundled
/// one when `None`, none at all with `no_forwarders`).
pub fn build_screener(
    fraud: Option<&Path>,
    forwarders: Option<&Path>,
    no_forwarders: bool,
    options: MatchOptions,
) -> Result<Screener> {
    let parser = Parser::new();
    let mut s = Screener::new(parser).with_options(options);
    if let Some(p) = fraud {
        s = s.with_fraud(open_list(p, ListKind::Fraud, &parser)?);
    }
    if !no_forwarders {
        let fw = match forwarders {
            Some(p) => open_list(p, ListKind::Forwarder, &parser)?,
            None => Watchlist::bundled_forwarders(&parser)
                .context("loading the bundled forwarder list")?,
        };
        s = s.with_forwarders(fw);
    }
    Ok(s)
}
