//! The decision loop's running parts: the decision store, the recorder in front of it, the
//! retention task, and the policy of what is kept (`[decisions]`).
//!
//! Started with the server when `[decisions] enabled` (or when `[[webhooks]]` are
//! configured: their outbox is the decision store), with the webhook delivery task
//! ([`crate::webhooks::spawn_delivery`]) when there are receivers. The store is `decisions.sqlite` beside
//! the fraud list (or `[decisions] path`), or the PostgreSQL store with `--store postgres`.
//! Handlers reach it through [`crate::state::AppState::decisions`]; the screening handlers
//! only call [`DecisionLoop::offer`] (`routes::screen` makes the `Decision` of an answer).

use crate::metrics::Metrics;
use crate::recorder::{EventsFor, Recorder};
use crate::settings::{DecisionsSection, Settings};
use crate::webhooks::Hooks;
use banchi_decisions::record::{Decision, Pruned};
use banchi_decisions::{Decisions, DecisionsError};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// How often expired decisions are deleted (and once at start).
pub const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// Milliseconds in a day.
const DAY_MS: i64 = 86_400_000;

/// Why the decision store could not be started.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// No file to keep it in.
    #[error("[decisions] needs a place for decisions.sqlite: give --fraud FILE (it goes beside it) or [decisions] path")]
    NoPath,
    /// The store could not be opened.
    #[error(transparent)]
    Store(#[from] DecisionsError),
    /// A webhook secret or URL.
    #[error("[[webhooks]]: {0}")]
    Webhooks(String),
}

/// The decision store and what feeds it.
pub struct DecisionLoop {
    /// The store.
    pub store: Decisions,
    /// The policy (`[decisions]`).
    pub section: DecisionsSection,
    /// The queue in front of the store.
    recorder: Recorder,
    /// Record orders (`[decisions] enabled`), not only their webhook events.
    record: bool,
    /// Notified after a batch with webhook events is written.
    pub wake: Arc<Notify>,
    /// The webhook receivers (outcome events are made with them).
    pub hooks: Arc<Hooks>,
    /// Keep name / phone / email.
    keep: [bool; 3],
    /// Tells the webhook delivery task to finish its attempts in flight and stop.
    stop_delivery: Arc<Notify>,
    /// The retention task, then the webhook delivery task when there are receivers.
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl std::fmt::Debug for DecisionLoop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecisionLoop")
            .field("backend", &self.store.backend())
            .finish_non_exhaustive()
    }
}

/// Where the SQLite store goes: `[decisions] path`, else beside the fraud list.
pub fn sqlite_path(settings: &Settings) -> Option<PathBuf> {
    settings.decisions.path.clone().or_else(|| {
        settings
            .fraud
            .as_deref()
            .map(|f| f.with_file_name("decisions.sqlite"))
    })
}

impl DecisionLoop {
    /// Opens the store and starts the recorder and the retention task, when the settings
    /// ask for any of it (needs a Tokio runtime).
    pub fn start(
        settings: &Settings,
        metrics: &Metrics,
        events: EventsFor,
        hooks: Arc<Hooks>,
    ) -> Result<Option<DecisionLoop>, SetupError> {
        let section = &settings.decisions;
        if !section.enabled && settings.webhooks.is_empty() {
            return Ok(None);
        }
        let store = match &settings.store {
            Some(pg) => Decisions::postgres(pg.clone()),
            None => Decisions::sqlite(&sqlite_path(settings).ok_or(SetupError::NoPath)?)?,
        };
        let wake = Arc::new(Notify::new());
        let recorder = Recorder::start(
            store.clone(),
            section.queue,
            Duration::from_millis(section.flush_ms),
            events,
            Arc::clone(&wake),
            metrics.decision_counts(),
        );
        let keep =
            ["name", "phone", "email"].map(|f| section.keep_buyer_fields.iter().any(|k| k == f));
        let prune = tokio::spawn(prune_forever(store.clone(), section.retention_days));
        let stop_delivery = Arc::new(Notify::new());
        let mut tasks = vec![prune];
        if !hooks.is_empty() {
            let stop = Arc::clone(&stop_delivery);
            tasks.push(crate::webhooks::spawn_delivery(
                store.clone(),
                Arc::clone(&hooks),
                Arc::clone(&wake),
                metrics.webhooks(),
                async move { stop.notified().await },
            ));
        }
        tracing::info!(
            backend = store.backend(),
            recording = section.enabled,
            retention_days = section.retention_days,
            "decision store open"
        );
        Ok(Some(DecisionLoop {
            store,
            section: section.clone(),
            recorder,
            record: section.enabled,
            wake,
            hooks,
            keep,
            stop_delivery,
            tasks: Mutex::new(tasks),
        }))
    }

    /// True when orders are recorded (`[decisions] enabled`), not only their events.
    pub fn records(&self) -> bool {
        self.record
    }

    /// True when `action` puts an order in the review queue.
    pub fn reviews(&self, action: &str) -> bool {
        self.section.review_actions.iter().any(|a| a == action)
    }

    /// Which buyer fields are kept: name, phone, e-mail.
    pub fn keeps(&self) -> [bool; 3] {
        self.keep
    }

    /// Hands a screened order to the recorder (never waits). Orders without an `order_id`
    /// are not recorded, but still raise their webhook events.
    pub fn offer(&self, decision: Decision) {
        self.recorder.offer(decision);
    }

    /// Writes what is queued, lets the webhook attempts in flight finish (an attempt's
    /// timeout at most) and stops the tasks (a graceful stop).
    pub async fn stop(&self) {
        self.recorder.close().await;
        self.stop_delivery.notify_one();
        let tasks = self
            .tasks
            .lock()
            .map(|mut t| std::mem::take(&mut *t))
            .unwrap_or_default();
        let mut tasks = tasks.into_iter();
        if let Some(prune) = tasks.next() {
            prune.abort();
        }
        for delivery in tasks {
            let _ = delivery.await;
        }
    }

    /// Deletes what is older than the retention, now.
    pub async fn prune_now(&self) -> Result<Pruned, DecisionsError> {
        prune_once(&self.store, self.section.retention_days).await
    }
}

async fn prune_once(store: &Decisions, retention_days: u32) -> Result<Pruned, DecisionsError> {
    let before = banchi_decisions::now_ms() - i64::from(retention_days) * DAY_MS;
    store.prune(before).await
}

/// Deletes expired decisions, outcomes and events at start and every [`PRUNE_EVERY`].
async fn prune_forever(store: Decisions, retention_days: u32) {
    let mut every = tokio::time::interval(PRUNE_EVERY);
    loop {
        every.tick().await;
        match prune_once(&store, retention_days).await {
            Ok(p) if p.decisions + p.outcomes + p.events > 0 => tracing::info!(
                decisions = p.decisions,
                outcomes = p.outcomes,
                events = p.events,
                "expired decisions deleted"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(
                error = %e,
                "deleting expired decisions failed; tried again in an hour"
            ),
        }
    }
}
