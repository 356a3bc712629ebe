//! The CS page over loopback without a browser: login, session cookie, CSRF, security
//! headers, edits through the page, escaping, and `/v1` refusing the cookie. (The same page
//! in a real browser: `tests/browser.rs`.)

use crate::support::*;
use serde_json::json;

/// A cookie-carrying page client: the login cookie, then the session cookie.
struct Browser {
    addr: std::net::SocketAddr,
    cookies: Vec<(String, String)>,
}

fn form_encode(fields: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in fields.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        for (j, part) in [k, v].into_iter().enumerate() {
            if j == 1 {
                out.push('=');
            }
            for b in part.bytes() {
                if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                    out.push(b as char);
                } else {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
        }
    }
    out
}

/// The value of `<meta name="csrf-token">` or of the first hidden `csrf` field.
fn csrf_of(html: &str) -> String {
    let marker = if html.contains("name=\"csrf-token\" content=\"") {
        "name=\"csrf-token\" content=\""
    } else {
        "name=\"csrf\" value=\""
    };
    let start = html.find(marker).expect("a csrf token on the page") + marker.len();
    html[start..start + 64].to_owned()
}

impl Browser {
    fn new(addr: std::net::SocketAddr) -> Browser {
        Browser {
            addr,
            cookies: Vec::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn send(&mut self, method: &str, path: &str, ctype: Option<&str>, body: &[u8]) -> Reply {
        self.send_with(method, path, ctype, body, &[])
    }

    fn send_with(
        &mut self,
        method: &str,
        path: &str,
        ctype: Option<&str>,
        body: &[u8],
        extra: &[(&str, &str)],
    ) -> Reply {
        let mut req =
            format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
        if !self.cookies.is_empty() {
            req += &format!("Cookie: {}\r\n", self.cookie_header());
        }
        if let Some(c) = ctype {
            req += &format!("Content-Type: {c}\r\n");
        }
        for (k, v) in extra {
            req += &format!("{k}: {v}\r\n");
        }
        req += &format!("Content-Length: {}\r\n\r\n", body.len());
        let mut bytes = req.into_bytes();
        bytes.extend_from_slice(body);
        let reply = raw(self.addr, &bytes);
        for (k, v) in &reply.headers {
            if k.eq_ignore_ascii_case("set-cookie") {
                let pair = v.split(';').next().unwrap();
                let (name, value) = pair.split_once('=').unwrap();
                self.cookies.retain(|(n, _)| n != name);
                if !value.is_empty() {
                    self.cookies.push((name.to_owned(), value.to_owned()));
                }
            }
        }
        reply
    }

    fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let body = form_encode(fields);
        self.send(
            "POST",
            path,
            Some("application/x-www-form-urlencoded"),
            body.as_bytes(),
        )
    }

    /// Logs in with `token`; returns the page's CSRF token.
    fn login(&mut self, token: &str) -> Reply {
        let page = self.send("GET", "/admin", None, b"");
        assert_eq!(page.status, 200);
        let csrf = csrf_of(&page.text());
        self.post_form("/admin/login", &[("csrf", &csrf), ("token", token)])
    }
}

#[test]
fn login_sets_a_strict_http_only_session_cookie_and_the_page_sends_its_policy() {
    let s = TestServer::with_fraud_list(FRAUD_CSV);
    let mut b = Browser::new(s.addr);
    let first = b.send("GET", "/admin", None, b"");
    assert_eq!(first.status, 200);
    let csp = first.header("content-security-policy").unwrap();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(first.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(first.header("referrer-policy"), Some("no-referrer"));
    assert!(
        first.text().contains("管理トークン"),
        "Japanese label first"
    );

    let logged = b.login(ADMIN_TOKEN);
    assert_eq!(logged.status, 303, "{}", logged.text());
    assert_eq!(logged.header("location"), Some("/admin"));
    let set: Vec<&str> = logged
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
        .map(|(_, v)| v.as_str())
        .collect();
    let session = set
        .iter()
        .find(|c| c.starts_with("banchi_session="))
        .unwrap();
    for attr in [
        "HttpOnly",
        "SameSite=Strict",
        "Max-Age=28800",
        "Path=/admin",
    ] {
        assert!(session.contains(attr), "{session}");
    }
    assert!(!session.contains("Secure"), "plain loopback");
    let page = b.send("GET", "/admin", None, b"");
    assert!(page.text().contains("住所チェック"), "{}", page.text());
    assert!(page.text().contains("alice"));

    // Behind a TLS proxy the cookie is Secure.
    let mut tls = Browser::new(s.addr);
    let form = tls.send("GET", "/admin", None, b"");
    let csrf = csrf_of(&form.text());
    let body = form_encode(&[("csrf", &csrf), ("token", ADMIN_TOKEN)]);
    let r = tls.send_with(
        "POST",
        "/admin/login",
        Some("application/x-www-form-urlencoded"),
        body.as_bytes(),
        &[("X-Forwarded-Proto", "https")],
    );
    assert!(r
        .headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("set-cookie")
            && v.starts_with("banchi_session=")
            && v.contains("; Secure")));
}

#[test]
fn login_refuses_wrong_tokens_screen_tokens_and_a_missing_login_cookie() {
    let s = TestServer::with_fraud_list(FRAUD_CSV);
    let wrong = Browser::new(s.addr).login("not-a-token-at-all-0000");
    assert_eq!(wrong.status, 401);
    assert!(!wrong.text().contains("not-a-token-at-all"), "never echoed");
    let screen = Browser::new(s.addr).login(SCREEN_TOKEN);
    assert_eq!(screen.status, 403);
    // Another site cannot post the login form: it lacks the login cookie.
    let mut forged = Browser::new(s.addr);
    let page = forged.send("GET", "/admin", None, b"");
    let csrf = csrf_of(&page.text());
    forged.cookies.clear();
    let r = forged.post_form("/admin/login", &[("csrf", &csrf), ("token", ADMIN_TOKEN)]);
    assert_eq!(r.status, 403);
    assert!(!r
        .headers
        .iter()
        .any(|(_, v)| v.starts_with("banchi_session=")));
    assert!(s.state().sessions.is_empty());
}

#[test]
fn edits_on_the_page_need_the_csrf_token_and_change_what_v1_screen_answers() {
    let s = TestServer::with_fraud_list(FRAUD_CSV);
    let mut b = Browser::new(s.addr);
    assert_eq!(b.login(ADMIN_TOKEN).status, 303);
    let csrf = csrf_of(&b.send("GET", "/admin", None, b"").text());
    let address = "福岡県福岡市博多区博多駅前2-1-1 架空コーポ705";
    let screen = || post_json(s.addr, "/v1/screen", &json!({ "address": address }));
    assert_eq!(screen().json()["fraud"]["grade"], serde_json::Value::Null);

    let add = [
        ("list", "fraud"),
        ("address", address),
        ("reason", "chargeback"),
        ("memo", "<script>alert(1)</script>"),
    ];
    let zeros = "0".repeat(64);
    let mut without: Vec<(&str, &str)> = add.to_vec();
    without.push(("csrf", &zeros));
    let forged = b.post_form("/admin/add", &without);
    assert_eq!(forged.status, 403, "{}", forged.text());
    assert_eq!(screen().json()["fraud"]["grade"], serde_json::Value::Null);

    let mut with: Vec<(&str, &str)> = add.to_vec();
    with.push(("csrf", &csrf));
    let added = b.post_form("/admin/add", &with);
    assert_eq!(added.status, 200, "{}", added.text());
    let html = added.text();
    assert!(html.contains("Added"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("<script>alert"));
    assert_eq!(screen().json()["fraud"]["grade"], "danger");
    let entry = get_with(s.addr, "/v1/lists/fraud/entries/1", ADMIN_TOKEN).json();
    assert_eq!(entry["registered_by"], "alice", "who = the token's name");

    let disabled = b.post_form(
        "/admin/status",
        &[
            ("csrf", &csrf),
            ("list", "fraud"),
            ("id", "1"),
            ("disabled", "true"),
            ("memo", "refunded"),
        ],
    );
    assert_eq!(disabled.status, 200, "{}", disabled.text());
    assert!(disabled.text().contains("refunded"), "history shown");
    assert_eq!(screen().json()["fraud"]["grade"], serde_json::Value::Null);

    // Search and check through the page.
    let found = b.post_form(
        "/admin/search",
        &[
            ("csrf", &csrf),
            ("list", "fraud"),
            ("q", "福岡市博多区博多駅前二丁目"),
        ],
    );
    assert_eq!(found.status, 200);
    assert!(found
        .text()
        .contains("data-id=\"1\" data-status=\"disabled\""));
    let checked = b.post_form(
        "/admin/check",
        &[("csrf", &csrf), ("address", "東京都中央区銀座4-6-16-301")],
    );
    assert!(checked.text().contains("★★★危険"), "{}", checked.text());

    // The live preview's fetch: the CSRF header is required.
    let body = json!({"address": address}).to_string();
    let preview = b.send_with(
        "POST",
        "/admin/api/preview",
        Some("application/json"),
        body.as_bytes(),
        &[("X-CSRF-Token", &csrf)],
    );
    assert_eq!(preview.status, 200, "{}", preview.text());
    assert_eq!(preview.json()["level"], "unit");
    let no_header = b.send(
        "POST",
        "/admin/api/preview",
        Some("application/json"),
        body.as_bytes(),
    );
    assert_eq!(no_header.status, 403);
}

#[test]
fn v1_never_accepts_the_session_cookie_and_logout_ends_the_session() {
    let s = TestServer::with_fraud_list(FRAUD_CSV);
    let mut b = Browser::new(s.addr);
    assert_eq!(b.login(ADMIN_TOKEN).status, 303);
    for (method, path) in [
        ("GET", "/v1/lists/fraud/entries"),
        ("POST", "/v1/screen"),
        ("POST", "/v1/lists/fraud/search"),
    ] {
        let r = b.send(method, path, Some("application/json"), br#"{"q":"F1"}"#);
        assert_eq!(r.status, 401, "{method} {path} with only the cookie");
    }
    let csrf = csrf_of(&b.send("GET", "/admin", None, b"").text());
    let old_cookies = b.cookies.clone();
    let out = b.post_form("/admin/logout", &[("csrf", &csrf)]);
    assert_eq!(out.status, 303);
    assert!(s.state().sessions.is_empty());
    // The old cookie no longer works; the page asks to log in again.
    b.cookies = old_cookies;
    let after = b.post_form("/admin/check", &[("csrf", &csrf), ("address", "x")]);
    assert_eq!(after.status, 303);
    assert!(b
        .send("GET", "/admin", None, b"")
        .text()
        .contains("/admin/login"));
}

#[test]
fn the_page_serves_its_own_script_and_style() {
    let s = TestServer::with_fraud_list(FRAUD_CSV);
    let js = get(s.addr, "/admin/static/admin.js");
    assert_eq!(js.status, 200);
    assert!(js
        .header("content-type")
        .unwrap()
        .starts_with("text/javascript"));
    assert!(js.text().contains("textContent") && !js.text().contains("innerHTML"));
    let css = get(s.addr, "/admin/static/admin.css");
    assert!(css.header("content-type").unwrap().starts_with("text/css"));
}
