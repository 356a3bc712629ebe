//! The state every handler reads: built once at start-up, cloned cheaply (one `Arc`).
//!
//! The lists sit behind an [`ArcSwapOption`]: `None` until the first load finishes
//! (`/readyz` answers 503, `/v1` answers `not_ready`), then swapped whole on each reload. A
//! request takes one `Arc` of the lists when it starts and keeps it to the end, so requests
//! in flight during a reload finish on the lists they started with and report that
//! `lists_version`.

use crate::admin::session::Sessions;
use crate::auth::Tokens;
use crate::error::ApiError;
use crate::lists::{ListSources, LoadError, LoadedLists};
use crate::metrics::Metrics;
use crate::settings::Settings;
use crate::velocity::VelocityWindow;
use arc_swap::ArcSwapOption;
use banchi::Scorer;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// Cheap-to-clone handle on the shared state.
#[derive(Debug, Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What the handlers share.
#[derive(Debug)]
pub struct Shared {
    /// Effective settings.
    pub settings: Settings,
    /// Who may call.
    pub tokens: Tokens,
    /// Score weights and thresholds.
    pub scorer: Scorer,
    /// Where the lists are read from.
    pub sources: ListSources,
    /// The active lists (`None` until loaded).
    lists: ArcSwapOption<LoadedLists>,
    /// Cross-request velocity.
    pub velocity: VelocityWindow,
    /// Prometheus metrics.
    pub metrics: Metrics,
    /// Permits for `/v1` requests in flight.
    pub in_flight: Arc<Semaphore>,
    /// Sessions of the CS page (`/admin`).
    pub sessions: Sessions,
    /// One reload at a time.
    reload_lock: tokio::sync::Mutex<()>,
    request_prefix: u32,
    request_counter: AtomicU64,
}

impl AppState {
    /// State with no lists loaded yet.
    pub fn new(settings: Settings, tokens: Tokens) -> AppState {
        let v = &settings.config.velocity;
        let velocity = VelocityWindow::new(
            v.min_names,
            Duration::from_secs(u64::from(v.window_hours) * 3600),
            settings.velocity_max_keys,
        );
        let sources = ListSources {
            fraud: settings.fraud.clone(),
            forwarders: settings.forwarders.clone(),
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        AppState(Arc::new(Shared {
            scorer: Scorer::new(&settings.config),
            in_flight: Arc::new(Semaphore::new(settings.max_in_flight)),
            sessions: Sessions::default(),
            settings,
            tokens,
            sources,
            lists: ArcSwapOption::empty(),
            velocity,
            metrics: Metrics::new(),
            reload_lock: tokio::sync::Mutex::new(()),
            request_prefix: now.subsec_nanos() ^ std::process::id().rotate_left(16),
            request_counter: AtomicU64::new(0),
        }))
    }

    /// The active lists, or `not_ready`.
    pub fn lists(&self) -> Result<Arc<LoadedLists>, ApiError> {
        self.lists.load_full().ok_or(ApiError::NotReady)
    }

    /// True once lists are loaded.
    pub fn is_ready(&self) -> bool {
        self.lists.load().is_some()
    }

    /// Makes `lists` the active lists.
    pub fn install(&self, lists: LoadedLists) {
        self.metrics.lists(&lists.info);
        self.lists.store(Some(Arc::new(lists)));
    }

    /// Loads the lists from their files off the async threads and swaps them in; on failure
    /// the active lists stay. One reload runs at a time.
    pub async fn reload(&self) -> Result<(), LoadError> {
        let _one_at_a_time = self.reload_lock.lock().await;
        let sources = self.sources.clone();
        let config = self.settings.config.clone();
        let loaded = tokio::task::spawn_blocking(move || LoadedLists::load(&sources, &config))
            .await
            .map_err(|e| LoadError::Io {
                path: "<reload task>".into(),
                source: std::io::Error::other(e.to_string()),
            })?;
        match loaded {
            Ok(lists) => {
                self.install(lists);
                self.metrics.reload(true);
                Ok(())
            }
            Err(e) => {
                self.metrics.reload(false);
                Err(e)
            }
        }
    }

    /// A new request id: this process's prefix and a counter, hex.
    pub fn next_request_id(&self) -> String {
        let n = self.request_counter.fetch_add(1, Ordering::Relaxed);
        format!("{:08x}-{n:x}", self.request_prefix)
    }
}
