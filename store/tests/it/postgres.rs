//! A real PostgreSQL server for a test: `initdb` in a temporary directory, `postgres` on a
//! free loopback port, stopped (and its files removed) when dropped. As root it runs as the
//! package's `postgres` user, as PostgreSQL requires. Shared by path with the server's and
//! the CLI's tests.
//!
//! Without PostgreSQL's programs (Debian's `postgresql`), [`PgServer::start`] says the test
//! was skipped and returns `None` — except under `CI`, where that is a failure (`.ci/run`
//! installs the package as root) unless `BANCHI_SKIP_POSTGRES_TESTS` gives the reason.

#![allow(dead_code)]

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running PostgreSQL (see the module documentation).
pub struct PgServer {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    user: Option<(u32, u32)>,
    child: Option<Child>,
}

/// The newest installed PostgreSQL's program directory.
fn bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("postgres").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, b)| b)
}

/// The `postgres` user's uid and gid, when running as root.
fn postgres_user() -> Option<(u32, u32)> {
    let out = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&out.stdout).trim() != "0" {
        return None;
    }
    let id = |flag: &str| -> Option<u32> {
        let out = Command::new("id").args([flag, "postgres"]).output().ok()?;
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    };
    Some((id("-u")?, id("-g")?))
}

/// A loopback port nobody listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Says a test is skipped for want of `what`, or fails under CI — unless
/// `BANCHI_SKIP_POSTGRES_TESTS` gives the reason (`.ci/run` run by a user who may not install
/// packages sets it, and says so in its output).
pub fn skip(test: &str, what: &str) {
    let reason = std::env::var("BANCHI_SKIP_POSTGRES_TESTS").ok();
    if std::env::var_os("CI").is_some() && reason.is_none() {
        panic!("{test}: {what} is not installed, and CI must run this test (.ci/run installs it as root)");
    }
    eprintln!(
        "SKIPPED {test}: {}",
        reason.unwrap_or_else(|| format!(
            "{what} is not installed (Debian package; .ci/run installs it)"
        ))
    );
}

impl PgServer {
    /// Starts a fresh server, or `None` (skipped) when PostgreSQL is not installed.
    pub fn start(test: &str) -> Option<PgServer> {
        let Some(bin) = bin_dir() else {
            skip(test, "PostgreSQL (postgresql)");
            return None;
        };
        let dir = tempfile::Builder::new()
            .prefix("banchi-pg")
            .tempdir()
            .expect("temp dir");
        let user = postgres_user();
        if let Some((uid, gid)) = user {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).expect("chown temp dir");
        }
        let mut server = PgServer {
            dir,
            bin,
            port: free_port(),
            user,
            child: None,
        };
        let data = server.data();
        let out = server
            .command("initdb")
            .args([
                "-U",
                "banchi_owner",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--locale=C",
                "-D",
            ])
            .arg(&data)
            .output()
            .expect("run initdb");
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        server.run();
        Some(server)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// A command of PostgreSQL's, run as the `postgres` user when we are root.
    pub fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(self.bin.join(program));
        if let Some((uid, gid)) = self.user {
            cmd.uid(uid).gid(gid);
        }
        cmd.current_dir(self.dir.path());
        cmd
    }

    /// Starts `postgres` on the data directory and waits until it answers.
    fn run(&mut self) {
        let log = std::fs::File::create(self.dir.path().join("postgres.log")).expect("log file");
        if let Some((uid, gid)) = self.user {
            let _ = std::os::unix::fs::chown(
                self.dir.path().join("postgres.log"),
                Some(uid),
                Some(gid),
            );
        }
        let child = self
            .command("postgres")
            .arg("-D")
            .arg(self.data())
            .args(["-p", &self.port.to_string(), "-k"])
            .arg(self.dir.path())
            .args([
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=200",
                "-c",
                "shared_buffers=128MB",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .process_group(0)
            .spawn()
            .expect("start postgres");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = self
                .command("pg_isready")
                .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-q"])
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            if ready {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "postgres did not start: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("postgres.log")).unwrap_or_default()
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of database `postgres` as the owner role (superuser, trust auth).
    pub fn url(&self) -> String {
        self.url_as("banchi_owner")
    }

    /// The URL as `role`.
    pub fn url_as(&self, role: &str) -> String {
        format!(
            "postgresql://{role}@127.0.0.1:{}/postgres?sslmode=disable",
            self.port
        )
    }

    /// Runs `sql` with psql as the owner role; returns what it printed (unaligned, no
    /// header). Panics when psql fails.
    pub fn psql(&self, sql: &str) -> String {
        let out = self
            .command("psql")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "banchi_owner",
                "-d",
                "postgres",
                "-At",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                sql,
            ])
            .output()
            .expect("run psql");
        assert!(
            out.status.success(),
            "psql {sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// SIGKILLs the server and every process of it (no shutdown, no checkpoint).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let pgid = child.id() as i32;
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{pgid}")])
                .status();
            let _ = child.kill();
            let _ = child.wait();
            // Backends of the killed postmaster go too (same process group); wait for the
            // port to be free so that a restart can bind it.
            let deadline = Instant::now() + Duration::from_secs(10);
            while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok()
                && Instant::now() < deadline
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = std::fs::remove_file(self.data().join("postmaster.pid"));
        }
    }

    /// Starts the server again on the same port and data (crash recovery runs).
    pub fn restart(&mut self) {
        self.kill();
        self.run();
    }

    /// The data directory's path.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        self.kill();
    }
}
