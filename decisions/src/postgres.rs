//! The decision store in the PostgreSQL list store's database (`--store postgres`).
//!
//! PLACEHOLDER while the PostgreSQL backend is being written on its own branch: every call
//! answers that the backend is not available yet.

use crate::error::DecisionsError;
use crate::record::{
    Candidate, CandidateQuery, Counts, Decide, Decision, Delivery, DeliveryLog, OutboxEvent,
    Outcome, OutcomeRecorded, Pruned, Review, ReviewQuery,
};

/// The decision tables in PostgreSQL.
#[derive(Debug)]
pub struct PgDecisions {
    store: banchi_store::Store,
}

fn missing<T>() -> Result<T, DecisionsError> {
    Err(DecisionsError::Task)
}

#[allow(unused_variables, missing_docs)]
impl PgDecisions {
    /// Over the list store's pool.
    pub fn new(store: banchi_store::Store) -> PgDecisions {
        PgDecisions { store }
    }
    pub async fn record(
        &self,
        batch: &[Decision],
        events: &[OutboxEvent],
    ) -> Result<(), DecisionsError> {
        missing()
    }
    pub async fn order(&self, order_id: &str) -> Result<Option<Review>, DecisionsError> {
        missing()
    }
    pub async fn reviews(&self, q: &ReviewQuery) -> Result<Vec<Review>, DecisionsError> {
        missing()
    }
    pub async fn decide(&self, order_id: &str, d: &Decide) -> Result<Review, DecisionsError> {
        missing()
    }
    pub async fn outcome(
        &self,
        order_id: &str,
        outcome: Outcome,
        at_ms: i64,
        by: &str,
    ) -> Result<OutcomeRecorded, DecisionsError> {
        missing()
    }
    pub async fn claim_listing(&self, order_id: &str) -> Result<bool, DecisionsError> {
        missing()
    }
    pub async fn set_listing(&self, order_id: &str, entry: &str) -> Result<(), DecisionsError> {
        missing()
    }
    pub async fn release_listing(&self, order_id: &str) -> Result<(), DecisionsError> {
        missing()
    }
    pub async fn candidates(&self, q: &CandidateQuery) -> Result<Vec<Candidate>, DecisionsError> {
        missing()
    }
    pub async fn prune(&self, before_ms: i64) -> Result<Pruned, DecisionsError> {
        missing()
    }
    pub async fn enqueue(&self, events: &[OutboxEvent]) -> Result<(), DecisionsError> {
        missing()
    }
    pub async fn claim_due(
        &self,
        now_ms: i64,
        lease_ms: i64,
        limit: usize,
    ) -> Result<Vec<Delivery>, DecisionsError> {
        missing()
    }
    pub async fn next_due(&self) -> Result<Option<i64>, DecisionsError> {
        missing()
    }
    pub async fn delivered(&self, id: i64, status: u16, at_ms: i64) -> Result<(), DecisionsError> {
        missing()
    }
    pub async fn retry(
        &self,
        id: i64,
        next_at_ms: i64,
        status: Option<u16>,
        error: &str,
    ) -> Result<(), DecisionsError> {
        missing()
    }
    pub async fn give_up(
        &self,
        id: i64,
        at_ms: i64,
        status: Option<u16>,
        error: &str,
    ) -> Result<(), DecisionsError> {
        missing()
    }
    pub async fn deliveries(&self, limit: usize) -> Result<Vec<DeliveryLog>, DecisionsError> {
        missing()
    }
    pub async fn counts(&self) -> Result<Counts, DecisionsError> {
        missing()
    }
}
