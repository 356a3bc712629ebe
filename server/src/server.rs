//! Starting and stopping: bind, load the lists in the background (`/readyz` says when they
//! are in), reload them on SIGHUP, stop on SIGTERM/SIGINT after the requests in flight.

use crate::auth::{TokenError, Tokens};
use crate::lists::LoadError;
use crate::router::router;
use crate::settings::{Settings, SettingsError};
use crate::state::AppState;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;
use tokio::sync::{oneshot, Notify};

/// Why the server stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Bad settings.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// Bad or missing tokens.
    #[error(transparent)]
    Tokens(#[from] TokenError),
    /// The lists could not be loaded at start-up.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The velocity state (`--velocity-state`) could not be opened.
    #[error(transparent)]
    VelocityState(#[from] crate::velocity::KeepError),
    /// `--velocity redis` could not be set up (URL or key file).
    #[error(transparent)]
    SharedVelocity(#[from] crate::velocity_redis::SetupError),
    /// The decision store or the webhooks could not be started.
    #[error(transparent)]
    Decisions(#[from] crate::decisions::SetupError),
    /// Binding or serving failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The error.
        source: std::io::Error,
    },
}

/// A server started by [`start`].
#[derive(Debug)]
pub struct Running {
    /// The bound address (the port is the real one when 0 was asked for).
    pub addr: SocketAddr,
    /// The state, for tests that look inside.
    pub state: AppState,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), ServeError>>,
}

impl Running {
    /// Stops gracefully (requests in flight finish) and waits for it.
    pub async fn stop(mut self) -> Result<(), ServeError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.await.map_err(|e| ServeError::Io {
            context: "server task".into(),
            source: std::io::Error::other(e.to_string()),
        })?
    }
}

/// Binds `settings.listen` and serves in a task until [`Running::stop`].
pub async fn start(settings: Settings, tokens: Tokens) -> Result<Running, ServeError> {
    let listener = bind(settings.listen).await?;
    let addr = listener.local_addr().map_err(|source| ServeError::Io {
        context: "reading the bound address".into(),
        source,
    })?;
    let state = AppState::new(settings, tokens);
    state.start_shared_velocity()?;
    state.start_decisions()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, state.clone(), async {
        let _ = stopped.await;
    }));
    Ok(Running {
        addr,
        state,
        stop: Some(stop),
        task,
    })
}

/// Binds the listen address.
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, ServeError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Io {
            context: format!("listening on {addr}"),
            source,
        })
}

/// Serves on `listener` until `shutdown` completes (then finishes the requests in flight), or
/// until the first load of the lists fails (then returns that error).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let failed: Arc<Mutex<Option<LoadError>>> = Arc::default();
    let load_failed = Arc::new(Notify::new());
    {
        let (state, failed, load_failed) = (state.clone(), failed.clone(), load_failed.clone());
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            match state.reload().await {
                Ok(()) => {
                    tracing::info!(
                        lists_version = %state.lists().map(|l| l.version.clone()).unwrap_or_default(),
                        load_ms = started.elapsed().as_millis() as u64,
                        "lists loaded; ready"
                    );
                    if let Some(replica) = &state.replica {
                        crate::follow::spawn(&state, Arc::clone(replica));
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "loading the lists failed");
                    if let Ok(mut slot) = failed.lock() {
                        *slot = Some(e);
                    }
                    load_failed.notify_one();
                }
            }
        });
    }
    spawn_reload_on_sighup(state.clone());
    crate::watch::spawn(&state);
    let app = router(state.clone());
    let until = async move {
        tokio::select! {
            () = shutdown => tracing::info!("shutting down: finishing requests in flight"),
            () = load_failed.notified() => {}
        }
    };
    axum::serve(listener, app)
        .with_graceful_shutdown(until)
        .await
        .map_err(|source| ServeError::Io {
            context: "serving".into(),
            source,
        })?;
    state.stop_shared_velocity();
    state.stop_decisions().await;
    let load_error = failed.lock().ok().and_then(|mut slot| slot.take());
    match load_error {
        Some(e) => Err(ServeError::Load(e)),
        None => Ok(()),
    }
}

/// SIGHUP reloads the lists (edits made by `banchi list` or `banchi index build`).
fn spawn_reload_on_sighup(state: AppState) {
    #[cfg(unix)]
    tokio::spawn(async move {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(mut hup) = signal(SignalKind::hangup()) else {
            tracing::warn!("SIGHUP cannot be watched; lists reload only on restart");
            return;
        };
        while hup.recv().await.is_some() {
            match state.reload().await {
                Ok(()) => tracing::info!(
                    lists_version = %state.lists().map(|l| l.version.clone()).unwrap_or_default(),
                    "lists reloaded (SIGHUP)"
                ),
                Err(e) => tracing::error!(error = %e, "reload failed; the previous lists stay"),
            }
        }
    });
    #[cfg(not(unix))]
    let _ = state;
}

/// Completes on SIGTERM or SIGINT.
pub async fn termination() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
