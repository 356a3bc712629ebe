//! The embedded decision store: one SQLite file beside the lists (`decisions.sqlite`).
//!
//! WAL journal (readers never wait for the writer), `synchronous = NORMAL` (a committed batch
//! survives a crash of the process; a power cut may lose the last transactions), the file
//! created with mode 0600 (it holds addresses). Two connections: the writer (the server's
//! recorder, decisions, outcomes, the webhook worker — SQLite has one writer at a time
//! anyway) and a reader for the page and the API's queries, each behind a mutex. Every call
//! is blocking: [`crate::Decisions`] runs them on tokio's blocking pool.

use crate::error::DecisionsError;
use crate::record::undecided;
use crate::record::{
    join_words, split_words, BuyerFields, Candidate, CandidateQuery, Counts, Decide, Decision,
    Delivery, DeliveryLog, OutboxEvent, Outcome, OutcomeRecorded, Pruned, Review, ReviewQuery,
    ReviewStatus,
};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OpenFlags, OptionalExtension, Row};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// Schema version kept in `PRAGMA user_version`.
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
-- One row per order id. A rowid table, rows appended in the order they were first recorded:
-- the recorder's inserts go to the end of the table and of nearly every index; only the
-- order-id index takes them all over (shops' ids need not sort by time). No index on `at`:
-- the review queue has its own (below), retention walks the table by rowid instead, and the
-- common insert is one index cheaper (measured: `cargo bench -p banchi-decisions`).
CREATE TABLE IF NOT EXISTS decisions (
    id              INTEGER PRIMARY KEY,
    order_id        TEXT NOT NULL UNIQUE,
    at              INTEGER NOT NULL,
    address         TEXT NOT NULL,
    key             TEXT,
    score           INTEGER NOT NULL,
    action          TEXT NOT NULL,
    fraud_grade     TEXT,
    forwarder_grade TEXT,
    reasons         TEXT NOT NULL,
    entry_ids       TEXT NOT NULL,
    lists_version   TEXT NOT NULL,
    name            TEXT,
    phone           TEXT,
    email           TEXT,
    detail          TEXT,
    review          TEXT,
    decided_by      TEXT,
    decided_at      INTEGER,
    decision_reason TEXT,
    decision_memo   TEXT,
    listed_entry    TEXT
);
CREATE INDEX IF NOT EXISTS decisions_queue ON decisions (review, at DESC, order_id DESC)
    WHERE review IS NOT NULL;
-- Only the orders scored with `velocity` (few): block candidates look them up by point. The
-- other lookups by point start from the outcomes (few) and reach decisions by order id, so
-- the common insert pays for no index by key.
CREATE INDEX IF NOT EXISTS decisions_velocity_key ON decisions (key)
    WHERE instr(' ' || reasons || ' ', ' velocity ') > 0;
CREATE TABLE IF NOT EXISTS outcomes (
    order_id    TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    at          INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    by          TEXT NOT NULL,
    PRIMARY KEY (order_id, outcome)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS outcomes_at ON outcomes (at);
CREATE TABLE IF NOT EXISTS webhook_outbox (
    id           INTEGER PRIMARY KEY,
    event_id     TEXT NOT NULL,
    url          TEXT NOT NULL,
    event        TEXT NOT NULL,
    body         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_at      INTEGER NOT NULL,
    delivered_at INTEGER,
    failed_at    INTEGER,
    last_status  INTEGER,
    last_error   TEXT,
    UNIQUE (event_id, url)
);
CREATE INDEX IF NOT EXISTS webhook_outbox_due ON webhook_outbox (next_at)
    WHERE delivered_at IS NULL AND failed_at IS NULL;
CREATE INDEX IF NOT EXISTS webhook_outbox_created ON webhook_outbox (created_at);
";

/// The columns a [`Review`] is read from, in [`review_from_row`]'s order.
const REVIEW_COLUMNS: &str = "order_id, at, address, key, score, action, fraud_grade, \
    forwarder_grade, reasons, entry_ids, lists_version, name, phone, email, review, \
    decided_by, decided_at, decision_reason, decision_memo, listed_entry, detail";

/// Rows deleted per pruning transaction (the writer is held this long at most).
const PRUNE_CHUNK: i64 = 5_000;

/// The decision store in one SQLite file.
#[derive(Debug)]
pub struct SqliteDecisions {
    path: PathBuf,
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
}

fn lock(m: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    // A panic while holding the lock leaves SQLite consistent (its own transactions).
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Creates the file with mode 0600 when missing, and narrows an existing one to 0600.
fn secure_file(path: &Path) -> Result<(), DecisionsError> {
    let io = |source| DecisionsError::Io {
        path: path.to_owned(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        options.open(path).map_err(io)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
    }
    #[cfg(not(unix))]
    options.open(path).map_err(io)?;
    Ok(())
}

fn connect(path: &Path) -> Result<Connection, DecisionsError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // 16 KB pages (a new file only; WAL fixes the size once written): fewer page splits and
    // a shallower order-id index for the recorder's inserts — ~10 % less time per order than
    // 4 KB in `decisions/benches/record.rs`.
    conn.pragma_update(None, "page_size", 16_384)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(conn)
}

impl SqliteDecisions {
    /// Opens (creating when missing) the store at `path`.
    pub fn open(path: &Path) -> Result<SqliteDecisions, DecisionsError> {
        secure_file(path)?;
        let writer = connect(path)?;
        let version: i64 = writer.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(DecisionsError::Sqlite(
                rusqlite::Error::InvalidParameterName(format!(
                    "schema version {version} is newer than this build's {SCHEMA_VERSION}"
                )),
            ));
        }
        writer.execute_batch(SCHEMA)?;
        writer.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        let reader = connect(path)?;
        Ok(SqliteDecisions {
            path: path.to_owned(),
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records a batch of screened orders and the webhook events they raised, in one
    /// transaction: both are kept, or neither.
    pub fn record(&self, batch: &[Decision], events: &[OutboxEvent]) -> Result<(), DecisionsError> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO decisions (order_id, at, address, key, score, action, fraud_grade,
                     forwarder_grade, reasons, entry_ids, lists_version, name, phone, email,
                     detail, review)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,
                     CASE WHEN ?16 THEN 'open' END)
                 ON CONFLICT (order_id) DO UPDATE SET at = excluded.at,
                     address = excluded.address, key = excluded.key, score = excluded.score,
                     action = excluded.action, fraud_grade = excluded.fraud_grade,
                     forwarder_grade = excluded.forwarder_grade, reasons = excluded.reasons,
                     entry_ids = excluded.entry_ids, lists_version = excluded.lists_version,
                     name = excluded.name, phone = excluded.phone, email = excluded.email,
                     detail = coalesce(excluded.detail, decisions.detail),
                     review = coalesce(decisions.review, excluded.review)",
            )?;
            // In order-id order (stable: an id repeated in the batch keeps its last screening):
            // consecutive inserts land on neighbouring pages of the order-id index.
            let mut sorted: Vec<&Decision> = batch.iter().collect();
            sorted.sort_by(|a, b| a.order_id.cmp(&b.order_id));
            for d in sorted {
                insert.execute(params![
                    d.order_id,
                    d.at_ms,
                    d.address,
                    d.key,
                    d.score,
                    d.action,
                    d.fraud_grade,
                    d.forwarder_grade,
                    join_words(&d.reasons),
                    join_words(&d.entry_ids),
                    d.lists_version,
                    d.buyer.name,
                    d.buyer.phone,
                    d.buyer.email,
                    d.detail,
                    d.review,
                ])?;
            }
            enqueue_in(&tx, events)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// One order as recorded.
    pub fn order(&self, order_id: &str) -> Result<Option<Review>, DecisionsError> {
        let conn = lock(&self.reader);
        order_in(&conn, order_id)
    }

    /// A page of the review queue, newest first.
    pub fn reviews(&self, q: &ReviewQuery) -> Result<Vec<Review>, DecisionsError> {
        let conn = lock(&self.reader);
        let statuses = if q.statuses.is_empty() {
            vec![ReviewStatus::Open]
        } else {
            q.statuses.clone()
        };
        let mut sql = format!("SELECT {REVIEW_COLUMNS} FROM decisions WHERE review IN (");
        let mut args: Vec<Value> = Vec::new();
        for (i, s) in statuses.iter().enumerate() {
            sql.push_str(if i == 0 { "?" } else { ", ?" });
            args.push(Value::Text(s.as_str().into()));
        }
        sql.push(')');
        if let Some(g) = &q.grade {
            sql.push_str(" AND (fraud_grade = ? OR forwarder_grade = ?)");
            args.push(Value::Text(g.clone()));
            args.push(Value::Text(g.clone()));
        }
        if let Some(r) = &q.reason {
            sql.push_str(" AND instr(' ' || reasons || ' ', ' ' || ? || ' ') > 0");
            args.push(Value::Text(r.clone()));
        }
        if let Some(from) = q.from_ms {
            sql.push_str(" AND at >= ?");
            args.push(Value::Integer(from));
        }
        if let Some(to) = q.to_ms {
            sql.push_str(" AND at < ?");
            args.push(Value::Integer(to));
        }
        if let Some(after) = &q.after {
            let at: i64 = conn
                .query_row(
                    "SELECT at FROM decisions WHERE order_id = ?1",
                    [after],
                    |r| r.get(0),
                )
                .optional()?
                .ok_or(DecisionsError::NotFound)?;
            sql.push_str(" AND (at < ? OR (at = ? AND order_id < ?))");
            args.push(Value::Integer(at));
            args.push(Value::Integer(at));
            args.push(Value::Text(after.clone()));
        }
        sql.push_str(" ORDER BY at DESC, order_id DESC LIMIT ?");
        args.push(Value::Integer(q.limit as i64));
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params_from_iter(args), review_from_row)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(Into::into)
    }

    /// Records a reviewer's decision on an open or held order.
    pub fn decide(&self, order_id: &str, d: &Decide) -> Result<Review, DecisionsError> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction()?;
        let current = order_in(&tx, order_id)?.ok_or(DecisionsError::NotFound)?;
        undecided(&current)?;
        tx.execute(
            "UPDATE decisions SET review = ?2, decided_by = ?3, decided_at = ?4,
                 decision_reason = ?5, decision_memo = ?6
             WHERE order_id = ?1",
            params![
                order_id,
                d.decision.status().as_str(),
                d.by,
                d.at_ms,
                d.reason,
                d.memo
            ],
        )?;
        let after = order_in(&tx, order_id)?.ok_or(DecisionsError::NotFound)?;
        tx.commit()?;
        Ok(after)
    }

    /// Records an outcome of a recorded order; `first` is false when the same outcome was
    /// recorded before.
    pub fn outcome(
        &self,
        order_id: &str,
        outcome: Outcome,
        at_ms: i64,
        by: &str,
    ) -> Result<OutcomeRecorded, DecisionsError> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction()?;
        let order = order_in(&tx, order_id)?.ok_or(DecisionsError::NotFound)?;
        let inserted = tx.execute(
            "INSERT INTO outcomes (order_id, outcome, at, received_at, by)
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
            params![order_id, outcome.as_str(), at_ms, crate::now_ms(), by],
        )?;
        tx.commit()?;
        Ok(OutcomeRecorded {
            first: inserted == 1,
            order,
        })
    }

    /// Claims the right to list this order's delivery point: true for exactly one caller
    /// until [`Self::release_listing`]. Concurrent "confirm fraud" and outcome calls list it
    /// once.
    pub fn claim_listing(&self, order_id: &str) -> Result<bool, DecisionsError> {
        let conn = lock(&self.writer);
        let n = conn.execute(
            "UPDATE decisions SET listed_entry = '' WHERE order_id = ?1 AND listed_entry IS NULL",
            [order_id],
        )?;
        Ok(n == 1)
    }

    /// Notes the entry that lists this order's delivery point (after a claim).
    pub fn set_listing(&self, order_id: &str, entry: &str) -> Result<(), DecisionsError> {
        let conn = lock(&self.writer);
        conn.execute(
            "UPDATE decisions SET listed_entry = ?2 WHERE order_id = ?1",
            params![order_id, entry],
        )?;
        Ok(())
    }

    /// Gives a claim back (the list refused the entry).
    pub fn release_listing(&self, order_id: &str) -> Result<(), DecisionsError> {
        let conn = lock(&self.writer);
        conn.execute(
            "UPDATE decisions SET listed_entry = NULL WHERE order_id = ?1 AND listed_entry = ''",
            [order_id],
        )?;
        Ok(())
    }

    /// Delivery points with enough fraud outcomes, or a velocity order followed by a
    /// chargeback, in the window (whether they are listed already is the caller's to check).
    pub fn candidates(&self, q: &CandidateQuery) -> Result<Vec<Candidate>, DecisionsError> {
        let conn = lock(&self.reader);
        let mut stmt = conn.prepare_cached(
            "SELECT d.key,
                    count(DISTINCT d.order_id) AS n,
                    max(o.at) AS last,
                    (SELECT a.address FROM outcomes ao
                        JOIN decisions a ON a.order_id = ao.order_id
                        WHERE a.key = d.key ORDER BY a.at DESC LIMIT 1),
                    group_concat(DISTINCT d.order_id),
                    EXISTS (SELECT 1 FROM decisions v
                        WHERE v.key = d.key
                          AND instr(' ' || v.reasons || ' ', ' velocity ') > 0
                          AND v.at <= (SELECT max(c.at) FROM outcomes co
                              JOIN decisions c ON c.order_id = co.order_id
                              WHERE c.key = d.key AND co.outcome = 'chargeback'
                                AND co.at >= ?1)) AS vtc
             FROM outcomes o JOIN decisions d ON d.order_id = o.order_id
             WHERE o.outcome IN ('chargeback', 'fraud', 'unpaid') AND o.at >= ?1
               AND d.key IS NOT NULL
             GROUP BY d.key
             HAVING n >= ?2 OR vtc
             ORDER BY n DESC, last DESC
             LIMIT ?3",
        )?;
        let rows = stmt.query_map(
            params![q.since_ms, q.min_fraud_outcomes, q.limit as i64],
            |r| {
                let orders: String = r.get(4)?;
                Ok(Candidate {
                    key: r.get(0)?,
                    fraud_outcomes: r.get(1)?,
                    last_outcome_ms: r.get(2)?,
                    address: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                    orders: orders.split(',').take(20).map(str::to_owned).collect(),
                    velocity_then_chargeback: r.get(5)?,
                })
            },
        )?;
        rows.collect::<Result<Vec<_>, _>>().map_err(Into::into)
    }

    /// Deletes decisions and outcomes of orders screened before `before_ms`, outcomes
    /// before it, and webhook events queued before it — a chunk per transaction.
    ///
    /// The decisions are walked by rowid (the order they were first recorded in), a chunk of
    /// expired rows at a time from where the last chunk ended: one pass over the table in
    /// all, with no index on `at` for the recorder to keep up.
    pub fn prune(&self, before_ms: i64) -> Result<Pruned, DecisionsError> {
        let mut pruned = Pruned::default();
        let mut from = 0_i64;
        loop {
            let mut conn = lock(&self.writer);
            let tx = conn.transaction()?;
            let expired: Vec<(i64, String)> = {
                let mut chunk = tx.prepare_cached(
                    "SELECT id, order_id FROM decisions WHERE id > ?1 AND at < ?2
                     ORDER BY id LIMIT ?3",
                )?;
                let rows = chunk.query_map(params![from, before_ms, PRUNE_CHUNK], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?;
                rows.collect::<Result<_, _>>()?
            };
            let Some(&(last, _)) = expired.last() else {
                break;
            };
            {
                let mut outcomes = tx.prepare_cached("DELETE FROM outcomes WHERE order_id = ?1")?;
                let mut decisions = tx.prepare_cached("DELETE FROM decisions WHERE id = ?1")?;
                for (id, order_id) in &expired {
                    pruned.outcomes += outcomes.execute([order_id])? as u64;
                    pruned.decisions += decisions.execute([id])? as u64;
                }
            }
            tx.commit()?;
            from = last;
            if expired.len() < PRUNE_CHUNK as usize {
                break;
            }
        }
        let conn = lock(&self.writer);
        pruned.outcomes += conn.execute("DELETE FROM outcomes WHERE at < ?1", [before_ms])? as u64;
        pruned.events += conn.execute(
            "DELETE FROM webhook_outbox WHERE created_at < ?1",
            [before_ms],
        )? as u64;
        Ok(pruned)
    }

    /// Queues webhook events (an event already queued for a URL is left as it is).
    pub fn enqueue(&self, events: &[OutboxEvent]) -> Result<(), DecisionsError> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction()?;
        enqueue_in(&tx, events)?;
        tx.commit()?;
        Ok(())
    }

    /// Takes up to `limit` events due at `now_ms`, leasing them for `lease_ms` (a worker that
    /// dies mid-delivery leaves them due again when the lease ends).
    pub fn claim_due(
        &self,
        now_ms: i64,
        lease_ms: i64,
        limit: usize,
    ) -> Result<Vec<Delivery>, DecisionsError> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction()?;
        let due = {
            let mut stmt = tx.prepare_cached(
                "SELECT id, event_id, url, body, attempts, created_at FROM webhook_outbox
                 WHERE delivered_at IS NULL AND failed_at IS NULL AND next_at <= ?1
                 ORDER BY next_at, id LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![now_ms, limit as i64], |r| {
                Ok(Delivery {
                    id: r.get(0)?,
                    event_id: r.get(1)?,
                    url: r.get(2)?,
                    body: r.get(3)?,
                    attempts: r.get(4)?,
                    created_at_ms: r.get(5)?,
                })
            })?;
            rows.collect::<Result<Vec<_>, _>>()?
        };
        {
            let mut lease =
                tx.prepare_cached("UPDATE webhook_outbox SET next_at = ?2 WHERE id = ?1")?;
            for d in &due {
                lease.execute(params![d.id, now_ms.saturating_add(lease_ms)])?;
            }
        }
        tx.commit()?;
        Ok(due)
    }

    /// The earliest time an undelivered event is due.
    pub fn next_due(&self) -> Result<Option<i64>, DecisionsError> {
        let conn = lock(&self.reader);
        conn.query_row(
            "SELECT min(next_at) FROM webhook_outbox WHERE delivered_at IS NULL AND failed_at IS NULL",
            [],
            |r| r.get(0),
        )
        .map_err(Into::into)
    }

    /// Notes a delivery (a 2xx answer).
    pub fn delivered(&self, id: i64, status: u16, at_ms: i64) -> Result<(), DecisionsError> {
        let conn = lock(&self.writer);
        conn.execute(
            "UPDATE webhook_outbox SET delivered_at = ?2, last_status = ?3, last_error = NULL,
                 attempts = attempts + 1 WHERE id = ?1",
            params![id, at_ms, status],
        )?;
        Ok(())
    }

    /// Notes a failed attempt and when to try again.
    pub fn retry(
        &self,
        id: i64,
        next_at_ms: i64,
        status: Option<u16>,
        error: &str,
    ) -> Result<(), DecisionsError> {
        let conn = lock(&self.writer);
        conn.execute(
            "UPDATE webhook_outbox SET next_at = ?2, last_status = ?3, last_error = ?4,
                 attempts = attempts + 1 WHERE id = ?1",
            params![id, next_at_ms, status, error],
        )?;
        Ok(())
    }

    /// Notes a last failed attempt: no more are made.
    pub fn give_up(
        &self,
        id: i64,
        at_ms: i64,
        status: Option<u16>,
        error: &str,
    ) -> Result<(), DecisionsError> {
        let conn = lock(&self.writer);
        conn.execute(
            "UPDATE webhook_outbox SET failed_at = ?2, last_status = ?3, last_error = ?4,
                 attempts = attempts + 1 WHERE id = ?1",
            params![id, at_ms, status, error],
        )?;
        Ok(())
    }

    /// The newest `limit` events with what became of them.
    pub fn deliveries(&self, limit: usize) -> Result<Vec<DeliveryLog>, DecisionsError> {
        let conn = lock(&self.reader);
        let mut stmt = conn.prepare_cached(
            "SELECT event_id, url, event, created_at, attempts, delivered_at, failed_at,
                    CASE WHEN delivered_at IS NULL AND failed_at IS NULL THEN next_at END,
                    last_status, last_error
             FROM webhook_outbox ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok(DeliveryLog {
                event_id: r.get(0)?,
                url: r.get(1)?,
                event: r.get(2)?,
                created_at_ms: r.get(3)?,
                attempts: r.get(4)?,
                delivered_at_ms: r.get(5)?,
                failed_at_ms: r.get(6)?,
                next_at_ms: r.get(7)?,
                last_status: r.get(8)?,
                last_error: r.get(9)?,
            })
        })?;
        rows.collect::<Result<Vec<_>, _>>().map_err(Into::into)
    }

    /// Rows recorded, open and held reviews, undelivered events.
    pub fn counts(&self) -> Result<Counts, DecisionsError> {
        let conn = lock(&self.reader);
        let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0));
        Ok(Counts {
            decisions: count("SELECT count(*) FROM decisions")? as u64,
            open: count("SELECT count(*) FROM decisions WHERE review = 'open'")? as u64,
            held: count("SELECT count(*) FROM decisions WHERE review = 'held'")? as u64,
            undelivered: count(
                "SELECT count(*) FROM webhook_outbox WHERE delivered_at IS NULL AND failed_at IS NULL",
            )? as u64,
        })
    }
}

fn enqueue_in(conn: &Connection, events: &[OutboxEvent]) -> Result<(), DecisionsError> {
    if events.is_empty() {
        return Ok(());
    }
    let mut insert = conn.prepare_cached(
        "INSERT INTO webhook_outbox (event_id, url, event, body, created_at, next_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT DO NOTHING",
    )?;
    for e in events {
        insert.execute(params![e.event_id, e.url, e.event, e.body, e.created_at_ms])?;
    }
    Ok(())
}

fn order_in(conn: &Connection, order_id: &str) -> Result<Option<Review>, DecisionsError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {REVIEW_COLUMNS} FROM decisions WHERE order_id = ?1"
    ))?;
    stmt.query_row([order_id], review_from_row)
        .optional()
        .map_err(Into::into)
}

fn review_from_row(r: &Row<'_>) -> rusqlite::Result<Review> {
    let reasons: String = r.get(8)?;
    let entries: String = r.get(9)?;
    let status: Option<String> = r.get(14)?;
    let listed: Option<String> = r.get(19)?;
    Ok(Review {
        order_id: r.get(0)?,
        at_ms: r.get(1)?,
        address: r.get(2)?,
        key: r.get(3)?,
        score: r.get(4)?,
        action: r.get(5)?,
        fraud_grade: r.get(6)?,
        forwarder_grade: r.get(7)?,
        reasons: split_words(&reasons),
        entry_ids: split_words(&entries),
        lists_version: r.get(10)?,
        buyer: BuyerFields {
            name: r.get(11)?,
            phone: r.get(12)?,
            email: r.get(13)?,
        },
        status: status.as_deref().and_then(ReviewStatus::parse),
        decided_by: r.get(15)?,
        decided_at_ms: r.get(16)?,
        decision_reason: r.get(17)?,
        decision_memo: r.get(18)?,
        listed_entry: listed.filter(|s| !s.is_empty()),
        detail: r.get(20)?,
    })
}
