//! Webhook delivery latency: queues events at a constant rate into a SQLite decision store
//! (as the recorder does: each order and its events in one `record` call, then a wake-up)
//! and lets the delivery task send them to a receiver on loopback that checks signatures.
//!
//! ```text
//! cargo run --profile ci -p banchi-server --example webhook_latency -- --rate 100 --seconds 30
//! ```
//!
//! Prints one line of JSON: events queued and delivered, bad signatures, and percentiles in
//! milliseconds of queued → received by the receiver (`received_ms`) and queued → noted
//! delivered in the outbox (`delivered_ms`, from the outbox's own timestamps). Target: p99
//! below 1 s at 100 events/s.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use banchi_decisions::record::{BuyerFields, Decision};
use banchi_decisions::Decisions;
use banchi_server::settings::WebhookSection;
use banchi_server::webhooks::{sign, spawn_delivery, Hooks, WebhookMetrics};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

const SECRET: &str = "bench-secret-0123456789";

fn arg(name: &str, default: u64) -> u64 {
    std::env::args()
        .skip_while(|a| a != name)
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[derive(Default)]
struct Received {
    at: HashMap<String, Instant>,
    bad: u64,
}

async fn receive(
    State(r): State<Arc<Mutex<Received>>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let now = Instant::now();
    let sig = headers
        .get(sign::HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let ok = sig
        .strip_prefix("t=")
        .and_then(|s| s.split_once(",v1="))
        .and_then(|(t, v1)| Some((t.parse::<u64>().ok()?, v1)))
        .is_some_and(|(t, v1)| sign::signature(SECRET.as_bytes(), t, &body) == v1);
    let id = headers
        .get("banchi-event-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let mut r = r.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if !ok {
        r.bad += 1;
        return StatusCode::UNAUTHORIZED;
    }
    r.at.entry(id).or_insert(now);
    StatusCode::NO_CONTENT
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn summary(mut v: Vec<f64>) -> String {
    v.sort_by(f64::total_cmp);
    format!(
        "{{\"p50\":{:.1},\"p90\":{:.1},\"p99\":{:.1},\"max\":{:.1}}}",
        percentile(&v, 0.5),
        percentile(&v, 0.9),
        percentile(&v, 0.99),
        v.last().copied().unwrap_or(f64::NAN)
    )
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rate = arg("--rate", 100).max(1);
    let seconds = arg("--seconds", 30);
    let dir = tempfile::tempdir()?;

    let received = Arc::new(Mutex::new(Received::default()));
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(Arc::clone(&received));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    let secret_file = dir.path().join("secret");
    std::fs::write(&secret_file, SECRET)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&secret_file, std::fs::Permissions::from_mode(0o600))?;
    }
    let hooks = Arc::new(Hooks::load(&[WebhookSection {
        url: format!("http://{addr}/hook"),
        events: vec!["block".into()],
        secret_file,
        include_address: false,
    }])?);
    let store = Decisions::sqlite(&dir.path().join("decisions.sqlite"))?;
    let wake = Arc::new(Notify::new());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = spawn_delivery(
        store.clone(),
        Arc::clone(&hooks),
        Arc::clone(&wake),
        WebhookMetrics::default(),
        async {
            let _ = stopped.await;
        },
    );

    // Open loop: order i is queued at start + i / rate, whatever the store's pace.
    let total = rate * seconds;
    let mut queued: HashMap<String, Instant> = HashMap::with_capacity(total as usize);
    let start = Instant::now();
    for i in 0..total {
        let due = start + Duration::from_secs_f64(i as f64 / rate as f64);
        tokio::time::sleep_until(due.into()).await;
        let now = banchi_decisions::now_ms();
        let order = Decision {
            order_id: format!("B-{i}"),
            at_ms: now,
            address: "東京都中央区銀座4-6-16 架空ハイツ301号室".into(),
            key: Some("13102|銀座|4|6-16".into()),
            score: 95,
            action: "block".into(),
            fraud_grade: Some("danger".into()),
            forwarder_grade: None,
            reasons: vec!["fraud_danger".into()],
            entry_ids: vec!["fraud:F1".into()],
            lists_version: "bench".into(),
            buyer: BuyerFields::default(),
            review: true,
            detail: None,
        };
        let events = hooks.for_order(&order, now);
        let t = Instant::now();
        for e in &events {
            queued.insert(e.event_id.clone(), t);
        }
        store.record(vec![order].into(), events.into()).await?;
        wake.notify_one();
    }
    let queue_secs = start.elapsed().as_secs_f64();

    // Wait for the stragglers (at most 30 s).
    let deadline = Instant::now() + Duration::from_secs(30);
    while store.counts().await?.undelivered > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = stop.send(());
    let _ = task.await;

    let (received_ms, bad) = {
        let r = received
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let v: Vec<f64> = r
            .at
            .iter()
            .filter_map(|(id, at)| Some(at.duration_since(*queued.get(id)?).as_secs_f64() * 1e3))
            .collect();
        (v, r.bad)
    };
    let rows = store.deliveries(usize::MAX >> 1).await?;
    let delivered_ms: Vec<f64> = rows
        .iter()
        .filter_map(|r| Some((r.delivered_at_ms? - r.created_at_ms) as f64))
        .collect();
    println!(
        "{{\"rate\":{rate},\"seconds\":{seconds},\"queued\":{},\"queue_secs\":{queue_secs:.1},\"received\":{},\"delivered\":{},\"bad_signatures\":{bad},\"received_ms\":{},\"delivered_ms\":{}}}",
        queued.len(),
        received_ms.len(),
        delivered_ms.len(),
        summary(received_ms),
        summary(delivered_ms)
    );
    Ok(())
}
