//! The state every handler reads: built once at start-up, cloned cheaply (one `Arc`).
//!
//! The lists sit behind an [`ArcSwapOption`]: `None` until the first load finishes
//! (`/readyz` answers 503, `/v1` answers `not_ready`), then swapped whole on each reload. A
//! request takes one `Arc` of the lists when it starts and keeps it to the end, so requests
//! in flight during a reload or an edit finish on the lists they started with and report that
//! `lists_version`. Edits through the API swap in the same base lists with an overlay of the
//! edited rows ([`crate::edits`]); the base is rebuilt in the background.

use crate::admin::session::Sessions;
use crate::auth::Tokens;
use crate::error::ApiError;
use crate::lists::{ListSources, LoadedLists, Which};
use crate::metrics::Metrics;
use crate::pending::Pending;
use crate::settings::Settings;
use crate::velocity::VelocityWindow;
use crate::velocity_redis::{RedisVelocity, SetupError};
use arc_swap::ArcSwapOption;
use banchi::watchlist::{ListEditor, ListFile};
use banchi::Scorer;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
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
    /// Cross-request velocity (its threshold always; its counts unless shared).
    pub velocity: VelocityWindow,
    /// The velocity window in Redis (`--velocity redis`), set at start-up.
    shared_velocity: OnceLock<Arc<RedisVelocity>>,
    /// The decision store and its recorder (`[decisions]`, `[[webhooks]]`), set at start-up.
    decision_loop: OnceLock<Arc<crate::decisions::DecisionLoop>>,
    /// Prometheus metrics.
    pub metrics: Metrics,
    /// Permits for `/v1` requests in flight.
    pub in_flight: Arc<Semaphore>,
    /// Sessions of the CS page (`/admin`).
    pub sessions: Sessions,
    /// One reload at a time.
    pub(crate) reload_lock: tokio::sync::Mutex<()>,
    /// Rows edited through the API and not yet in the base lists. Held while the lists are
    /// swapped after an edit or a rebuild, so the two never interleave.
    pending: Mutex<Pending>,
    /// What an API edit needs of each list file (index: [`Which::slot`]), kept between edits
    /// so that an edit reads nothing ([`crate::edits`]). Taken under the list's writer lock.
    editors: [Mutex<Option<ListEditor>>; 2],
    /// A background rebuild is queued (not started yet).
    pub(crate) rebuild_queued: AtomicBool,
    request_prefix: u32,
    request_counter: AtomicU64,
    /// With `--store postgres`: the lists' replica of the store (else the list files).
    pub replica: Option<Arc<crate::replica::Replica>>,
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
        let settings_store = settings.store.clone();
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
            shared_velocity: OnceLock::new(),
            decision_loop: OnceLock::new(),
            metrics: Metrics::new(),
            reload_lock: tokio::sync::Mutex::new(()),
            pending: Mutex::new(Pending::default()),
            editors: Default::default(),
            rebuild_queued: AtomicBool::new(false),
            request_prefix: now.subsec_nanos() ^ std::process::id().rotate_left(16),
            request_counter: AtomicU64::new(0),
            replica: settings_store.map(|s| Arc::new(crate::replica::Replica::new(s))),
        }))
    }

    /// The velocity window in Redis, when the settings ask for it.
    pub fn shared_velocity(&self) -> Option<&RedisVelocity> {
        self.shared_velocity.get().map(|v| &**v)
    }

    /// With `--velocity redis`: reads the key file, checks the URL and starts connecting in
    /// the background (an unreachable Redis does not stop the start: see
    /// [`crate::velocity_redis`]). Needs a Tokio runtime. Otherwise does nothing.
    pub fn start_shared_velocity(&self) -> Result<(), SetupError> {
        if self.settings.velocity != crate::settings::VelocityBackend::Redis
            || self.shared_velocity.get().is_some()
        {
            return Ok(());
        }
        let url = self
            .settings
            .velocity_url
            .as_ref()
            .ok_or(SetupError::NoUrl)?;
        let key = self
            .settings
            .velocity_key
            .as_deref()
            .ok_or(SetupError::NoKeyFile)?;
        let hashing = crate::velocity_redis::read_key(key)?;
        let window =
            Duration::from_secs(u64::from(self.settings.config.velocity.window_hours) * 3600);
        let shared = Arc::new(RedisVelocity::new(
            &url.0,
            hashing,
            window,
            self.settings.velocity_timeout,
        )?);
        shared.spawn();
        tracing::info!(redis = %shared.target(), "velocity window shared in Redis");
        let _ = self.shared_velocity.set(shared);
        Ok(())
    }

    /// Stops the Redis reconnection task (at shutdown).
    pub fn stop_shared_velocity(&self) {
        if let Some(v) = self.shared_velocity.get() {
            v.close();
        }
    }

    /// The decision store, when `[decisions]` or `[[webhooks]]` are configured.
    pub fn decisions(&self) -> Option<&Arc<crate::decisions::DecisionLoop>> {
        self.decision_loop.get()
    }

    /// Opens the decision store and starts its recorder, retention task and webhook
    /// delivery, when configured. Needs a Tokio runtime.
    pub fn start_decisions(&self) -> Result<(), crate::decisions::SetupError> {
        if self.decision_loop.get().is_some() {
            return Ok(());
        }
        let hooks = Arc::new(
            crate::webhooks::Hooks::load(&self.settings.webhooks)
                .map_err(|e| crate::decisions::SetupError::Webhooks(e.to_string()))?,
        );
        let for_order = Arc::clone(&hooks);
        let events: crate::recorder::EventsFor =
            Arc::new(move |d, now| for_order.for_order(d, now));
        if let Some(started) =
            crate::decisions::DecisionLoop::start(&self.settings, &self.metrics, events, hooks)?
        {
            let _ = self.decision_loop.set(Arc::new(started));
        }
        Ok(())
    }

    /// Writes the decisions still queued and stops the decision loop's tasks.
    pub async fn stop_decisions(&self) {
        if let Some(d) = self.decision_loop.get() {
            d.stop().await;
        }
    }

    /// The active lists, or `not_ready`.
    pub fn lists(&self) -> Result<Arc<LoadedLists>, ApiError> {
        self.lists.load_full().ok_or(ApiError::NotReady)
    }

    /// True once lists are loaded.
    pub fn is_ready(&self) -> bool {
        self.lists.load().is_some()
    }

    /// Makes `lists` the active lists. The lists they replace are freed on a thread of their
    /// own: the last holder of a million-entry base frees it, which takes tens of
    /// milliseconds that neither an edit waiting on the pending edits nor an async worker
    /// should spend.
    pub fn install(&self, lists: LoadedLists) {
        self.metrics.lists(&lists.info);
        let old = self.lists.swap(Some(Arc::new(lists)));
        if let Some(old) = old.and_then(|old| Arc::try_unwrap(old).ok()) {
            // The last holder: free them off this thread (a failed spawn frees them here).
            let _ = std::thread::Builder::new()
                .name("banchi-free-lists".into())
                .spawn(move || drop(old));
        }
    }

    /// The list files given as CSV (editable), with their list.
    pub fn csv_lists(&self) -> Vec<(Which, PathBuf)> {
        [
            (Which::Fraud, self.sources.fraud.clone()),
            (Which::Forwarders, self.sources.forwarders.clone()),
        ]
        .into_iter()
        .filter_map(|(which, path)| path.map(|p| (which, p)))
        .filter(|(_, p)| matches!(banchi::watchlist::file::looks_like_index(p), Ok(false)))
        .collect()
    }

    /// The cached editor of `which` (see [`Shared::editors`]; lock order: the list's writer
    /// lock, then this, then the pending edits).
    pub(crate) fn editor(&self, which: Which) -> MutexGuard<'_, Option<ListEditor>> {
        let slot = &self.editors[which.slot()];
        slot.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Folds each CSV list's edit journal into the CSV ([`ListEditor::fold`]: the big write
    /// without the writer lock, the rename under it) and keeps the folded list's editor (the
    /// version stays: same entries). Blocking.
    /// A failure is logged: the journal stays and is folded next time.
    pub(crate) fn fold_journals(&self) {
        for (which, path) in self.csv_lists() {
            match ListEditor::fold(&path) {
                Ok(Some(folded)) => {
                    // Same entries, same version: the lists in force stay as they are.
                    *self.editor(which) = Some(folded.editor);
                    drop(folded.lock);
                    tracing::debug!(
                        list = which.name(),
                        "edit journal folded into the list file"
                    );
                }
                Ok(None) => {}
                Err(e) => tracing::error!(
                    error = %e,
                    list = which.name(),
                    "folding the edit journal failed; it stays and is applied by every reader"
                ),
            }
        }
    }

    /// Reads the editors of the CSV lists in the background when they are missing or stale,
    /// so that the next edit does not (about a second on a million rows).
    pub(crate) fn spawn_editor_warm_up(&self) {
        let state = self.clone();
        tokio::task::spawn_blocking(move || {
            for (which, path) in state.csv_lists() {
                let Ok(_writer) = ListFile::lock(&path) else {
                    continue;
                };
                let mut slot = state.editor(which);
                let current = slot
                    .as_ref()
                    .is_some_and(|e| e.is_current().unwrap_or(false));
                if !current {
                    match ListEditor::open(&path) {
                        Ok(editor) => *slot = Some(editor),
                        Err(e) => {
                            *slot = None;
                            tracing::warn!(error = %e, list = which.name(), "reading a list for edits failed");
                        }
                    }
                }
            }
        });
    }

    /// The pending edits (a panic elsewhere while holding them leaves them usable: every
    /// change to them is one map insert or retain).
    pub(crate) fn pending(&self) -> MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Swaps in lists read from the files after edit `snapshot`: edits numbered after it
    /// stay in the overlay, with the file version they wrote.
    pub(crate) fn install_rebuilt(&self, base: LoadedLists, snapshot: u64) {
        let mut pending = self.pending();
        pending.forget_through(snapshot);
        let mut lists = base;
        // Pending adds the files hold (four eyes, `pending_grade = "caution"`): graded from
        // the overlay, as of the files just read.
        for (which, header, rows) in std::mem::take(&mut lists.pending_adds) {
            pending.seed(which, &header, &rows);
        }
        for which in [Which::Fraud, Which::Forwarders] {
            if !pending.has(which) {
                continue;
            }
            match pending.overlay(which, lists.screener.parser(), self.pending_caution()) {
                Ok(overlay) => {
                    // A guard for this statement only: holding the lists they replace
                    // would make this thread the one that frees them.
                    let crc = self.lists.load().as_ref().and_then(|c| c.crc(which));
                    lists = lists.with_edits(which, overlay, crc);
                }
                Err(e) => tracing::error!(
                    error = %e,
                    list = which.name(),
                    "rebuilding the overlay of recent edits failed"
                ),
            }
        }
        self.install(lists);
    }

    /// Puts the entries `ids` of `file` (just saved, `crc` = CRC-32 of its bytes) in force:
    /// swaps in the active base lists with the overlay of every pending row of `which`.
    /// Returns the new `lists_version`.
    pub fn put_in_force(
        &self,
        which: Which,
        file: &ListFile,
        ids: &[String],
        crc: u32,
    ) -> Result<String, ApiError> {
        let rows = ids
            .iter()
            .filter_map(|id| file.row(id).map(|row| (id.as_str(), row)));
        self.put_rows_in_force(which, file.header(), rows, crc)
    }

    /// Puts `rows` ((id, cells in the order of `header`)) of `which` in force, `crc` being
    /// its version now (see [`AppState::put_in_force`]).
    pub fn put_rows_in_force<'r>(
        &self,
        which: Which,
        header: &[String],
        rows: impl IntoIterator<Item = (&'r str, &'r [String])>,
        crc: u32,
    ) -> Result<String, ApiError> {
        let mut pending = self.pending();
        let current = self.lists()?;
        for (id, row) in rows {
            pending.record(which, header, id, row);
        }
        let overlay = pending
            .overlay(which, current.screener.parser(), self.pending_caution())
            .map_err(|e| {
                tracing::error!(error = %e, list = which.name(), "building the overlay of an edit failed");
                ApiError::Internal
            })?;
        let next = current.with_edits(which, overlay, Some(crc));
        let version = next.version.clone();
        self.install(next);
        Ok(version)
    }

    /// A new request id: this process's prefix and a counter, hex.
    /// Puts the store's changes `rows` — (list, change number, header, id, cells, the list's
    /// version after it), in order — in force: recorded as pending edits, and the overlay of
    /// every list they touch rebuilt and swapped in.
    pub(crate) fn put_changes_in_force<'r>(
        &self,
        rows: impl IntoIterator<Item = (Which, u64, &'r [String], &'r str, &'r [String], u32)>,
    ) -> Result<(), ApiError> {
        let mut pending = self.pending();
        let current = self.lists()?;
        let mut next: Option<LoadedLists> = None;
        let mut touched: [Option<u32>; 2] = [None, None];
        for (which, seq, header, id, cells, version) in rows {
            pending.record_change(seq, which, header, id, cells);
            touched[which.slot()] = Some(version);
        }
        for which in [Which::Fraud, Which::Forwarders] {
            let Some(version) = touched[which.slot()] else {
                continue;
            };
            let lists = next.as_ref().unwrap_or(&current);
            let overlay = pending
                .overlay(which, lists.screener.parser(), self.pending_caution())
                .map_err(|e| {
                    tracing::error!(error = %e, list = which.name(), "building the overlay of store changes failed");
                    ApiError::Internal
                })?;
            next = Some(lists.with_edits(which, overlay, Some(version)));
        }
        drop(current);
        if let Some(lists) = next {
            self.install(lists);
        }
        Ok(())
    }

    /// `base` (just loaded from the store) with the changes after its snapshots laid over
    /// it; the pending edits start again from these changes.
    pub(crate) fn lists_with_changes<'r>(
        &self,
        base: LoadedLists,
        rows: impl IntoIterator<Item = (Which, u64, &'r [String], &'r str, &'r [String], u32)>,
    ) -> Result<LoadedLists, banchi::error::WatchlistError> {
        let mut pending = self.pending();
        *pending = Pending::default();
        let mut touched: [Option<u32>; 2] = [None, None];
        for (which, seq, header, id, cells, version) in rows {
            pending.record_change(seq, which, header, id, cells);
            touched[which.slot()] = Some(version);
        }
        // Pending adds the store holds (four eyes, `pending_grade = "caution"`), unless a
        // change above is newer: graded from the overlay, which keeps them.
        let mut base = base;
        for (which, header, rows) in std::mem::take(&mut base.pending_adds) {
            pending.seed(which, &header, &rows);
            if touched[which.slot()].is_none() && pending.has(which) {
                touched[which.slot()] = base.crc(which);
            }
        }
        let mut lists = base;
        for which in [Which::Fraud, Which::Forwarders] {
            if let Some(version) = touched[which.slot()] {
                let overlay =
                    pending.overlay(which, lists.screener.parser(), self.pending_caution())?;
                lists = lists.with_edits(which, overlay, Some(version));
            }
        }
        Ok(lists)
    }

    /// Swaps in `lists`, whose list `which` is a snapshot covering the changes up to `seq`:
    /// those leave the pending edits, the later ones are laid over it again.
    pub(crate) fn install_rebuilt_list(&self, which: Which, lists: LoadedLists, seq: u64) {
        let mut pending = self.pending();
        pending.forget_list_through(which, seq);
        let mut lists = lists;
        if pending.has(which) {
            match pending.overlay(which, lists.screener.parser(), self.pending_caution()) {
                Ok(overlay) => {
                    let version = lists.crc(which);
                    lists = lists.with_edits(which, overlay, version);
                }
                Err(e) => {
                    tracing::error!(error = %e, list = which.name(), "rebuilding the overlay over a snapshot failed; keeping the lists in force");
                    return;
                }
            }
        }
        self.install(lists);
    }

    /// True when pending adds (four eyes) grade `caution` at most (`pending_grade =
    /// "caution"`) rather than not at all: the overlay then grades them, and keeps them.
    pub(crate) fn pending_caution(&self) -> bool {
        self.settings.four_eyes.pending_grade == crate::settings::PendingGrade::Caution
    }

    pub fn next_request_id(&self) -> String {
        let n = self.request_counter.fetch_add(1, Ordering::Relaxed);
        format!("{:08x}-{n:x}", self.request_prefix)
    }
}
