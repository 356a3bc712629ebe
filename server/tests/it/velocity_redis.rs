//! `--velocity redis` against a real `redis-server` started by the tests
//! ([`crate::redis_server`]): the same counts as the in-process window, replicas counting
//! together, every key expiring, and Redis killed and restarted under the server.

use crate::redis_server::RedisServer;
use crate::support::*;
use banchi::bulk::velocity::Hashing;
use banchi_server::settings::{SecretUrl, Settings, VelocityBackend};
use banchi_server::velocity::VelocityWindow;
use banchi_server::velocity_redis::{RedisVelocity, KEY_PREFIX};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Delivery points: one real block of 銀座 with fictional rooms.
fn point(i: usize) -> String {
    format!("東京都中央区銀座4-6-16 架空ハイツ{}号室", 301 + i)
}

const NAMES: [&str; 6] = [
    "山田太郎",
    "佐藤花子",
    "鈴木一郎",
    "高橋美咲",
    "田中健",
    "伊藤さくら",
];

/// A private key file (32 hex digits, mode 0600) in `dir`.
pub(crate) fn key_file(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("velocity.key");
    std::fs::write(&path, "0123456789abcdef0123456789abcdef\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

/// Settings with velocity in Redis at `url` (threshold 2, so that counts show in answers).
pub(crate) fn redis_settings(url: &str, key: &Path) -> Settings {
    let mut s = Settings::for_tests();
    s.velocity = VelocityBackend::Redis;
    s.velocity_url = Some(SecretUrl(url.to_owned()));
    s.velocity_key = Some(key.to_owned());
    s.config.velocity.min_names = 2;
    s
}

pub(crate) fn memory_settings() -> Settings {
    let mut s = Settings::for_tests();
    s.config.velocity.min_names = 2;
    s
}

/// Starts a server and waits until its Redis connection is up.
pub(crate) fn start_connected(settings: Settings) -> TestServer {
    let server = TestServer::start(settings);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !server
        .state()
        .shared_velocity()
        .is_some_and(|v| v.connected())
    {
        assert!(
            Instant::now() < deadline,
            "not connected to Redis within 10 s"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    server
}

/// The velocity count an answer shows (0: no velocity reason).
pub(crate) fn velocity_count(answer: &Value) -> u32 {
    answer["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == "velocity")
        .map(|r| {
            let en = r["en"].as_str().unwrap();
            en.split_whitespace()
                .find_map(|w| w.parse().ok())
                .unwrap_or_else(|| panic!("no count in {en}"))
        })
        .unwrap_or(0)
}

fn signals(answer: &Value) -> Vec<String> {
    answer["signals"]
        .as_array()
        .map(|a| a.iter().map(|s| s.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

/// A small deterministic generator (the sequence is the same on every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

/// The scripted sequence: rounds in which every one of 12 delivery points gets at least one
/// order, plus extra orders; names drawn from 7 (one point often more than [`MAX_NAMES`]);
/// time moves 0–9 s between orders (often 0: equal ages, the replacement's tie-break), so
/// names leave the 300 s window while points stay seen often (the in-process window's
/// generations never drop a point that is still within the window).
fn scripted_sequence() -> Vec<(u64, u32, u32)> {
    let mut rng = Lcg(23);
    let mut t = 0u32;
    let mut out = Vec::new();
    for _round in 0..60 {
        let mut points: Vec<u64> = (0..12).collect();
        for _ in 0..8 {
            points.push(rng.next(12));
        }
        for p in points {
            t += rng.next(10) as u32 / 3 * 3;
            let name = if p == 0 {
                rng.next(7) as u32
            } else {
                rng.next(3) as u32 + (t / 200)
            };
            out.push((p * 0x9E37_79B9_7F4A_7C15, 1000 + name, t));
        }
    }
    out
}

#[test]
fn counts_equal_the_in_process_window_for_a_scripted_sequence() {
    let Some(redis) = RedisServer::start("velocity_redis::counts_equal_the_in_process_window")
    else {
        return;
    };
    let window = Duration::from_secs(300);
    let memory = VelocityWindow::new(1, window, 1_000_000);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let shared = Arc::new(
        RedisVelocity::new(
            &redis.url(),
            Hashing::with_key([1; 16]),
            window,
            Duration::from_secs(2),
        )
        .unwrap(),
    );
    rt.block_on(async {
        shared.spawn();
        while !shared.connected() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    });
    let sequence = scripted_sequence();
    assert!(sequence.len() > 1_000);
    let base = 1_700_000_000u64;
    let mut seen = std::collections::HashSet::new();
    // One order at a time, then the same sequence again (later, other keys) in pipelined
    // chunks of 97 orders at one time each.
    for (i, &(p, name, t)) in sequence.iter().enumerate() {
        let want = memory.observe_at(p, Some(name), t);
        let got = rt
            .block_on(shared.observe_at(&[(p, name)], Some(base + u64::from(t))))
            .unwrap();
        assert_eq!(
            got,
            vec![want],
            "order {i} (point {p:x}, name {name}, t {t})"
        );
        seen.insert(want);
    }
    assert!(
        seen.len() == 4 && seen.contains(&4),
        "the sequence reaches every count up to MAX_NAMES: {seen:?}"
    );
    let memory = VelocityWindow::new(1, window, 1_000_000);
    let later = 100_000u32;
    for chunk in sequence.chunks(97) {
        let t = chunk[0].2 / 3 * 3 + later;
        let want: Vec<u32> = chunk
            .iter()
            .map(|&(p, name, _)| memory.observe_at(p, Some(name), t))
            .collect();
        let orders: Vec<(u64, u32)> = chunk.iter().map(|&(p, n, _)| (p, n)).collect();
        let got = rt
            .block_on(shared.observe_at(&orders, Some(base + u64::from(t))))
            .unwrap();
        assert_eq!(got, want, "chunk at {t}");
    }
}

/// The same orders sent to a server counting in memory and to one counting in Redis, one by
/// one and in batches (JSON array and NDJSON): every answer shows the same count.
#[test]
fn answers_equal_the_in_process_server_single_and_batch() {
    let Some(redis) = RedisServer::start("velocity_redis::answers_equal_the_in_process_server")
    else {
        return;
    };
    let key = key_file(redis.dir());
    let memory = TestServer::start(memory_settings());
    let shared = start_connected(redis_settings(&redis.url(), &key));
    let mut rng = Lcg(7);
    let mut orders = Vec::new();
    for _ in 0..120 {
        let p = rng.next(5) as usize;
        let n = rng.next(NAMES.len() as u64) as usize;
        orders.push(json!({"address": point(p), "name": NAMES[n]}));
    }
    let mut counts_seen = std::collections::HashSet::new();
    for (i, order) in orders[..40].iter().enumerate() {
        let a = post_json(memory.addr, "/v1/screen", order).json();
        let b = post_json(shared.addr, "/v1/screen", order).json();
        assert_eq!(
            velocity_count(&a),
            velocity_count(&b),
            "order {i}: {a} / {b}"
        );
        assert_eq!(a["score"], b["score"], "order {i}");
        assert!(signals(&b).is_empty(), "{b}");
        counts_seen.insert(velocity_count(&b));
    }
    let batch = Value::Array(orders[40..80].to_vec());
    let a = post_json(memory.addr, "/v1/screen/batch", &batch).json();
    let b = post_json(shared.addr, "/v1/screen/batch", &batch).json();
    for (i, (a, b)) in a
        .as_array()
        .unwrap()
        .iter()
        .zip(b.as_array().unwrap())
        .enumerate()
    {
        assert_eq!(velocity_count(a), velocity_count(b), "batch item {i}");
        counts_seen.insert(velocity_count(b));
    }
    let ndjson: String = orders[80..].iter().map(|o| o.to_string() + "\n").collect();
    let send = |addr| {
        request(
            addr,
            "POST",
            "/v1/screen/batch",
            Some(SCREEN_TOKEN),
            Some("application/x-ndjson"),
            ndjson.as_bytes(),
        )
        .text()
    };
    let (a, b) = (send(memory.addr), send(shared.addr));
    let (a, b): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    assert_eq!(a.len(), 40);
    for (i, (a, b)) in a.iter().zip(&b).enumerate() {
        let (a, b): (Value, Value) = (
            serde_json::from_str(a).unwrap(),
            serde_json::from_str(b).unwrap(),
        );
        assert_eq!(velocity_count(&a), velocity_count(&b), "NDJSON line {i}");
        counts_seen.insert(velocity_count(&b));
    }
    assert!(
        counts_seen.contains(&0) && counts_seen.contains(&3) && counts_seen.contains(&4),
        "{counts_seen:?}"
    );
}

/// Two replicas on one Redis: orders alternating between them count as on one server.
#[test]
fn two_replicas_on_one_redis_count_together() {
    let Some(redis) = RedisServer::start("velocity_redis::two_replicas_count_together") else {
        return;
    };
    let key = key_file(redis.dir());
    let a = start_connected(redis_settings(&redis.url(), &key));
    let b = start_connected(redis_settings(&redis.url(), &key));
    let single = TestServer::start(memory_settings());
    for (i, name) in NAMES.iter().enumerate() {
        let replica = if i % 2 == 0 { a.addr } else { b.addr };
        let got = screen_order(replica, &point(0), name);
        let want = screen_order(single.addr, &point(0), name);
        assert_eq!(velocity_count(&got), velocity_count(&want), "order {i}");
        assert_eq!(
            velocity_count(&got),
            if i == 0 { 0 } else { (i + 1).min(4) as u32 }
        );
    }
}

/// Only keyed hashes in Redis, and every key expires with the window.
#[test]
fn every_key_is_a_hash_with_an_expiry() {
    let Some(redis) = RedisServer::start("velocity_redis::every_key_is_a_hash_with_an_expiry")
    else {
        return;
    };
    let key = key_file(redis.dir());
    let server = start_connected(redis_settings(&redis.url(), &key));
    for i in 0..5 {
        for name in &NAMES[..3] {
            screen_order(server.addr, &point(i), name);
        }
    }
    let keys = redis.keys_with_ttl();
    assert_eq!(keys.len(), 5, "{keys:?}");
    let window = 24 * 3600 + 1;
    for (k, ttl) in &keys {
        assert!(k.starts_with(KEY_PREFIX), "{k}");
        assert!(*ttl > 0 && *ttl <= window, "{k} has TTL {ttl}");
        let value = redis.command(&["GET", k]);
        assert!(
            !NAMES.iter().any(|n| value.contains(n)) && value.is_ascii(),
            "{value}"
        );
    }
}

/// Redis SIGKILLed: answers stay 200, with `velocity_unavailable`, quickly; the metric counts
/// them; Redis restarted on the same port: velocity resumes.
#[test]
fn redis_killed_then_restarted() {
    let Some(mut redis) = RedisServer::start("velocity_redis::redis_killed_then_restarted") else {
        return;
    };
    let key = key_file(redis.dir());
    let server = start_connected(redis_settings(&redis.url(), &key));
    screen_order(server.addr, &point(0), NAMES[0]);
    assert_eq!(
        velocity_count(&screen_order(server.addr, &point(0), NAMES[1])),
        2
    );
    redis.kill();
    for i in 0..5 {
        let started = Instant::now();
        let r = post_json(
            server.addr,
            "/v1/screen",
            &json!({"address": point(0), "name": NAMES[2 + i % 3]}),
        );
        assert_eq!(r.status, 200);
        let v = r.json();
        assert_eq!(signals(&v), vec!["velocity_unavailable"], "{v}");
        assert_eq!(velocity_count(&v), 0);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "took {:?}",
            started.elapsed()
        );
    }
    // A batch: each order that would be counted carries the signal; one without a name not.
    let batch = json!([
        {"address": point(1), "name": NAMES[0]},
        {"address": point(1)},
    ]);
    let r = post_json(server.addr, "/v1/screen/batch", &batch);
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(signals(&v[0]), vec!["velocity_unavailable"], "{v}");
    assert!(signals(&v[1]).is_empty(), "{v}");
    let metrics = get(server.addr, "/metrics").text();
    assert!(
        metrics.contains("banchi_velocity_redis_connected 0"),
        "{metrics}"
    );
    let unavailable: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("banchi_velocity_unavailable_total "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(unavailable >= 6, "{unavailable}");

    redis.restart();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let v = screen_order(server.addr, &point(2), NAMES[0]);
        if signals(&v).is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "velocity did not resume: {v}");
        std::thread::sleep(Duration::from_millis(50));
    }
    // The new Redis starts empty: counting resumes from there.
    assert_eq!(
        velocity_count(&screen_order(server.addr, &point(2), NAMES[1])),
        2
    );
    let metrics = get(server.addr, "/metrics").text();
    assert!(
        metrics.contains("banchi_velocity_redis_connected 1"),
        "{metrics}"
    );
}

/// Start-up: an unreachable Redis does not stop the server (answers say
/// `velocity_unavailable`); a URL that is not one, or a missing key file, stops it with an
/// error naming what to do, without repeating the password.
#[test]
fn bad_urls_and_key_files_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let key = key_file(dir.path());
    // Nothing listens on a port just released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("redis://:hunter2@127.0.0.1:{port}/0");
    let server = TestServer::start(redis_settings(&url, &key));
    let v = screen_order(server.addr, &point(0), NAMES[0]);
    assert_eq!(signals(&v), vec!["velocity_unavailable"], "{v}");
    // An order not counted anyway (no name) gets no signal.
    let v = post_json(server.addr, "/v1/screen", &json!({"address": point(0)})).json();
    assert!(signals(&v).is_empty(), "{v}");
    drop(server);

    let rt = tokio::runtime::Runtime::new().unwrap();
    let start = |settings: Settings| {
        rt.block_on(banchi_server::start(
            settings,
            banchi_server::auth::Tokens::insecure(),
        ))
        .map(|_| ())
        .unwrap_err()
        .to_string()
    };
    let e = start(redis_settings("http://:hunter2@localhost/", &key));
    assert!(
        e.contains("BANCHI_VELOCITY_URL") && !e.contains("hunter2"),
        "{e}"
    );
    let mut no_url = redis_settings("", &key);
    no_url.velocity_url = None;
    assert!(start(no_url).contains("BANCHI_VELOCITY_URL"));
    let e = start(redis_settings(&url, &dir.path().join("missing.key")));
    assert!(e.contains("missing") && e.contains("/dev/urandom"), "{e}");
    let mut no_key = redis_settings(&url, &key);
    no_key.velocity_key = None;
    assert!(start(no_key).contains("--velocity-key"));
}

/// The OpenAPI document describes the answer's `signals` (absent when empty).
#[test]
fn the_openapi_document_has_the_signals_field() {
    let server = TestServer::start(memory_settings());
    let doc = get(server.addr, "/openapi.json").json();
    let field = &doc["components"]["schemas"]["ScreenResponse"]["properties"]["signals"];
    assert!(
        field["description"]
            .as_str()
            .is_some_and(|d| d.contains("velocity_unavailable")),
        "{field}"
    );
    let v = screen_order(server.addr, &point(0), NAMES[0]);
    assert!(v.get("signals").is_none(), "{v}");
}
