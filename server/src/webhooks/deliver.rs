//! The delivery task: takes due events from the outbox, POSTs them, notes what happened.
//!
//! One task per server. It claims due events in small batches ([`Decisions::claim_due`],
//! leased so that another replica, or this one after a crash, does not send them while an
//! attempt is running), and sends each on its own task: at most [`Tuning::max_in_flight`]
//! requests at once, and at most [`Tuning::per_receiver`] to one receiver, so a receiver that
//! never answers holds a few slots for [`Tuning::attempt_timeout`] and the others go on.
//!
//! A receiver that cannot be reached (timeout, failed connection) is held back for a while
//! (`Breaker`): its other events are rescheduled to the end of the hold without an attempt,
//! so a dead receiver's backlog costs the others at most one attempt timeout.
//!
//! An attempt is delivered when the receiver answers 2xx within the timeout. Anything else
//! (another status, a refused connection, a name that does not resolve, a timeout) is retried
//! after 1 s, 2 s, 4 s … (doubling, at most 1 h, ±20 % jitter) until [`Tuning::give_up_after`]
//! (24 h) has passed since the event was queued: the first failure after that gives up
//! (about 35 attempts). `last_error` names the failure without the URL, body or secret.
//!
//! Delivery is at least once: an attempt whose result could not be written (or that was cut
//! by a crash) is sent again when its lease ends. Receivers dedupe on the event `id`.
//!
//! The task wakes when the recorder notifies `wake` (a batch with events was written), when
//! the next retry or lease end is due, when an attempt ends, and every
//! [`Tuning::poll`] (events queued by another replica sharing the PostgreSQL store).

use super::{display_url, sign, Hooks, WebhookMetrics};
use banchi_decisions::record::{now_ms, Delivery};
use banchi_decisions::Decisions;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, Semaphore};
use tokio::task::{JoinHandle, JoinSet};

/// Delivery's knobs (the defaults are what `banchi serve` uses; tests shorten them).
#[derive(Debug, Clone)]
pub struct Tuning {
    /// Longest wait for a receiver's answer (connect + request + status line).
    pub attempt_timeout: Duration,
    /// How long a claimed event is left to its attempt before it is due again (longer than
    /// an attempt and the wait for a slot).
    pub lease: Duration,
    /// Most requests at once.
    pub max_in_flight: usize,
    /// Most requests at once to one receiver.
    pub per_receiver: usize,
    /// Most events claimed and not yet finished (sending or waiting for a slot).
    pub max_claimed: usize,
    /// The first retry's delay; each next one doubles.
    pub first_retry: Duration,
    /// The longest delay between attempts.
    pub max_retry: Duration,
    /// Attempts go on this long after the event was queued.
    pub give_up_after: Duration,
    /// Longest sleep without a wake-up (events queued by other replicas).
    pub poll: Duration,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            attempt_timeout: Duration::from_secs(5),
            lease: Duration::from_secs(60),
            max_in_flight: 16,
            per_receiver: 8,
            max_claimed: 32,
            first_retry: Duration::from_secs(1),
            max_retry: Duration::from_secs(3600),
            give_up_after: Duration::from_secs(24 * 3600),
            poll: Duration::from_secs(10),
        }
    }
}

impl Tuning {
    /// The delay before attempt `attempts + 1`, after `attempts` failed ones (≥ 1): the first
    /// retry's delay doubled `attempts - 1` times, capped, times `jitter` (0.8–1.2).
    pub fn retry_delay(&self, attempts: u32, jitter: f64) -> Duration {
        let doublings = attempts.saturating_sub(1).min(40);
        let base = self
            .first_retry
            .saturating_mul(1u32 << doublings.min(31))
            .min(self.max_retry);
        base.mul_f64(jitter.clamp(0.8, 1.2))
    }
}

/// Delivers due events until `stop` completes: wakes on `wake` (the recorder notifies after
/// each batch it writes) or when the next retry is due. At stop, attempts in flight get up to
/// the attempt timeout to finish; the ones cut are sent again after their lease.
pub fn spawn_delivery(
    store: Decisions,
    hooks: Arc<Hooks>,
    wake: Arc<Notify>,
    metrics: WebhookMetrics,
    stop: impl Future<Output = ()> + Send + 'static,
) -> JoinHandle<()> {
    spawn_delivery_with(store, hooks, wake, metrics, stop, Tuning::default())
}

/// [`spawn_delivery`] with other knobs.
pub fn spawn_delivery_with(
    store: Decisions,
    hooks: Arc<Hooks>,
    wake: Arc<Notify>,
    metrics: WebhookMetrics,
    stop: impl Future<Output = ()> + Send + 'static,
    tuning: Tuning,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let client = match client(&tuning) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "webhooks: no HTTP client; events stay queued");
                return;
            }
        };
        let per_receiver = hooks
            .receivers()
            .iter()
            .map(|r| {
                (
                    r.url.clone(),
                    Arc::new(Semaphore::new(tuning.per_receiver.max(1))),
                )
            })
            .collect();
        let breakers = hooks
            .receivers()
            .iter()
            .map(|r| (r.url.clone(), Mutex::new(Breaker::default())))
            .collect();
        let shared = Arc::new(Shared {
            store,
            hooks,
            metrics,
            client,
            slots: Semaphore::new(tuning.max_in_flight.max(1)),
            per_receiver,
            breakers,
            tuning,
        });
        run(shared, wake, stop).await;
    })
}

/// What every attempt needs.
struct Shared {
    store: Decisions,
    hooks: Arc<Hooks>,
    metrics: WebhookMetrics,
    client: reqwest::Client,
    slots: Semaphore,
    per_receiver: HashMap<String, Arc<Semaphore>>,
    breakers: HashMap<String, Mutex<Breaker>>,
    tuning: Tuning,
}

/// A receiver that could not be reached (a timeout or a failed connection) is held back for
/// a while — max(attempt timeout, the retry delay of its consecutive failures) — and its
/// other events are rescheduled to then without an attempt, so that a dead receiver's
/// backlog does not fill the claim window for the minutes its timeouts would take.
#[derive(Debug, Default)]
struct Breaker {
    /// Consecutive unreachable periods.
    failures: u32,
    /// Held back until (Unix ms).
    open_until_ms: i64,
    /// Why.
    error: String,
}

impl Shared {
    /// A failure for `d` when its receiver is held back now (rescheduled to the end of it, or
    /// given up when too old).
    fn held_back(&self, d: &Delivery) -> Option<Failure> {
        let now = now_ms();
        let (until, error) = {
            let b = lock(self.breakers.get(&d.url)?);
            if now >= b.open_until_ms {
                return None;
            }
            (b.open_until_ms, b.error.clone())
        };
        let error = format!("{error} (held back: the receiver was unreachable just before)");
        if now.saturating_sub(d.created_at_ms) >= millis(self.tuning.give_up_after) {
            return Some(Failure::give_up(None, error));
        }
        // Spread over 10 % of the wait, so that the held events do not all come back at once.
        let spread = (until.saturating_sub(now) as f64 * (jitter() - 0.8) / 4.0) as i64;
        Some(Failure {
            status: None,
            error,
            next_at_ms: Some(until.saturating_add(spread)),
        })
    }

    /// Notes whether the receiver could be reached.
    fn reached(&self, url: &str, reached: bool, error: &str) {
        let Some(b) = self.breakers.get(url) else {
            return;
        };
        let mut b = lock(b);
        let now = now_ms();
        if reached {
            b.failures = 0;
            b.open_until_ms = 0;
        } else if now >= b.open_until_ms {
            // Attempts that were in flight together count once.
            b.failures = b.failures.saturating_add(1);
            let wait = self
                .tuning
                .retry_delay(b.failures, jitter())
                .max(self.tuning.attempt_timeout);
            b.open_until_ms = now.saturating_add(millis(wait));
            b.error = error.to_owned();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The HTTP client: rustls with the ring provider and the system's trust roots, HTTP/1.1, no
/// redirects (a receiver answers itself), the `User-Agent`.
fn client(tuning: &Tuning) -> Result<reqwest::Client, String> {
    use rustls_platform_verifier::BuilderVerifierExt;
    // ring, not aws-lc-rs: no C/CMake build (as the store's TLS). rustls marks it deprecated
    // for lacking post-quantum key exchange; alerts are short-lived, HMAC-signed and carry
    // no address unless asked.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_platform_verifier())
        .map_err(|e| format!("TLS setup: {e}"))?
        .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .user_agent(concat!("banchi/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(tuning.attempt_timeout)
        .timeout(tuning.attempt_timeout)
        .pool_idle_timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| format!("HTTP client: {e}"))
}

async fn run(shared: Arc<Shared>, wake: Arc<Notify>, stop: impl Future<Output = ()>) {
    let lease_ms = millis(shared.tuning.lease);
    let mut stop = std::pin::pin!(stop);
    let mut attempts: JoinSet<()> = JoinSet::new();
    let mut gauge_at: Option<Instant> = None;
    loop {
        // Registered before looking at the store: a notification from now on is not lost.
        let notified = wake.notified();
        let mut notified = std::pin::pin!(notified);
        notified.as_mut().enable();
        while attempts.try_join_next().is_some() {}

        let mut wait = shared.tuning.poll;
        let room = shared.tuning.max_claimed.saturating_sub(attempts.len());
        let mut claimed_all = false;
        if room > 0 {
            match shared.store.claim_due(now_ms(), lease_ms, room).await {
                Ok(due) => {
                    claimed_all = due.len() == room;
                    for d in due {
                        attempts.spawn(attempt(Arc::clone(&shared), d));
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "webhooks: reading the outbox failed; trying again in 1 s");
                    wait = Duration::from_secs(1);
                }
            }
        }
        if claimed_all {
            // More may be due: claim again as soon as an attempt ends.
            wait = Duration::ZERO;
        } else if wait == shared.tuning.poll {
            match shared.store.next_due().await {
                Ok(Some(at)) => {
                    let ms = at.saturating_sub(now_ms()).max(0);
                    wait = wait.min(Duration::from_millis(u64::try_from(ms).unwrap_or(0)));
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "webhooks: reading the outbox failed; trying again in 1 s");
                    wait = Duration::from_secs(1);
                }
            }
        }
        if gauge_at.is_none_or(|t| t.elapsed() >= Duration::from_secs(15)) {
            gauge_at = Some(Instant::now());
            if let Ok(c) = shared.store.counts().await {
                shared.metrics.undelivered(c.undelivered);
            }
        }
        let full = room == 0 || (claimed_all && wait.is_zero());
        tokio::select! {
            () = &mut stop => break,
            () = &mut notified => {}
            // Nothing is due before `wait` (or the store failed): sleep till then. When every
            // claim slot is taken, wait for an attempt to end instead.
            () = tokio::time::sleep(wait), if !full => {}
            Some(_) = attempts.join_next(), if !attempts.is_empty() => {}
        }
    }
    // Stopping: give the attempts in flight the time of one attempt, then cut them (their
    // events are due again when their lease ends).
    let grace = shared.tuning.attempt_timeout + Duration::from_millis(500);
    let drained = tokio::time::timeout(grace, async {
        while attempts.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::info!(
            cut = attempts.len(),
            "webhooks: attempts cut at stop; sent again after their lease"
        );
        attempts.abort_all();
    }
}

/// One attempt at one event: waits for a slot, signs, POSTs, notes the result.
async fn attempt(shared: Arc<Shared>, d: Delivery) {
    let Some(receiver) = shared.hooks.receiver(&d.url) else {
        // Queued for a receiver since removed from [[webhooks]]: nobody holds its secret.
        let error = "receiver no longer configured in [[webhooks]]".to_owned();
        note(&shared, &d, Failure::give_up(None, error)).await;
        return;
    };
    if let Some(f) = shared.held_back(&d) {
        note(&shared, &d, f).await;
        return;
    }
    let Some(per_receiver) = shared.per_receiver.get(&d.url) else {
        return;
    };
    let (Ok(_mine), Ok(_slot)) = (per_receiver.acquire().await, shared.slots.acquire().await)
    else {
        return;
    };
    // The receiver may have failed while this waited for a slot.
    if let Some(f) = shared.held_back(&d) {
        note(&shared, &d, f).await;
        return;
    }
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let signature = sign::header_value(receiver.secret(), t, d.body.as_bytes());
    let request = shared
        .client
        .post(&d.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(sign::HEADER, signature)
        .header("Banchi-Event-Id", d.event_id.as_str())
        .body(d.body.clone())
        .send();
    let result = match tokio::time::timeout(shared.tuning.attempt_timeout, request).await {
        Ok(Ok(response)) => {
            let status = response.status();
            drop(response);
            shared.reached(&d.url, true, "");
            if status.is_success() {
                Ok(status.as_u16())
            } else {
                Err((Some(status.as_u16()), format!("HTTP {status}")))
            }
        }
        Ok(Err(e)) => {
            let error = describe(&e, shared.tuning.attempt_timeout);
            shared.reached(&d.url, false, &error);
            Err((None, error))
        }
        Err(_) => {
            let error = timed_out(shared.tuning.attempt_timeout);
            shared.reached(&d.url, false, &error);
            Err((None, error))
        }
    };
    match result {
        Ok(status) => {
            let at = now_ms();
            match shared.store.delivered(d.id, status, at).await {
                Ok(()) => {
                    shared.metrics.attempt("delivered");
                    shared
                        .metrics
                        .delivered_after(at.saturating_sub(d.created_at_ms) as f64 / 1000.0);
                }
                Err(e) => tracing::warn!(
                    error = %e, event_id = %d.event_id,
                    "webhooks: delivered, but noting it failed; the event will be sent again"
                ),
            }
        }
        Err((status, error)) => {
            let failure = Failure::after(&shared.tuning, &d, status, error);
            note(&shared, &d, failure).await;
        }
    }
}

/// A failed attempt and what follows it.
struct Failure {
    status: Option<u16>,
    error: String,
    /// The next attempt's time; `None`: give up.
    next_at_ms: Option<i64>,
}

impl Failure {
    fn give_up(status: Option<u16>, error: String) -> Failure {
        Failure {
            status,
            error,
            next_at_ms: None,
        }
    }

    /// Retry later, or give up once `give_up_after` has passed since the event was queued.
    fn after(tuning: &Tuning, d: &Delivery, status: Option<u16>, error: String) -> Failure {
        let now = now_ms();
        if now.saturating_sub(d.created_at_ms) >= millis(tuning.give_up_after) {
            return Failure::give_up(status, error);
        }
        let delay = tuning.retry_delay(d.attempts.saturating_add(1), jitter());
        Failure {
            status,
            error,
            next_at_ms: Some(now.saturating_add(millis(delay))),
        }
    }
}

/// Notes a failed attempt (retry or give up) in the outbox and the metrics.
async fn note(shared: &Shared, d: &Delivery, f: Failure) {
    let (result, written) = match f.next_at_ms {
        Some(next) => (
            "retry",
            shared
                .store
                .retry(d.id, next, f.status, f.error.clone())
                .await,
        ),
        None => (
            "gave_up",
            shared
                .store
                .give_up(d.id, now_ms(), f.status, f.error.clone())
                .await,
        ),
    };
    shared.metrics.attempt(result);
    let receiver = display_url(&d.url);
    match written {
        Ok(()) if result == "gave_up" => tracing::warn!(
            event_id = %d.event_id, %receiver, attempts = d.attempts + 1, error = %f.error,
            "webhooks: gave up delivering an event"
        ),
        Ok(()) => tracing::debug!(
            event_id = %d.event_id, %receiver, attempts = d.attempts + 1, error = %f.error,
            "webhooks: attempt failed; retrying"
        ),
        Err(e) => tracing::warn!(
            error = %e, event_id = %d.event_id,
            "webhooks: noting a failed attempt failed; the event is due again after its lease"
        ),
    }
}

fn timed_out(limit: Duration) -> String {
    format!("no answer within {} s (timeout)", limit.as_secs_f64())
}

/// A request error as the delivery log says it: the kind and the causes (such as `dns error:
/// failed to lookup address information: Name or service not known`), never the URL.
fn describe(e: &reqwest::Error, limit: Duration) -> String {
    if e.is_timeout() {
        return timed_out(limit);
    }
    let kind = if e.is_connect() {
        "cannot connect"
    } else if e.is_request() {
        "request failed"
    } else {
        "error"
    };
    // The first link is reqwest's own text, which names the URL; its causes do not.
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !causes.iter().any(|c: &String| c.contains(&text)) {
            causes.push(text);
        }
        source = s.source();
    }
    // "client error (Connect)" only repeats the kind.
    causes.retain(|c| !c.starts_with("client error ("));
    let mut text = kind.to_owned();
    for c in causes {
        text.push_str(": ");
        text.push_str(&c);
    }
    // Bounded, and never the URL (a cause could quote it back).
    let url = e.url().map(|u| u.as_str().to_owned());
    if let Some(url) = url.filter(|u| text.contains(u.as_str())) {
        text = text.replace(&url, "<url>");
    }
    text.chars().take(300).collect()
}

/// A factor in 0.8–1.2.
fn jitter() -> f64 {
    let mut b = [0u8; 2];
    let r = if getrandom::fill(&mut b).is_ok() {
        f64::from(u16::from_le_bytes(b)) / f64::from(u16::MAX)
    } else {
        0.5
    };
    0.8 + 0.4 * r
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_double_up_to_the_cap() {
        let t = Tuning::default();
        let secs = |n| t.retry_delay(n, 1.0).as_secs();
        assert_eq!([secs(1), secs(2), secs(3), secs(4)], [1, 2, 4, 8]);
        assert_eq!(secs(12), 2048);
        assert_eq!(secs(13), 3600);
        assert_eq!(secs(500), 3600);
        assert_eq!(t.retry_delay(1, 1.2), Duration::from_millis(1200));
        assert_eq!(t.retry_delay(1, 5.0), Duration::from_millis(1200));
        let j = jitter();
        assert!((0.8..=1.2).contains(&j));
    }

    #[test]
    fn giving_up_comes_after_a_day() {
        let t = Tuning::default();
        let d = Delivery {
            id: 1,
            event_id: "e".into(),
            url: "http://h/".into(),
            body: "{}".into(),
            attempts: 3,
            created_at_ms: now_ms(),
        };
        let f = Failure::after(&t, &d, Some(500), "HTTP 500".into());
        assert!(f.next_at_ms.is_some());
        let old = Delivery {
            created_at_ms: now_ms() - 24 * 3600 * 1000,
            ..d
        };
        assert!(Failure::after(&t, &old, None, "x".into())
            .next_at_ms
            .is_none());
        // Roughly how many attempts a day holds: documented as "about 35".
        let (mut at, mut n) = (Duration::ZERO, 0u32);
        while at < t.give_up_after {
            n += 1;
            at += t.retry_delay(n, 1.0);
        }
        assert!((33..=37).contains(&n), "{n}");
    }
}
