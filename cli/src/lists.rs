//! The watchlists a subcommand screens against: the `--fraud`, `--forwarders`,
//! `--no-forwarders`, `--near` and `--verbose` arguments that `check` and `screen` share, the
//! screener built from them, and the one place that may print a list row's address
//! (`--verbose`, also used by `index build`).

use anyhow::{bail, Context, Result};
use banchi::config::Config;
use banchi::watchlist::{file::looks_like_index, ListKind, LoadReport, MatchOptions, Watchlist};
use banchi::{Parser, Screener};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The list arguments of `check` and `screen`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Fraud list: a list CSV or an index file from `banchi index build`.
    #[arg(long, value_name = "FILE")]
    pub fraud: Option<PathBuf>,
    /// Read both lists from the PostgreSQL store (URL in BANCHI_DATABASE_URL): the lists
    /// the service screens against (the forwarders: the bundled list until one is imported).
    #[arg(long, value_enum, value_name = "STORE", conflicts_with_all = ["fraud", "forwarders"])]
    pub store: Option<super::store::StoreArg>,
    /// Forwarding-warehouse list (CSV or index); default: the bundled data/forwarders.csv.
    #[arg(long, value_name = "FILE")]
    pub forwarders: Option<PathBuf>,
    /// Do not screen against any forwarder list.
    #[arg(long, conflicts_with = "forwarders")]
    pub no_forwarders: bool,
    /// Largest banchi difference still graded near (warning / possible); default 2, or the
    /// configuration's `near_distance`.
    #[arg(long, value_name = "N")]
    pub near: Option<u32>,
    /// Also print the address of every list row that could not be indexed (off by default:
    /// fraud lists hold victims' addresses, and stderr often ends up in shared logs).
    #[arg(short, long)]
    pub verbose: bool,
}

impl ListArgs {
    /// A screener over the fraud list (none without `--fraud`) and the forwarder list (the
    /// bundled one unless `--forwarders` or `--no-forwarders`), matching with `config`'s
    /// options and `--near` over them.
    pub fn screener(&self, config: &Config) -> Result<Screener> {
        let options = MatchOptions {
            near_distance: self.near.unwrap_or(config.matching.near_distance),
            ..config.matching.options()
        };
        let parser = Parser::new();
        let mut s = Screener::new(parser).with_options(options);
        let from_store = |name| -> Result<Option<Watchlist>> {
            match self.store {
                Some(_) => super::store::list_from_store(name, &parser),
                None => Ok(None),
            }
        };
        if let Some(p) = &self.fraud {
            s = s.with_fraud(self.open(p, ListKind::Fraud, &parser)?);
        } else if let Some(list) = from_store(banchi_store::ListName::Fraud)? {
            s = s.with_fraud(list);
        }
        if !self.no_forwarders {
            let stored = from_store(banchi_store::ListName::Forwarders)?;
            let fw = match (&self.forwarders, stored) {
                (Some(p), _) => self.open(p, ListKind::Forwarder, &parser)?,
                (None, Some(list)) => list,
                (None, None) => Watchlist::bundled_forwarders(&parser)
                    .context("loading the bundled forwarder list")?,
            };
            s = s.with_forwarders(fw);
        }
        Ok(s)
    }

    /// Opens a list given on the command line; reports rejected rows on stderr by line number
    /// (and, with `--verbose`, by address too).
    fn open(&self, path: &Path, kind: ListKind, parser: &Parser) -> Result<Watchlist> {
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
            let label = format!("banchi: {} list {}", kind.as_str(), path.display());
            if self.verbose && !looks_like_index(path)? {
                eprintln!("{label}: {}", report.counts());
                print_rejected_addresses(path, report)?;
            } else {
                eprintln!("{label}: {}", report.summary(10));
                if self.verbose {
                    eprintln!(
                        "  (the rejected rows are in the CSV this index was built from: \
                         `banchi index build LIST.csv --verbose` prints them)"
                    );
                }
            }
        }
        Ok(list)
    }
}

/// `--verbose`: each rejected row's line, reason and address cell, as the list CSV at `list`
/// holds it. The only code that prints a list row's address.
pub fn print_rejected_addresses(list: &Path, report: &LoadReport) -> Result<()> {
    let reasons: HashMap<u64, String> = report
        .rejected
        .iter()
        .map(|r| (r.line, r.reason.to_string()))
        .collect();
    if reasons.is_empty() {
        return Ok(());
    }
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(list)
        .with_context(|| format!("reading {}", list.display()))?;
    let address = rdr.byte_headers()?.iter().position(|h| {
        String::from_utf8_lossy(h)
            .trim_start_matches('\u{feff}')
            .trim()
            .eq_ignore_ascii_case("address")
    });
    for record in rdr.byte_records() {
        // A row the loader could not read either is already named by its line above.
        let Ok(record) = record else { continue };
        let Some(line) = record.position().map(|p| p.line()) else {
            continue;
        };
        if let Some(reason) = reasons.get(&line) {
            let cell = address.and_then(|i| record.get(i)).unwrap_or_default();
            eprintln!(
                "  line {line}: {reason}: {}",
                String::from_utf8_lossy(cell).replace(['\n', '\r'], " ")
            );
        }
    }
    Ok(())
}
