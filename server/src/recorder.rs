//! Recording screened orders off the request path (`[decisions] enabled`).
//!
//! A handler hands each answered order to [`Recorder::offer`], which only puts it on a
//! bounded queue (`try_send`: screening never waits; a full queue drops the record and counts
//! it, `banchi_decisions_total{result="dropped"}`). One task takes the queue in batches — the
//! first record, then whatever arrived within `flush_ms` — and writes each batch (in
//! transactions of at most [`MAX_BATCH`]), with the webhook events its orders raise; then it
//! wakes the webhook delivery task.
//!
//! **What a crash can lose**: the records still queued or in the batch being written — at
//! most `flush_ms` worth of orders (plus whatever queued behind a slow write). A graceful
//! stop (SIGTERM) writes them all first ([`Recorder::close`]). A batch the store refuses
//! (PostgreSQL down) is tried once more after a second, then counted as `failed` and
//! dropped: recording is a record, not a reason to stop answering.

use crate::metrics::DecisionCounts;
use banchi_decisions::record::{Decision, OutboxEvent};
use banchi_decisions::Decisions;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, Notify};
use tokio::task::JoinHandle;

/// Most decisions written in one transaction.
pub const MAX_BATCH: usize = 2_000;

/// Builds the webhook events one recorded order raises (the configured receivers').
pub type EventsFor = Arc<dyn Fn(&Decision, i64) -> Vec<OutboxEvent> + Send + Sync>;

/// The queue in front of the decision store, and its writer task.
pub struct Recorder {
    tx: mpsc::Sender<Decision>,
    /// Told to write what is queued and stop.
    stop: Arc<Notify>,
    task: Mutex<Option<JoinHandle<()>>>,
    metrics: DecisionCounts,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder").finish_non_exhaustive()
    }
}

impl Recorder {
    /// Starts the writer task (needs a Tokio runtime). `events` makes each order's webhook
    /// events; `wake` is notified after every batch written with events in it.
    pub fn start(
        store: Decisions,
        capacity: usize,
        flush: Duration,
        events: EventsFor,
        wake: Arc<Notify>,
        metrics: DecisionCounts,
    ) -> Recorder {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let stop = Arc::new(Notify::new());
        let task = tokio::spawn(write_batches(
            store,
            rx,
            flush,
            events,
            wake,
            Arc::clone(&stop),
            metrics.clone(),
        ));
        Recorder {
            tx,
            stop,
            task: Mutex::new(Some(task)),
            metrics,
        }
    }

    /// Queues one order; never waits (a full queue drops it and counts it).
    pub fn offer(&self, d: Decision) {
        if self.tx.try_send(d).is_err() {
            self.metrics.add("dropped", 1);
        }
    }

    /// Writes what is queued and stops the task (a graceful stop).
    pub async fn close(&self) {
        self.stop.notify_one();
        let task = self.task.lock().ok().and_then(|mut t| t.take());
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

async fn write_batches(
    store: Decisions,
    mut rx: mpsc::Receiver<Decision>,
    flush: Duration,
    events: EventsFor,
    wake: Arc<Notify>,
    stop: Arc<Notify>,
    metrics: DecisionCounts,
) {
    let mut stopping = false;
    while !stopping {
        // Wait for the first record, then let the batch gather for `flush` and take what
        // came: one wake-up and one timer per batch, not per order (a wake-up per order
        // costs the request threads more than the write).
        let first = tokio::select! {
            got = rx.recv() => match got {
                Some(d) => d,
                None => break,
            },
            () = stop.notified() => {
                stopping = true;
                match rx.try_recv() {
                    Ok(d) => d,
                    Err(_) => break,
                }
            }
        };
        if !stopping {
            tokio::select! {
                () = tokio::time::sleep(flush) => {}
                () = stop.notified() => stopping = true,
            }
        }
        let mut batch = Vec::with_capacity(rx.len() + 1);
        batch.push(first);
        while let Ok(d) = rx.try_recv() {
            batch.push(d);
        }
        for chunk in chunks(batch) {
            write(&store, chunk, &events, &wake, &metrics).await;
        }
    }
}

/// `batch` in pieces of at most [`MAX_BATCH`] (one transaction each).
fn chunks(mut batch: Vec<Decision>) -> Vec<Vec<Decision>> {
    let mut out = Vec::with_capacity(batch.len() / MAX_BATCH + 1);
    while batch.len() > MAX_BATCH {
        let rest = batch.split_off(MAX_BATCH);
        out.push(std::mem::replace(&mut batch, rest));
    }
    out.push(batch);
    out
}

/// Writes one batch (orders without an id raise events but are not recorded).
async fn write(
    store: &Decisions,
    batch: Vec<Decision>,
    events: &EventsFor,
    wake: &Notify,
    metrics: &DecisionCounts,
) {
    let now = banchi_decisions::now_ms();
    let raised: Arc<[OutboxEvent]> = batch.iter().flat_map(|d| events(d, now)).collect();
    let rows: Arc<[Decision]> = batch
        .into_iter()
        .filter(|d| !d.order_id.is_empty())
        .collect();
    let n = rows.len() as u64;
    let has_events = !raised.is_empty();
    let mut result = store.record(Arc::clone(&rows), Arc::clone(&raised)).await;
    if let Err(e) = &result {
        tracing::warn!(error = %e, orders = n, "recording decisions failed; trying once more in 1 s");
        tokio::time::sleep(Duration::from_secs(1)).await;
        result = store.record(rows, raised).await;
    }
    match result {
        Ok(()) => {
            metrics.add("recorded", n);
            if has_events {
                wake.notify_one();
            }
        }
        Err(e) => {
            tracing::error!(error = %e, orders = n, "recording decisions failed; the batch is lost");
            metrics.add("failed", n);
        }
    }
}
