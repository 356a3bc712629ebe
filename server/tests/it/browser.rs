//! The CS page in a real browser: Debian's headless chromium, driven through chromedriver
//! (WebDriver) by fantoccini.
//!
//! Log in, add an entry on the page (watching the live preview), `POST /v1/screen` grades
//! that address `danger`; disable it on the page and it no longer does. A `<script>` stored
//! in a memo (typed on the page) and in an address (written into the list file) is shown as
//! text and never runs: no alert opens (WebDriver would fail the next command) and the marks
//! the payloads would set stay unset.
//!
//! Needs `/usr/bin/chromium` and `chromedriver` (`apt-get install chromium chromium-driver`;
//! `.ci/run` installs them as root). Without them the test fails when `CI` is set, unless
//! `BANCHI_SKIP_BROWSER_TEST` gives the reason (`.ci/run` run by a user who cannot install
//! them sets it), and is skipped with a note otherwise. `BANCHI_CHROMIUM` /
//! `BANCHI_CHROMEDRIVER` point elsewhere.

use crate::support::*;
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The stored-XSS payloads: each would set a mark (or open an alert) if it ever ran.
const MEMO_PAYLOAD: &str =
    "<script>window.__banchi_xss='memo';alert('memo')</script><img src=x onerror=\"window.__banchi_xss='img'\">";
const ADDRESS_PAYLOAD: &str = "<script>window.__banchi_xss='address';alert('address')</script>";

/// A real block of 梅田 with a fictional building and room.
const ADDRESS: &str = "大阪府大阪市北区梅田3-1-1 架空ハイツ1203号室";

fn find_program(env: &str, candidates: &[&str]) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(env) {
        return Some(PathBuf::from(p)).filter(|p| p.exists());
    }
    candidates.iter().map(PathBuf::from).find(|p| p.exists())
}

/// chromedriver on a free loopback port, killed when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    fn spawn(program: &PathBuf) -> Driver {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(program)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", program.display()));
        let driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        driver
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn open_browser(driver: &Driver, chromium: &PathBuf, profile: &std::path::Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a chromium session through chromedriver")
}

/// Waits until the element at `css` shows text containing `needle`; returns the element.
async fn wait_text(c: &Client, css: &str, needle: &str) -> Element {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(e) = c.find(Locator::Css(css)).await {
            if e.text().await.is_ok_and(|t| t.contains(needle)) {
                return e;
            }
        }
        assert!(
            Instant::now() < deadline,
            "no `{needle}` in `{css}`: {}",
            c.source().await.unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn no_payload_ran(c: &Client) {
    let mark = c
        .execute("return window.__banchi_xss === undefined;", vec![])
        .await
        .expect("no alert is open");
    assert_eq!(mark, json!(true), "a stored payload ran");
}

async fn search(c: &Client, q: &str) {
    let field = c.find(Locator::Css("#search-q")).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(q).await.unwrap();
    c.find(Locator::Css("#search-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(c, "#search-result", "found").await;
}

/// chromium and chromedriver, or `None` (with a note) when the test may be skipped.
fn browser() -> Option<(PathBuf, PathBuf)> {
    let chromium = find_program("BANCHI_CHROMIUM", &["/usr/bin/chromium"]);
    let chromedriver = find_program(
        "BANCHI_CHROMEDRIVER",
        &["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"],
    );
    let (Some(chromium), Some(chromedriver)) = (chromium, chromedriver) else {
        // Under CI a missing browser fails the test, unless the runner said why it cannot have
        // one (`.ci/run` run by a user who may not install packages).
        let skip_reason = std::env::var("BANCHI_SKIP_BROWSER_TEST").ok();
        assert!(
            std::env::var_os("CI").is_none() || skip_reason.is_some(),
            "CI is set but chromium or chromedriver is missing: `apt-get install chromium chromium-driver` (.ci/run does as root)"
        );
        eprintln!(
            "note: browser test skipped: {}",
            skip_reason.as_deref().unwrap_or(
                "chromium or chromedriver not installed (apt-get install chromium chromium-driver)"
            )
        );
        return None;
    };
    Some((chromium, chromedriver))
}

/// Logs in on `/admin` with the admin token.
async fn log_in(c: &Client, base: &str) {
    c.goto(&format!("{base}/admin")).await.unwrap();
    c.find(Locator::Css("#token"))
        .await
        .unwrap()
        .send_keys(ADMIN_TOKEN)
        .await
        .unwrap();
    c.find(Locator::Css("#login"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(c, "header", "alice").await;
}

#[test]
fn the_cs_page_adds_and_disables_an_entry_in_a_real_browser() {
    let Some((chromium, chromedriver)) = browser() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let list = format!(
        "id,address,reason\nF1,東京都中央区銀座4-6-16 架空ハイツ301号室,chargeback\nF2,\"東京都中央区銀座4-6-16 {}\",other\n",
        ADDRESS_PAYLOAD.replace('"', "\"\"")
    );
    let server = TestServer::with_fraud(dir.path(), &list);
    let base = format!("http://{}", server.addr);
    let screen_grade = || {
        post_json(server.addr, "/v1/screen", &json!({ "address": ADDRESS })).json()["fraud"]
            ["grade"]
            .clone()
    };
    assert_eq!(screen_grade(), serde_json::Value::Null);

    let driver = Driver::spawn(&chromedriver);
    let profile = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let c = open_browser(&driver, &chromium, profile.path()).await;

        // Log in with the admin token.
        log_in(&c, &base).await;

        // Add: the live preview shows how the address parses (the page's own script ran
        // under its CSP), then the form adds it.
        let field = c.find(Locator::Css("#add-address")).await.unwrap();
        field.send_keys(ADDRESS).await.unwrap();
        c.wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Css("#preview[data-level=\"unit\"]"))
            .await
            .expect("the live preview answered");
        wait_text(&c, "#preview", "1203").await;
        c.find(Locator::Css("#add-reason"))
            .await
            .unwrap()
            .select_by_value("chargeback")
            .await
            .unwrap();
        c.find(Locator::Css("#add-memo"))
            .await
            .unwrap()
            .send_keys(MEMO_PAYLOAD)
            .await
            .unwrap();
        c.find(Locator::Css("#add-submit"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        wait_text(&c, "#notice", "Added").await;
        let id = c
            .find(Locator::Css("#entry h2 code"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        // The memo is shown as the text typed, and did not run.
        let memo = wait_text(&c, "#entry td.memo", "<script>").await;
        assert_eq!(memo.text().await.unwrap(), MEMO_PAYLOAD);
        assert!(c
            .find_all(Locator::Css("#entry td.memo img, #entry td.memo script"))
            .await
            .unwrap()
            .is_empty());
        no_payload_ran(&c).await;

        // The API grades the address danger now.
        assert_eq!(screen_grade(), "danger");

        // The entry stored with a script in its address is shown inert too.
        search(&c, "F2").await;
        let row = wait_text(&c, "tr.entry[data-id=\"F2\"] td.address", "<script>").await;
        assert!(row.text().await.unwrap().contains(ADDRESS_PAYLOAD));
        no_payload_ran(&c).await;

        // Find the new entry by its address in another notation and disable it with a memo.
        search(&c, "大阪市北区梅田三丁目1番1号").await;
        let row_css = format!("tr.entry[data-id=\"{id}\"]");
        let row = c.find(Locator::Css(&row_css)).await.unwrap();
        row.find(Locator::Css("form.status input[name=\"memo\"]"))
            .await
            .unwrap()
            .send_keys("返金済み refunded")
            .await
            .unwrap();
        row.find(Locator::Css("button.disable"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        wait_text(&c, "#notice", "Disabled").await;
        wait_text(&c, "#entry-status", "disabled").await;
        wait_text(&c, "#entry table.history", "返金済み refunded").await;
        no_payload_ran(&c).await;

        // The session cookie is HttpOnly and /v1 does not take it.
        let cookies = c.get_all_cookies().await.unwrap();
        let session = cookies
            .iter()
            .find(|k| k.name() == "banchi_session")
            .expect("a session cookie");
        assert_eq!(session.http_only(), Some(true));
        let with_cookie = raw(
            server.addr,
            format!(
                "GET /v1/lists/fraud/entries HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nCookie: banchi_session={}\r\n\r\n",
                session.value()
            )
            .as_bytes(),
        );
        assert_eq!(with_cookie.status, 401);
        c.close().await.unwrap();
    });

    // Disabled on the page: the API no longer grades it.
    assert_eq!(screen_grade(), serde_json::Value::Null);
}

#[test]
fn a_review_order_is_confirmed_fraud_on_the_page_in_a_real_browser() {
    let Some((chromium, chromedriver)) = browser() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("fraud.csv"), FRAUD_CSV).unwrap();
    let mut settings = banchi_server::settings::Settings::for_tests();
    settings.fraud = Some(dir.path().join("fraud.csv"));
    settings.decisions.enabled = true;
    settings.decisions.flush_ms = 10;
    let server = TestServer::start(settings);
    let base = format!("http://{}", server.addr);
    // Same block as F1, another room: caution, answered `review`; the order's address also
    // carries a payload, shown as text in the queue.
    let order = |id: &str, address: &str| {
        post_json(
            server.addr,
            "/v1/screen",
            &json!({"order_id": id, "address": address}),
        )
        .json()
    };
    let payload = order(
        "WEB-0",
        &format!("東京都中央区銀座4-6-16 架空ハイツ701号室{MEMO_PAYLOAD}"),
    );
    assert_eq!(payload["action"], "review", "{payload}");
    let first = order("WEB-1", "東京都中央区銀座4-6-16 架空ハイツ502号室");
    assert_eq!(first["action"], "review", "{first}");
    let driver = Driver::spawn(&chromedriver);
    let profile = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let c = open_browser(&driver, &chromium, profile.path()).await;
        log_in(&c, &base).await;
        c.find(Locator::Css("#reviews-link"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        // The recorder writes within its flush interval: reload until the order is there.
        let deadline = Instant::now() + Duration::from_secs(20);
        let row = loop {
            if let Ok(row) = c
                .find(Locator::Css("article.review[data-order=\"WEB-1\"]"))
                .await
            {
                break row;
            }
            assert!(Instant::now() < deadline, "WEB-1 never reached the queue");
            tokio::time::sleep(Duration::from_millis(200)).await;
            c.goto(&format!("{base}/admin/reviews")).await.unwrap();
        };
        let shown = c
            .find(Locator::Css(
                "article.review[data-order=\"WEB-0\"] p.address",
            ))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            shown.contains("<script>"),
            "the payload is shown as text: {shown}"
        );
        no_payload_ran(&c).await;
        // 不正確定 with a reason.
        let form = row
            .find(Locator::Css("form:has(button.confirm-fraud)"))
            .await
            .unwrap();
        form.find(Locator::Css(
            "select[name=\"reason\"] option[value=\"chargeback\"]",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
        form.find(Locator::Css("input[name=\"memo\"]"))
            .await
            .unwrap()
            .send_keys("カード会社から不正利用の連絡")
            .await
            .unwrap();
        form.find(Locator::Css("button.confirm-fraud"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        wait_text(&c, "#notice", "confirm_fraud").await;
        wait_text(&c, "#notice", "active").await;
        no_payload_ran(&c).await;
        c.close().await.unwrap();
    });
    // The same delivery point in another notation is now danger.
    let again = order(
        "WEB-2",
        "東京都中央区銀座四丁目６番１６号　架空ハイツ　５０２号室",
    );
    assert_eq!(again["fraud"]["grade"], "danger", "{again}");
    let decided = get_with(server.addr, "/v1/reviews?status=decided", ADMIN_TOKEN).json();
    assert_eq!(decided["reviews"][0]["order_id"], "WEB-1");
    assert_eq!(decided["reviews"][0]["decided_by"], "alice");
}
