//! Four eyes on list edits (`[four_eyes] lists = ["fraud"]`): an add, disable or enable by
//! one admin is pending — not in force — until an admin with another name approves it. Over
//! real sockets against a server on a list CSV, and against a server on a real PostgreSQL
//! (`--store postgres`; skipped without it, a failure under CI).

use crate::postgres::PgServer;
use crate::store_support::{database, on_store};
use crate::support::{get_with, request, screen_order, Reply, TestServer, ADMIN_TOKEN, FRAUD_CSV};
use banchi_server::settings::{FourEyes, PendingGrade, Settings};

/// The second admin's token; its name is `bob` (the first admin's is `alice`).
const BOB_TOKEN: &str = "admin-token-bob-0123456789";

/// The fixture's entry F1: a fictional flat at a real block of 銀座.
const GINZA: &str = "東京都中央区銀座4-6-16 架空ハイツ301号室";

/// A fictional flat at a real block of 梅田, not in the list until a test adds it.
const UMEDA: &str = "大阪府大阪市北区梅田三丁目1番1号 架空タワー1205号室";

fn four_eyes(mut s: Settings, pending_grade: PendingGrade) -> Settings {
    s.four_eyes = FourEyes {
        lists: vec!["fraud".into()],
        pending_grade,
    };
    s
}

/// A server with four eyes on the fraud list CSV written into `dir`, alice and bob admins.
fn file_server(dir: &std::path::Path, pending_grade: PendingGrade) -> TestServer {
    let path = dir.join("fraud.csv");
    if !path.exists() {
        std::fs::write(&path, FRAUD_CSV).unwrap();
    }
    let mut s = Settings::for_tests();
    s.fraud = Some(path);
    TestServer::start_with_tokens(
        four_eyes(s, pending_grade),
        &format!("admin {BOB_TOKEN} bob\n"),
    )
}

fn json_call(server: &TestServer, method: &str, path: &str, token: &str, body: &str) -> Reply {
    request(
        server.addr,
        method,
        path,
        Some(token),
        Some("application/json"),
        body.as_bytes(),
    )
}

fn add(server: &TestServer, token: &str, address: &str) -> Reply {
    let body = serde_json::json!({"address": address, "reason": "chargeback", "memo": "case 7"});
    json_call(
        server,
        "POST",
        "/v1/lists/fraud/entries",
        token,
        &body.to_string(),
    )
}

fn set_disabled(server: &TestServer, token: &str, id: &str, disabled: bool) -> Reply {
    let body = serde_json::json!({"disabled": disabled});
    json_call(
        server,
        "PATCH",
        &format!("/v1/lists/fraud/entries/{id}"),
        token,
        &body.to_string(),
    )
}

/// `approve` or `reject` entry `id` as `token`, with a memo.
fn review(server: &TestServer, token: &str, id: &str, verdict: &str) -> Reply {
    json_call(
        server,
        "POST",
        &format!("/v1/lists/fraud/entries/{id}/{verdict}"),
        token,
        r#"{"memo":"checked the chargeback"}"#,
    )
}

fn grade(server: &TestServer, address: &str) -> String {
    let v = screen_order(server.addr, address, "架空 太郎");
    v["fraud"]["grade"].as_str().unwrap_or("none").to_owned()
}

fn entry(server: &TestServer, id: &str) -> serde_json::Value {
    let r = get_with(
        server.addr,
        &format!("/v1/lists/fraud/entries/{id}"),
        ADMIN_TOKEN,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

fn pending_ids(server: &TestServer) -> Vec<String> {
    let r = get_with(
        server.addr,
        "/v1/lists/fraud/entries?status=pending",
        BOB_TOKEN,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}

/// (action, by) of every event of the entry's history.
fn history(entry: &serde_json::Value) -> Vec<(String, String)> {
    entry["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["action"].as_str().unwrap().to_owned(),
                h["by"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pair(a: &str, b: &str) -> (String, String) {
    (a.to_owned(), b.to_owned())
}

/// The whole cycle on one server: a pending add grades nothing until bob approves it, alice
/// can never review her own change, a pending disable keeps matching until approved, a
/// rejected add never matches. Returns the approved entry's id.
fn the_four_eyes_cycle(server: &TestServer) -> String {
    assert_eq!(grade(server, UMEDA), "none");
    let added = add(server, ADMIN_TOKEN, UMEDA);
    assert_eq!(added.status, 200, "{}", added.text());
    let v = added.json();
    assert_eq!(v["status"], "pending");
    let id = v["id"].as_str().unwrap().to_owned();
    assert_eq!(
        grade(server, UMEDA),
        "none",
        "a pending add is not in force"
    );
    assert_eq!(pending_ids(server), std::slice::from_ref(&id));
    let e = entry(server, &id);
    assert_eq!(
        (&e["status"], &e["pending"]),
        (&"pending".into(), &"add".into())
    );
    // alice cannot approve nor reject her own change; nothing changes.
    for verdict in ["approve", "reject"] {
        let r = review(server, ADMIN_TOKEN, &id, verdict);
        assert_eq!(r.status, 403, "{}", r.text());
        assert_eq!(r.error_code(), "forbidden");
    }
    // No other change while it waits.
    let r = set_disabled(server, BOB_TOKEN, &id, true);
    assert_eq!(r.status, 409, "{}", r.text());
    assert_eq!(grade(server, UMEDA), "none");
    // bob approves: in force at once.
    let r = review(server, BOB_TOKEN, &id, "approve");
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(
        (v["id"].as_str(), v["status"].as_str()),
        (Some(id.as_str()), Some("active"))
    );
    assert!(v["lists_version"].is_string());
    assert_eq!(grade(server, UMEDA), "danger");
    let e = entry(server, &id);
    assert_eq!(history(&e), [pair("add", "alice"), pair("approve", "bob")]);
    assert_eq!(e["history"][1]["memo"], "checked the chargeback");
    assert!(e.get("pending").is_none(), "{e}");
    assert!(pending_ids(server).is_empty());
    let r = review(server, BOB_TOKEN, &id, "approve");
    assert_eq!(r.status, 409, "nothing is pending any more: {}", r.text());

    // A pending disable of F1 (by bob) keeps it matching until alice approves it.
    assert_eq!(grade(server, GINZA), "danger");
    let r = set_disabled(server, BOB_TOKEN, "F1", true);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["status"], "pending");
    assert_eq!(
        grade(server, GINZA),
        "danger",
        "a pending disable still matches"
    );
    assert_eq!(pending_ids(server), ["F1"]);
    assert_eq!(review(server, BOB_TOKEN, "F1", "approve").status, 403);
    // Approved without a body at all (the memo is optional).
    let r = request(
        server.addr,
        "POST",
        "/v1/lists/fraud/entries/F1/approve",
        Some(ADMIN_TOKEN),
        None,
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["status"], "disabled");
    assert_eq!(grade(server, GINZA), "none");
    assert_eq!(
        history(&entry(server, "F1")),
        [pair("disable", "bob"), pair("approve", "alice")]
    );

    // A pending enable leaves it disabled until approved.
    let r = set_disabled(server, ADMIN_TOKEN, "F1", false);
    assert_eq!(r.json()["status"], "pending");
    assert_eq!(
        grade(server, GINZA),
        "none",
        "a pending enable does not match yet"
    );
    assert_eq!(review(server, BOB_TOKEN, "F1", "approve").status, 200);
    assert_eq!(grade(server, GINZA), "danger");

    // A rejected add never matches and leaves the pending list; it is kept, disabled.
    let other = "大阪府大阪市北区梅田三丁目1番1号 架空タワー808号室";
    let r = add(server, BOB_TOKEN, other);
    let rejected = r.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(
        grade(server, other),
        "caution",
        "only the approved flat's block matches"
    );
    let r = review(server, ADMIN_TOKEN, &rejected, "reject");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["status"], "disabled");
    assert!(pending_ids(server).is_empty());
    assert_eq!(grade(server, other), "caution");
    let e = entry(server, &rejected);
    assert_eq!(e["status"], "disabled");
    assert_eq!(history(&e), [pair("add", "bob"), pair("reject", "alice")]);
    id
}

#[test]
fn four_eyes_on_a_list_file() {
    let dir = tempfile::tempdir().unwrap();
    let id = {
        let server = file_server(dir.path(), PendingGrade::None);
        let id = the_four_eyes_cycle(&server);
        // A pending add, left pending across a restart (and the journal's fold).
        let r = add(
            &server,
            ADMIN_TOKEN,
            "東京都中央区銀座4-6-16 架空ハイツ505号室",
        );
        assert_eq!(r.json()["status"], "pending");
        id
    };
    let server = file_server(dir.path(), PendingGrade::None);
    assert_eq!(grade(&server, UMEDA), "danger");
    assert_eq!(entry(&server, &id)["status"], "active");
    assert_eq!(pending_ids(&server).len(), 1);
    assert_eq!(
        grade(&server, "東京都中央区銀座4-6-16 架空ハイツ505号室"),
        "caution",
        "F1's block, another flat: the pending 505 itself grades nothing"
    );
    // The CLI's reader agrees: the list file holds the pending entry, not indexed.
    let list = banchi::watchlist::ListFile::open(&dir.path().join("fraud.csv")).unwrap();
    let pending: Vec<_> = list
        .entries()
        .into_iter()
        .filter(|e| e.pending.is_some())
        .collect();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].status, "pending");
}

#[test]
fn lists_without_four_eyes_are_edited_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fraud.csv");
    std::fs::write(&path, FRAUD_CSV).unwrap();
    let mut s = Settings::for_tests();
    s.fraud = Some(path);
    // Four eyes on the other list only.
    s.four_eyes = FourEyes {
        lists: vec!["forwarders".into()],
        pending_grade: PendingGrade::None,
    };
    let server = TestServer::start(s);
    let r = add(&server, ADMIN_TOKEN, UMEDA);
    assert_eq!(r.json()["status"], "active");
    assert_eq!(grade(&server, UMEDA), "danger");
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let r = review(&server, ADMIN_TOKEN, &id, "approve");
    assert_eq!(r.status, 409, "nothing pending: {}", r.text());
    let r = request(
        server.addr,
        "POST",
        &format!("/v1/lists/fraud/entries/{id}/approve"),
        Some(crate::support::SCREEN_TOKEN),
        None,
        b"",
    );
    assert_eq!(r.status, 403, "a screen token may not review");
}

fn store_replica(pg: &PgServer) -> TestServer {
    TestServer::start_with_tokens(
        four_eyes(on_store(Settings::for_tests(), pg), PendingGrade::None),
        &format!("admin {BOB_TOKEN} bob\n"),
    )
}

#[test]
fn four_eyes_in_the_store() {
    let Some(pg) = database("four_eyes_store") else {
        return;
    };
    let a = store_replica(&pg);
    let id = the_four_eyes_cycle(&a);
    let r = add(&a, ADMIN_TOKEN, "東京都中央区銀座4-6-16 架空ハイツ505号室");
    assert_eq!(r.json()["status"], "pending");
    // A replica started now holds the same state: approved in force, pending not.
    let b = store_replica(&pg);
    assert_eq!(grade(&b, UMEDA), "danger");
    assert_eq!(grade(&b, GINZA), "danger");
    assert_eq!(
        grade(&b, "東京都中央区銀座4-6-16 架空ハイツ505号室"),
        "caution"
    );
    assert_eq!(entry(&b, &id)["status"], "active");
    assert_eq!(pending_ids(&b).len(), 1);
    // The store's columns follow the rows (`status`, `pending`).
    let pending = pg.psql("SELECT count(*) FROM banchi_entries WHERE pending <> ''");
    assert_eq!(pending.trim(), "1", "{pending}");
}

/// With `pending_grade = "caution"`, a pending add grades `caution` at most — right after
/// the add, after the background rebuild, after a restart, and on a store replica started
/// later — and `danger` once approved.
fn pending_grades_caution(server: &TestServer, restarted: impl Fn() -> TestServer) {
    let flat = "東京都千代田区丸の内1-9-1 架空ビル777号室";
    assert_eq!(grade(server, flat), "none");
    let r = add(server, ADMIN_TOKEN, flat);
    assert_eq!(r.json()["status"], "pending", "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(grade(server, flat), "caution", "pending: caution at most");
    // The background rebuild (200 ms after an edit; a store snapshot after 2 s of quiet)
    // leaves the pending add graded.
    std::thread::sleep(std::time::Duration::from_millis(3000));
    assert_eq!(grade(server, flat), "caution", "after the rebuild");
    let again = restarted();
    assert_eq!(grade(&again, flat), "caution", "after a restart");
    assert_eq!(review(&again, BOB_TOKEN, &id, "approve").status, 200);
    assert_eq!(grade(&again, flat), "danger");
}

#[test]
fn pending_adds_grade_caution_when_configured_on_a_list_file() {
    let dir = tempfile::tempdir().unwrap();
    let server = file_server(dir.path(), PendingGrade::Caution);
    pending_grades_caution(&server, || file_server(dir.path(), PendingGrade::Caution));
}

#[test]
fn pending_adds_grade_caution_when_configured_in_the_store() {
    let Some(pg) = database("four_eyes_caution") else {
        return;
    };
    let replica = || {
        TestServer::start_with_tokens(
            four_eyes(on_store(Settings::for_tests(), &pg), PendingGrade::Caution),
            &format!("admin {BOB_TOKEN} bob\n"),
        )
    };
    let a = replica();
    pending_grades_caution(&a, replica);
}
