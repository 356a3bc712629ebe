//! `banchi serve --store postgres`: the store's side of the server state — the replica's
//! position in the store's change log (the last change in force, each list's snapshot),
//! whether the store answers (`/readyz`'s `store`), and how store errors are answered.
//! What keeps it current is [`crate::follow`].
use crate::error::ApiError;
use crate::lists::Which;
use crate::metrics::Metrics;
use banchi_store::{ListName, Store, StoreError};
use serde::Serialize;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Instant, SystemTime};

/// The store's side of the server (see the module documentation).
#[derive(Debug)]
pub struct Replica {
    store: Store,
    /// The last change in force.
    pub(crate) applied: AtomicI64,
    /// The change each list's base (snapshot) covers: `[fraud, forwarders]`.
    pub(crate) base: Mutex<[i64; 2]>,
    /// One catch-up at a time (the follower's and the edits').
    pub(crate) catching_up: tokio::sync::Mutex<()>,
    /// When the store stopped answering, and why (`None`: current).
    pub(crate) stale: Mutex<Option<(SystemTime, String)>>,
    /// When the last change was applied (for snapshots once edits settle).
    pub(crate) last_change: Mutex<Option<Instant>>,
}

/// `/readyz`'s view of the store.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StoreStatus {
    /// `current`, or `stale` while the store cannot be reached (screening goes on with the
    /// lists held; edits answer 503).
    pub state: &'static str,
    /// The last change of the change log in force here.
    pub seq: i64,
    /// Since when the store has not answered (RFC 3339), when stale.
    pub stale_since: Option<String>,
}

/// The server's name of a store list.
pub(crate) fn which(list: ListName) -> Which {
    match list {
        ListName::Fraud => Which::Fraud,
        ListName::Forwarders => Which::Forwarders,
    }
}

/// The store's name of a server list.
pub fn list_name(which: Which) -> ListName {
    match which {
        Which::Fraud => ListName::Fraud,
        Which::Forwarders => ListName::Forwarders,
    }
}

/// A store error as the API answers it: the list rules' refusals as the file-backed server
/// answers them, an unreachable store as 503, anything else logged and 500.
pub fn store_error(e: StoreError) -> ApiError {
    match e {
        StoreError::List(e) => crate::error::list_error(e),
        e if e.is_unavailable() => ApiError::Unavailable(
            "the list store (PostgreSQL) cannot be reached: edits are refused until it is back; screening goes on with the lists held".into(),
        ),
        e => {
            tracing::error!(error = %e, "list store");
            ApiError::Internal
        }
    }
}

impl Replica {
    /// A replica of `store`, nothing loaded yet.
    pub fn new(store: Store) -> Replica {
        Replica {
            store,
            applied: AtomicI64::new(0),
            base: Mutex::new([0, 0]),
            catching_up: tokio::sync::Mutex::new(()),
            stale: Mutex::new(None),
            last_change: Mutex::new(None),
        }
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The last change in force.
    pub fn applied(&self) -> i64 {
        self.applied.load(Ordering::Acquire)
    }

    /// Current or stale (see the module documentation).
    pub fn status(&self) -> StoreStatus {
        let stale = self.stale.lock().unwrap_or_else(PoisonError::into_inner);
        StoreStatus {
            state: if stale.is_some() { "stale" } else { "current" },
            seq: self.applied(),
            stale_since: stale
                .as_ref()
                .map(|(t, _)| banchi::watchlist::manage::rfc3339_utc(*t)),
        }
    }

    /// Marks the store unreachable (logged once, with the last change in force).
    pub(crate) fn set_stale(&self, metrics: &Metrics, e: &StoreError) {
        let mut stale = self.stale.lock().unwrap_or_else(PoisonError::into_inner);
        if stale.is_none() {
            tracing::warn!(error = %e, seq = self.applied(), "the list store cannot be reached: screening goes on with the lists held; edits answer 503");
            *stale = Some((SystemTime::now(), e.to_string()));
            metrics.store(true, self.applied());
        }
    }

    /// Marks the store answering again.
    pub(crate) fn set_current(&self, metrics: &Metrics) {
        let mut stale = self.stale.lock().unwrap_or_else(PoisonError::into_inner);
        if stale.take().is_some() {
            tracing::info!(
                seq = self.applied(),
                "the list store answers again; caught up"
            );
        }
        metrics.store(false, self.applied());
    }
}
