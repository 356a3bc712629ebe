//! Several replicas over one PostgreSQL (`--store postgres`): edits on one in force on the
//! other within a second, edits under load, the database killed and restarted. Real
//! servers on loopback, a real PostgreSQL per test (skipped without it, a failure under CI).

use crate::postgres::PgServer;
use crate::store_support::{database, on_store};
use crate::support::{get, request, screen_order, TestServer, ADMIN_TOKEN};
use banchi_server::settings::Settings;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A fictional flat at a real block of 梅田, not in the list until a test adds it.
const UMEDA: &str = "大阪府大阪市北区梅田三丁目1番1号 架空タワー1205号室";

/// A replica of the store at `pg`.
fn replica(pg: &PgServer) -> TestServer {
    TestServer::start(on_store(Settings::for_tests(), pg))
}

fn add(server: &TestServer, address: &str) -> crate::support::Reply {
    let body = serde_json::json!({"address": address, "reason": "chargeback", "memo": "test"});
    request(
        server.addr,
        "POST",
        "/v1/lists/fraud/entries",
        Some(ADMIN_TOKEN),
        Some("application/json"),
        body.to_string().as_bytes(),
    )
}

fn grade(server: &TestServer, address: &str) -> (String, String) {
    let v = screen_order(server.addr, address, "架空 太郎");
    (
        v["fraud"]["grade"].as_str().unwrap_or("none").to_owned(),
        v["lists_version"].as_str().unwrap_or("?").to_owned(),
    )
}

fn ready(server: &TestServer) -> serde_json::Value {
    get(server.addr, "/readyz").json()
}

/// Waits until `check` holds, at most `limit`; the time it took.
fn within(limit: Duration, mut check: impl FnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if check() {
            return Some(start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    None
}

#[test]
fn an_entry_added_on_one_replica_grades_danger_on_the_other_within_a_second() {
    let Some(pg) = database("replicas_propagate") else {
        return;
    };
    let a = replica(&pg);
    let b = replica(&pg);
    assert_eq!(ready(&a)["store"]["state"], "current");
    assert_eq!(ready(&a)["lists_version"], ready(&b)["lists_version"]);
    assert_eq!(grade(&b, UMEDA).0, "none");
    let added = add(&a, UMEDA);
    assert_eq!(added.status, 200, "{}", added.text());
    let version = added.json()["lists_version"].as_str().unwrap().to_owned();
    assert_eq!(
        grade(&a, UMEDA),
        ("danger".into(), version.clone()),
        "in force on A when A answers"
    );
    let took = within(Duration::from_secs(1), || grade(&b, UMEDA).0 == "danger");
    assert!(took.is_some(), "B grades the entry added on A within 1 s");
    assert_eq!(
        grade(&b, UMEDA).1,
        version,
        "the same lists, the same version"
    );
    // The entry is read back on B, with its history.
    let id = added.json()["id"].as_str().unwrap().to_owned();
    let entry = request(
        b.addr,
        "GET",
        &format!("/v1/lists/fraud/entries/{id}"),
        Some(ADMIN_TOKEN),
        None,
        b"",
    );
    assert_eq!(entry.status, 200);
    assert_eq!(entry.json()["history"][0]["by"], "alice");
    // Disabled on B: no longer graded on A.
    let body = serde_json::json!({"disabled": true, "memo": "resolved"});
    let r = request(
        b.addr,
        "PATCH",
        &format!("/v1/lists/fraud/entries/{id}"),
        Some(ADMIN_TOKEN),
        Some("application/json"),
        body.to_string().as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(within(Duration::from_secs(1), || grade(&a, UMEDA).0 == "none").is_some());
    // A replica started now loads the snapshot and the changes after it.
    let c = replica(&pg);
    assert_eq!(grade(&c, UMEDA).0, "none");
    assert_eq!(ready(&c)["lists_version"], ready(&a)["lists_version"]);
}

#[test]
fn a_hundred_edits_over_two_replicas_under_load_fail_nothing_and_agree() {
    let Some(pg) = database("replicas_under_load") else {
        return;
    };
    let a = Arc::new(replica(&pg));
    let b = Arc::new(replica(&pg));
    let stop = Arc::new(AtomicBool::new(false));
    let failed = Arc::new(AtomicUsize::new(0));
    let screened = Arc::new(AtomicUsize::new(0));
    // Version → the grades of the probe seen under it: one version, one answer.
    let seen: Arc<Mutex<BTreeMap<String, BTreeSet<String>>>> = Arc::default();
    let probe = "東京都千代田区丸の内1-9-1 架空ビル501号室";
    let mut load = Vec::new();
    for server in [&a, &b, &a, &b] {
        let (server, stop, failed, screened, seen) = (
            Arc::clone(server),
            stop.clone(),
            failed.clone(),
            screened.clone(),
            seen.clone(),
        );
        load.push(std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                // Paced: a closed connection per request leaves a socket in TIME_WAIT, and
                // the whole suite runs beside this.
                std::thread::sleep(Duration::from_millis(2));
                let r = crate::support::post_json(
                    server.addr,
                    "/v1/screen",
                    &serde_json::json!({"address": probe, "name": "架空 花子"}),
                );
                if r.status != 200 {
                    failed.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                let v = r.json();
                let version = v["lists_version"].as_str().unwrap_or("").to_owned();
                let grade = v["fraud"]["grade"].as_str().unwrap_or("").to_owned();
                seen.lock()
                    .unwrap()
                    .entry(version)
                    .or_default()
                    .insert(grade);
                screened.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for i in 0..100 {
        let server = if i % 2 == 0 { &a } else { &b };
        let address = if i == 50 {
            probe.to_owned()
        } else {
            format!("東京都千代田区丸の内1-9-1 架空ビル{}号室", 1000 + i)
        };
        let r = add(server, &address);
        assert_eq!(r.status, 200, "edit {i}: {}", r.text());
    }
    let agreed = within(Duration::from_secs(2), || {
        ready(&a)["lists_version"] == ready(&b)["lists_version"]
    });
    stop.store(true, Ordering::Relaxed);
    for t in load {
        t.join().unwrap();
    }
    assert!(agreed.is_some(), "both replicas end on the same version");
    assert_eq!(failed.load(Ordering::Relaxed), 0, "no screen failed");
    assert!(screened.load(Ordering::Relaxed) > 100);
    for (version, grades) in seen.lock().unwrap().iter() {
        assert_eq!(grades.len(), 1, "version {version} answered {grades:?}");
    }
    assert_eq!(grade(&a, probe).0, "danger");
    assert_eq!(grade(&b, probe).0, "danger");
}

#[test]
fn postgres_killed_under_load_fails_no_screen_refuses_edits_and_loses_no_commit() {
    let Some(mut pg) = database("replicas_outage") else {
        return;
    };
    let a = Arc::new(replica(&pg));
    let b = Arc::new(replica(&pg));
    let before = add(&a, UMEDA);
    assert_eq!(before.status, 200);
    // B learns of the edit from PostgreSQL (LISTEN, or its poll): the load starts, and the
    // database dies, only once both replicas hold it — the test is about the outage, not
    // about how soon B catches up (a test of its own above).
    for replica in [&a, &b] {
        assert!(
            within(Duration::from_secs(10), || grade(replica, UMEDA).0
                == "danger")
            .is_some(),
            "both replicas hold the entry before the outage"
        );
    }
    let stop = Arc::new(AtomicBool::new(false));
    let failed = Arc::new(AtomicUsize::new(0));
    let mut load = Vec::new();
    for server in [&a, &b] {
        let (server, stop, failed) = (Arc::clone(server), stop.clone(), failed.clone());
        load.push(std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                // Paced: a closed connection per request leaves a socket in TIME_WAIT, and
                // the whole suite runs beside this.
                std::thread::sleep(Duration::from_millis(2));
                let r = crate::support::post_json(
                    server.addr,
                    "/v1/screen",
                    &serde_json::json!({"address": UMEDA, "name": "架空 太郎"}),
                );
                if r.status != 200 {
                    failed.fetch_add(1, Ordering::Relaxed);
                } else if r.json()["fraud"]["grade"] != "danger" {
                    // A wrong grade counts apart (by thousands), to tell the two apart.
                    failed.fetch_add(1000, Ordering::Relaxed);
                    eprintln!("wrong grade: {}", r.json());
                }
            }
        }));
    }
    pg.kill();
    assert!(
        within(Duration::from_secs(3), || ready(&a)["status"] == "stale").is_some(),
        "{}",
        ready(&a)
    );
    let stale = ready(&b);
    assert!(
        within(Duration::from_secs(3), || ready(&b)["store"]["state"]
            == "stale")
        .is_some(),
        "{stale}"
    );
    assert!(ready(&a)["store"]["stale_since"].is_string());
    let refused = add(&a, "東京都千代田区丸の内1-9-1 架空ビル777号室");
    assert_eq!(refused.status, 503, "{}", refused.text());
    assert_eq!(refused.error_code(), "unavailable");
    let metrics = get(a.addr, "/metrics").text();
    assert!(metrics.contains("banchi_store_stale 1"), "{metrics}");
    pg.restart();
    // An edit on A after the restart reaches B; both current again.
    let after = within(Duration::from_secs(10), || {
        add(&a, "東京都千代田区丸の内1-9-1 架空ビル888号室").status == 200
    });
    assert!(after.is_some(), "edits work again once PostgreSQL is back");
    assert!(
        within(Duration::from_secs(10), || ready(&b)["store"]["state"]
            == "current")
        .is_some(),
        "B after the restart: {}",
        ready(&b)
    );
    assert!(within(Duration::from_secs(3), || grade(
        &b,
        "東京都千代田区丸の内1-9-1 架空ビル888号室"
    )
    .0 == "danger")
    .is_some());
    stop.store(true, Ordering::Relaxed);
    for t in load {
        t.join().unwrap();
    }
    assert_eq!(
        failed.load(Ordering::Relaxed),
        0,
        "no screen failed during the outage"
    );
    // The edit committed before the kill survived it.
    assert_eq!(grade(&b, UMEDA).0, "danger");
    assert_eq!(ready(&a)["lists_version"], ready(&b)["lists_version"]);
}

#[test]
fn a_damaged_snapshot_is_rebuilt_from_the_rows_and_a_newer_schema_is_refused() {
    let Some(pg) = database("replicas_bad_input") else {
        return;
    };
    {
        let a = replica(&pg);
        assert_eq!(add(&a, UMEDA).status, 200);
    }
    pg.psql(
        "UPDATE banchi_snapshots SET image = overlay(image placing '\\x00'::bytea from 40 for 1)",
    );
    let b = replica(&pg);
    assert_eq!(grade(&b, UMEDA).0, "danger", "rebuilt from the rows");
    drop(b);
    pg.psql("INSERT INTO banchi_schema_migrations (version, name) VALUES (99, 'from the future')");
    let mut s = on_store(Settings::for_tests(), &pg);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let tokens = banchi_server::auth::Tokens::parse_file(
        "admin x-token-0123456789abcdef alice\n",
        std::path::Path::new("t"),
    )
    .unwrap();
    s.listen = "127.0.0.1:0".parse().unwrap();
    let running = rt.block_on(banchi_server::start(s, tokens)).unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let err = rt
        .block_on(running.stop())
        .expect_err("the first load fails")
        .to_string();
    assert!(err.contains("newer than this banchi"), "{err}");
}

#[test]
fn two_replicas_on_one_postgres_and_one_redis_share_the_lists_and_the_velocity_count() {
    use crate::redis_server::RedisServer;
    use crate::velocity_redis::{
        key_file, memory_settings, redis_settings, start_connected, velocity_count,
    };
    let Some(pg) = database("replicas_with_redis") else {
        return;
    };
    let Some(redis) = RedisServer::start("replicas_with_redis") else {
        return;
    };
    let key = key_file(redis.dir());
    let with_store = |s: Settings| on_store(s, &pg);
    let a = start_connected(with_store(redis_settings(&redis.url(), &key)));
    let b = start_connected(with_store(redis_settings(&redis.url(), &key)));
    let single = TestServer::start(memory_settings());
    // Names at one delivery point, alternating replicas: counted as one process counts.
    let names = [
        "架空 一郎",
        "架空 二郎",
        "架空 三郎",
        "架空 四郎",
        "架空 五郎",
    ];
    for (i, name) in names.iter().enumerate() {
        let replica = if i % 2 == 0 { &a } else { &b };
        let got = screen_order(replica.addr, UMEDA, name);
        let want = screen_order(single.addr, UMEDA, name);
        assert_eq!(
            velocity_count(&got),
            velocity_count(&want),
            "order {i}: {got}"
        );
    }
    assert!(velocity_count(&screen_order(b.addr, UMEDA, "架空 六郎")) >= 2);
    // And the lists: added on A, danger on B within a second.
    assert_eq!(add(&a, UMEDA).status, 200);
    assert!(within(Duration::from_secs(1), || grade(&b, UMEDA).0 == "danger").is_some());
}
