//! `banchi config show`: print the configuration in force (the defaults, or a file's values
//! over them) as TOML, so a merchant can see exactly which weights and thresholds apply.

use anyhow::Result;
use banchi::config::Config;
use std::path::PathBuf;

/// Arguments of `banchi config`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  banchi config show                        # the built-in defaults
  banchi config show --config banchi.toml   # a file's values over the defaults
  banchi config show > my.toml              # a starting point to edit

The documented defaults are in data/banchi.toml. Exit status: 0, or 2 when the file cannot
be read or is invalid (unknown key, levels out of order).")]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

/// `banchi config` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Print the effective configuration as TOML.
    #[command(after_help = "\
Examples:
  banchi config show
  banchi config show --config banchi.toml

Prints every key with the value in force: the file's where it sets one, else the default.
Exit status: 0, or 2 when the file cannot be read or is invalid.")]
    Show {
        /// Configuration file to read over the defaults.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
}

/// Runs `banchi config`.
pub fn run(args: Args) -> Result<u8> {
    match args.command {
        Command::Show { config } => {
            let cfg = load_config(config.as_ref())?;
            let source = match &config {
                Some(p) => format!("{} over the defaults", p.display()),
                None => "built-in defaults".to_owned(),
            };
            println!("# banchi effective configuration ({source})");
            print!("{}", cfg.to_toml_string());
            Ok(super::EXIT_OK)
        }
    }
}

/// Loads `--config FILE`, or the defaults (shared by every subcommand that scores).
pub(crate) fn load_config(path: Option<&PathBuf>) -> Result<Config> {
    match path {
        Some(p) => Config::from_path(p).map_err(anyhow::Error::from),
        None => Ok(Config::default()),
    }
}
