//! The server's integration tests, as one test binary: each module is one subject, all of
//! them over real sockets on loopback against a server started by [`support::TestServer`].
//!
//! Run one subject with a filter: `cargo test --profile ci -p banchi-server --test it api::`.

#[path = "../../../store/tests/it/postgres.rs"]
mod postgres;
mod redis_server;
mod store_support;
mod support;

mod admin;
mod api;
mod browser;
mod decisions;
mod four_eyes;
mod list_import;
mod list_watch;
mod replicas;
mod search;
mod velocity_redis;
mod webhooks;
