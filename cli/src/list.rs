//! `banchi list`: maintain a list file as a CS team does — add, disable, enable, show.
//!
//! Each entry records a reason code, who registered it, when (UTC) and a memo; disabling
//! keeps the entry and its history but stops it matching. Every write replaces the file
//! atomically, under the list's writers' lock (concurrent `banchi list` runs queue, none is
//! lost); `--index FILE` rebuilds an index file from the list under the same lock. The file
//! stays a list CSV that `check --fraud` and `index build` read directly (format:
//! `banchi::watchlist::manage`).

use super::index::KindArg;
use anyhow::{Context, Result};
use banchi::watchlist::manage::{EntryView, NewEntry, Verdict};
use banchi::watchlist::{ListFile, ReasonCode, StatusEdit, Watchlist};
use banchi::Parser;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Arguments of `banchi list`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  banchi list add fraud.csv '東京都世田谷区三軒茶屋2-11-5-201' --reason chargeback --by sato
  banchi list disable fraud.csv 17 --by sato --memo 'refund confirmed'
  banchi list show fraud.csv
  banchi list add fraud.csv '大阪府大阪市北区梅田3-4-5' --reason resale --by kato --index fraud.idx

Every write is atomic and taken under the list's writers' lock (.fraud.csv.lock beside
fraud.csv), so concurrent runs queue instead of overwriting each other.

A list in the PostgreSQL store (`banchi serve --store postgres`) is named postgres:fraud or
postgres:forwarders (URL in BANCHI_DATABASE_URL): the same rules, one transaction per edit,
in force on every replica within a second:
  banchi list add postgres:fraud '東京都世田谷区三軒茶屋2-11-5-201' --reason chargeback --by sato
  banchi list show postgres:fraud 17

Exit status: 0 done, 2 on a usage error, an unknown id, an address with no municipality or no
block number (or an ambiguous municipality), or an I/O error.")]
pub struct Args {
    #[command(subcommand)]
    pub command: ListCommand,
}

/// `banchi list` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum ListCommand {
    /// Register an address (the file is created if missing).
    #[command(after_help = "\
Examples:
  banchi list add fraud.csv '東京都世田谷区三軒茶屋2-11-5 コーポ黒猫201' --reason chargeback --by sato
  banchi list add fraud.csv '東京都中央区銀座4-6-16' --reason unpaid --by kato --memo 'order 1234' --id F-88
  banchi list add fraud.csv '東京都中央区銀座4-6-16' --reason other --by kato --index fraud.idx

An address whose town is not in the gazetteer is accepted and indexed under a fallback key
(the town as written), as `index build` does.

Prints the id it registered. Exit status: 0, or 2 when the address has no municipality or
no block number, the id is taken, or the file cannot be written.")]
    Add {
        /// The list file (CSV).
        list: PathBuf,
        /// The address; it needs a municipality and a block number (banchi).
        address: String,
        /// Why: chargeback, credit_master, resale, unpaid, forwarding or other.
        #[arg(long, value_parser = parse_reason)]
        reason: ReasonCode,
        /// Who registers it.
        #[arg(long, value_name = "WHO")]
        by: String,
        /// Free text.
        #[arg(long)]
        memo: Option<String>,
        /// Id to use (default: the next free number).
        #[arg(long)]
        id: Option<String>,
        #[command(flatten)]
        index: IndexArgs,
    },
    /// Stop an entry matching; it stays in the file with its history.
    #[command(after_help = "\
Examples:
  banchi list disable fraud.csv 17 --by sato --memo 'refund confirmed'
  banchi list disable fraud.csv 17 --by sato --index fraud.idx

Exit status: 0, or 2 when the id is unknown or the file cannot be written.")]
    Disable(StatusArgs),
    /// Let a disabled entry match again.
    #[command(after_help = "\
Examples:
  banchi list enable fraud.csv 17 --by sato --memo 'chargeback after all'

Exit status: 0, or 2 when the id is unknown or the file cannot be written.")]
    Enable(StatusArgs),
    /// Approve an entry's pending change (four eyes: made through `banchi serve` on a list
    /// under `[four_eyes]`); it takes effect. Never by the person who made it.
    #[command(after_help = "\
Examples:
  banchi list approve fraud.csv 17 --by kato --memo 'chargeback confirmed'

Exit status: 0, or 2 when the id is unknown, nothing is pending, --by made the change, or
the file cannot be written.")]
    Approve(StatusArgs),
    /// Reject an entry's pending change: the entry stays as it was (a rejected add is kept,
    /// disabled). Never by the person who made it.
    #[command(after_help = "\
Examples:
  banchi list reject fraud.csv 17 --by kato --memo 'not ours'

Exit status: 0, or 2 when the id is unknown, nothing is pending, --by made the change, or
the file cannot be written.")]
    Reject(StatusArgs),
    /// Print the entries (or one), with their history.
    #[command(after_help = "\
Examples:
  banchi list show fraud.csv
  banchi list show fraud.csv 17
  banchi list show fraud.csv --json | jq -r 'select(.status == \"disabled\") | .id'

Prints addresses (that is what it is for): mind where its output goes.
Exit status: 0, or 2 when the id is unknown or the file cannot be read.")]
    Show {
        /// The list file.
        list: PathBuf,
        /// Only this entry.
        id: Option<String>,
        /// One JSON object per entry.
        #[arg(long)]
        json: bool,
    },
}

/// Arguments of `banchi list disable`, `enable`, `approve` and `reject`.
#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// The list file.
    list: PathBuf,
    /// The entry's id.
    id: String,
    /// Who disables, enables, approves or rejects it.
    #[arg(long, value_name = "WHO")]
    by: String,
    /// Why.
    #[arg(long)]
    memo: Option<String>,
    #[command(flatten)]
    index: IndexArgs,
}

/// Keeping an index file in step with the list.
#[derive(Debug, clap::Args)]
pub struct IndexArgs {
    /// Also rebuild this index file from the list after the change, under the same lock, so
    /// `check`/`screen --fraud FILE.idx` see it (the list is written first: a crash between
    /// the two leaves the index one change behind, never torn).
    #[arg(long, value_name = "FILE")]
    index: Option<PathBuf>,
    /// What the list is for (the index's kind).
    #[arg(long, value_enum, default_value_t = KindArg::Fraud, requires = "index")]
    kind: KindArg,
}

/// Applies one change to the list at `path` under its writers' lock, writes it back, rebuilds
/// the index when asked, and says what it did on stderr: `banchi: {done} entry {id} {place}`
/// (`place`: `to LIST` or `in LIST`). `change` returns the id it touched. Every write of
/// `banchi list` (add, disable, enable) takes this one path.
fn change(
    path: &Path,
    index: &IndexArgs,
    done: &str,
    place: &str,
    change: impl FnOnce(&mut ListFile) -> Result<String>,
) -> Result<()> {
    if let Some(name) = super::store::named_list(path)? {
        anyhow::bail!(
            "internal: the {} list of the store is not a file",
            name.as_str()
        );
    }
    let _lock = ListFile::lock(path)?;
    let mut file = ListFile::open(path)?;
    let id = change(&mut file)?;
    file.save()?;
    if let Some(out) = &index.index {
        let wl = Watchlist::from_csv_path(path, index.kind.into(), &Parser::new())
            .with_context(|| format!("rebuilding the index from {}", path.display()))?;
        wl.write_index(out)
            .with_context(|| format!("writing {}", out.display()))?;
    }
    eprintln!("banchi: {done} entry {id} {place} {}", path.display());
    Ok(())
}

/// `--index FILE` after a change in the store: the list as the store now holds it.
fn store_index(name: banchi_store::ListName, index: &IndexArgs) -> Result<()> {
    if let Some(out) = &index.index {
        let wl = super::store::list_from_store(name, &Parser::new())?
            .with_context(|| format!("the {} list is not in the store", name.as_str()))?;
        wl.write_index(out)
            .with_context(|| format!("writing {}", out.display()))?;
    }
    Ok(())
}

fn parse_reason(s: &str) -> Result<ReasonCode, String> {
    s.parse()
        .map_err(|e: banchi::error::ListError| e.to_string())
}

/// Runs `banchi list`.
pub fn run(args: Args) -> Result<u8> {
    let now = SystemTime::now();
    match args.command {
        ListCommand::Add {
            list,
            address,
            reason,
            by,
            memo,
            id,
            index,
        } => {
            if let Some(name) = super::store::named_list(&list)? {
                let new = NewEntry {
                    id: id.as_deref(),
                    address: &address,
                    reason,
                    by: &by,
                    memo: memo.as_deref(),
                };
                let id = super::store::add_entry(name, &new, now).context("adding the entry")?;
                store_index(name, &index)?;
                eprintln!(
                    "banchi: added entry {id} to the {} list of the store",
                    name.as_str()
                );
                return Ok(super::EXIT_OK);
            }
            change(&list, &index, "added", "to", |file| {
                file.add(
                    &Parser::new(),
                    &NewEntry {
                        id: id.as_deref(),
                        address: &address,
                        reason,
                        by: &by,
                        memo: memo.as_deref(),
                    },
                    now,
                )
                .context("adding the entry")
            })?;
        }
        ListCommand::Disable(a) => set_status(&a, now, true)?,
        ListCommand::Enable(a) => set_status(&a, now, false)?,
        ListCommand::Approve(a) => review(&a, now, Verdict::Approve)?,
        ListCommand::Reject(a) => review(&a, now, Verdict::Reject)?,
        ListCommand::Show { list, id, json } => {
            let entries = match super::store::named_list(&list)? {
                Some(name) => super::store::entries(name, id.as_deref())?,
                None => {
                    let file = ListFile::open(&list)?;
                    match id {
                        Some(id) => vec![file
                            .get(&id)
                            .ok_or(banchi::error::ListError::UnknownId(id))?],
                        None => file.entries(),
                    }
                }
            };
            for e in &entries {
                if json {
                    println!("{}", serde_json::to_string(e)?);
                } else {
                    println!("{}", readable(e));
                }
            }
        }
    }
    Ok(super::EXIT_OK)
}

/// Runs `banchi list disable` (`disable`) or `banchi list enable`.
fn set_status(a: &StatusArgs, now: SystemTime, disable: bool) -> Result<()> {
    let done = if disable { "disabled" } else { "enabled" };
    if let Some(name) = super::store::named_list(&a.list)? {
        super::store::set_status(name, &a.id, &a.by, a.memo.as_deref(), disable, now)?;
        store_index(name, &a.index)?;
        eprintln!(
            "banchi: {done} entry {} in the {} list of the store",
            a.id,
            name.as_str()
        );
        return Ok(());
    }
    change(&a.list, &a.index, done, "in", |file| {
        let memo = a.memo.as_deref();
        if disable {
            file.disable(&a.id, &a.by, memo, now)?;
        } else {
            file.enable(&a.id, &a.by, memo, now)?;
        }
        Ok(a.id.clone())
    })
}

/// Runs `banchi list approve` or `banchi list reject` (four eyes).
fn review(a: &StatusArgs, now: SystemTime, verdict: Verdict) -> Result<()> {
    let done = match verdict {
        Verdict::Approve => "approved the change of",
        Verdict::Reject => "rejected the change of",
    };
    if let Some(name) = super::store::named_list(&a.list)? {
        super::store::review(name, &a.id, verdict, &a.by, a.memo.as_deref(), now)?;
        store_index(name, &a.index)?;
        eprintln!(
            "banchi: {done} entry {} in the {} list of the store",
            a.id,
            name.as_str()
        );
        return Ok(());
    }
    change(&a.list, &a.index, done, "in", |file| {
        file.review(&a.id, verdict, &a.by, a.memo.as_deref(), now)?;
        Ok(a.id.clone())
    })
}

fn readable(e: &EntryView) -> String {
    let mut s = format!(
        "{}  [{}]  {}  reason={}  registered {} by {}",
        e.id, e.status, e.address, e.reason, e.registered_at, e.registered_by
    );
    if let Some(p) = e.pending {
        s.push_str(&format!("  pending={} (waiting for approval)", p.as_str()));
    }
    if !e.memo.is_empty() {
        s.push_str(&format!("  memo: {}", e.memo));
    }
    for ev in &e.history {
        s.push_str(&format!(
            "\n    {} {} by {}",
            ev.at,
            ev.action.as_str(),
            ev.by
        ));
        if let Some(m) = &ev.memo {
            s.push_str(&format!(": {m}"));
        }
    }
    s
}
