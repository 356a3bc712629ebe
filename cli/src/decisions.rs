//! `banchi decisions candidates`: the block candidates of the decision store that
//! `banchi serve` keeps (`[decisions]`) — delivery points with enough fraud outcomes, or a
//! velocity burst followed by a chargeback, not on the fraud list — for an operator to
//! review and list with `banchi list add`.
//!
//! One line per candidate (TSV with a header): key, fraud outcomes, velocity then chargeback,
//! newest outcome, order ids; the address only with `--verbose` (it may be a victim's).

use super::lists::ListArgs;
use super::store::StoreArg;
use anyhow::{bail, Context, Result};
use banchi::config::Config;
use banchi_decisions::record::CandidateQuery;
use banchi_decisions::Decisions;
use std::io::Write;
use std::path::PathBuf;

/// `banchi decisions …`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Delivery points the outcomes say should be on the fraud list.
    Candidates(CandidatesArgs),
}

/// `banchi decisions candidates`.
#[derive(Debug, clap::Args)]
struct CandidatesArgs {
    /// The server's SQLite decision store (`decisions.sqlite` beside its fraud list).
    #[arg(long, value_name = "FILE", required_unless_present = "store")]
    db: Option<PathBuf>,
    /// Read the decisions (and the fraud list) from the PostgreSQL store (URL in
    /// BANCHI_DATABASE_URL).
    #[arg(long, value_enum, value_name = "STORE", conflicts_with = "db")]
    store: Option<StoreArg>,
    /// The fraud list (CSV or index) whose points are left out; with `--store` the store's.
    #[arg(long, value_name = "FILE")]
    fraud: Option<PathBuf>,
    /// Fraud outcomes (distinct orders) at one point that make a candidate.
    #[arg(long, default_value_t = 2, value_name = "N")]
    min_outcomes: u32,
    /// Days of outcomes to look at.
    #[arg(long, default_value_t = 90, value_name = "DAYS")]
    days: u32,
    /// Most candidates printed.
    #[arg(long, default_value_t = 100, value_name = "N")]
    limit: usize,
    /// Also print each candidate's newest address.
    #[arg(short, long)]
    verbose: bool,
}

/// Runs `banchi decisions`.
pub fn run(args: Args) -> Result<u8> {
    match args.command {
        Command::Candidates(a) => candidates(a),
    }
}

fn candidates(a: CandidatesArgs) -> Result<u8> {
    if a.limit == 0 || a.min_outcomes == 0 {
        bail!("--limit and --min-outcomes must be at least 1");
    }
    let lists = ListArgs {
        fraud: a.fraud.clone(),
        store: a.store,
        forwarders: None,
        no_forwarders: true,
        near: None,
        verbose: false,
    };
    let screener = lists.screener(&Config::default())?;
    let since_ms = banchi_decisions::now_ms() - i64::from(a.days) * 86_400_000;
    let query = CandidateQuery {
        min_fraud_outcomes: a.min_outcomes,
        since_ms,
        limit: a.limit.saturating_mul(2),
    };
    let rt = super::store::runtime()?;
    let found = rt.block_on(async {
        let d = match (&a.db, a.store) {
            (Some(path), _) => {
                if !path.exists() {
                    bail!("{}: no such decision store", path.display());
                }
                Decisions::sqlite(path).with_context(|| format!("opening {}", path.display()))?
            }
            (None, Some(StoreArg::Postgres)) => {
                Decisions::postgres(super::store::store(true).await?)
            }
            (None, None) => bail!("give --db FILE or --store postgres"),
        };
        Ok(d.candidates(query).await?)
    })?;
    let mut out = std::io::stdout().lock();
    let mut header =
        "key\tfraud_outcomes\tvelocity_then_chargeback\tlast_outcome\torders".to_owned();
    if a.verbose {
        header.push_str("\taddress");
    }
    writeln!(out, "{header}")?;
    let mut printed = 0;
    for c in found {
        if printed == a.limit {
            break;
        }
        if screener.check(&c.address).fraud.same_unit().is_some() {
            continue;
        }
        let last = banchi_server::routes::reviews::rfc3339(c.last_outcome_ms);
        write!(
            out,
            "{}\t{}\t{}\t{}\t{}",
            c.key,
            c.fraud_outcomes,
            c.velocity_then_chargeback,
            last,
            c.orders.join(",")
        )?;
        if a.verbose {
            write!(out, "\t{}", c.address)?;
        }
        writeln!(out)?;
        printed += 1;
    }
    Ok(0)
}
