//! A real `redis-server` (Debian's package) for the tests: started in a temporary folder on a
//! free loopback port, no persistence, killed when dropped.
//!
//! Without `redis-server` on the PATH [`RedisServer::start`] returns `None` and the test says
//! it was skipped — except when `CI` is set, where that fails the test, unless
//! `BANCHI_SKIP_REDIS_TESTS` gives the reason (`.ci/run` run by a user who may not install
//! packages sets it).

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `redis-server`.
pub struct RedisServer {
    pub port: u16,
    child: Option<Child>,
    dir: tempfile::TempDir,
}

/// A free loopback port (bound, then released).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn have_redis_server() -> bool {
    Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl RedisServer {
    /// Starts one, or `None` (with a note) when `redis-server` is not installed; under `CI`
    /// a missing `redis-server` fails the test (see the module documentation).
    pub fn start(test: &str) -> Option<RedisServer> {
        if !have_redis_server() {
            let reason = std::env::var("BANCHI_SKIP_REDIS_TESTS").ok();
            assert!(
                std::env::var_os("CI").is_none() || reason.is_some(),
                "CI is set but redis-server is missing: `apt-get install redis-server` (.ci/run does as root)"
            );
            eprintln!(
                "note: {test} skipped: {}",
                reason
                    .as_deref()
                    .unwrap_or("redis-server not installed (apt-get install redis-server)")
            );
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let mut server = RedisServer {
            port: free_port(),
            child: None,
            dir,
        };
        server.restart();
        Some(server)
    }

    /// Starts `redis-server` on this server's port (again, after [`RedisServer::kill`]) and
    /// waits until it answers PING.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "still running");
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .args(["--daemonize", "no", "--loglevel", "warning"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(reply) = self.try_command(&["PING"]) {
                if reply.starts_with("+PONG") {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "redis-server did not answer on port {} within 10 s",
            self.port
        );
    }

    /// SIGKILLs it (no shutdown: clients see the connection drop).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Sends one command (RESP) and returns the raw reply text.
    pub fn try_command(&self, args: &[&str]) -> std::io::Result<String> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port))?;
        s.set_read_timeout(Some(Duration::from_secs(5)))?;
        let mut req = format!("*{}\r\n", args.len());
        for a in args {
            req += &format!("${}\r\n{a}\r\n", a.len());
        }
        s.write_all(req.as_bytes())?;
        let mut r = BufReader::new(s);
        read_value(&mut r)
    }

    pub fn command(&self, args: &[&str]) -> String {
        self.try_command(args).unwrap()
    }

    /// Every key (SCAN), with its TTL in seconds (-1: none).
    pub fn keys_with_ttl(&self) -> Vec<(String, i64)> {
        let mut cursor = "0".to_owned();
        let mut keys = Vec::new();
        loop {
            let reply = self.command(&["SCAN", &cursor, "COUNT", "1000"]);
            let lines: Vec<&str> = reply.lines().collect();
            // *2, $n, cursor, *k, then $n/key pairs.
            cursor = lines[2].to_owned();
            keys.extend(
                lines[4..]
                    .iter()
                    .filter(|l| !l.starts_with('$'))
                    .map(|l| l.to_string()),
            );
            if cursor == "0" {
                break;
            }
        }
        keys.into_iter()
            .map(|k| {
                let ttl = self.command(&["TTL", &k]);
                let ttl: i64 = ttl.trim().trim_start_matches(':').parse().unwrap();
                (k, ttl)
            })
            .collect()
    }
}

/// Reads one RESP value as text: the lines as sent (aggregates flattened).
fn read_value(r: &mut impl BufRead) -> std::io::Result<String> {
    let mut line = String::new();
    r.read_line(&mut line)?;
    let mut out = line.clone();
    match line.as_bytes().first() {
        Some(b'$') => {
            let n: i64 = line[1..].trim().parse().unwrap_or(-1);
            if n >= 0 {
                let mut buf = vec![0u8; n as usize + 2];
                r.read_exact(&mut buf)?;
                out += &String::from_utf8_lossy(&buf);
            }
        }
        Some(b'*') => {
            let n: i64 = line[1..].trim().parse().unwrap_or(-1);
            for _ in 0..n.max(0) {
                out += &read_value(r)?;
            }
        }
        _ => {}
    }
    Ok(out)
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}
