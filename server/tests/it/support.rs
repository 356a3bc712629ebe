//! A test server on a loopback port and a small HTTP/1.1 client over a plain `TcpStream`
//! (raw sockets let the tests send invalid bytes, slow bodies and half requests).

#![allow(dead_code)]

use banchi_server::auth::Tokens;
use banchi_server::settings::Settings;
use banchi_server::Running;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

pub const SCREEN_TOKEN: &str = "screen-token-0123456789";
pub const ADMIN_TOKEN: &str = "admin-token-0123456789ab";

/// A fictional fraud record at a real block of 銀座 (no real person or building).
pub const FRAUD_CSV: &str =
    "id,address,reason\nF1,東京都中央区銀座4-6-16 架空ハイツ301号室,chargeback\n";

/// A running server on its own runtime.
pub struct TestServer {
    pub addr: SocketAddr,
    running: Option<Running>,
    runtime: tokio::runtime::Runtime,
    /// Dropped after the server has stopped (fields drop after `Drop::drop`).
    dir: Option<tempfile::TempDir>,
}

impl TestServer {
    /// Starts with these settings (listen forced to 127.0.0.1:0) and the two test tokens,
    /// and waits until ready.
    pub fn start(settings: Settings) -> TestServer {
        TestServer::start_with_tokens(settings, "")
    }

    /// [`TestServer::start`] with more token lines (`SCOPE TOKEN NAME`) besides the two test
    /// tokens (a second admin, for four eyes).
    pub fn start_with_tokens(mut settings: Settings, more: &str) -> TestServer {
        settings.listen = "127.0.0.1:0".parse().unwrap();
        settings.insecure_no_auth = false;
        let text = format!("screen {SCREEN_TOKEN} shop\nadmin {ADMIN_TOKEN} alice\n{more}");
        let tokens = Tokens::parse_file(&text, Path::new("tokens")).unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let running = runtime
            .block_on(banchi_server::start(settings, tokens))
            .unwrap();
        let server = TestServer {
            addr: running.addr,
            running: Some(running),
            runtime,
            dir: None,
        };
        server.wait_ready();
        server
    }

    /// A server over a fraud list CSV written into `dir`.
    pub fn with_fraud(dir: &Path, csv: &str) -> TestServer {
        let path = dir.join("fraud.csv");
        std::fs::write(&path, csv).unwrap();
        let mut s = Settings::for_tests();
        s.fraud = Some(path);
        TestServer::start(s)
    }

    /// A server over a fraud list CSV written as `fraud.csv` into a temporary folder that the
    /// server owns ([`TestServer::dir`]) and removes after stopping.
    pub fn with_fraud_list(csv: &str) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let mut server = TestServer::with_fraud(dir.path(), csv);
        server.dir = Some(dir);
        server
    }

    /// The folder of [`TestServer::with_fraud_list`] (its `fraud.csv` and what the server
    /// writes beside it).
    pub fn dir(&self) -> &Path {
        self.dir
            .as_ref()
            .expect("a server from with_fraud_list")
            .path()
    }

    pub fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if get(self.addr, "/readyz").status == 200 {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("server not ready within 30 s");
    }

    pub fn state(&self) -> &banchi_server::state::AppState {
        &self.running.as_ref().unwrap().state
    }

    /// The server's runtime (to await its state's methods).
    pub fn runtime(&self) -> &tokio::runtime::Runtime {
        &self.runtime
    }

    /// Stops as a crash would: no graceful stop, every task dropped with the runtime (what
    /// was only in memory is lost; the state is leaked, as a dead process's would be).
    pub fn crash(mut self) {
        if let Some(running) = self.running.take() {
            std::mem::forget(running);
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(r) = self.running.take() {
            let _ = self.runtime.block_on(r.stop());
        }
    }
}

/// A response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Asserts the documented error shape and returns the code.
    pub fn error_code(&self) -> String {
        let v = self.json();
        let e = &v["error"];
        assert!(e["message"].is_string(), "{v}");
        assert_eq!(
            e["request_id"].as_str(),
            self.header("x-request-id"),
            "request id in body and header"
        );
        e["code"].as_str().unwrap_or_default().to_owned()
    }
}

/// Sends raw request bytes and reads the whole response (the request must say
/// `Connection: close`).
pub fn raw(addr: SocketAddr, request: &[u8]) -> Reply {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    // A server that refuses a large body answers and closes before it is all sent: the write
    // may fail, the answer is still there to read.
    let _ = s.write_all(request);
    read_reply(&mut s)
}

/// Reads one response until the peer closes.
pub fn read_reply(s: &mut TcpStream) -> Reply {
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    parse_reply(&buf)
}

pub fn parse_reply(buf: &[u8]) -> Reply {
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(buf)));
    let head = String::from_utf8_lossy(&buf[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next().unwrap()[9..12].parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut body = buf[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    Reply {
        status,
        headers,
        body,
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = b.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size =
            usize::from_str_radix(std::str::from_utf8(&b[..eol]).unwrap().trim(), 16).unwrap_or(0);
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + size]);
        b = &b[eol + 2 + size + 2..];
    }
}

/// A request with optional bearer token and content type.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    body: &[u8],
) -> Reply {
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    if let Some(t) = token {
        req += &format!("Authorization: Bearer {t}\r\n");
    }
    if let Some(c) = content_type {
        req += &format!("Content-Type: {c}\r\n");
    }
    req += &format!("Content-Length: {}\r\n\r\n", body.len());
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body);
    raw(addr, &bytes)
}

pub fn get(addr: SocketAddr, path: &str) -> Reply {
    request(addr, "GET", path, None, None, b"")
}

/// GET with a bearer token.
pub fn get_with(addr: SocketAddr, path: &str, token: &str) -> Reply {
    request(addr, "GET", path, Some(token), None, b"")
}

/// POST JSON with the screen token.
pub fn post_json(addr: SocketAddr, path: &str, body: &serde_json::Value) -> Reply {
    request(
        addr,
        "POST",
        path,
        Some(SCREEN_TOKEN),
        Some("application/json"),
        body.to_string().as_bytes(),
    )
}

/// Screens `address` ordered by `name` (POST /v1/screen with the screen token): the answer.
pub fn screen_order(addr: SocketAddr, address: &str, name: &str) -> serde_json::Value {
    post_json(
        addr,
        "/v1/screen",
        &serde_json::json!({"address": address, "name": name}),
    )
    .json()
}

/// True when a screening answer gives the reason `code`.
pub fn has_reason(v: &serde_json::Value, code: &str) -> bool {
    v["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["code"] == code)
}

/// Opens a request whose body is announced but not sent yet: the connection to finish later.
pub fn start_slow_body(addr: SocketAddr, path: &str, token: &str, announced: usize) -> TcpStream {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {announced}\r\n\r\n{{"
    );
    s.write_all(head.as_bytes()).unwrap();
    s
}
