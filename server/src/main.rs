//! `banchi-server`: the server binary that `banchi serve` runs (same flags).

use clap::Parser;

/// The binary's allocator, as the `banchi` binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(
    name = "banchi serve",
    version,
    about = "Serve the banchi screening API over HTTP"
)]
struct Cli {
    #[command(flatten)]
    args: banchi_server::ServeArgs,
}

fn main() -> std::process::ExitCode {
    banchi_server::run(&Cli::parse().args)
}
