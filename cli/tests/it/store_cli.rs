//! `banchi store …`, `index build --store`, `check --store` and `serve --store postgres` as
//! processes against a real PostgreSQL (skipped without it, a failure under CI).

use crate::postgres::PgServer;
use crate::server_support::{get, request, screen_order, ADMIN_TOKEN};
use crate::support::{repo, text, BIN};
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A password the output must never show (trust authentication ignores it).
const SECRET: &str = "pw-do-not-print";

fn url(pg: &PgServer) -> String {
    pg.url()
        .replace("banchi_owner@", &format!("banchi_owner:{SECRET}@"))
}

fn banchi(pg: &PgServer, args: &[&str], cwd: &std::path::Path) -> Output {
    let out = Command::new(BIN)
        .args(args)
        .current_dir(cwd)
        .env("BANCHI_DATABASE_URL", url(pg))
        .output()
        .unwrap();
    let all = text(&out.stdout) + &text(&out.stderr);
    assert!(!all.contains(SECRET), "the password was printed: {all}");
    out
}

#[test]
fn store_commands_round_trip_a_list_and_feed_index_build_and_check() {
    let Some(pg) = PgServer::start("store_cli") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let status = banchi(&pg, &["store", "status"], d);
    assert_eq!(status.status.code(), Some(2));
    assert!(
        text(&status.stderr).contains("banchi store migrate"),
        "{}",
        text(&status.stderr)
    );
    assert!(banchi(&pg, &["store", "migrate"], d).status.success());
    let again = banchi(&pg, &["store", "migrate"], d);
    assert!(
        text(&again.stderr).contains("up to date"),
        "{}",
        text(&again.stderr)
    );

    // A list as banchi writes it (minimal quoting): exported byte for byte.
    let sample = std::fs::read_to_string(repo("data/sample_fraud.csv")).unwrap();
    let list = d.join("fraud.csv");
    std::fs::write(&list, &sample).unwrap();
    let imported = banchi(
        &pg,
        &[
            "store",
            "import",
            "fraud.csv",
            "--list",
            "fraud",
            "--by",
            "ops",
        ],
        d,
    );
    assert!(imported.status.success(), "{}", text(&imported.stderr));
    let rows = sample.lines().count() - 1;
    assert!(
        text(&imported.stderr).contains(&format!("{rows} added")),
        "{}",
        text(&imported.stderr)
    );
    assert!(
        text(&imported.stderr).contains("snapshot at change"),
        "{}",
        text(&imported.stderr)
    );
    let exported = banchi(
        &pg,
        &["store", "export", "--list", "fraud", "-o", "out.csv"],
        d,
    );
    assert!(exported.status.success(), "{}", text(&exported.stderr));
    assert_eq!(std::fs::read_to_string(d.join("out.csv")).unwrap(), sample);
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(d.join("out.csv")).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600, "victims' addresses: owner only");
    let missing = banchi(
        &pg,
        &["store", "export", "--list", "forwarders", "-o", "fw.csv"],
        d,
    );
    assert_eq!(missing.status.code(), Some(2));

    let status = banchi(&pg, &["store", "status"], d);
    let s = text(&status.stdout);
    assert!(
        s.contains(&format!("fraud      {rows} active, 0 disabled")),
        "{s}"
    );
    assert!(s.contains("snapshot at change"), "{s}");
    assert!(s.contains("forwarders not in the store"), "{s}");

    // `banchi list` on the store's list: the same rules, one transaction per edit.
    let added = banchi(
        &pg,
        &[
            "list",
            "add",
            "postgres:fraud",
            "東京都千代田区丸の内1-9-1 架空301",
            "--reason",
            "unpaid",
            "--by",
            "sato",
        ],
        d,
    );
    assert!(added.status.success(), "{}", text(&added.stderr));
    assert!(
        text(&added.stderr).contains("added entry"),
        "{}",
        text(&added.stderr)
    );
    let refused = banchi(
        &pg,
        &[
            "list",
            "add",
            "postgres:fraud",
            "東京都",
            "--reason",
            "unpaid",
            "--by",
            "sato",
        ],
        d,
    );
    assert_eq!(refused.status.code(), Some(2));
    let disabled = banchi(
        &pg,
        &[
            "list",
            "disable",
            "postgres:fraud",
            "F0001",
            "--by",
            "sato",
            "--memo",
            "refunded",
        ],
        d,
    );
    assert!(disabled.status.success(), "{}", text(&disabled.stderr));
    let shown = banchi(
        &pg,
        &["list", "show", "postgres:fraud", "F0001", "--json"],
        d,
    );
    let entry: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(entry["status"], "disabled");
    assert_eq!(entry["history"][0]["by"], "sato");
    let all = banchi(&pg, &["list", "show", "postgres:fraud", "--json"], d);
    assert_eq!(text(&all.stdout).lines().count(), rows + 1);
    let enabled = banchi(
        &pg,
        &["list", "enable", "postgres:fraud", "F0001", "--by", "sato"],
        d,
    );
    assert!(enabled.status.success(), "{}", text(&enabled.stderr));

    // The service's list for bulk runs, Python and Spark: an index file from the store.
    let built = banchi(
        &pg,
        &[
            "index",
            "build",
            "--store",
            "postgres",
            "--list",
            "fraud",
            "-o",
            "fraud.idx",
        ],
        d,
    );
    assert!(built.status.success(), "{}", text(&built.stderr));
    let flat = "東京都世田谷区三軒茶屋2-11-5 コーポ黒猫201号室";
    for args in [
        vec!["check", "--fraud", "fraud.idx", flat],
        vec!["check", "--store", "postgres", flat],
    ] {
        let out = banchi(&pg, &args, d);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        assert!(
            text(&out.stdout).contains("(danger)"),
            "{args:?}: {}",
            text(&out.stdout)
        );
    }
}

/// `banchi serve --store postgres` as a process; its address and stderr lines.
fn serve(pg_url: Option<&str>) -> (Child, std::sync::mpsc::Receiver<String>) {
    let mut cmd = Command::new(BIN);
    cmd.args(["serve", "--store", "postgres", "--listen", "127.0.0.1:0"])
        .env("BANCHI_ADMIN_TOKEN", ADMIN_TOKEN)
        .env("BANCHI_SCREEN_TOKEN", crate::server_support::SCREEN_TOKEN)
        .env("BANCHI_LOG", "info")
        .env_remove("BANCHI_DATABASE_URL")
        .env_remove("BANCHI_DATABASE_URL_FILE")
        .stderr(Stdio::piped());
    if let Some(u) = pg_url {
        cmd.env("BANCHI_DATABASE_URL", u);
    }
    let mut child = cmd.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    (child, rx)
}

/// The address a serving process logged.
fn address(rx: &std::sync::mpsc::Receiver<String>) -> SocketAddr {
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the server says where it listens");
        if let Some(rest) = line.split("listen=").nth(1) {
            return rest.split_whitespace().next().unwrap().parse().unwrap();
        }
    }
}

fn ready(addr: SocketAddr) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while get(addr, "/readyz").status != 200 {
        assert!(Instant::now() < deadline, "not ready");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Everything a process wrote on stderr until it exited (within 20 s).
fn exit_text(mut child: Child, rx: std::sync::mpsc::Receiver<String>) -> (Option<i32>, String) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let code = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the server did not stop");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    (code, rx.try_iter().collect::<Vec<_>>().join("\n"))
}

#[test]
fn serve_refuses_a_missing_url_an_unreachable_database_and_a_missing_schema_naming_the_fix() {
    let (child, rx) = serve(None);
    let (code, err) = exit_text(child, rx);
    assert_ne!(code, Some(0));
    assert!(err.contains("BANCHI_DATABASE_URL"), "{err}");

    let port = crate::postgres::free_port();
    let (child, rx) = serve(Some(&format!(
        "postgresql://u:{SECRET}@127.0.0.1:{port}/db?sslmode=disable"
    )));
    let (code, err) = exit_text(child, rx);
    assert_ne!(code, Some(0));
    assert!(
        err.contains(&format!(
            "cannot connect to PostgreSQL at 127.0.0.1:{port}/db"
        )),
        "{err}"
    );
    assert!(!err.contains(SECRET), "{err}");

    let Some(pg) = PgServer::start("serve_store_errors") else {
        return;
    };
    let (child, rx) = serve(Some(&url(&pg)));
    let (code, err) = exit_text(child, rx);
    assert_ne!(code, Some(0));
    assert!(err.contains("banchi store migrate"), "{err}");
    assert!(!err.contains(SECRET), "{err}");
}

#[test]
fn a_replica_killed_in_the_middle_of_an_edit_leaves_it_everywhere_or_nowhere() {
    let Some(pg) = PgServer::start("serve_killed_mid_edit") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    assert!(banchi(&pg, &["store", "migrate"], dir.path())
        .status
        .success());
    let (mut b, b_rx) = serve(Some(&url(&pg)));
    let b_addr = address(&b_rx);
    ready(b_addr);
    for (i, wait_us) in [0u64, 500, 2_000, 8_000].into_iter().enumerate() {
        let (mut a, a_rx) = serve(Some(&url(&pg)));
        let a_addr = address(&a_rx);
        ready(a_addr);
        let flat = format!("東京都千代田区丸の内1-9-1 架空ビル{}号室", 300 + i);
        let body = serde_json::json!({"address": flat, "reason": "chargeback"}).to_string();
        let req = format!(
            "POST /v1/lists/fraud/entries HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let mut s = std::net::TcpStream::connect(a_addr).unwrap();
        s.write_all(req.as_bytes()).unwrap();
        std::thread::sleep(Duration::from_micros(wait_us));
        a.kill().unwrap();
        a.wait().unwrap();
        let stored = pg.psql(&format!(
            "SELECT count(*) FROM banchi_entries WHERE address = '{flat}'"
        ));
        let want = if stored == "1" { "danger" } else { "none" };
        let start = Instant::now();
        loop {
            let v = screen_order(b_addr, &flat, "架空 次郎");
            let got = v["fraud"]["grade"].as_str().unwrap_or("none").to_owned();
            if got == want {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(1),
                "stored {stored}, B grades {got}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    // And B itself still edits.
    let body = serde_json::json!({"address": "東京都千代田区丸の内1-9-1 架空ビル999号室", "reason": "other"}).to_string();
    let r = request(
        b_addr,
        "POST",
        "/v1/lists/fraud/entries",
        Some(ADMIN_TOKEN),
        Some("application/json"),
        body.as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let _ = b.kill();
    let _ = b.wait();
}
