//! `banchi serve`: the screening API over HTTP, run by the `banchi-server` binary of the
//! `server/` crate.
//!
//! The root package cannot depend on `banchi-server` (which depends on the root library:
//! Cargo refuses the cycle) while the CLI lives in the root package, so this subcommand hands
//! its arguments to the `banchi-server` binary that `cargo build --release` puts beside
//! `banchi` (exec on Unix: signals such as SIGTERM and SIGHUP reach the server directly).
//! When the CLI moves into its own `cli/` crate, this becomes a direct call of
//! `banchi_server::run`.

use anyhow::{bail, Context, Result};
use std::ffi::OsString;
use std::path::PathBuf;

/// Arguments of `banchi serve`: passed as they are to `banchi-server` (`banchi serve --help`
/// prints its flags).
#[derive(Debug, clap::Args)]
#[command(disable_help_flag = true)]
pub struct Args {
    /// [--listen 127.0.0.1:8080] [--fraud LIST] [--forwarders FILE] [--config FILE]
    /// [--tokens FILE] [--insecure-no-auth]
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "FLAGS"
    )]
    pub args: Vec<OsString>,
}

/// The server binary's name.
const SERVER_BIN: &str = "banchi-server";

/// Where `banchi-server` is: beside this binary, or `BANCHI_SERVER` when set.
fn server_path() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("BANCHI_SERVER") {
        return Ok(PathBuf::from(p));
    }
    let me = std::env::current_exe().context("locating the banchi binary")?;
    let beside = me.with_file_name(format!("{SERVER_BIN}{}", std::env::consts::EXE_SUFFIX));
    if !beside.is_file() {
        bail!(
            "{} not found beside banchi (`cargo build --release` at the repository root builds both)",
            beside.display()
        );
    }
    Ok(beside)
}

/// Runs `banchi serve` (on Unix the process becomes the server and does not return on
/// success).
pub fn run(args: Args) -> Result<u8> {
    let path = server_path()?;
    let mut cmd = std::process::Command::new(&path);
    cmd.args(&args.args);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let err = cmd.exec();
        Err(err).with_context(|| format!("starting {}", path.display()))
    }
    #[cfg(not(unix))]
    {
        let status = cmd
            .status()
            .with_context(|| format!("starting {}", path.display()))?;
        Ok(status.code().map_or(super::EXIT_USAGE, |c| c as u8))
    }
}
