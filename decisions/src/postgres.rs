//! The decision store in the PostgreSQL list store's database (`--store postgres`).
//!
//! **What.** The same rows as [`crate::sqlite`] — `banchi_decisions` (one row per order id,
//! its place in the review queue), `banchi_outcomes`, `banchi_webhook_outbox` — in the
//! database the lists live in, created by the store's migration 3
//! (`store/migrations/0003_decisions.sql`, `banchi store migrate`), queried over the list
//! store's connection pool ([`banchi_store::Store::client`]). Same methods, same answers and
//! errors as the SQLite backend (the one test suite runs on both).
//!
//! **Why there.** Several `banchi serve` replicas behind a load balancer share one review
//! queue (a reviewer's decision on replica A is what replica B shows) and one webhook outbox
//! (an event recorded by any replica is delivered once by whichever worker takes it). A
//! file per replica could do neither.
//!
//! **How.**
//! * Recording must not slow screening: a batch of orders and the events they raised is
//!   **one statement, one round trip** — arrays bound as parameters, `unnest`ed into
//!   `INSERT … ON CONFLICT` (the two inserts as data-modifying CTEs, so both are kept or
//!   neither). Orders repeated within a batch are merged first as SQLite would have applied
//!   them one after the other, and sorted by id, so concurrent batches lock rows in one order.
//! * The review page reads the partial index `(review, at DESC, order_id DESC)`: one status
//!   is a range scan that stops after a page (keyset cursor, never `OFFSET`); several
//!   statuses are one such scan each, merged.
//! * The outbox's workers, one per replica, take due rows with `FOR UPDATE SKIP LOCKED` and
//!   **lease** them in the same statement (`next_at` moved past the lease): two workers never
//!   take one row at once, neither waits for the other, and a row whose worker died is due
//!   again when its lease ends (delivery is at least once; receivers dedupe on the event id).
//! * Pruning deletes a chunk per statement, so no transaction holds many row locks long.
//!
//! Nothing here logs a row (addresses, buyer fields) or the database URL.

use crate::error::DecisionsError;
use crate::record::undecided;
use crate::record::{
    join_words, BuyerFields, Candidate, CandidateQuery, Counts, Decide, Decision, Delivery,
    DeliveryLog, OutboxEvent, Outcome, OutcomeRecorded, Pruned, Review, ReviewQuery, ReviewStatus,
};
use std::collections::BTreeMap;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

/// The columns a [`Review`] is read from, in [`review_from_row`]'s order.
const REVIEW_COLUMNS: &str = "order_id, at, address, key, score, action, fraud_grade, \
    forwarder_grade, reasons, entry_ids, lists_version, name, phone, email, review, \
    decided_by, decided_at, decision_reason, decision_memo, listed_entry, detail";

/// Rows deleted per pruning statement.
const PRUNE_CHUNK: i64 = 5_000;

/// A batch of orders and events, each column an array parameter. An empty batch of orders
/// (`enqueue`) inserts no decision.
const RECORD: &str = "
WITH d AS (
    INSERT INTO banchi_decisions (order_id, at, address, key, score, action, fraud_grade,
        forwarder_grade, reasons, entry_ids, lists_version, name, phone, email, detail, review)
    SELECT o, a, ad, k, s, ac, fg, wg, string_to_array(r, ' '), string_to_array(e, ' '), lv,
        n, p, em, dt, CASE WHEN rv THEN 'open' END
    FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::integer[], $6::text[],
        $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[],
        $14::text[], $15::text[], $16::boolean[])
        AS t(o, a, ad, k, s, ac, fg, wg, r, e, lv, n, p, em, dt, rv)
    ON CONFLICT (order_id) DO UPDATE SET at = excluded.at, address = excluded.address,
        key = excluded.key, score = excluded.score, action = excluded.action,
        fraud_grade = excluded.fraud_grade, forwarder_grade = excluded.forwarder_grade,
        reasons = excluded.reasons, entry_ids = excluded.entry_ids,
        lists_version = excluded.lists_version, name = excluded.name, phone = excluded.phone,
        email = excluded.email,
        detail = coalesce(excluded.detail, banchi_decisions.detail),
        review = coalesce(banchi_decisions.review, excluded.review)
)
INSERT INTO banchi_webhook_outbox (event_id, url, event, body, created_at, next_at)
SELECT i, u, ev, b, c, c
FROM unnest($17::text[], $18::text[], $19::text[], $20::text[], $21::bigint[])
    WITH ORDINALITY AS t(i, u, ev, b, c, nr)
ORDER BY nr
ON CONFLICT (event_id, url) DO NOTHING";

/// The decision tables in PostgreSQL (see the module documentation).
#[derive(Debug)]
pub struct PgDecisions {
    store: banchi_store::Store,
}

/// One order of a batch after merging the batch's repeats of its id.
struct Merged<'a> {
    last: &'a Decision,
    detail: Option<&'a str>,
    review: bool,
}

/// Merges the orders of a batch that share an id, as recording them one after the other
/// would: the last screening, the last detail given, in review if any was. Sorted by id.
fn merge(batch: &[Decision]) -> Vec<Merged<'_>> {
    let mut by_id: BTreeMap<&str, Merged<'_>> = BTreeMap::new();
    for d in batch {
        let merged = match by_id.remove(d.order_id.as_str()) {
            None => Merged {
                last: d,
                detail: d.detail.as_deref(),
                review: d.review,
            },
            Some(before) => Merged {
                last: d,
                detail: d.detail.as_deref().or(before.detail),
                review: before.review || d.review,
            },
        };
        by_id.insert(&d.order_id, merged);
    }
    by_id.into_values().collect()
}

fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl PgDecisions {
    /// Over the list store's pool (its schema migrated to version 3 or later).
    pub fn new(store: banchi_store::Store) -> PgDecisions {
        PgDecisions { store }
    }

    /// The list store this keeps its tables in.
    pub fn store(&self) -> &banchi_store::Store {
        &self.store
    }

    /// Records a batch of screened orders and the webhook events they raised, in one
    /// statement: both are kept, or neither.
    pub async fn record(
        &self,
        batch: &[Decision],
        events: &[OutboxEvent],
    ) -> Result<(), DecisionsError> {
        if batch.is_empty() && events.is_empty() {
            return Ok(());
        }
        let merged = merge(batch);
        let ds = || merged.iter().map(|m| m.last);
        let order_id: Vec<&str> = ds().map(|d| d.order_id.as_str()).collect();
        let at: Vec<i64> = ds().map(|d| d.at_ms).collect();
        let address: Vec<&str> = ds().map(|d| d.address.as_str()).collect();
        let key: Vec<Option<&str>> = ds().map(|d| d.key.as_deref()).collect();
        let score: Vec<i32> = ds()
            .map(|d| i32::try_from(d.score).unwrap_or(i32::MAX))
            .collect();
        let action: Vec<&str> = ds().map(|d| d.action.as_str()).collect();
        let fraud: Vec<Option<&str>> = ds().map(|d| d.fraud_grade.as_deref()).collect();
        let forwarder: Vec<Option<&str>> = ds().map(|d| d.forwarder_grade.as_deref()).collect();
        let reasons: Vec<String> = ds().map(|d| join_words(&d.reasons)).collect();
        let entries: Vec<String> = ds().map(|d| join_words(&d.entry_ids)).collect();
        let version: Vec<&str> = ds().map(|d| d.lists_version.as_str()).collect();
        let name: Vec<Option<&str>> = ds().map(|d| d.buyer.name.as_deref()).collect();
        let phone: Vec<Option<&str>> = ds().map(|d| d.buyer.phone.as_deref()).collect();
        let email: Vec<Option<&str>> = ds().map(|d| d.buyer.email.as_deref()).collect();
        let detail: Vec<Option<&str>> = merged.iter().map(|m| m.detail).collect();
        let review: Vec<bool> = merged.iter().map(|m| m.review).collect();
        let event_id: Vec<&str> = events.iter().map(|e| e.event_id.as_str()).collect();
        let url: Vec<&str> = events.iter().map(|e| e.url.as_str()).collect();
        let event: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
        let body: Vec<&str> = events.iter().map(|e| e.body.as_str()).collect();
        let created: Vec<i64> = events.iter().map(|e| e.created_at_ms).collect();
        let client = self.store.client().await?;
        let stmt = client.prepare_cached(RECORD).await?;
        client
            .execute(
                &stmt,
                &[
                    &order_id, &at, &address, &key, &score, &action, &fraud, &forwarder, &reasons,
                    &entries, &version, &name, &phone, &email, &detail, &review, &event_id, &url,
                    &event, &body, &created,
                ],
            )
            .await?;
        Ok(())
    }

    /// One order as recorded.
    pub async fn order(&self, order_id: &str) -> Result<Option<Review>, DecisionsError> {
        let client = self.store.client().await?;
        let stmt = client
            .prepare_cached(&format!(
                "SELECT {REVIEW_COLUMNS} FROM banchi_decisions WHERE order_id = $1"
            ))
            .await?;
        match client.query_opt(&stmt, &[&order_id]).await? {
            Some(row) => Ok(Some(review_from_row(&row)?)),
            None => Ok(None),
        }
    }

    /// A page of the review queue, newest first (keyset: `after` is the previous page's last
    /// order id).
    pub async fn reviews(&self, q: &ReviewQuery) -> Result<Vec<Review>, DecisionsError> {
        let client = self.store.client().await?;
        let mut statuses: Vec<&'static str> = if q.statuses.is_empty() {
            vec![ReviewStatus::Open.as_str()]
        } else {
            q.statuses.iter().map(|s| s.as_str()).collect()
        };
        statuses.sort_unstable();
        statuses.dedup();
        let after_at: Option<i64> = match &q.after {
            None => None,
            Some(after) => {
                let stmt = client
                    .prepare_cached("SELECT at FROM banchi_decisions WHERE order_id = $1")
                    .await?;
                let row = client.query_opt(&stmt, &[after]).await?;
                Some(row.ok_or(DecisionsError::NotFound)?.try_get(0)?)
            }
        };
        let limit = to_i64(q.limit);
        // Parameters shared by every status's scan: the filters, then the statuses.
        let mut args: Vec<&(dyn ToSql + Sync)> = vec![&limit];
        let mut filters = String::new();
        if let Some(g) = &q.grade {
            args.push(g);
            filters.push_str(&format!(
                " AND (fraud_grade = ${n} OR forwarder_grade = ${n})",
                n = args.len()
            ));
        }
        if let Some(r) = &q.reason {
            args.push(r);
            filters.push_str(&format!(" AND ${} = ANY (reasons)", args.len()));
        }
        if let Some(from) = &q.from_ms {
            args.push(from);
            filters.push_str(&format!(" AND at >= ${}", args.len()));
        }
        if let Some(to) = &q.to_ms {
            args.push(to);
            filters.push_str(&format!(" AND at < ${}", args.len()));
        }
        if let (Some(at), Some(after)) = (&after_at, &q.after) {
            args.push(at);
            args.push(after);
            filters.push_str(&format!(
                " AND (at, order_id) < (${}, ${})",
                args.len() - 1,
                args.len()
            ));
        }
        let scans: Vec<String> = statuses
            .iter()
            .map(|s| {
                args.push(s);
                format!(
                    "SELECT {REVIEW_COLUMNS} FROM banchi_decisions WHERE review = ${}{filters}
                     ORDER BY at DESC, order_id DESC LIMIT $1",
                    args.len()
                )
            })
            .collect();
        let sql = match scans.as_slice() {
            [one] => one.clone(),
            several => format!(
                "SELECT {REVIEW_COLUMNS} FROM ({}) AS queue ORDER BY at DESC, order_id DESC LIMIT $1",
                several
                    .iter()
                    .map(|s| format!("({s})"))
                    .collect::<Vec<_>>()
                    .join(" UNION ALL ")
            ),
        };
        let stmt = client.prepare_cached(&sql).await?;
        let rows = client.query(&stmt, &args).await?;
        rows.iter().map(review_from_row).collect()
    }

    /// Records a reviewer's decision on an open or held order.
    pub async fn decide(&self, order_id: &str, d: &Decide) -> Result<Review, DecisionsError> {
        let mut client = self.store.client().await?;
        let tx = client.transaction().await?;
        let current = tx
            .query_opt(
                &format!(
                    "SELECT {REVIEW_COLUMNS} FROM banchi_decisions WHERE order_id = $1 FOR UPDATE"
                ),
                &[&order_id],
            )
            .await?
            .ok_or(DecisionsError::NotFound)?;
        undecided(&review_from_row(&current)?)?;
        let after = tx
            .query_one(
                &format!(
                    "UPDATE banchi_decisions SET review = $2, decided_by = $3, decided_at = $4,
                         decision_reason = $5, decision_memo = $6
                     WHERE order_id = $1 RETURNING {REVIEW_COLUMNS}"
                ),
                &[
                    &order_id,
                    &d.decision.status().as_str(),
                    &d.by,
                    &d.at_ms,
                    &d.reason,
                    &d.memo,
                ],
            )
            .await?;
        let after = review_from_row(&after)?;
        tx.commit().await?;
        Ok(after)
    }

    /// Records an outcome of a recorded order; `first` is false when the same outcome was
    /// recorded before. One statement.
    pub async fn outcome(
        &self,
        order_id: &str,
        outcome: Outcome,
        at_ms: i64,
        by: &str,
    ) -> Result<OutcomeRecorded, DecisionsError> {
        let client = self.store.client().await?;
        let stmt = client
            .prepare_cached(&format!(
                "WITH o AS (SELECT {REVIEW_COLUMNS} FROM banchi_decisions WHERE order_id = $1),
                 ins AS (
                     INSERT INTO banchi_outcomes (order_id, outcome, at, received_at, by)
                     SELECT $1::text, $2::text, $3::bigint, $4::bigint, $5::text
                     WHERE EXISTS (SELECT 1 FROM o)
                     ON CONFLICT DO NOTHING RETURNING 1)
                 SELECT o.*, (SELECT count(*) FROM ins) FROM o"
            ))
            .await?;
        let row = client
            .query_opt(
                &stmt,
                &[&order_id, &outcome.as_str(), &at_ms, &crate::now_ms(), &by],
            )
            .await?
            .ok_or(DecisionsError::NotFound)?;
        let inserted: i64 = row.try_get(21)?;
        Ok(OutcomeRecorded {
            first: inserted == 1,
            order: review_from_row(&row)?,
        })
    }

    /// Claims the right to list this order's delivery point: true for exactly one caller
    /// (of any replica) until [`Self::release_listing`].
    pub async fn claim_listing(&self, order_id: &str) -> Result<bool, DecisionsError> {
        let n = self
            .execute(
                "UPDATE banchi_decisions SET listed_entry = ''
                 WHERE order_id = $1 AND listed_entry IS NULL",
                &[&order_id],
            )
            .await?;
        Ok(n == 1)
    }

    /// Notes the entry that lists this order's delivery point (after a claim).
    pub async fn set_listing(&self, order_id: &str, entry: &str) -> Result<(), DecisionsError> {
        self.execute(
            "UPDATE banchi_decisions SET listed_entry = $2 WHERE order_id = $1",
            &[&order_id, &entry],
        )
        .await?;
        Ok(())
    }

    /// Gives a claim back (the list refused the entry).
    pub async fn release_listing(&self, order_id: &str) -> Result<(), DecisionsError> {
        self.execute(
            "UPDATE banchi_decisions SET listed_entry = NULL
             WHERE order_id = $1 AND listed_entry = ''",
            &[&order_id],
        )
        .await?;
        Ok(())
    }

    /// Delivery points with enough fraud outcomes, or a velocity order followed by a
    /// chargeback, in the window (whether they are listed already is the caller's to check).
    pub async fn candidates(&self, q: &CandidateQuery) -> Result<Vec<Candidate>, DecisionsError> {
        let client = self.store.client().await?;
        let stmt = client
            .prepare_cached(
                "SELECT key, n, last, address, orders, vtc FROM (
                     SELECT d.key,
                            count(DISTINCT d.order_id) AS n,
                            max(o.at) AS last,
                            (SELECT a.address FROM banchi_outcomes ao
                                JOIN banchi_decisions a ON a.order_id = ao.order_id
                                WHERE a.key = d.key ORDER BY a.at DESC LIMIT 1) AS address,
                            (array_agg(DISTINCT d.order_id ORDER BY d.order_id))[1:20] AS orders,
                            EXISTS (SELECT 1 FROM banchi_decisions v
                                WHERE v.key = d.key AND 'velocity' = ANY (v.reasons)
                                  AND v.at <= (SELECT max(c.at) FROM banchi_decisions c
                                      JOIN banchi_outcomes co ON co.order_id = c.order_id
                                      WHERE c.key = d.key AND co.outcome = 'chargeback'
                                        AND co.at >= $1)) AS vtc
                     FROM banchi_outcomes o JOIN banchi_decisions d ON d.order_id = o.order_id
                     WHERE o.outcome IN ('chargeback', 'fraud', 'unpaid') AND o.at >= $1
                       AND d.key IS NOT NULL
                     GROUP BY d.key) AS points
                 WHERE n >= $2 OR vtc
                 ORDER BY n DESC, last DESC
                 LIMIT $3",
            )
            .await?;
        let min = i64::from(q.min_fraud_outcomes);
        let rows = client
            .query(&stmt, &[&q.since_ms, &min, &to_i64(q.limit)])
            .await?;
        rows.iter()
            .map(|r| {
                let n: i64 = r.try_get(1)?;
                Ok(Candidate {
                    key: r.try_get(0)?,
                    fraud_outcomes: u32::try_from(n).unwrap_or(u32::MAX),
                    last_outcome_ms: r.try_get(2)?,
                    address: r.try_get::<_, Option<String>>(3)?.unwrap_or_default(),
                    orders: r.try_get(4)?,
                    velocity_then_chargeback: r.try_get(5)?,
                })
            })
            .collect()
    }

    /// Deletes decisions and outcomes of orders screened before `before_ms`, outcomes
    /// before it, and webhook events queued before it — a chunk per statement.
    pub async fn prune(&self, before_ms: i64) -> Result<Pruned, DecisionsError> {
        let client = self.store.client().await?;
        let mut pruned = Pruned::default();
        let orders = client
            .prepare_cached(
                "WITH chunk AS (
                     SELECT order_id FROM banchi_decisions WHERE at < $1
                     ORDER BY at, order_id LIMIT $2),
                 o AS (DELETE FROM banchi_outcomes
                       WHERE order_id IN (SELECT order_id FROM chunk) RETURNING 1),
                 d AS (DELETE FROM banchi_decisions
                       WHERE order_id IN (SELECT order_id FROM chunk) RETURNING 1)
                 SELECT (SELECT count(*) FROM d), (SELECT count(*) FROM o)",
            )
            .await?;
        loop {
            let row = client
                .query_one(&orders, &[&before_ms, &PRUNE_CHUNK])
                .await?;
            let (d, o): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
            pruned.decisions += d as u64;
            pruned.outcomes += o as u64;
            if d < PRUNE_CHUNK {
                break;
            }
        }
        let outcomes = client
            .prepare_cached(
                "DELETE FROM banchi_outcomes WHERE (order_id, outcome) IN (
                     SELECT order_id, outcome FROM banchi_outcomes WHERE at < $1 LIMIT $2)",
            )
            .await?;
        loop {
            let n = client
                .execute(&outcomes, &[&before_ms, &PRUNE_CHUNK])
                .await?;
            pruned.outcomes += n;
            if n < PRUNE_CHUNK as u64 {
                break;
            }
        }
        let events = client
            .prepare_cached(
                "DELETE FROM banchi_webhook_outbox WHERE id IN (
                     SELECT id FROM banchi_webhook_outbox WHERE created_at < $1 LIMIT $2)",
            )
            .await?;
        loop {
            let n = client.execute(&events, &[&before_ms, &PRUNE_CHUNK]).await?;
            pruned.events += n;
            if n < PRUNE_CHUNK as u64 {
                break;
            }
        }
        Ok(pruned)
    }

    /// Queues webhook events (an event already queued for a URL is left as it is).
    pub async fn enqueue(&self, events: &[OutboxEvent]) -> Result<(), DecisionsError> {
        self.record(&[], events).await
    }

    /// Takes up to `limit` events due at `now_ms` and leases them for `lease_ms`, in one
    /// statement: rows another worker is taking are skipped (`SKIP LOCKED`), never waited
    /// for nor taken twice; a worker that dies mid-delivery leaves them due again when the
    /// lease ends.
    pub async fn claim_due(
        &self,
        now_ms: i64,
        lease_ms: i64,
        limit: usize,
    ) -> Result<Vec<Delivery>, DecisionsError> {
        let client = self.store.client().await?;
        let stmt = client
            .prepare_cached(
                "WITH due AS (
                     SELECT id, next_at FROM banchi_webhook_outbox
                     WHERE delivered_at IS NULL AND failed_at IS NULL AND next_at <= $1
                     ORDER BY next_at, id LIMIT $3
                     FOR UPDATE SKIP LOCKED),
                 leased AS (
                     UPDATE banchi_webhook_outbox w SET next_at = $2 FROM due
                     WHERE w.id = due.id
                     RETURNING w.id, w.event_id, w.url, w.body, w.attempts, w.created_at,
                         due.next_at AS due_at)
                 SELECT id, event_id, url, body, attempts, created_at FROM leased
                 ORDER BY due_at, id",
            )
            .await?;
        let until = now_ms.saturating_add(lease_ms);
        let rows = client
            .query(&stmt, &[&now_ms, &until, &to_i64(limit)])
            .await?;
        rows.iter()
            .map(|r| {
                let attempts: i32 = r.try_get(4)?;
                Ok(Delivery {
                    id: r.try_get(0)?,
                    event_id: r.try_get(1)?,
                    url: r.try_get(2)?,
                    body: r.try_get(3)?,
                    attempts: u32::try_from(attempts).unwrap_or(0),
                    created_at_ms: r.try_get(5)?,
                })
            })
            .collect()
    }

    /// The earliest time an undelivered event is due.
    pub async fn next_due(&self) -> Result<Option<i64>, DecisionsError> {
        let client = self.store.client().await?;
        let stmt = client
            .prepare_cached(
                "SELECT min(next_at) FROM banchi_webhook_outbox
                 WHERE delivered_at IS NULL AND failed_at IS NULL",
            )
            .await?;
        Ok(client.query_one(&stmt, &[]).await?.try_get(0)?)
    }

    /// Notes a delivery (a 2xx answer).
    pub async fn delivered(&self, id: i64, status: u16, at_ms: i64) -> Result<(), DecisionsError> {
        self.execute(
            "UPDATE banchi_webhook_outbox SET delivered_at = $2, last_status = $3,
                 last_error = NULL, attempts = attempts + 1 WHERE id = $1",
            &[&id, &at_ms, &i32::from(status)],
        )
        .await?;
        Ok(())
    }

    /// Notes a failed attempt and when to try again.
    pub async fn retry(
        &self,
        id: i64,
        next_at_ms: i64,
        status: Option<u16>,
        error: &str,
    ) -> Result<(), DecisionsError> {
        self.execute(
            "UPDATE banchi_webhook_outbox SET next_at = $2, last_status = $3, last_error = $4,
                 attempts = attempts + 1 WHERE id = $1",
            &[&id, &next_at_ms, &status.map(i32::from), &error],
        )
        .await?;
        Ok(())
    }

    /// Notes a last failed attempt: no more are made.
    pub async fn give_up(
        &self,
        id: i64,
        at_ms: i64,
        status: Option<u16>,
        error: &str,
    ) -> Result<(), DecisionsError> {
        self.execute(
            "UPDATE banchi_webhook_outbox SET failed_at = $2, last_status = $3, last_error = $4,
                 attempts = attempts + 1 WHERE id = $1",
            &[&id, &at_ms, &status.map(i32::from), &error],
        )
        .await?;
        Ok(())
    }

    /// The newest `limit` events with what became of them.
    pub async fn deliveries(&self, limit: usize) -> Result<Vec<DeliveryLog>, DecisionsError> {
        let client = self.store.client().await?;
        let stmt = client
            .prepare_cached(
                "SELECT event_id, url, event, created_at, attempts, delivered_at, failed_at,
                        CASE WHEN delivered_at IS NULL AND failed_at IS NULL THEN next_at END,
                        last_status, last_error
                 FROM banchi_webhook_outbox ORDER BY id DESC LIMIT $1",
            )
            .await?;
        let rows = client.query(&stmt, &[&to_i64(limit)]).await?;
        rows.iter()
            .map(|r| {
                let attempts: i32 = r.try_get(4)?;
                let status: Option<i32> = r.try_get(8)?;
                Ok(DeliveryLog {
                    event_id: r.try_get(0)?,
                    url: r.try_get(1)?,
                    event: r.try_get(2)?,
                    created_at_ms: r.try_get(3)?,
                    attempts: u32::try_from(attempts).unwrap_or(0),
                    delivered_at_ms: r.try_get(5)?,
                    failed_at_ms: r.try_get(6)?,
                    next_at_ms: r.try_get(7)?,
                    last_status: status.and_then(|s| u16::try_from(s).ok()),
                    last_error: r.try_get(9)?,
                })
            })
            .collect()
    }

    /// Rows recorded, open and held reviews, undelivered events (one round trip).
    pub async fn counts(&self) -> Result<Counts, DecisionsError> {
        let client = self.store.client().await?;
        let stmt = client
            .prepare_cached(
                "SELECT (SELECT count(*) FROM banchi_decisions),
                        (SELECT count(*) FROM banchi_decisions WHERE review = 'open'),
                        (SELECT count(*) FROM banchi_decisions WHERE review = 'held'),
                        (SELECT count(*) FROM banchi_webhook_outbox
                         WHERE delivered_at IS NULL AND failed_at IS NULL)",
            )
            .await?;
        let row = client.query_one(&stmt, &[]).await?;
        let n = |i: usize| -> Result<u64, DecisionsError> {
            Ok(u64::try_from(row.try_get::<_, i64>(i)?).unwrap_or(0))
        };
        Ok(Counts {
            decisions: n(0)?,
            open: n(1)?,
            held: n(2)?,
            undelivered: n(3)?,
        })
    }

    /// One prepared (cached) statement's rows changed.
    async fn execute(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, DecisionsError> {
        let client = self.store.client().await?;
        let stmt = client.prepare_cached(sql).await?;
        Ok(client.execute(&stmt, params).await?)
    }
}

fn review_from_row(r: &Row) -> Result<Review, DecisionsError> {
    let score: i32 = r.try_get(4)?;
    let status: Option<String> = r.try_get(14)?;
    let listed: Option<String> = r.try_get(19)?;
    Ok(Review {
        order_id: r.try_get(0)?,
        at_ms: r.try_get(1)?,
        address: r.try_get(2)?,
        key: r.try_get(3)?,
        score: u32::try_from(score).unwrap_or(0),
        action: r.try_get(5)?,
        fraud_grade: r.try_get(6)?,
        forwarder_grade: r.try_get(7)?,
        reasons: r.try_get(8)?,
        entry_ids: r.try_get(9)?,
        lists_version: r.try_get(10)?,
        buyer: BuyerFields {
            name: r.try_get(11)?,
            phone: r.try_get(12)?,
            email: r.try_get(13)?,
        },
        status: status.as_deref().and_then(ReviewStatus::parse),
        decided_by: r.try_get(15)?,
        decided_at_ms: r.try_get(16)?,
        decision_reason: r.try_get(17)?,
        decision_memo: r.try_get(18)?,
        listed_entry: listed.filter(|s| !s.is_empty()),
        detail: r.try_get(20)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_merges_repeats_as_one_by_one() {
        let mut a = crate::record::Decision {
            order_id: "B".into(),
            at_ms: 1,
            address: "x".into(),
            key: None,
            score: 1,
            action: "review".into(),
            fraud_grade: None,
            forwarder_grade: None,
            reasons: vec![],
            entry_ids: vec![],
            lists_version: "v".into(),
            buyer: BuyerFields::default(),
            review: true,
            detail: Some("first".into()),
        };
        let mut b = a.clone();
        b.at_ms = 2;
        b.review = false;
        b.detail = None;
        let mut c = a.clone();
        c.order_id = "A".into();
        a.at_ms = 0;
        let batch = [a, b, c];
        let m = merge(&batch);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].last.order_id, "A", "sorted by id");
        assert_eq!(
            (m[1].last.at_ms, m[1].detail, m[1].review),
            (2, Some("first"), true)
        );
    }
}
