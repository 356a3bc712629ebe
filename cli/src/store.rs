//! `banchi store`: the lists kept in PostgreSQL for several `banchi serve` replicas —
//! `migrate`, `status`, `import`, `export`, `snapshot` — and the one way every other
//! subcommand reads a list from the store ([`list_from_store`]).
//!
//! The URL comes from `BANCHI_DATABASE_URL` or the file `BANCHI_DATABASE_URL_FILE` names,
//! never from the command line (see [`banchi_store::url`]); messages show `host:port/db`.

use anyhow::{Context, Result};
use banchi::watchlist::{ListFile, Watchlist};
use banchi::Parser;
use banchi_store::snapshot::index_rows;
use banchi_store::{DatabaseUrl, ListName, Store};
use std::path::PathBuf;
use std::time::Instant;

/// Arguments of `banchi store`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
The database URL is read from BANCHI_DATABASE_URL, or from the file named by
BANCHI_DATABASE_URL_FILE (postgresql://USER:PASSWORD@HOST:PORT/DB?sslmode=verify-full&sslrootcert=ca.pem).

Examples:
  banchi store migrate                               # as the role owning the tables
  banchi store import fraud.csv --list fraud
  banchi store import data/forwarders.csv --list forwarders
  banchi store status
  banchi store export --list fraud -o fraud.csv
  banchi index build --store postgres --list fraud -o fraud.idx   # for bulk runs, Python, Spark")]
pub struct Args {
    #[command(subcommand)]
    pub command: StoreCommand,
}

/// `banchi store` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum StoreCommand {
    /// Apply the schema migrations the database lacks (run it as the tables' owner).
    Migrate,
    /// Show the schema version, each list's entries, last change and snapshot.
    Status,
    /// Import a list CSV (its edit journal applied): new rows added, changed rows updated,
    /// each with its change-log image; then the list's snapshot is rebuilt.
    Import {
        /// The list CSV.
        file: PathBuf,
        /// Which list.
        #[arg(long, value_enum)]
        list: ListArg,
        /// Name recorded in the change log (default: $USER).
        #[arg(long, value_name = "NAME")]
        by: Option<String>,
    },
    /// Write a list as CSV (atomically, mode 0600), rows in list order.
    Export {
        /// Which list.
        #[arg(long, value_enum)]
        list: ListArg,
        /// The CSV to write.
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
    },
    /// Rebuild a list's index snapshot now (replicas do it once edits settle).
    Snapshot {
        /// Which list.
        #[arg(long, value_enum)]
        list: ListArg,
    },
}

/// `--store` values (`index build`, `check`, `screen`).
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum StoreArg {
    /// The PostgreSQL store.
    Postgres,
}

/// `--list` values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ListArg {
    /// The fraud list.
    Fraud,
    /// The forwarding-warehouse list.
    Forwarders,
}

impl From<ListArg> for ListName {
    fn from(l: ListArg) -> ListName {
        match l {
            ListArg::Fraud => ListName::Fraud,
            ListArg::Forwarders => ListName::Forwarders,
        }
    }
}

/// A runtime for the store's client (the CLI is otherwise synchronous).
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// The store at the environment's URL, its schema checked (`migrate`: not checked).
pub(crate) async fn store(check: bool) -> Result<Store> {
    let url = DatabaseUrl::from_env()?;
    if check {
        Ok(Store::open(url).await?)
    } else {
        Ok(Store::new(url)?)
    }
}

/// Runs `banchi store`.
pub fn run(args: Args) -> Result<u8> {
    runtime()?.block_on(run_async(args))
}

async fn run_async(args: Args) -> Result<u8> {
    match args.command {
        StoreCommand::Migrate => {
            let store = store(false).await?;
            let applied = store.migrate().await?;
            if applied.is_empty() {
                eprintln!(
                    "banchi: {}: schema up to date (version {})",
                    store.target(),
                    banchi_store::migrate::SCHEMA_VERSION
                );
            }
            for m in applied {
                eprintln!(
                    "banchi: {}: applied migration {} ({})",
                    store.target(),
                    m.version,
                    m.name
                );
            }
        }
        StoreCommand::Status => {
            let url = DatabaseUrl::from_env()?;
            let store = Store::new(url)?;
            let version = store.schema_version().await?;
            println!("database:  {}", store.target());
            println!(
                "schema:    {version} (this banchi: {})",
                banchi_store::migrate::SCHEMA_VERSION
            );
            store.check_schema().await?;
            println!("changes:   {}", store.last_seq().await?);
            let snapshots = store.snapshots().await?;
            for list in ListName::ALL {
                let counts = store.counts(list).await?;
                let snap = snapshots.iter().find(|s| s.list == list);
                match counts {
                    None => println!("{:<10} not in the store", list.as_str()),
                    Some((active, disabled, last)) => {
                        println!(
                            "{:<10} {active} active, {disabled} disabled, last change {}",
                            list.as_str(),
                            last.map_or("-".into(), |s| s.to_string())
                        );
                        match snap {
                            Some(s) => println!(
                                "{:<10} snapshot at change {} ({} rows, {:.1} MB, built in {:.1}s)",
                                "",
                                s.seq,
                                s.entries,
                                s.bytes as f64 / 1e6,
                                s.build_ms as f64 / 1e3
                            ),
                            None => println!("{:<10} no snapshot yet", ""),
                        }
                    }
                }
            }
            println!(
                "size:      {:.1} MB (banchi's tables)",
                store.size_bytes().await? as f64 / 1e6
            );
        }
        StoreCommand::Import { file, list, by } => {
            let store = store(true).await?;
            let started = Instant::now();
            let parsed =
                ListFile::open(&file).with_context(|| format!("reading {}", file.display()))?;
            let who = by
                .or_else(|| std::env::var("USER").ok())
                .unwrap_or_else(|| "banchi store import".into());
            let parser = Parser::new();
            let report = store.import(list.into(), &parsed, &parser, &who).await?;
            let imported = started.elapsed();
            eprintln!(
                "banchi: {} → {} list: {} added, {} updated, {} unchanged (last change {}) in {:.1}s",
                file.display(),
                ListName::from(list).as_str(),
                report.added,
                report.updated,
                report.unchanged,
                report.seq,
                imported.as_secs_f64()
            );
            let started = Instant::now();
            match store.build_snapshot(list.into(), &parser).await? {
                Some((info, _)) => eprintln!(
                    "banchi: snapshot at change {} ({} rows, {:.1} MB) in {:.1}s",
                    info.seq,
                    info.entries,
                    info.bytes as f64 / 1e6,
                    started.elapsed().as_secs_f64()
                ),
                None => eprintln!("banchi: a replica is building the snapshot"),
            }
        }
        StoreCommand::Export { list, output } => {
            let store = store(true).await?;
            match store.export(list.into(), &output).await? {
                Some(n) => eprintln!("banchi: wrote {} ({n} rows)", output.display()),
                None => anyhow::bail!(
                    "the {} list is not in the store (nothing written)",
                    ListName::from(list).as_str()
                ),
            }
        }
        StoreCommand::Snapshot { list } => {
            let store = store(true).await?;
            let started = Instant::now();
            match store.build_snapshot(list.into(), &Parser::new()).await? {
                Some((info, _)) => eprintln!(
                    "banchi: snapshot of the {} list at change {} ({} rows, {:.1} MB) in {:.1}s",
                    info.list.as_str(),
                    info.seq,
                    info.entries,
                    info.bytes as f64 / 1e6,
                    started.elapsed().as_secs_f64()
                ),
                None => eprintln!(
                    "banchi: not built: the list is not in the store, or a replica is building it"
                ),
            }
        }
    }
    Ok(super::EXIT_OK)
}

/// `list` as the store holds it now, indexed (`None`: not in the store). What `check`,
/// `screen` and `index build` read with `--store postgres`.
pub fn list_from_store(list: ListName, parser: &Parser) -> Result<Option<Watchlist>> {
    runtime()?.block_on(async {
        let store = store(true).await?;
        let Some(rows) = store.rows(list).await? else {
            return Ok(None);
        };
        Ok(Some(index_rows(list, rows, parser)?))
    })
}

/// The list a `banchi list` argument names in the store: `postgres:fraud` or
/// `postgres:forwarders` (`None`: a file path).
pub fn named_list(arg: &std::path::Path) -> Result<Option<ListName>> {
    match arg.to_str().and_then(|s| s.strip_prefix("postgres:")) {
        Some(name) => Ok(Some(name.parse()?)),
        None => Ok(None),
    }
}

/// `banchi list add postgres:LIST …`: the entry's id.
pub fn add_entry(
    list: ListName,
    new: &banchi::watchlist::manage::NewEntry<'_>,
    now: std::time::SystemTime,
) -> Result<String> {
    runtime()?.block_on(async {
        let store = store(true).await?;
        Ok(store.add(list, &Parser::new(), new, now).await?.id)
    })
}

/// `banchi list disable|enable postgres:LIST ID …`.
pub fn set_status(
    list: ListName,
    id: &str,
    by: &str,
    memo: Option<&str>,
    disable: bool,
    now: std::time::SystemTime,
) -> Result<()> {
    runtime()?.block_on(async {
        let store = store(true).await?;
        store.set_status(list, id, by, memo, disable, now).await?;
        Ok(())
    })
}

/// `banchi list approve|reject postgres:LIST ID --by WHO`: reviews the entry's pending
/// change (four eyes; never by whoever made it).
pub fn review(
    list: ListName,
    id: &str,
    verdict: banchi::watchlist::manage::Verdict,
    by: &str,
    memo: Option<&str>,
    now: std::time::SystemTime,
) -> Result<()> {
    runtime()?.block_on(async {
        let store = store(true).await?;
        store.review(list, id, verdict, by, memo, now).await?;
        Ok(())
    })
}

/// `banchi list show postgres:LIST [ID]`: the entries in list order (or the one).
pub fn entries(
    list: ListName,
    id: Option<&str>,
) -> Result<Vec<banchi::watchlist::manage::EntryView>> {
    runtime()?.block_on(async {
        let store = store(true).await?;
        if let Some(id) = id {
            let entry = store
                .entry(list, id)
                .await?
                .ok_or_else(|| banchi::error::ListError::UnknownId(id.to_owned()))?;
            return Ok(vec![entry]);
        }
        let mut all = Vec::new();
        loop {
            let after = all
                .last()
                .map(|e: &banchi::watchlist::manage::EntryView| e.id.clone());
            let Some((page, more)) = store.page(list, after.as_deref(), 1000, None).await? else {
                break;
            };
            all.extend(page);
            if !more {
                break;
            }
        }
        Ok(all)
    })
}
