//! What banchi decided about each order, and what people and the platform decided after.
//!
//! `banchi serve` answers an order and, with `[decisions] enabled`, records it here off the
//! request path, in batches: the time, order id, the address as given and its key, score,
//! action, grades, reasons, matched entry ids and `lists_version` ([`record::Decision`]). Orders
//! whose action is one of `review_actions` wait in the **review queue** until a person
//! approves them, confirms fraud or holds them ([`record::ReviewDecision`]); the platform reports
//! **outcomes** (chargebacks, fraud, unpaid…) that list the order's delivery point; outcomes
//! grouped by delivery point make **block candidates**; and the **webhook outbox** keeps
//! alert events until their receivers have them (at least once).
//!
//! Two backends with one interface, [`Decisions`]:
//! * [`sqlite`] — the embedded default, `decisions.sqlite` beside the fraud list;
//! * [`postgres`] — the same tables in the PostgreSQL list store (`--store postgres`), shared
//!   by every replica.
//!
//! Modules: [`record`] (the rows), [`error`], [`sqlite`], [`postgres`]. The server decides
//! what to record and when; this crate only keeps it. Nothing here logs a row.
//!
//! ```
//! use banchi_decisions::{record::*, sqlite::SqliteDecisions};
//! let dir = tempfile::tempdir()?;
//! let store = SqliteDecisions::open(&dir.path().join("decisions.sqlite"))?;
//! let order = Decision {
//!     order_id: "A-1".into(), at_ms: 1_000, address: "東京都千代田区丸の内1-1-1".into(),
//!     key: Some("13101|丸の内|1|1-1".into()), score: 45, action: "review".into(),
//!     fraud_grade: Some("caution".into()), forwarder_grade: None,
//!     reasons: vec!["fraud_caution".into()], entry_ids: vec!["fraud:F1".into()],
//!     lists_version: "v1".into(), buyer: BuyerFields::default(), review: true, detail: None,
//! };
//! store.record(&[order], &[])?;
//! let open = store.reviews(&ReviewQuery { limit: 10, ..ReviewQuery::default() })?;
//! assert_eq!(open[0].status, Some(ReviewStatus::Open));
//! let hold = Decide { decision: ReviewDecision::Hold, by: "alice".into(), reason: None,
//!                     memo: Some("電話確認中".into()), at_ms: 2_000 };
//! assert_eq!(store.decide("A-1", &hold)?.status, Some(ReviewStatus::Held));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod error;
pub mod postgres;
pub mod record;
pub mod sqlite;

pub use error::DecisionsError;
pub use record::now_ms;

use record::{
    Candidate, CandidateQuery, Counts, Decide, Decision, Delivery, DeliveryLog, OutboxEvent,
    Outcome, OutcomeRecorded, Pruned, Review, ReviewQuery,
};
use std::sync::Arc;

/// The decision store, in SQLite or in PostgreSQL. Cheap to clone; every call is async
/// (SQLite's run on tokio's blocking pool, so callers need a tokio runtime).
#[derive(Debug, Clone)]
pub enum Decisions {
    /// `decisions.sqlite` beside the lists.
    Sqlite(Arc<sqlite::SqliteDecisions>),
    /// The PostgreSQL list store's database.
    Postgres(Arc<postgres::PgDecisions>),
}

/// Runs a blocking SQLite call on tokio's blocking pool.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, DecisionsError> + Send + 'static,
) -> Result<T, DecisionsError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| DecisionsError::Task)?
}

/// One method of [`Decisions`]: the SQLite call on the blocking pool, or the PostgreSQL one.
macro_rules! dispatch {
    ($self:ident, $method:ident ( $($arg:expr),* )) => {
        match $self {
            Decisions::Sqlite(s) => {
                let s = Arc::clone(s);
                blocking(move || s.$method($($arg),*)).await
            }
            Decisions::Postgres(p) => p.$method($($arg),*).await,
        }
    };
}

impl Decisions {
    /// Opens the SQLite store at `path` (created when missing, mode 0600).
    pub fn sqlite(path: &std::path::Path) -> Result<Decisions, DecisionsError> {
        Ok(Decisions::Sqlite(Arc::new(sqlite::SqliteDecisions::open(
            path,
        )?)))
    }

    /// The decision tables of the PostgreSQL list store (migrated by `banchi store migrate`).
    pub fn postgres(store: banchi_store::Store) -> Decisions {
        Decisions::Postgres(Arc::new(postgres::PgDecisions::new(store)))
    }

    /// `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self {
            Decisions::Sqlite(_) => "sqlite",
            Decisions::Postgres(_) => "postgres",
        }
    }

    /// Records screened orders and the events they raised, in one transaction (shared
    /// slices: a caller can try the same batch again).
    pub async fn record(
        &self,
        batch: Arc<[Decision]>,
        events: Arc<[OutboxEvent]>,
    ) -> Result<(), DecisionsError> {
        dispatch!(self, record(&batch, &events))
    }

    /// One order as recorded.
    pub async fn order(&self, order_id: String) -> Result<Option<Review>, DecisionsError> {
        dispatch!(self, order(&order_id))
    }

    /// A page of the review queue, newest first.
    pub async fn reviews(&self, q: ReviewQuery) -> Result<Vec<Review>, DecisionsError> {
        dispatch!(self, reviews(&q))
    }

    /// Records a reviewer's decision on an open or held order.
    pub async fn decide(&self, order_id: String, d: Decide) -> Result<Review, DecisionsError> {
        dispatch!(self, decide(&order_id, &d))
    }

    /// Records an outcome of a recorded order.
    pub async fn outcome(
        &self,
        order_id: String,
        outcome: Outcome,
        at_ms: i64,
        by: String,
    ) -> Result<OutcomeRecorded, DecisionsError> {
        dispatch!(self, outcome(&order_id, outcome, at_ms, &by))
    }

    /// Claims the listing of an order's delivery point (true for one caller).
    pub async fn claim_listing(&self, order_id: String) -> Result<bool, DecisionsError> {
        dispatch!(self, claim_listing(&order_id))
    }

    /// Notes the entry that lists the order's delivery point.
    pub async fn set_listing(&self, order_id: String, entry: String) -> Result<(), DecisionsError> {
        dispatch!(self, set_listing(&order_id, &entry))
    }

    /// Gives a listing claim back.
    pub async fn release_listing(&self, order_id: String) -> Result<(), DecisionsError> {
        dispatch!(self, release_listing(&order_id))
    }

    /// Block candidates.
    pub async fn candidates(&self, q: CandidateQuery) -> Result<Vec<Candidate>, DecisionsError> {
        dispatch!(self, candidates(&q))
    }

    /// Deletes what is older than `before_ms`.
    pub async fn prune(&self, before_ms: i64) -> Result<Pruned, DecisionsError> {
        dispatch!(self, prune(before_ms))
    }

    /// Queues webhook events.
    pub async fn enqueue(&self, events: Vec<OutboxEvent>) -> Result<(), DecisionsError> {
        dispatch!(self, enqueue(&events))
    }

    /// Takes the events due now, leased for `lease_ms`.
    pub async fn claim_due(
        &self,
        now_ms: i64,
        lease_ms: i64,
        limit: usize,
    ) -> Result<Vec<Delivery>, DecisionsError> {
        dispatch!(self, claim_due(now_ms, lease_ms, limit))
    }

    /// When the next undelivered event is due.
    pub async fn next_due(&self) -> Result<Option<i64>, DecisionsError> {
        dispatch!(self, next_due())
    }

    /// Notes a delivery.
    pub async fn delivered(&self, id: i64, status: u16, at_ms: i64) -> Result<(), DecisionsError> {
        dispatch!(self, delivered(id, status, at_ms))
    }

    /// Notes a failed attempt and the next one.
    pub async fn retry(
        &self,
        id: i64,
        next_at_ms: i64,
        status: Option<u16>,
        error: String,
    ) -> Result<(), DecisionsError> {
        dispatch!(self, retry(id, next_at_ms, status, &error))
    }

    /// Notes the last failed attempt.
    pub async fn give_up(
        &self,
        id: i64,
        at_ms: i64,
        status: Option<u16>,
        error: String,
    ) -> Result<(), DecisionsError> {
        dispatch!(self, give_up(id, at_ms, status, &error))
    }

    /// The delivery log, newest first.
    pub async fn deliveries(&self, limit: usize) -> Result<Vec<DeliveryLog>, DecisionsError> {
        dispatch!(self, deliveries(limit))
    }

    /// Counts for the page and metrics.
    pub async fn counts(&self) -> Result<Counts, DecisionsError> {
        dispatch!(self, counts())
    }
}
