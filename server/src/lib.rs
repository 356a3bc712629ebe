//! `banchi serve`: the screening API that shops call, over the `banchi` library.
//!
//! JSON over HTTP/1.1 (axum, tokio, tower-http). The library stays free of HTTP; this crate
//! only translates requests into library calls and results into JSON. Modules, one job each:
//!
//! * [`settings`] — flags over the `[server]` section of the configuration file;
//! * [`auth`] — bearer tokens, scopes, constant-time comparison;
//! * [`state`] — what handlers share: lists behind `ArcSwap`, scorer, velocity, metrics;
//! * [`lists`] — loading the lists and their `lists_version`;
//! * [`edits`] — list edits in force at once: an overlay over the lists, rebuilt behind;
//! * [`pending`] — the edited rows not yet in the base lists, from which the overlay is built;
//! * [`list_search`] — finding entries by id or normalized address prefix;
//! * [`velocity`] — the bounded cross-request velocity window;
//! * [`velocity_redis`] — the same window in Redis, shared by replicas (`--velocity redis`);
//! * [`router`] — every route and layer; [`routes`] — the handlers;
//! * [`admin`] — the CS page at `/admin`: templates, session cookie, CSRF;
//! * [`body`] — JSON bodies under limits; [`error`] — one error type → status + body;
//! * [`middleware`] — request id, access log, in-flight limit, timeout, token check;
//! * [`metrics`] — Prometheus; [`openapi`] — the generated OpenAPI document;
//! * [`server`] — bind, background load, SIGHUP reload, graceful shutdown;
//! * [`watch`] — list files changed outside the server, picked up by a file watch.
//!
//! Addresses, names, phones and e-mails never reach a log line or an error message.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod admin;
pub mod auth;
pub mod body;
pub mod decisions;
pub mod edits;
pub mod error;
pub mod follow;
pub mod list_search;
pub mod listing;
pub mod lists;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod pending;
pub mod recorder;
pub mod reload;
pub mod replica;
pub mod router;
pub mod routes;
pub mod server;
pub mod settings;
pub mod state;
pub mod velocity;
pub mod velocity_redis;
pub mod watch;
pub mod webhooks;

pub use server::{serve, start, Running, ServeError};
pub use settings::{ServeArgs, Settings};

use std::process::ExitCode;

/// Runs `banchi serve` with parsed flags: settings, tokens, logging, then serves until
/// SIGTERM/SIGINT. Returns the process exit code.
pub fn run(args: &ServeArgs) -> ExitCode {
    // Dropping the guard at the end of `run` writes out the log lines still queued.
    let _log_guard = init_logging();
    match run_inner(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "banchi serve stopped");
            eprintln!("banchi serve: {e}");
            ExitCode::from(2)
        }
    }
}

fn run_inner(args: &ServeArgs) -> Result<(), ServeError> {
    let settings = Settings::resolve(args)?;
    let tokens = auth::Tokens::load(
        settings.tokens.as_deref(),
        |k| std::env::var(k).ok(),
        settings.insecure_no_auth,
    )?;
    if tokens.is_insecure() {
        tracing::warn!("serving without tokens (--insecure-no-auth): every /v1 call is allowed");
    }
    if !settings.listen.ip().is_loopback() {
        tracing::warn!(listen = %settings.listen, "listening beyond loopback: put TLS in front");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| ServeError::Io {
            context: "starting the runtime".into(),
            source,
        })?;
    runtime.block_on(async move {
        let listener = server::bind(settings.listen).await?;
        let bound = listener.local_addr().map_err(|source| ServeError::Io {
            context: "reading the bound address".into(),
            source,
        })?;
        tracing::info!(listen = %bound, "banchi serve listening");
        let state = state::AppState::new(settings, tokens);
        state.start_shared_velocity()?;
        state.start_decisions()?;
        if let Some(path) = &state.settings.velocity_state {
            let window_minutes = state
                .settings
                .config
                .velocity
                .window_hours
                .saturating_mul(60);
            let store = banchi::bulk::state::Store::open(path, None, window_minutes)
                .map_err(velocity::KeepError::from)?;
            state.velocity.keep_in(&store)?;
            tracing::info!("velocity window kept in the state file");
        }
        serve(listener, state, server::termination()).await
    })
}

/// Structured logs on stderr: `BANCHI_LOG` sets the filter (default `info`),
/// `BANCHI_LOG_FORMAT=json` writes JSON lines.
///
/// Lines are written by a thread of their own (`tracing_appender::non_blocking`) through a
/// buffer flushed whenever its queue is empty: a request never waits for a `write` to stderr
/// (one per access-log line halved the requests per second). The queue never drops a line:
/// when it is full, requests wait for it. The returned guard flushes it when dropped.
fn init_logging() -> tracing_appender::non_blocking::WorkerGuard {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("BANCHI_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .thread_name("banchi-log")
        .finish(std::io::BufWriter::new(std::io::stderr()));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(writer);
    let json = std::env::var("BANCHI_LOG_FORMAT").is_ok_and(|v| v == "json");
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    guard
}
