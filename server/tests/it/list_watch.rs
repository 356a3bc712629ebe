//! Lists changing under the server: edits made outside it (as `banchi list` makes them) are
//! picked up by the file watch, never from a half-written file; and the lists changed 100
//! times while requests run give 0 failed requests, every answer graded on the lists of the
//! `lists_version` it reports. Addresses are invented flats at real blocks.

use crate::support::*;
use banchi::watchlist::manage::NewEntry;
use banchi::watchlist::{ListFile, ReasonCode, StatusEdit};
use serde_json::json;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

const UMEDA: &str = "大阪府大阪市北区梅田三丁目1番1号 架空タワー1205号室";

fn grade_and_version(addr: SocketAddr, address: &str) -> (u16, String, String) {
    let r = post_json(addr, "/v1/screen", &json!({ "address": address }));
    if r.status != 200 {
        return (r.status, String::new(), String::new());
    }
    let v = r.json();
    (
        r.status,
        v["fraud"]["grade"].as_str().unwrap_or("none").to_owned(),
        v["lists_version"].as_str().unwrap_or_default().to_owned(),
    )
}

fn active_version(s: &TestServer) -> String {
    get(s.addr, "/readyz").json()["lists_version"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// `lists_version` of the lists once `file` (the fraud list) is loaded, the forwarder part
/// taken from `version`.
fn version_with_fraud_file(version: &str, file: &Path) -> String {
    let crc = banchi::watchlist::journal::version_of(file)
        .unwrap()
        .unwrap();
    let forwarders = version.split("-w").nth(1).unwrap();
    format!("f{crc:08x}-w{forwarders}")
}

/// Changes the fraud list as `banchi list` does: under the writers' lock, atomic replace.
fn edit_outside(file: &Path, change: impl FnOnce(&mut ListFile)) {
    let _writer = ListFile::lock(file).unwrap();
    let mut list = ListFile::open(file).unwrap();
    change(&mut list);
    list.save().unwrap();
}

fn wait_for_version(s: &TestServer, want: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while active_version(s) != want {
        assert!(
            Instant::now() < deadline,
            "the change outside the server was not picked up"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn reloads(s: &TestServer) -> String {
    get(s.addr, "/metrics")
        .text()
        .lines()
        .filter(|l| l.starts_with("banchi_list_reloads_total"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn edits_outside_the_server_are_picked_up_and_temp_files_are_not() {
    let s = TestServer::with_fraud_list(FRAUD_CSV);
    let file = s.dir().join("fraud.csv");
    let start = active_version(&s);
    assert_eq!(grade_and_version(s.addr, UMEDA).1, "none");

    // A writer's temp file, half written, beside the list: ignored.
    let before = reloads(&s);
    std::fs::write(
        s.dir().join(".fraud.csv.999.0.tmp"),
        "id,address,reason\nX1,大阪府大阪市北区梅田3-1-1 架空タワー12",
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(active_version(&s), start);
    assert_eq!(reloads(&s), before, "no reload for a temp file");

    edit_outside(&file, |list| {
        let parser = banchi::Parser::new();
        let new = NewEntry {
            id: None,
            address: UMEDA,
            reason: ReasonCode::Chargeback,
            by: "cs-cli",
            memo: None,
        };
        list.add(&parser, &new, SystemTime::now()).unwrap();
    });
    let want = version_with_fraud_file(&start, &file);
    wait_for_version(&s, &want);
    let (_, grade, version) = grade_and_version(s.addr, UMEDA);
    assert_eq!(
        (grade.as_str(), version.as_str()),
        ("danger", want.as_str())
    );
}

#[test]
fn lists_changed_100_times_under_load_fail_no_request_and_answers_match_their_version() {
    let dir = tempfile::tempdir().unwrap();
    let csv = format!("{FRAUD_CSV}T1,{UMEDA},chargeback\n");
    let s = TestServer::with_fraud(dir.path(), &csv);
    let file = dir.path().join("fraud.csv");
    // Version → the grade UMEDA must get on the lists of that version.
    let mut expected: HashMap<String, &'static str> = HashMap::new();
    let start = active_version(&s);
    expected.insert(start.clone(), "danger");

    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..3)
        .map(|_| {
            let (addr, stop) = (s.addr, Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut answers = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    answers.push(grade_and_version(addr, UMEDA));
                }
                answers
            })
        })
        .collect();

    let mut version = start;
    for change in 0..100 {
        let disable = change % 2 == 0;
        let grade = if disable { "none" } else { "danger" };
        if change % 10 == 9 {
            // Every tenth change is made outside the server, as `banchi list` makes it.
            edit_outside(&file, |list| {
                let now = SystemTime::now();
                if disable {
                    list.disable("T1", "cs-cli", None, now).unwrap();
                } else {
                    list.enable("T1", "cs-cli", None, now).unwrap();
                }
            });
            let want = version_with_fraud_file(&version, &file);
            expected.insert(want.clone(), grade);
            wait_for_version(&s, &want);
            version = want;
        } else {
            let r = request(
                s.addr,
                "PATCH",
                "/v1/lists/fraud/entries/T1",
                Some(ADMIN_TOKEN),
                Some("application/json"),
                json!({ "disabled": disable }).to_string().as_bytes(),
            );
            assert_eq!(r.status, 200, "{}", r.text());
            let v = r.json()["lists_version"].as_str().unwrap().to_owned();
            expected.insert(v.clone(), grade);
            // The next request sees the edit.
            assert_eq!(grade_and_version(s.addr, UMEDA).1, grade, "change {change}");
            version = v;
        }
    }
    stop.store(true, Ordering::Relaxed);
    let mut answered = 0;
    for client in clients {
        for (status, grade, version) in client.join().unwrap() {
            assert_eq!(status, 200, "a request failed during the changes");
            let want = expected.get(&version).copied();
            assert_eq!(Some(grade.as_str()), want, "answer on version {version}");
            answered += 1;
        }
    }
    assert!(
        answered >= 100,
        "only {answered} requests ran during the changes"
    );
}
