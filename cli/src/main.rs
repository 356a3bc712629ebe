//! The `banchi` command line: argument parsing and dispatch to one module per subcommand.
//!
//! This crate holds the binary and its dependencies (clap, indicatif, ctrlc, anyhow,
//! mimalloc), so that the `banchi` library compiles none of them; `banchi serve` runs the
//! server of the `banchi-server` crate in this process.

use clap::{Parser as ClapParser, Subcommand};
use std::process::ExitCode;

mod check;
mod config;
mod decisions;
mod index;
mod lines;
mod list;
mod lists;
mod normalize;
mod screen;
mod store;
mod velocity;

/// The binary's allocator (the library leaves the choice to its users): bulk screening
/// allocates a few small strings per row, and mimalloc makes that markedly cheaper than
/// glibc's malloc on many threads.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit status: success.
pub const EXIT_OK: u8 = 0;
/// Exit status: an alert (used by `--fail-on`).
pub const EXIT_ALERT: u8 = 1;
/// Exit status: usage or input error.
pub const EXIT_USAGE: u8 = 2;

#[derive(Debug, ClapParser)]
#[command(
    name = "banchi",
    version,
    about = "Normalize Japanese addresses and screen them against fraud and forwarding-service lists"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Parse addresses into canonical parts, one JSON object per address.
    Normalize(normalize::Args),
    /// Screen addresses against a fraud list and the forwarding-warehouse list.
    Check(check::Args),
    /// Build or inspect a watchlist index file.
    Index(index::Args),
    /// Maintain a list file: add, disable, enable, show.
    List(list::Args),
    /// Screen a whole shipping list (CSV, TSV, JSONL) into a copy with verdict columns.
    Screen(Box<screen::Args>),
    /// Show the effective configuration (score weights, thresholds, near distance).
    Config(config::Args),
    /// Inspect or maintain a velocity state (`screen --velocity-state`): show, prune, forget.
    Velocity(velocity::Args),
    /// The lists in PostgreSQL for several replicas: migrate, status, import, export, snapshot.
    Store(store::Args),
    /// What `banchi serve` recorded (`[decisions]`): block candidates.
    Decisions(decisions::Args),
    /// Serve the screening API over HTTP (`banchi serve --help` for its flags).
    Serve(banchi_server::ServeArgs),
}

/// Parses the command line and runs the subcommand.
fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        // The server reports its own errors (through its log) and picks its exit code.
        Command::Serve(args) => return banchi_server::run(&args),
        Command::Normalize(args) => normalize::run(args),
        Command::Check(args) => check::run(args),
        Command::Index(args) => index::run(args),
        Command::List(args) => list::run(args),
        Command::Screen(args) => screen::run(*args),
        Command::Config(args) => config::run(args),
        Command::Velocity(args) => velocity::run(args),
        Command::Store(args) => store::run(args),
        Command::Decisions(args) => decisions::run(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("banchi: {err:#}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}
