//! `banchi velocity show|prune|forget`: inspect and maintain a velocity state (the window
//! `screen --velocity-state FILE` keeps across runs, [`banchi::bulk::state`]) — counts per
//! delivery-point hash, never names nor addresses; plus the helpers `screen` uses to open a
//! state and read the allowlist of shared delivery points.

use super::config::load_config;
use anyhow::{bail, Context, Result};
use banchi::bulk::state::{self, Store};
use banchi::config::Config;
use banchi::{Level, Parser};
use std::path::{Path, PathBuf};

/// Arguments of `banchi velocity`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  banchi velocity show --state velocity.db
  banchi velocity prune --state velocity.db --config banchi.toml
  banchi velocity forget --state velocity.db '東京都千代田区丸の内1-1-1'

The state holds delivery points and names only as keyed hashes; the key is in its own file
(velocity.key_file in the configuration, default FILE.key). Exit status: 0, or 2 on an error.")]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

/// The state and configuration every subcommand takes.
#[derive(Debug, clap::Args)]
pub struct StateArgs {
    /// The velocity state file (as given to `screen --velocity-state`).
    #[arg(long, value_name = "FILE")]
    pub state: PathBuf,
    /// Configuration file (state window, key file).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// `banchi velocity` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Counts: delivery points, entries, time span, and the points with the most names (by
    /// hash).
    Show {
        #[command(flatten)]
        state: StateArgs,
        /// How many of the busiest points to list.
        #[arg(long, default_value_t = 10)]
        top: usize,
    },
    /// Delete the entries older than the window (also done when `screen` opens the state).
    Prune {
        #[command(flatten)]
        state: StateArgs,
    },
    /// Forget one delivery point (all its names).
    Forget {
        #[command(flatten)]
        state: StateArgs,
        /// The delivery point's address (resolved to at least a block number).
        address: String,
    },
}

/// Runs `banchi velocity`.
pub fn run(args: Args) -> Result<u8> {
    match args.command {
        Command::Show { state, top } => {
            let (store, _) = open(&state)?;
            let s = store.stats(top)?;
            println!(
                "{}: {} delivery points, {} names (entries), window {}",
                state.state.display(),
                s.points,
                s.entries,
                load_config(state.config.as_ref())?.velocity.state_window
            );
            if let (Some(old), Some(new)) = (s.oldest, s.newest) {
                println!("oldest {}, newest {}", time_text(old), time_text(new));
            }
            if !s.busiest.is_empty() {
                println!("point hash         names  last seen");
                for (point, names, last) in s.busiest {
                    println!("{point:016x} {names:>6}  {}", time_text(last));
                }
            }
        }
        Command::Prune { state } => {
            let (store, _) = open(&state)?;
            let n = store.pruned_at_open() + store.prune(state::now_minutes())?;
            println!("pruned {n} entries older than the window");
        }
        Command::Forget { state, address } => {
            let (store, _) = open(&state)?;
            let key = point_key(&Parser::new(), &address)
                .context("the address does not resolve to a delivery point (no block number)")?;
            let n = store.forget(&key)?;
            println!("forgot {n} entries");
        }
    }
    Ok(super::EXIT_OK)
}

/// Opens the state named by the arguments with the configuration's window and key file.
fn open(args: &StateArgs) -> Result<(Store, Config)> {
    if !args.state.exists() {
        bail!("{}: no such velocity state", args.state.display());
    }
    let config = load_config(args.config.as_ref())?;
    let store = open_store(&args.state, &config)?;
    Ok((store, config))
}

/// Opens (or creates) a velocity state with the configuration's window and key file.
pub fn open_store(path: &Path, config: &Config) -> Result<Store> {
    let window = config.velocity.state_window_minutes()?;
    Ok(Store::open(
        path,
        config.velocity.key_file.as_deref(),
        window,
    )?)
}

/// The delivery-point key of an address, when it resolves to a block at least.
fn point_key(parser: &Parser, address: &str) -> Option<String> {
    parser
        .parse(address)
        .ok()
        .filter(|a| a.level >= Level::Block)
        .map(|a| a.key)
}

/// The configuration's allowlist of shared delivery points, as keys. Errors name the line.
pub fn allowlist_keys(config: &Config) -> Result<Vec<String>> {
    let Some(path) = &config.velocity.allowlist else {
        return Ok(Vec::new());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("velocity allowlist {}", path.display()))?;
    let parser = Parser::new();
    let mut keys = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        match point_key(&parser, line) {
            Some(k) => keys.push(k),
            None => bail!(
                "velocity allowlist {} line {}: not a delivery point (no block number)",
                path.display(),
                i + 1
            ),
        }
    }
    Ok(keys)
}

/// Minutes since 1970 as `YYYY-MM-DD HH:MM` (UTC).
fn time_text(minutes: u32) -> String {
    let days = i64::from(minutes / 1440);
    let (h, m) = ((minutes % 1440) / 60, minutes % 60);
    // Civil date from days (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(mo <= 2);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{m:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_print_as_dates() {
        assert_eq!(time_text(0), "1970-01-01 00:00");
        let t = banchi::bulk::velocity::parse_time_minutes("2026-11-22 10:30").unwrap();
        assert_eq!(time_text(t), "2026-11-22 10:30");
        let t = banchi::bulk::velocity::parse_time_minutes("2024-02-29").unwrap();
        assert_eq!(time_text(t), "2024-02-29 00:00");
    }
}
