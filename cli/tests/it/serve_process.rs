//! `banchi serve` as a process (the server runs inside the `banchi` binary): refuses to
//! start without a token, logs without addresses, reloads on SIGHUP, finishes requests in
//! flight on SIGTERM.

use crate::server_support::*;
use serde_json::json;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::support::BIN;

/// Starts the binary on a free port; returns it, its address and its stderr lines.
fn spawn(args: &[&str], envs: &[(&str, &str)]) -> (Child, SocketAddr, mpsc::Receiver<String>) {
    let mut cmd = Command::new(BIN);
    cmd.args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .env_remove("BANCHI_SCREEN_TOKEN")
        .env_remove("BANCHI_ADMIN_TOKEN")
        .env("BANCHI_LOG", "info")
        .stderr(Stdio::piped());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let addr = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("server did not say where it listens");
        if let Some(rest) = line.split("listen=").nth(1) {
            break rest.split_whitespace().next().unwrap().parse().unwrap();
        }
    };
    (child, addr, rx)
}

fn wait_ready(addr: SocketAddr) {
    for _ in 0..1500 {
        if get(addr, "/readyz").status == 200 {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("not ready");
}

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

#[test]
fn refuses_to_start_without_a_token() {
    let out = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env_remove("BANCHI_SCREEN_TOKEN")
        .env_remove("BANCHI_ADMIN_TOKEN")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no token configured"));
}

#[test]
fn sigterm_finishes_requests_in_flight_and_logs_carry_no_address() {
    let dir = tempfile::tempdir().unwrap();
    let fraud = dir.path().join("fraud.csv");
    std::fs::write(&fraud, FRAUD_CSV).unwrap();
    let (mut child, addr, logs) = spawn(
        &["--fraud", fraud.to_str().unwrap()],
        &[("BANCHI_SCREEN_TOKEN", SCREEN_TOKEN)],
    );
    wait_ready(addr);
    let r = post_json(
        addr,
        "/v1/screen",
        &json!({"order_id": "ORD-77", "address": "東京都中央区銀座4-6-16-301", "name": "山田太郎", "phone": "090-1234-5678"}),
    );
    assert_eq!(r.status, 200);
    // A request in flight when SIGTERM arrives.
    let body = r#""address":"東京都中央区銀座4-6-16-301"}"#;
    let mut slow = start_slow_body(addr, "/v1/screen", SCREEN_TOKEN, 1 + body.len());
    std::thread::sleep(Duration::from_millis(200));
    signal(&child, "-TERM");
    std::thread::sleep(Duration::from_millis(200));
    slow.write_all(body.as_bytes()).unwrap();
    let done = read_reply(&mut slow);
    assert_eq!(done.status, 200, "{}", done.text());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let log: Vec<String> = logs.try_iter().collect();
    let log = log.join("\n");
    assert!(log.contains("ORD-77"), "{log}");
    assert!(log.contains("route=/v1/screen"), "{log}");
    for private in ["銀座", "山田", "090-1234"] {
        assert!(!log.contains(private), "log holds {private}: {log}");
    }
}

#[test]
fn sighup_reloads_edits_made_outside_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let fraud = dir.path().join("fraud.csv");
    std::fs::write(&fraud, FRAUD_CSV).unwrap();
    let (mut child, addr, _logs) = spawn(
        &["--fraud", fraud.to_str().unwrap()],
        &[("BANCHI_SCREEN_TOKEN", SCREEN_TOKEN)],
    );
    wait_ready(addr);
    let before = get(addr, "/readyz").json()["lists_version"].clone();
    let address = json!({"address": "大阪府大阪市北区梅田3-1-1 架空ビル1201"});
    assert_eq!(
        post_json(addr, "/v1/screen", &address).json()["fraud"]["grade"],
        serde_json::Value::Null
    );
    // An edit written the way `banchi list` writes: a new file renamed over the old one.
    let tmp = dir.path().join("fraud.csv.tmp");
    std::fs::write(
        &tmp,
        format!("{FRAUD_CSV}F2,大阪府大阪市北区梅田3-1-1 架空ビル1201号室,chargeback\n"),
    )
    .unwrap();
    std::fs::rename(&tmp, &fraud).unwrap();
    signal(&child, "-HUP");
    let mut version = before.clone();
    for _ in 0..500 {
        version = get(addr, "/readyz").json()["lists_version"].clone();
        if version != before {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_ne!(version, before);
    let after = post_json(addr, "/v1/screen", &address).json();
    assert_eq!(after["fraud"]["grade"], "danger");
    assert_eq!(after["lists_version"], version);
    signal(&child, "-TERM");
    assert!(child.wait().unwrap().success());
}

#[test]
fn serve_flags_are_parsed_in_process() {
    let out = Command::new(BIN)
        .args(["serve", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in ["--listen", "--fraud", "--tokens", "--velocity-state"] {
        assert!(help.contains(flag), "{flag} missing from\n{help}");
    }
}

#[test]
fn velocity_state_keeps_the_window_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("velocity.db");
    // Three different names at one invented flat of a real block, over two runs.
    let order = |addr: SocketAddr, name: &str| {
        screen_order(addr, "東京都中央区銀座4-6-16 架空ハイツ502号室", name)
    };
    let runs: [(&[&str], bool); 2] = [(&["山田太郎", "佐藤花子"], false), (&["鈴木一郎"], true)];
    for (names, raised) in runs {
        let (mut child, addr, _logs) = spawn(
            &["--velocity-state", state.to_str().unwrap()],
            &[("BANCHI_SCREEN_TOKEN", SCREEN_TOKEN)],
        );
        wait_ready(addr);
        let mut last = serde_json::Value::Null;
        for name in names {
            last = order(addr, name);
        }
        assert_eq!(has_reason(&last, "velocity"), raised, "{last}");
        signal(&child, "-TERM");
        assert!(child.wait().unwrap().success());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&state).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}
