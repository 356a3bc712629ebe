//! Alerts by webhook: the delivery task against receivers on loopback (real sockets), over a
//! SQLite decision store in a temporary folder.
//!
//! Each receiver checks every request's `Banchi-Signature` independently (the `hmac` crate
//! over `t.body`, `t` within five minutes) and counts, per event id, the attempts it saw and
//! the 2xx it answered.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use banchi_decisions::record::{BuyerFields, Decision, DeliveryLog, OutboxEvent};
use banchi_decisions::Decisions;
use banchi_server::settings::WebhookSection;
use banchi_server::webhooks::{spawn_delivery_with, Hooks, Tuning, WebhookMetrics};
use hmac::{KeyInit, Mac};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{oneshot, Notify};

const SECRET: &str = "whsec_it_0123456789abcdef";

/// What a receiver saw.
#[derive(Default)]
struct Seen {
    /// Attempts per event id.
    attempts: HashMap<String, u32>,
    /// 2xx answered per event id.
    delivered: HashMap<String, u32>,
    /// Requests whose signature, headers or body did not check out (with why).
    bad: Vec<String>,
}

struct Receiver {
    secret: Vec<u8>,
    /// Answers 500 to the first `fail_first` attempts of each event.
    fail_first: u32,
    /// While set, requests are held unanswered.
    hang: AtomicBool,
    seen: Mutex<Seen>,
}

impl Receiver {
    fn delivered(&self) -> HashMap<String, u32> {
        self.seen.lock().unwrap().delivered.clone()
    }
    fn attempts(&self) -> u32 {
        self.seen.lock().unwrap().attempts.values().sum()
    }
    fn bad(&self) -> Vec<String> {
        self.seen.lock().unwrap().bad.clone()
    }
}

/// Checks one request as a receiver would (see the README's recipe).
fn check(secret: &[u8], headers: &HeaderMap, body: &[u8]) -> Result<String, String> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .ok_or(format!("no {name}"))
    };
    if header("content-type")? != "application/json" {
        return Err("content-type".into());
    }
    if !header("user-agent")?.starts_with("banchi/") {
        return Err("user-agent".into());
    }
    let sig = header("banchi-signature")?;
    let (t, v1) = sig
        .strip_prefix("t=")
        .and_then(|s| s.split_once(",v1="))
        .ok_or("signature format")?;
    let t: u64 = t.parse().map_err(|_| "t")?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    if now.abs_diff(t) > 300 {
        return Err("stale t".into());
    }
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    let want: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if want != v1 {
        return Err("signature mismatch".into());
    }
    let json: serde_json::Value = serde_json::from_slice(body).map_err(|_| "json")?;
    let id = json["id"].as_str().ok_or("no id")?.to_owned();
    if header("banchi-event-id")? != id {
        return Err("Banchi-Event-Id differs from the body's id".into());
    }
    Ok(id)
}

async fn receive(State(r): State<Arc<Receiver>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let id = match check(&r.secret, &headers, &body) {
        Ok(id) => id,
        Err(why) => {
            r.seen.lock().unwrap().bad.push(why);
            return StatusCode::BAD_REQUEST;
        }
    };
    let n = {
        let mut seen = r.seen.lock().unwrap();
        let n = seen.attempts.entry(id.clone()).or_default();
        *n += 1;
        *n
    };
    if r.hang.load(Ordering::SeqCst) {
        while r.hang.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Its sender may be gone (a killed task): a held request never counts as delivered.
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    if n <= r.fail_first {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    *r.seen.lock().unwrap().delivered.entry(id).or_default() += 1;
    StatusCode::NO_CONTENT
}

/// A receiver on 127.0.0.1:0 (stopped when the sender is dropped).
async fn receiver(fail_first: u32, hang: bool) -> (SocketAddr, Arc<Receiver>, oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    receiver_on(listener, fail_first, hang)
}

/// A receiver on `listener`.
fn receiver_on(
    listener: tokio::net::TcpListener,
    fail_first: u32,
    hang: bool,
) -> (SocketAddr, Arc<Receiver>, oneshot::Sender<()>) {
    let r = Arc::new(Receiver {
        secret: SECRET.as_bytes().to_vec(),
        fail_first,
        hang: AtomicBool::new(hang),
        seen: Mutex::default(),
    });
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(Arc::clone(&r));
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
    });
    (addr, r, stop)
}

/// A TCP listener that accepts connections and never answers.
async fn black_hole() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    addr
}

fn secret_file(dir: &Path) -> PathBuf {
    let path = dir.join("webhook.secret");
    if !path.exists() {
        std::fs::write(&path, format!("{SECRET}\n")).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
    }
    path
}

fn hooks(dir: &Path, urls: &[&str]) -> Arc<Hooks> {
    let sections: Vec<WebhookSection> = urls
        .iter()
        .map(|url| WebhookSection {
            url: (*url).to_owned(),
            events: vec!["danger".into(), "block".into(), "review".into()],
            secret_file: secret_file(dir),
            include_address: false,
        })
        .collect();
    Arc::new(Hooks::load(&sections).unwrap())
}

fn order(n: usize) -> Decision {
    Decision {
        order_id: format!("A-{n}"),
        at_ms: banchi_decisions::now_ms(),
        address: "東京都中央区銀座4-6-16 架空ハイツ301号室".into(),
        key: Some("13102|銀座|4|6-16".into()),
        score: 95,
        action: "block".into(),
        fraud_grade: Some("danger".into()),
        forwarder_grade: None,
        reasons: vec!["fraud_danger".into()],
        entry_ids: vec!["fraud:F1".into()],
        lists_version: "v1".into(),
        buyer: BuyerFields::default(),
        review: true,
        detail: None,
    }
}

/// Quick knobs for tests.
fn quick() -> Tuning {
    Tuning {
        attempt_timeout: Duration::from_secs(2),
        lease: Duration::from_secs(5),
        first_retry: Duration::from_millis(100),
        max_retry: Duration::from_millis(400),
        poll: Duration::from_millis(500),
        ..Tuning::default()
    }
}

/// A running delivery task and the means to stop it.
struct Running {
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    wake: Arc<Notify>,
}

impl Running {
    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("the delivery task stops")
            .unwrap();
    }
}

fn start(
    store: &Decisions,
    hooks: &Arc<Hooks>,
    metrics: &WebhookMetrics,
    tuning: Tuning,
) -> Running {
    let wake = Arc::new(Notify::new());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = spawn_delivery_with(
        store.clone(),
        Arc::clone(hooks),
        Arc::clone(&wake),
        metrics.clone(),
        async {
            let _ = stopped.await;
        },
        tuning,
    );
    Running {
        stop: Some(stop),
        task,
        wake,
    }
}

/// Waits until `done` holds (polling), or panics after `limit` with `what`.
async fn until(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < limit, "timed out waiting: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn log(store: &Decisions) -> Vec<DeliveryLog> {
    store.deliveries(1000).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_receiver_gets_each_event_once_it_answers_2xx() {
    let dir = tempfile::tempdir().unwrap();
    let store = Decisions::sqlite(&dir.path().join("decisions.sqlite")).unwrap();
    let (addr, rcv, _stop_rcv) = receiver(2, false).await;
    let url = format!("http://{addr}/hook");
    let hooks = hooks(dir.path(), &[&url]);
    let metrics = WebhookMetrics::default();
    let running = start(&store, &hooks, &metrics, quick());

    let events: Vec<OutboxEvent> = (0..3)
        .flat_map(|n| hooks.for_order(&order(n), banchi_decisions::now_ms()))
        .collect();
    assert_eq!(events.len(), 6, "danger and block per order");
    store.enqueue(events.clone()).await.unwrap();
    running.wake.notify_one();

    until(Duration::from_secs(20), "six events delivered", || {
        rcv.delivered().len() == 6
    })
    .await;
    // A little longer: nothing is sent again once delivered.
    tokio::time::sleep(Duration::from_millis(600)).await;
    running.stop().await;

    assert_eq!(rcv.bad(), Vec::<String>::new());
    let delivered = rcv.delivered();
    for e in &events {
        assert_eq!(delivered.get(&e.event_id), Some(&1), "{}", e.event_id);
    }
    assert_eq!(rcv.attempts(), 18, "two 500s then a 2xx, per event");
    let rows = log(&store).await;
    assert_eq!(rows.len(), 6);
    for r in &rows {
        assert!(
            r.delivered_at_ms.is_some() && r.failed_at_ms.is_none(),
            "{r:?}"
        );
        assert_eq!((r.attempts, r.last_status), (3, Some(204)));
        assert_eq!(r.last_error, None);
    }
    assert_eq!(store.counts().await.unwrap().undelivered, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_left_by_a_killed_task_are_delivered_by_the_next_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("decisions.sqlite");
    let (addr, rcv, _stop_rcv) = receiver(0, true).await;
    let url = format!("http://{addr}/hook");
    let hooks = hooks(dir.path(), &[&url]);
    let metrics = WebhookMetrics::default();

    // Queued while no task runs, then a task that takes them and dies mid-attempt.
    let store = Decisions::sqlite(&path).unwrap();
    let events: Vec<OutboxEvent> = (0..4)
        .flat_map(|n| hooks.for_order(&order(n), banchi_decisions::now_ms()))
        .collect();
    store.enqueue(events.clone()).await.unwrap();
    let tuning = Tuning {
        attempt_timeout: Duration::from_secs(30),
        lease: Duration::from_millis(1500),
        ..quick()
    };
    let first = start(&store, &hooks, &metrics, tuning.clone());
    until(
        Duration::from_secs(10),
        "the attempts reach the receiver",
        || rcv.attempts() == 8,
    )
    .await;
    first.task.abort();
    let _ = first.task.await;
    drop(store);
    assert!(rcv.delivered().is_empty());
    rcv.hang.store(false, Ordering::SeqCst);

    // A new task over the same file (as after a restart).
    let store = Decisions::sqlite(&path).unwrap();
    assert_eq!(store.counts().await.unwrap().undelivered, 8);
    let second = start(&store, &hooks, &metrics, tuning);
    until(Duration::from_secs(20), "all eight delivered", || {
        rcv.delivered().len() == 8
    })
    .await;
    second.stop().await;
    for e in &events {
        assert!(rcv.delivered().contains_key(&e.event_id));
    }
    assert!(log(&store)
        .await
        .iter()
        .all(|r| r.delivered_at_ms.is_some()));
    assert_eq!(rcv.bad(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_never_answers_does_not_hold_up_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let store = Decisions::sqlite(&dir.path().join("decisions.sqlite")).unwrap();
    let hole = format!("http://{}/hook", black_hole().await);
    let (addr, good, _stop_rcv) = receiver(0, false).await;
    let url = format!("http://{addr}/hook");
    let hooks_both = hooks(dir.path(), &[&hole, &url]);
    let metrics = WebhookMetrics::default();
    let running = start(&store, &hooks_both, &metrics, quick());

    // First a backlog for the black hole alone (more than the claim window), then events
    // for both.
    let hole_only = hooks(dir.path(), &[&hole]);
    let backlog: Vec<OutboxEvent> = (0..40)
        .flat_map(|n| hole_only.for_order(&order(n), banchi_decisions::now_ms()))
        .collect();
    store.enqueue(backlog).await.unwrap();
    running.wake.notify_one();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let events: Vec<OutboxEvent> = (100..105)
        .flat_map(|n| hooks_both.for_order(&order(n), banchi_decisions::now_ms()))
        .collect();
    store.enqueue(events).await.unwrap();
    running.wake.notify_one();
    until(
        Duration::from_secs(15),
        "the good receiver's ten events",
        || good.delivered().len() == 10,
    )
    .await;
    let took = started.elapsed();
    // The black hole's attempts time out after 2 s each; 80 of them in a row would take
    // 20 s at 8 at a time.
    assert!(took < Duration::from_secs(5), "took {took:?}");

    until(
        Duration::from_secs(15),
        "the black hole's timeouts noted",
        || metrics_text(&metrics).contains("result=\"retry\""),
    )
    .await;
    running.stop().await;
    let rows = log(&store).await;
    let timed_out = rows
        .iter()
        .filter(|r| r.url == hole)
        .filter_map(|r| r.last_error.as_deref())
        .find(|e| e.contains("timeout"));
    assert!(timed_out.is_some(), "{rows:?}");
    assert!(rows
        .iter()
        .filter(|r| r.url == url)
        .all(|r| r.delivered_at_ms.is_some()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unresolvable_host_ends_with_an_error_in_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let store = Decisions::sqlite(&dir.path().join("decisions.sqlite")).unwrap();
    let url = "http://banchi-no-such-host.invalid/hook?token=SECRET-TOKEN";
    let hooks = hooks(dir.path(), &[url]);
    let metrics = WebhookMetrics::default();
    let tuning = Tuning {
        give_up_after: Duration::from_millis(300),
        ..quick()
    };
    let running = start(&store, &hooks, &metrics, tuning);
    let events = hooks.for_order(&order(1), banchi_decisions::now_ms());
    store.enqueue(events).await.unwrap();
    running.wake.notify_one();

    let mut rows = Vec::new();
    let started = Instant::now();
    while !rows.iter().all(|r: &DeliveryLog| r.failed_at_ms.is_some()) || rows.is_empty() {
        assert!(started.elapsed() < Duration::from_secs(30), "{rows:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
        rows = log(&store).await;
    }
    running.stop().await;
    assert_eq!(rows.len(), 2);
    for r in &rows {
        let error = r.last_error.as_deref().unwrap_or("");
        assert!(
            error.starts_with("cannot connect") && error.contains("dns error"),
            "{error}"
        );
        assert!(
            !error.contains("SECRET-TOKEN") && !error.contains(SECRET),
            "{error}"
        );
        assert!(r.attempts >= 1 && r.delivered_at_ms.is_none() && r.last_status.is_none());
    }
    let text = metrics_text(&metrics);
    assert!(
        text.contains("banchi_webhook_deliveries_total{result=\"gave_up\"} 2"),
        "{text}"
    );
    // The page's log shows the error, and the URL without its query string.
    let html = banchi_server::webhooks::delivery_log(&rows).into_string();
    assert!(html.contains("dns error") && !html.contains("SECRET-TOKEN"));
}

fn metrics_text(m: &WebhookMetrics) -> String {
    let mut registry = prometheus_client::registry::Registry::with_prefix("banchi");
    m.register(&mut registry);
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
    text
}

/// Through the server: an order screened `review` over HTTP and its chargeback outcome each
/// reach the receiver, signed; events queued while the receiver is down survive a crash of
/// the server and are delivered by the next one on the same store.
#[test]
fn screened_orders_and_outcomes_reach_the_receiver_across_a_crash() {
    use crate::support::{post_json, request, TestServer, ADMIN_TOKEN, FRAUD_CSV};
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("fraud.csv"), FRAUD_CSV).unwrap();
    let receiver_rt = tokio::runtime::Runtime::new().unwrap();
    // A port with nobody on it yet: the first server's attempts are refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let settings = || {
        let mut s = banchi_server::settings::Settings::for_tests();
        s.fraud = Some(dir.path().join("fraud.csv"));
        s.decisions.enabled = true;
        s.decisions.flush_ms = 10;
        s.webhooks = vec![WebhookSection {
            url: format!("http://{port}/hook"),
            events: vec!["review".into(), "outcome".into()],
            secret_file: secret_file(dir.path()),
            include_address: false,
        }];
        s
    };
    let first = TestServer::start(settings());
    let answer = post_json(
        first.addr,
        "/v1/screen",
        &serde_json::json!({"order_id": "H-1", "address": "東京都中央区銀座4-6-16 架空ハイツ502号室"}),
    )
    .json();
    assert_eq!(answer["action"], "review", "{answer}");
    let store_path = dir.path().join("decisions.sqlite");
    let store = banchi_decisions::sqlite::SqliteDecisions::open(&store_path).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while store
        .deliveries(10)
        .unwrap()
        .iter()
        .all(|d| d.attempts == 0)
    {
        assert!(Instant::now() < deadline, "no attempt was made");
        std::thread::sleep(Duration::from_millis(20));
    }
    first.crash();

    let (_, rcv, _stop) = receiver_rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(port).await.unwrap();
        receiver_on(listener, 0, false)
    });
    let second = TestServer::start(settings());
    let deadline = Instant::now() + Duration::from_secs(20);
    while rcv.delivered().is_empty() {
        assert!(Instant::now() < deadline, "the queued event never arrived");
        std::thread::sleep(Duration::from_millis(50));
    }
    let outcome = request(
        second.addr,
        "POST",
        "/v1/orders/H-1/outcome",
        Some(ADMIN_TOKEN),
        Some("application/json"),
        br#"{"outcome":"chargeback"}"#,
    );
    assert_eq!(outcome.status, 200, "{}", outcome.text());
    let deadline = Instant::now() + Duration::from_secs(20);
    while rcv.delivered().len() < 2 {
        assert!(Instant::now() < deadline, "the outcome event never arrived");
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(second);
    assert_eq!(rcv.bad(), Vec::<String>::new(), "every signature checks");
    assert!(
        rcv.delivered().values().all(|n| *n == 1),
        "once per event id"
    );
}
