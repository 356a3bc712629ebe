//! The `banchi` binary's integration tests, as one test binary: each module runs the built
//! binary (`CARGO_BIN_EXE_banchi`) the way a user does, on files in temporary directories.
//!
//! Run one subject with a filter: `cargo test --profile ci -p banchi-cli --test it screen_cli::`.

#[path = "../../../store/tests/it/postgres.rs"]
mod postgres;
#[path = "../../../server/tests/it/support.rs"]
mod server_support;
mod support;

mod cli_normalize;
mod decisions_cli;
mod layering;
mod postal_cli;
mod screen_cli;
mod serve_process;
mod store_cli;
mod update_under_load;
mod watchlist_cli;
