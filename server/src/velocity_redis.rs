//! Velocity shared by replicas (`banchi serve --velocity redis`): the in-process window's rule
//! ([`crate::velocity`]) kept in Redis, so that orders landing on different replicas are
//! counted together.
//!
//! # What is stored
//!
//! One Redis string per delivery point, under `banchi:velocity:{16 hex digits}` — the keyed
//! SipHash of the delivery point ([`banchi::Address::key`], [`Hashing::point`]) — holding at
//! most [`MAX_NAMES`] `namehash:seconds` pairs (the keyed hash of the name as compared,
//! [`Hashing::name`], and when it was last seen, Redis's clock). Neither an address nor a name
//! reaches Redis in clear: the 128-bit key lives in a key file (mode 0600, the format of the
//! velocity state's `FILE.key`) that every replica is given (`--velocity-key FILE`); without
//! it the hashes cannot be tested against guesses. The server never creates that file: each
//! replica would otherwise make its own key and count alone.
//!
//! # Same rule, same counts
//!
//! A Lua script ([`SCRIPT`]) does what [`crate::velocity::VelocityWindow::observe_at`] does
//! to one delivery point — drop names older than the window, refresh a name seen again, add a
//! new one, or replace the oldest (the first of equal ages) when [`MAX_NAMES`] are held — and
//! returns the count, so a sequence of orders gets the counts the in-process window gives
//! (tested). The in-process window may forget a point sooner (its memory cap, its two
//! generations); Redis keeps it exactly the window.
//!
//! # Expiry
//!
//! Every write sets the key's expiry to the window plus one second (times are whole seconds):
//! a key lives until its newest name has left the window, then Redis drops it. Nothing
//! outlives the window; no key is written without an expiry.
//!
//! # Round trips
//!
//! The script is loaded once per connection (`SCRIPT LOAD`) and called by its digest
//! (`EVALSHA`): one round trip for an order; a batch's orders go as one pipeline, in input
//! order, one round trip per chunk of the batch (2,048 orders of a JSON array, 512 NDJSON
//! lines). Time comes from Redis (`TIME` inside the
//! script), so replicas on hosts whose clocks differ agree.
//!
//! # Failure
//!
//! One multiplexed connection, replaced by a background task that reconnects with
//! exponential backoff (100 ms doubling to 5 s) whenever a call fails or times out. While
//! there is no connection a call fails at once; a call in flight waits at most
//! `velocity_timeout_ms` (plus 50 µs per order of a batch). A failed call is
//! [`Unavailable`]: the order is answered without velocity and with the signal
//! `velocity_unavailable`, never with an error. A URL that does not parse stops the start;
//! an unreachable server or a refused password does not (the server starts, logs the
//! problem, answers `velocity_unavailable` and keeps trying). The URL's password never
//! appears in a log line or an error: Redis is named by `HOST:PORT` only.

use banchi::bulk::velocity::Hashing;
use redis::aio::MultiplexedConnection;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::Notify;

pub use crate::velocity::MAX_NAMES;

/// The environment variable holding the Redis URL (never a flag: it may hold a password).
pub const URL_ENV: &str = "BANCHI_VELOCITY_URL";

/// Prefix of every key written.
pub const KEY_PREFIX: &str = "banchi:velocity:";

/// The per-point rule, run by Redis. KEYS[1]: the point's key. ARGV: name hash, window
/// (seconds), most names kept, and the time in seconds (empty: Redis's clock).
pub const SCRIPT: &str = r"
local now = tonumber(ARGV[4])
if not now then now = tonumber(redis.call('TIME')[1]) end
local name = ARGV[1]
local window = tonumber(ARGV[2])
local cap = tonumber(ARGV[3])
local oldest_counted = now - window
local names, times = {}, {}
local raw = redis.call('GET', KEYS[1])
if raw then
  for h, t in string.gmatch(raw, '(%d+):(%d+)') do
    t = tonumber(t)
    if t >= oldest_counted then
      names[#names + 1] = h
      times[#times + 1] = t
    end
  end
end
local found = false
for i = 1, #names do
  if names[i] == name then
    times[i] = now
    found = true
    break
  end
end
if not found then
  if #names < cap then
    names[#names + 1] = name
    times[#times + 1] = now
  else
    local oldest = 1
    for i = 2, #names do
      if times[i] < times[oldest] then oldest = i end
    end
    names[oldest] = name
    times[oldest] = now
  end
end
local parts = {}
for i = 1, #names do parts[i] = names[i] .. ':' .. string.format('%d', times[i]) end
redis.call('SET', KEYS[1], table.concat(parts, ','), 'EX', window + 1)
return #names
";

/// Why shared velocity could not be set up (the server does not start).
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// `BANCHI_VELOCITY_URL` is not set.
    #[error("--velocity redis needs the Redis URL in the environment variable {URL_ENV} (redis://[:PASSWORD@]HOST[:PORT][/DB])")]
    NoUrl,
    /// The URL does not parse (the URL itself is not repeated: it may hold a password).
    #[error("{URL_ENV} is not a Redis URL: expected redis://[USER:PASSWORD@]HOST[:PORT][/DB] or redis+unix:///PATH")]
    BadUrl,
    /// No key file was named.
    #[error("--velocity redis needs a key file shared by every replica: --velocity-key FILE (or velocity_key in [server]); create it once with `(umask 077; head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \\n' > FILE)` and copy it to each replica")]
    NoKeyFile,
    /// The key file is missing, unreadable, not private or malformed.
    #[error("velocity key file {path}: {reason}; create it once with `(umask 077; head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \\n' > {path})` and copy the same file (mode 0600) to every replica")]
    KeyFile {
        /// The key file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// A call to Redis that did not give counts: the orders are answered without velocity.
#[derive(Debug, thiserror::Error)]
#[error("shared velocity unavailable: {0}")]
pub struct Unavailable(pub String);

/// The connection in use, numbered so that a late failure of an old connection does not take
/// down its replacement.
#[derive(Default)]
struct Current {
    conn: Option<MultiplexedConnection>,
    generation: u64,
}

/// The Redis side of the velocity window (see the module documentation). `Send + Sync`.
pub struct RedisVelocity {
    client: redis::Client,
    /// `HOST:PORT` (or the socket path): how logs and errors name Redis.
    target: String,
    /// The URL's password, scrubbed from any error text that would repeat it.
    password: Option<String>,
    hashing: Hashing,
    sha: String,
    window_secs: u64,
    timeout: Duration,
    current: Mutex<Current>,
    /// Wakes the reconnection task.
    down: Notify,
    /// Set when stopping (the reconnection task ends).
    closed: AtomicBool,
}

impl std::fmt::Debug for RedisVelocity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisVelocity")
            .field("target", &self.target)
            .field("window_secs", &self.window_secs)
            .finish_non_exhaustive()
    }
}

/// Reads the shared key file ([`SetupError::KeyFile`] names how to create one).
pub fn read_key(path: &Path) -> Result<Hashing, SetupError> {
    banchi::bulk::state::read_key_file(path).map_err(|e| SetupError::KeyFile {
        path: path.to_owned(),
        reason: match e {
            banchi::bulk::state::StateError::KeyFile { reason, .. } => reason,
            other => other.to_string(),
        },
    })
}

impl RedisVelocity {
    /// A client for `url` under `hashing`, counting over `window`, each call waiting at most
    /// `timeout`. Does not connect: [`RedisVelocity::spawn`] does, in the background.
    pub fn new(
        url: &str,
        hashing: Hashing,
        window: Duration,
        timeout: Duration,
    ) -> Result<RedisVelocity, SetupError> {
        if url.trim().is_empty() {
            return Err(SetupError::NoUrl);
        }
        let client = redis::Client::open(url).map_err(|_| SetupError::BadUrl)?;
        let info = client.get_connection_info();
        let target = info.addr().to_string();
        let password = info
            .redis_settings()
            .password()
            .filter(|p| !p.is_empty())
            .map(str::to_owned);
        Ok(RedisVelocity {
            client,
            target,
            password,
            hashing,
            sha: redis::Script::new(SCRIPT).get_hash().to_owned(),
            window_secs: window.as_secs().max(1),
            timeout,
            current: Mutex::new(Current::default()),
            down: Notify::new(),
            closed: AtomicBool::new(false),
        })
    }

    /// Where Redis is (`HOST:PORT`), without credentials.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Starts the task that connects, and reconnects after failures with backoff. Needs a
    /// Tokio runtime. The task ends after [`RedisVelocity::close`].
    pub fn spawn(self: &Arc<Self>) {
        let this = Arc::clone(self);
        tokio::spawn(async move { this.keep_connected().await });
    }

    /// Stops reconnecting and drops the connection.
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.lock().conn = None;
        self.down.notify_one();
    }

    /// True while a connection is up.
    pub fn connected(&self) -> bool {
        self.lock().conn.is_some()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Current> {
        self.current.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn keep_connected(&self) {
        const FIRST: Duration = Duration::from_millis(100);
        const MOST: Duration = Duration::from_secs(5);
        let mut backoff = FIRST;
        let mut failures = 0u64;
        while !self.closed.load(Ordering::SeqCst) {
            if self.connected() {
                self.down.notified().await;
                continue;
            }
            match self.connect().await {
                Ok(conn) => {
                    {
                        let mut current = self.lock();
                        current.generation += 1;
                        current.conn = Some(conn);
                    }
                    tracing::info!(redis = %self.target, after_failures = failures, "shared velocity connected");
                    backoff = FIRST;
                    failures = 0;
                }
                Err(e) => {
                    failures += 1;
                    // Every failure while short, then one line in ten: a long outage does
                    // not flood the log.
                    if failures <= 3 || failures.is_multiple_of(10) {
                        tracing::warn!(
                            redis = %self.target,
                            error = %e.0,
                            failures,
                            retry_in_ms = backoff.as_millis() as u64,
                            "shared velocity unavailable: orders are answered without velocity (velocity_unavailable)"
                        );
                    }
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => {}
                        () = self.down.notified() => {}
                    }
                    backoff = (backoff * 2).min(MOST);
                }
            }
        }
    }

    /// One connection with the script loaded.
    async fn connect(&self) -> Result<MultiplexedConnection, Unavailable> {
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(None);
        let attempt = async {
            let mut conn = self
                .client
                .get_multiplexed_async_connection_with_config(&config)
                .await?;
            let sha: String = redis::cmd("SCRIPT")
                .arg("LOAD")
                .arg(SCRIPT)
                .query_async(&mut conn)
                .await?;
            Ok::<_, redis::RedisError>((conn, sha))
        };
        match tokio::time::timeout(Duration::from_secs(2), attempt).await {
            Ok(Ok((conn, sha))) if sha == self.sha => Ok(conn),
            Ok(Ok(_)) => Err(Unavailable("SCRIPT LOAD gave another digest".into())),
            Ok(Err(e)) => Err(self.scrubbed(&e)),
            Err(_) => Err(Unavailable("connecting timed out".into())),
        }
    }

    fn scrubbed(&self, e: &redis::RedisError) -> Unavailable {
        let mut text = e.to_string();
        if let Some(p) = &self.password {
            text = text.replace(p.as_str(), "***");
        }
        Unavailable(text)
    }

    /// The Redis key of a delivery point (a keyed hash).
    pub fn key_of(&self, point: u64) -> String {
        format!("{KEY_PREFIX}{point:016x}")
    }

    /// Hashes an order's delivery-point key and name; `None` when the name is empty (the
    /// order is not counted, as in memory).
    pub fn hash(&self, point_key: &str, name: &str) -> Option<(u64, u32)> {
        let name = self.hashing.name(name)?;
        Some((self.hashing.point(point_key), name))
    }

    /// Counts orders (hashed by [`RedisVelocity::hash`]) in input order, in one round trip;
    /// returns each one's count of names within the window, this one included.
    pub async fn observe(&self, orders: &[(u64, u32)]) -> Result<Vec<u32>, Unavailable> {
        self.observe_at(orders, None).await
    }

    /// [`RedisVelocity::observe`] at a given time in seconds (`None`: Redis's clock), as the
    /// tests drive it against [`crate::velocity::VelocityWindow::observe_at`].
    pub async fn observe_at(
        &self,
        orders: &[(u64, u32)],
        now: Option<u64>,
    ) -> Result<Vec<u32>, Unavailable> {
        if orders.is_empty() {
            return Ok(Vec::new());
        }
        let (conn, generation) = {
            let current = self.lock();
            (current.conn.clone(), current.generation)
        };
        let Some(mut conn) = conn else {
            return Err(Unavailable("not connected".into()));
        };
        let now = now.map(|n| n.to_string()).unwrap_or_default();
        let mut pipe = redis::pipe();
        for &(point, name) in orders {
            pipe.cmd("EVALSHA")
                .arg(&self.sha)
                .arg(1)
                .arg(self.key_of(point))
                .arg(name)
                .arg(self.window_secs)
                .arg(MAX_NAMES)
                .arg(&now);
        }
        let per_order = Duration::from_micros(50).saturating_mul(orders.len() as u32);
        let result = tokio::time::timeout(
            self.timeout + per_order,
            pipe.query_async::<Vec<u32>>(&mut conn),
        )
        .await;
        let error = match result {
            Ok(Ok(counts)) if counts.len() == orders.len() => return Ok(counts),
            Ok(Ok(_)) => Unavailable("Redis answered another number of counts".into()),
            Ok(Err(e)) => self.scrubbed(&e),
            Err(_) => Unavailable(format!(
                "no answer within {} ms",
                (self.timeout + per_order).as_millis()
            )),
        };
        self.mark_down(generation, &error);
        Err(error)
    }

    /// Drops connection `generation` (if still the current one) and wakes the reconnection.
    fn mark_down(&self, generation: u64, why: &Unavailable) {
        let mut current = self.lock();
        if current.generation == generation && current.conn.is_some() {
            current.conn = None;
            drop(current);
            tracing::warn!(redis = %self.target, error = %why.0, "shared velocity connection lost; reconnecting");
            self.down.notify_one();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hashing() -> Hashing {
        Hashing::with_key([7; 16])
    }

    #[test]
    fn bad_urls_are_refused_without_repeating_them() {
        let window = Duration::from_secs(3600);
        let t = Duration::from_millis(100);
        let e = RedisVelocity::new("", hashing(), window, t).unwrap_err();
        assert!(matches!(e, SetupError::NoUrl));
        let e = RedisVelocity::new("http://:hunter2@example/", hashing(), window, t).unwrap_err();
        assert!(matches!(e, SetupError::BadUrl));
        assert!(!e.to_string().contains("hunter2"), "{e}");
        let v = RedisVelocity::new("redis://:hunter2@127.0.0.1:1/0", hashing(), window, t).unwrap();
        assert_eq!(v.target(), "127.0.0.1:1");
        assert!(!format!("{v:?}").contains("hunter2"));
    }

    #[test]
    fn keys_are_keyed_hashes_and_empty_names_are_not_counted() {
        let v = RedisVelocity::new(
            "redis://127.0.0.1:1",
            hashing(),
            Duration::from_secs(60),
            Duration::from_millis(100),
        )
        .unwrap();
        let (point, _) = v.hash("13102|銀座|4|6|16||301", "山田太郎").unwrap();
        let key = v.key_of(point);
        assert!(
            key.starts_with(KEY_PREFIX) && key.len() == KEY_PREFIX.len() + 16,
            "{key}"
        );
        assert!(!key.contains("銀座"));
        assert_eq!(v.hash("13102|銀座|4|6|16||301", " "), None);
        let other = RedisVelocity::new(
            "redis://127.0.0.1:1",
            Hashing::with_key([8; 16]),
            Duration::from_secs(60),
            Duration::from_millis(100),
        )
        .unwrap();
        assert_ne!(
            other
                .hash("13102|銀座|4|6|16||301", "山田太郎")
                .map(|h| h.0),
            Some(point)
        );
    }

    #[test]
    fn a_missing_or_readable_key_file_names_how_to_create_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("velocity.key");
        let e = read_key(&path).unwrap_err().to_string();
        assert!(e.contains("missing") && e.contains("/dev/urandom"), "{e}");
        std::fs::write(&path, "00112233445566778899aabbccddeeff\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = read_key(&path).unwrap_err().to_string();
        assert!(e.contains("chmod 600"), "{e}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(read_key(&path).is_ok());
    }

    #[tokio::test]
    async fn without_a_connection_a_call_fails_at_once() {
        let v = RedisVelocity::new(
            "redis://127.0.0.1:1",
            hashing(),
            Duration::from_secs(60),
            Duration::from_millis(100),
        )
        .unwrap();
        let started = std::time::Instant::now();
        assert!(v.observe(&[(1, 2)]).await.is_err());
        assert!(v.observe(&[]).await.unwrap().is_empty());
        assert!(started.elapsed() < Duration::from_millis(50));
    }
}
