//! A constant-rate (open-loop) HTTP/1.1 load generator for `POST` endpoints, for latency
//! percentiles that include queueing: request `i` is due at `start + i / rate`, and its
//! latency is measured from that due time, not from when a connection got round to sending
//! it (`wrk` is closed-loop: a slow answer delays the next request and hides the wait).
//!
//! ```text
//! cargo run --release -p banchi-server --example constant_rate -- \
//!     --addr 127.0.0.1:8080 --path /v1/screen --token TOKEN --bodies bodies.ndjson \
//!     --rate 10000 --seconds 10 --connections 64
//! ```
//!
//! `--bodies` holds one JSON body per line, sent in turn over keep-alive connections. Prints
//! one line of JSON: requests sent, answers by status class, the rate achieved and latency
//! percentiles in microseconds. Loopback only; it stops after `--seconds`.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn arg(name: &str) -> Option<String> {
    std::env::args().skip_while(|a| a != name).nth(1)
}

fn num(name: &str, default: u64) -> u64 {
    arg(name).and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// What one connection measured.
#[derive(Default)]
struct Tally {
    latencies_us: Vec<u64>,
    ok: u64,
    failed: u64,
    errors: u64,
}

/// Reads one response with a `Content-Length` body from `conn`, keeping extra bytes in
/// `buf`; returns its status.
async fn read_response(conn: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<u16> {
    let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_owned());
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = std::str::from_utf8(&buf[..end]).map_err(|_| bad("head"))?;
            let status: u16 = head
                .get(9..12)
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| bad("status"))?;
            let length: usize = head
                .lines()
                .filter_map(|l| l.split_once(':'))
                .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                .and_then(|(_, v)| v.trim().parse().ok())
                .ok_or_else(|| bad("no content-length"))?;
            let total = end + 4 + length;
            while buf.len() < total {
                let n = conn.read(&mut chunk).await?;
                if n == 0 {
                    return Err(bad("closed"));
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            buf.drain(..total);
            return Ok(status);
        }
        let n = conn.read(&mut chunk).await?;
        if n == 0 {
            return Err(bad("closed"));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

async fn connection(
    addr: SocketAddr,
    requests: Arc<Vec<Vec<u8>>>,
    next: Arc<AtomicU64>,
    total: u64,
    start: Instant,
    interval_ns: f64,
) -> Tally {
    let mut tally = Tally::default();
    let mut conn = None;
    let mut buf = Vec::with_capacity(16 * 1024);
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= total {
            return tally;
        }
        let due = start + Duration::from_nanos((i as f64 * interval_ns) as u64);
        tokio::time::sleep_until(due.into()).await;
        if conn.is_none() {
            conn = TcpStream::connect(addr).await.ok();
            buf.clear();
        }
        let Some(stream) = conn.as_mut() else {
            tally.errors += 1;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let request = &requests[(i as usize) % requests.len()];
        let answered = match stream.write_all(request).await {
            Ok(()) => read_response(stream, &mut buf).await,
            Err(e) => Err(e),
        };
        match answered {
            Ok(status) => {
                tally.latencies_us.push(due.elapsed().as_micros() as u64);
                if (200..300).contains(&status) {
                    tally.ok += 1;
                } else {
                    tally.failed += 1;
                }
            }
            Err(_) => {
                tally.errors += 1;
                conn = None;
            }
        }
    }
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr: SocketAddr = arg("--addr").unwrap_or("127.0.0.1:8080".into()).parse()?;
    if !addr.ip().is_loopback() {
        return Err("this generator only targets loopback addresses".into());
    }
    let path = arg("--path").unwrap_or("/v1/screen".into());
    let token = arg("--token").unwrap_or_default();
    let bodies = std::fs::read_to_string(arg("--bodies").ok_or("--bodies FILE is needed")?)?;
    let rate = num("--rate", 1000).max(1);
    let seconds = num("--seconds", 10).clamp(1, 600);
    let connections = num("--connections", 64).clamp(1, 4096);
    let requests: Vec<Vec<u8>> = bodies
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|body| {
            format!(
                "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .into_bytes()
        })
        .collect();
    if requests.is_empty() {
        return Err("--bodies has no line".into());
    }
    let requests = Arc::new(requests);
    let total = rate * seconds;
    let interval_ns = 1e9 / rate as f64;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let (tally, elapsed) = runtime.block_on(async {
        let next = Arc::new(AtomicU64::new(0));
        let start = Instant::now() + Duration::from_millis(200);
        let tasks: Vec<_> = (0..connections)
            .map(|_| {
                tokio::spawn(connection(
                    addr,
                    requests.clone(),
                    next.clone(),
                    total,
                    start,
                    interval_ns,
                ))
            })
            .collect();
        let mut all = Tally::default();
        for t in tasks {
            if let Ok(one) = t.await {
                all.latencies_us.extend(one.latencies_us);
                all.ok += one.ok;
                all.failed += one.failed;
                all.errors += one.errors;
            }
        }
        (all, start.elapsed())
    });
    let mut lat = tally.latencies_us;
    lat.sort_unstable();
    let answered = lat.len() as f64;
    println!(
        "{}",
        serde_json::json!({
            "target_rate": rate,
            "seconds": seconds,
            "connections": connections,
            "sent": total,
            "ok": tally.ok,
            "non_2xx": tally.failed,
            "errors": tally.errors,
            "achieved_rate": (answered / elapsed.as_secs_f64()).round(),
            "latency_us": {
                "p50": percentile(&lat, 50.0),
                "p90": percentile(&lat, 90.0),
                "p99": percentile(&lat, 99.0),
                "p99_9": percentile(&lat, 99.9),
                "max": lat.last().copied().unwrap_or(0),
            }
        })
    );
    Ok(())
}
