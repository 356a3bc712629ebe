//! The decision loop over real sockets: orders recorded off the request path, the review
//! queue and its decisions, outcomes that grow the fraud list once, block candidates,
//! retention, and what a crash can lose.

use crate::support::*;
use banchi_decisions::record::{BuyerFields, Decision};
use banchi_decisions::sqlite::SqliteDecisions;
use banchi_server::settings::{DecisionsSection, Settings};
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};

/// A block of 銀座 next to the listed F1 (other building number: a near or unlisted point).
const OTHER_POINT: &str = "東京都中央区銀座4-6-16 架空ハイツ502号室";

/// Settings over `fraud.csv` in `dir` with decisions recorded (flush after `flush_ms`).
fn settings(dir: &Path, flush_ms: u64) -> Settings {
    let path = dir.join("fraud.csv");
    if !path.exists() {
        std::fs::write(&path, FRAUD_CSV).unwrap();
    }
    let mut s = Settings::for_tests();
    s.fraud = Some(path);
    s.decisions = DecisionsSection {
        enabled: true,
        flush_ms,
        ..DecisionsSection::default()
    };
    s
}

fn post_as(addr: std::net::SocketAddr, token: &str, path: &str, body: serde_json::Value) -> Reply {
    request(
        addr,
        "POST",
        path,
        Some(token),
        Some("application/json"),
        body.to_string().as_bytes(),
    )
}

fn screen(addr: std::net::SocketAddr, order_id: &str, address: &str) -> serde_json::Value {
    let r = post_json(
        addr,
        "/v1/screen",
        &json!({"order_id": order_id, "address": address, "name": "架空 太郎"}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

/// Waits until the store holds `n` decisions (the recorder writes in the background).
fn wait_recorded(dir: &Path, n: u64) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(10);
    let store = SqliteDecisions::open(&dir.join("decisions.sqlite")).unwrap();
    loop {
        let got = store.counts().unwrap().decisions;
        if got >= n || Instant::now() > deadline {
            return got;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn fraud_entries(addr: std::net::SocketAddr) -> Vec<serde_json::Value> {
    let r = get_with(addr, "/v1/lists/fraud/entries?limit=1000", ADMIN_TOKEN);
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["entries"].as_array().unwrap().clone()
}

#[test]
fn a_review_order_waits_in_the_queue_and_confirming_fraud_lists_it() {
    let dir = tempfile::tempdir().unwrap();
    let s = TestServer::start(settings(dir.path(), 20));
    let answer = screen(s.addr, "R-100", OTHER_POINT);
    assert_eq!(answer["fraud"]["grade"], "caution", "{answer}");
    assert_eq!(answer["action"], "review", "{answer}");
    screen(s.addr, "R-101", "東京都千代田区丸の内1-9-1");
    assert_eq!(wait_recorded(dir.path(), 2), 2);

    let page = get_with(s.addr, "/v1/reviews?status=open&limit=10", ADMIN_TOKEN);
    assert_eq!(page.status, 200, "{}", page.text());
    let page = page.json();
    let reviews = page["reviews"].as_array().unwrap();
    assert_eq!(reviews.len(), 1, "only the review order: {page}");
    let r = &reviews[0];
    assert_eq!(r["order_id"], "R-100");
    assert_eq!(r["address"], OTHER_POINT);
    assert_eq!(r["grades"]["fraud"], "caution");
    assert_eq!(r["entry_ids"][0], "fraud:F1");
    assert_eq!(
        r["answer"]["address"]["town"], "銀座",
        "parsed address kept"
    );
    assert!(
        r.get("buyer").is_none(),
        "buyer fields only when configured"
    );
    // Screen tokens cannot read the queue.
    assert_eq!(get_with(s.addr, "/v1/reviews", SCREEN_TOKEN).status, 403);

    let before = fraud_entries(s.addr).len();
    let decided = post_as(
        s.addr,
        ADMIN_TOKEN,
        "/v1/reviews/R-100",
        json!({"decision": "confirm_fraud", "reason": "chargeback", "memo": "カード会社から連絡"}),
    );
    assert_eq!(decided.status, 200, "{}", decided.text());
    let decided = decided.json();
    assert_eq!(decided["review"]["status"], "confirmed_fraud");
    assert_eq!(decided["review"]["decided_by"], "alice");
    assert_eq!(decided["listed"]["status"], "active");
    let id = decided["listed"]["id"].as_str().unwrap().to_owned();
    let entries = fraud_entries(s.addr);
    assert_eq!(entries.len(), before + 1);
    let entry = get_with(
        s.addr,
        &format!("/v1/lists/fraud/entries/{id}"),
        ADMIN_TOKEN,
    )
    .json();
    assert!(
        entry["memo"].as_str().unwrap().contains("R-100"),
        "order id in the memo: {entry}"
    );
    // The same point in another notation is now danger.
    let again = screen(
        s.addr,
        "R-102",
        "東京都中央区銀座四丁目６番１６号　架空ハイツ５０２",
    );
    assert_eq!(again["fraud"]["grade"], "danger", "{again}");
    // Decided: out of the open queue, a second decision refused.
    let open = get_with(s.addr, "/v1/reviews", ADMIN_TOKEN).json();
    assert!(open["reviews"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["order_id"] != "R-100"));
    let twice = post_as(
        s.addr,
        ADMIN_TOKEN,
        "/v1/reviews/R-100",
        json!({"decision": "approve"}),
    );
    assert_eq!(twice.status, 409, "{}", twice.text());
    let decided = get_with(s.addr, "/v1/reviews?status=decided", ADMIN_TOKEN).json();
    assert_eq!(decided["reviews"][0]["order_id"], "R-100");
}

#[test]
fn decisions_refuse_bad_input_with_the_documented_errors() {
    let dir = tempfile::tempdir().unwrap();
    let s = TestServer::start(settings(dir.path(), 10));
    screen(s.addr, "B-1", OTHER_POINT);
    screen(s.addr, "B-2", "東京都千代田区丸の内1-9-1");
    wait_recorded(dir.path(), 2);
    let post = |path: &str, body: serde_json::Value| post_as(s.addr, ADMIN_TOKEN, path, body);
    let cases = [
        ("/v1/reviews/B-404", json!({"decision": "approve"}), 404),
        ("/v1/reviews/B-2", json!({"decision": "approve"}), 409),
        ("/v1/reviews/B-1", json!({"decision": "ship_it"}), 422),
        ("/v1/reviews/B-1", json!({"decision": "hold"}), 422),
        ("/v1/reviews/B-1", json!({"decision": "confirm_fraud"}), 422),
        (
            "/v1/reviews/B-1",
            json!({"decision": "confirm_fraud", "reason": "forwarding"}),
            422,
        ),
        (
            "/v1/reviews/B-1",
            json!({"decision": "hold", "memo": "x".repeat(1001)}),
            422,
        ),
        (
            "/v1/orders/B-404/outcome",
            json!({"outcome": "chargeback"}),
            404,
        ),
        ("/v1/orders/B-2/outcome", json!({"outcome": "stolen"}), 422),
        (
            "/v1/orders/B-2/outcome",
            json!({"outcome": "legit", "at": "yesterday"}),
            422,
        ),
    ];
    for (path, body, status) in cases {
        let r = post(path, body.clone());
        assert_eq!(r.status, status, "{path} {body}: {}", r.text());
        assert!(!r.error_code().is_empty(), "an error body: {}", r.text());
    }
    let missing = post("/v1/orders/B-404/outcome", json!({"outcome": "fraud"}));
    assert!(
        missing.text().contains("never") || missing.text().contains("expired"),
        "says why: {}",
        missing.text()
    );
    assert_eq!(
        get_with(s.addr, "/v1/reviews?limit=0", ADMIN_TOKEN).status,
        422
    );
    assert_eq!(
        get_with(s.addr, "/v1/reviews?status=lost", ADMIN_TOKEN).status,
        422
    );
    assert_eq!(
        get_with(s.addr, "/v1/reviews?after=nope", ADMIN_TOKEN).status,
        404
    );
    // A hold with a memo is taken; the order stays undecided.
    let held = post(
        "/v1/reviews/B-1",
        json!({"decision": "hold", "memo": "電話確認中"}),
    );
    assert_eq!(held.status, 200, "{}", held.text());
    assert_eq!(held.json()["review"]["status"], "held");
    let approved = post("/v1/reviews/B-1", json!({"decision": "approve"}));
    assert_eq!(approved.json()["review"]["status"], "approved");
}

#[test]
fn the_same_chargeback_posted_five_times_adds_one_entry() {
    let dir = tempfile::tempdir().unwrap();
    let s = TestServer::start(settings(dir.path(), 10));
    let point = "東京都千代田区丸の内1-9-1 架空タワー1203";
    screen(s.addr, "C-1", point);
    wait_recorded(dir.path(), 1);
    let before = fraud_entries(s.addr).len();
    let mut firsts = 0;
    let mut ids = Vec::new();
    for _ in 0..5 {
        let r = post_as(
            s.addr,
            ADMIN_TOKEN,
            "/v1/orders/C-1/outcome",
            json!({"outcome": "chargeback", "at": "2026-12-01"}),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        let v = r.json();
        firsts += usize::from(v["first"] == true);
        ids.push(v["listed"]["id"].clone());
    }
    assert_eq!(firsts, 1);
    assert_eq!(fraud_entries(s.addr).len(), before + 1, "one entry");
    assert!(ids.windows(2).all(|w| w[0] == w[1]), "{ids:?}");
    let graded = screen(
        s.addr,
        "C-2",
        "東京都千代田区丸の内一丁目9番1号 架空タワー 1203号室",
    );
    assert_eq!(graded["fraud"]["grade"], "danger", "{graded}");
    // A legit outcome lists nothing; screen tokens may not report outcomes.
    let legit = post_as(
        s.addr,
        ADMIN_TOKEN,
        "/v1/orders/C-2/outcome",
        json!({"outcome": "legit"}),
    );
    assert!(legit.json()["listed"].is_null());
    let refused = post_as(
        s.addr,
        SCREEN_TOKEN,
        "/v1/orders/C-2/outcome",
        json!({"outcome": "legit"}),
    );
    assert_eq!(refused.status, 403);
}

#[test]
fn five_concurrent_chargebacks_add_one_entry() {
    let dir = tempfile::tempdir().unwrap();
    let s = TestServer::start(settings(dir.path(), 10));
    screen(s.addr, "P-1", "東京都千代田区丸の内1-9-1 架空タワー808");
    wait_recorded(dir.path(), 1);
    let before = fraud_entries(s.addr).len();
    let addr = s.addr;
    let threads: Vec<_> = (0..5)
        .map(|_| {
            std::thread::spawn(move || {
                post_as(
                    addr,
                    ADMIN_TOKEN,
                    "/v1/orders/P-1/outcome",
                    json!({"outcome": "fraud"}),
                )
                .status
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), 200);
    }
    assert_eq!(fraud_entries(s.addr).len(), before + 1);
}

#[test]
fn a_disabled_point_with_chargebacks_is_a_block_candidate() {
    let dir = tempfile::tempdir().unwrap();
    let s = TestServer::start(settings(dir.path(), 10));
    let point = "東京都千代田区丸の内1-9-1 架空タワー3001";
    screen(s.addr, "K-1", point);
    screen(
        s.addr,
        "K-2",
        "東京都千代田区丸の内１－９－１ 架空タワー3001",
    );
    wait_recorded(dir.path(), 2);
    let first = post_as(
        s.addr,
        ADMIN_TOKEN,
        "/v1/orders/K-1/outcome",
        json!({"outcome": "chargeback"}),
    );
    let id = first.json()["listed"]["id"].as_str().unwrap().to_owned();
    post_as(
        s.addr,
        ADMIN_TOKEN,
        "/v1/orders/K-2/outcome",
        json!({"outcome": "unpaid"}),
    );
    let none = get_with(s.addr, "/v1/decisions/candidates", ADMIN_TOKEN).json();
    assert_eq!(none.as_array().unwrap().len(), 0, "listed: {none}");
    let disabled = request(
        s.addr,
        "PATCH",
        &format!("/v1/lists/fraud/entries/{id}"),
        Some(ADMIN_TOKEN),
        Some("application/json"),
        json!({"disabled": true, "memo": "誤登録"})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(disabled.status, 200, "{}", disabled.text());
    let found = get_with(s.addr, "/v1/decisions/candidates", ADMIN_TOKEN).json();
    let found = found.as_array().unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["fraud_outcomes"], 2);
    let mut orders: Vec<&str> = found[0]["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.as_str().unwrap())
        .collect();
    orders.sort();
    assert_eq!(orders, ["K-1", "K-2"]);
}

#[test]
fn expired_decisions_are_pruned() {
    let dir = tempfile::tempdir().unwrap();
    let s = TestServer::start(settings(dir.path(), 10));
    screen(s.addr, "N-1", OTHER_POINT);
    wait_recorded(dir.path(), 1);
    let old = Decision {
        order_id: "OLD-1".into(),
        at_ms: banchi_decisions::now_ms() - 400 * 86_400_000,
        address: "東京都中央区銀座4-6-16".into(),
        key: None,
        score: 50,
        action: "review".into(),
        fraud_grade: None,
        forwarder_grade: None,
        reasons: vec![],
        entry_ids: vec![],
        lists_version: "old".into(),
        buyer: BuyerFields::default(),
        review: true,
        detail: None,
    };
    SqliteDecisions::open(&dir.path().join("decisions.sqlite"))
        .unwrap()
        .record(&[old], &[])
        .unwrap();
    assert_eq!(
        get_with(s.addr, "/v1/reviews?status=all", ADMIN_TOKEN).json()["reviews"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let decisions = s.state().decisions().unwrap().clone();
    let pruned = s.runtime().block_on(decisions.prune_now()).unwrap();
    assert_eq!(pruned.decisions, 1);
    let left = get_with(s.addr, "/v1/reviews?status=all", ADMIN_TOKEN).json();
    let ids: Vec<&str> = left["reviews"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["order_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["N-1"]);
    let gone = post_as(
        s.addr,
        ADMIN_TOKEN,
        "/v1/orders/OLD-1/outcome",
        json!({"outcome": "fraud"}),
    );
    assert_eq!(gone.status, 404);
}

#[test]
fn a_graceful_stop_writes_every_queued_decision_and_a_crash_loses_at_most_the_last_batch() {
    // Graceful: a long flush interval, then stop — every order is written.
    let dir = tempfile::tempdir().unwrap();
    let s = TestServer::start(settings(dir.path(), 60_000));
    for i in 0..40 {
        screen(s.addr, &format!("G-{i}"), "東京都千代田区丸の内1-9-1");
    }
    drop(s);
    let store = SqliteDecisions::open(&dir.path().join("decisions.sqlite")).unwrap();
    assert_eq!(store.counts().unwrap().decisions, 40);
    drop(store);

    // Crash: orders answered more than a flush interval ago are on disk; those of the last
    // interval may be lost, nothing before them.
    let dir = tempfile::tempdir().unwrap();
    let s = TestServer::start(settings(dir.path(), 50));
    for i in 0..30 {
        screen(s.addr, &format!("X-{i}"), "東京都千代田区丸の内1-9-1");
    }
    std::thread::sleep(Duration::from_millis(1_500));
    for i in 30..40 {
        screen(s.addr, &format!("X-{i}"), "東京都千代田区丸の内1-9-1");
    }
    s.crash();
    let store = SqliteDecisions::open(&dir.path().join("decisions.sqlite")).unwrap();
    let kept = store.counts().unwrap().decisions;
    assert!((30..=40).contains(&kept), "kept {kept}");
}
