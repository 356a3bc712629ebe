//! `banchi index`: build a watchlist index file from a list CSV, or describe one.
//!
//! `build` parses every address of the CSV (in parallel), writes the FST and the records into
//! one file with a format version and a checksum (atomically: a reader of the old file never
//! sees a half-written one) and reports, on stderr, the rows it could not index — by line
//! number, never by address unless `--verbose` asks for it — and how many rows took a fallback
//! key (town not in the gazetteer). `info` checks a file and prints what it holds, the same
//! load report included.

use super::lists::print_rejected_addresses;
use anyhow::{Context, Result};
use banchi::watchlist::{ListKind, Watchlist};
use banchi::Parser;
use std::path::PathBuf;
use std::time::Instant;

/// Arguments of `banchi index`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  banchi index build fraud.csv -o fraud.idx
  banchi index build forwarders.csv -o forwarders.idx --kind forwarder
  banchi index info fraud.idx
  banchi screen orders.csv -o out.csv --fraud fraud.idx   # use it")]
pub struct Args {
    #[command(subcommand)]
    pub command: IndexCommand,
}

/// `banchi index` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum IndexCommand {
    /// Build an index file from a list CSV.
    #[command(
        after_help = "Examples:\n  banchi index build fraud.csv -o fraud.idx\n  banchi index build fraud.csv -o fraud.idx --max-rejected 0   # refuse any unindexable row\n  banchi index build fraud.csv -o fraud.idx --verbose          # print rejected rows' addresses\n  banchi index build forwarders.csv -o forwarders.idx --kind forwarder\n\nThe CSV needs a header with an `address` column; `id`, `reason`, `status` are\noptional (`service` is required for --kind forwarder); other columns are returned with\nevery match. A row whose town is not in the gazetteer (or not written) is indexed under a\nfallback key and counted apart; rows with no municipality, no block number or an ambiguous\nmunicipality are reported by line number.\n\nExit status: 0 when written (even with rejected rows, unless --max-rejected is exceeded),\n2 on a malformed CSV or an I/O error."
    )]
    Build {
        /// The list CSV (or, with --store postgres, nothing: the list named by --list).
        #[arg(required_unless_present = "store")]
        list: Option<PathBuf>,
        /// Read the list from the PostgreSQL store (URL in BANCHI_DATABASE_URL) instead of a
        /// CSV, so that bulk runs, Python and Spark screen against the service's lists.
        #[arg(long, value_enum, requires = "store_list")]
        store: Option<super::store::StoreArg>,
        /// With --store: which list (its kind follows).
        #[arg(long = "list", value_enum, value_name = "LIST", id = "store_list")]
        store_list: Option<super::store::ListArg>,
        /// The index file to write.
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
        /// What the list is for.
        #[arg(long, value_enum, default_value_t = KindArg::Fraud)]
        kind: KindArg,
        /// Refuse to write the index when more rows than this could not be indexed.
        #[arg(long, value_name = "N")]
        max_rejected: Option<u64>,
        /// Also print the address of every rejected row (off by default: fraud lists hold
        /// victims' addresses, and stderr often ends up in shared logs).
        #[arg(short, long)]
        verbose: bool,
    },
    /// Check an index file and print what it holds.
    #[command(after_help = "\
Examples:
  banchi index info fraud.idx

Verifies the magic, format version and CRC-32, walks every block, then prints the kind,
record and block counts, columns, size and the load report of the CSV it was built from
(rows indexed exactly, by fallback key with the reason, disabled and rejected). An index
written by an older format version is refused: rebuild it with `banchi index build`.

Exit status: 0 when the file verifies, 2 when it is foreign, truncated or corrupt.")]
    Info {
        /// The index file.
        index: PathBuf,
    },
}

/// `--kind` values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum KindArg {
    /// Past-fraud delivery points.
    Fraud,
    /// Forwarding-service warehouses (needs a `service` column).
    Forwarder,
}

impl From<KindArg> for ListKind {
    fn from(k: KindArg) -> ListKind {
        match k {
            KindArg::Fraud => ListKind::Fraud,
            KindArg::Forwarder => ListKind::Forwarder,
        }
    }
}

/// Runs `banchi index`.
pub fn run(args: Args) -> Result<u8> {
    match args.command {
        IndexCommand::Build {
            list,
            store,
            store_list,
            output,
            kind,
            max_rejected,
            verbose,
        } => {
            let start = Instant::now();
            let parser = Parser::new();
            let (wl, list) = match (store, store_list, list) {
                (Some(super::store::StoreArg::Postgres), Some(name), _) => {
                    let name = banchi_store::ListName::from(name);
                    let wl = super::store::list_from_store(name, &parser)?.with_context(|| {
                        format!("the {} list is not in the store", name.as_str())
                    })?;
                    (wl, PathBuf::from(format!("store:{}", name.as_str())))
                }
                (_, _, Some(list)) => {
                    let wl = Watchlist::from_csv_path(&list, kind.into(), &parser)
                        .with_context(|| format!("reading {}", list.display()))?;
                    (wl, list)
                }
                _ => anyhow::bail!("give a list CSV, or --store postgres --list NAME"),
            };
            let built = start.elapsed();
            let report = wl.report();
            if verbose && store.is_none() {
                eprintln!("banchi: {}: {}", list.display(), report.counts());
                print_rejected_addresses(&list, report)?;
            } else {
                eprintln!("banchi: {}: {}", list.display(), report.summary(20));
            }
            if let Some(max) = max_rejected {
                if report.rejected.len() as u64 > max {
                    anyhow::bail!(
                        "{} rows could not be indexed (at most {max} allowed); nothing written",
                        report.rejected.len()
                    );
                }
            }
            wl.write_index(&output)
                .with_context(|| format!("writing {}", output.display()))?;
            eprintln!(
                "banchi: wrote {} ({} records, {} blocks, {:.1} MB) in {:.2}s (index built in {:.2}s)",
                output.display(),
                wl.len(),
                wl.blocks(),
                wl.body_size() as f64 / 1e6,
                start.elapsed().as_secs_f64(),
                built.as_secs_f64()
            );
            Ok(super::EXIT_OK)
        }
        IndexCommand::Info { index } => {
            let wl = Watchlist::open_index(&index)
                .with_context(|| format!("opening {}", index.display()))?;
            println!("kind:     {}", wl.kind().as_str());
            println!("records:  {}", wl.len());
            println!("blocks:   {}", wl.blocks());
            println!("columns:  {}", wl.columns().join(", "));
            println!("size:     {} bytes", wl.body_size());
            println!("source:   {}", wl.report().summary(20));
            Ok(super::EXIT_OK)
        }
    }
}
