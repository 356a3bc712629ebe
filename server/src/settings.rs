//! Settings of `banchi serve`: command-line flags over the `[server]` section of the TOML
//! configuration file over defaults.
//!
//! The rest of the file (weights, thresholds, matching, velocity) is the library's
//! [`banchi::Config`], read from the same file; the library ignores the server's sections
//! ([`banchi::config::SERVER_SECTIONS`]), this module reads `[server]` and `[four_eyes]`
//! (unknown keys refused, like the library's sections).
//!
//! ```toml
//! [server]
//! listen = "127.0.0.1:8080"
//! fraud = "/var/lib/banchi/fraud.csv"
//! tokens = "/etc/banchi/tokens"
//! max_in_flight = 512
//!
//! [four_eyes]
//! lists = ["fraud"]          # edits of these lists wait for a second person's approval
//! pending_grade = "none"     # or "caution": a pending add grades caution at most
//! ```

use banchi::Config;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Flags of `banchi serve` (each overrides the same key of `[server]`).
#[derive(Debug, Clone, Default, clap::Args)]
#[command(
    after_help = "Tokens: --tokens FILE (one `SCOPE TOKEN [NAME]` per line, SCOPE screen, outcome or admin) or the\nenvironment variables BANCHI_SCREEN_TOKEN / BANCHI_ADMIN_TOKEN. Without any token the server\nrefuses to start unless --insecure-no-auth is given.\n\nVelocity shared by replicas: --velocity redis --velocity-key FILE, with the Redis URL in the\nenvironment variable BANCHI_VELOCITY_URL (redis://[:PASSWORD@]HOST[:PORT][/DB]).\n\nSignals: SIGTERM/SIGINT stop after the requests in flight; SIGHUP reloads the lists.\n\nExample:\n  BANCHI_SCREEN_TOKEN=s3cret banchi serve --fraud fraud.csv --listen 127.0.0.1:8080"
)]
pub struct ServeArgs {
    /// Address to listen on (default 127.0.0.1:8080: loopback only).
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Option<SocketAddr>,
    /// Fraud list: a list CSV or an index file from `banchi index build`.
    #[arg(long, value_name = "FILE")]
    pub fraud: Option<PathBuf>,
    /// Forwarding-warehouse list (CSV or index); default: the bundled data/forwarders.csv.
    #[arg(long, value_name = "FILE")]
    pub forwarders: Option<PathBuf>,
    /// Configuration file: the library's sections plus `[server]`.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Token file: one `SCOPE TOKEN [NAME]` per line (`screen`, `outcome` or `admin`).
    #[arg(long, value_name = "FILE")]
    pub tokens: Option<PathBuf>,
    /// Serve without any token (every `/v1` call is allowed). Only for a trusted loopback.
    #[arg(long)]
    pub insecure_no_auth: bool,
    /// Keep the cross-request velocity window in this SQLite state (the one `banchi screen
    /// --velocity-state` uses; key file FILE.key) instead of memory: it survives restarts.
    #[arg(long, value_name = "FILE")]
    pub velocity_state: Option<PathBuf>,
    /// Where the lists live: `files` (the list CSVs given with --fraud/--forwarders, the
    /// default) or `postgres` (shared by several replicas; URL in BANCHI_DATABASE_URL or
    /// the file named by BANCHI_DATABASE_URL_FILE).
    #[arg(long, value_enum, value_name = "STORE")]
    pub store: Option<StoreKind>,
    /// Where the velocity window lives: `memory` (this process; default) or `redis` (shared
    /// by replicas; URL in the environment variable BANCHI_VELOCITY_URL, key file
    /// --velocity-key).
    #[arg(long, value_name = "WHERE")]
    pub velocity: Option<VelocityBackend>,
    /// Key file of `--velocity redis` (32 hex digits, mode 0600), the same file on every
    /// replica: names and delivery points are stored in Redis as hashes under this key.
    #[arg(long, value_name = "FILE")]
    pub velocity_key: Option<PathBuf>,
}

/// Where the lists live.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    /// List CSVs with their edit journals (one machine).
    #[default]
    Files,
    /// PostgreSQL (several replicas).
    Postgres,
}

/// Where the velocity window lives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum VelocityBackend {
    /// In this process ([`crate::velocity`]; or its state file with `--velocity-state`).
    #[default]
    Memory,
    /// In Redis, shared by replicas ([`crate::velocity_redis`]).
    Redis,
}

/// The Redis URL (from `BANCHI_VELOCITY_URL`): shown as `<redacted>`, since it may hold a
/// password.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretUrl(pub String);

impl std::fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretUrl(<redacted>)")
    }
}

/// The `[server]` section as written in the file: every key optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSection {
    /// Listen address.
    pub listen: Option<SocketAddr>,
    /// Fraud list path (relative paths are relative to the configuration file).
    pub fraud: Option<PathBuf>,
    /// Forwarder list path.
    pub forwarders: Option<PathBuf>,
    /// Token file path.
    pub tokens: Option<PathBuf>,
    /// Largest body of a single call, bytes.
    pub max_body_bytes: Option<usize>,
    /// Largest body of a batch call, bytes.
    pub max_batch_bytes: Option<usize>,
    /// Most items in one batch.
    pub max_batch_items: Option<usize>,
    /// Longest time one request may take, milliseconds.
    pub request_timeout_ms: Option<u64>,
    /// Most `/v1` requests handled at once; more answer 429.
    pub max_in_flight: Option<usize>,
    /// Most delivery points the cross-request velocity window remembers.
    pub velocity_max_keys: Option<usize>,
    /// Velocity state file (SQLite) keeping the window instead of memory.
    pub velocity_state: Option<PathBuf>,
    /// `memory` or `redis` (the URL only ever from `BANCHI_VELOCITY_URL`).
    pub velocity: Option<VelocityBackend>,
    /// Key file of the Redis velocity window.
    pub velocity_key: Option<PathBuf>,
    /// Longest wait for Redis on one call, milliseconds (then the order is answered with
    /// `velocity_unavailable`).
    pub velocity_timeout_ms: Option<u64>,
    /// Lowest score answered `review` (default: the score's `medium_from`).
    pub review_from: Option<u32>,
    /// Lowest score answered `block` (default: the score's `high_from`).
    pub block_from: Option<u32>,
    /// Mark the CS page's cookies `Secure` (set it when TLS is terminated in front; a request
    /// with `X-Forwarded-Proto: https` gets them anyway).
    pub secure_cookies: Option<bool>,
    /// Where the lists live: `files` (default) or `postgres`.
    pub store: Option<StoreKind>,
}

/// `[decisions]`: what the server records of each order it screens (off by default).
///
/// ```toml
/// [decisions]
/// enabled = true
/// retention_days = 90
/// review_actions = ["review", "block"]
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DecisionsSection {
    /// Record every screened order that carries an `order_id`.
    pub enabled: bool,
    /// The SQLite file (default `decisions.sqlite` beside the fraud list); ignored with
    /// `--store postgres`, where the decisions are in the store.
    pub path: Option<PathBuf>,
    /// Days a decision (and its outcomes and webhook events) is kept.
    pub retention_days: u32,
    /// Actions that put an order in the review queue.
    pub review_actions: Vec<String>,
    /// Buyer fields kept with a decision: any of `name`, `phone`, `email` (default none).
    pub keep_buyer_fields: Vec<String>,
    /// Longest wait before a batch of decisions is written, milliseconds: what a crash can
    /// lose at most, beyond the orders queued behind a slow disk.
    pub flush_ms: u64,
    /// Most decisions waiting to be written; beyond it new ones are dropped and counted
    /// (`banchi_decisions_dropped_total`), screening never waits.
    pub queue: usize,
    /// Fraud outcomes (distinct orders) at one delivery point that make a block candidate.
    pub candidate_outcomes: u32,
    /// Days of outcomes block candidates look at.
    pub candidate_window_days: u32,
}

impl Default for DecisionsSection {
    fn default() -> Self {
        DecisionsSection {
            enabled: false,
            path: None,
            retention_days: 180,
            review_actions: vec!["review".into(), "block".into()],
            keep_buyer_fields: Vec::new(),
            flush_ms: 100,
            queue: 100_000,
            candidate_outcomes: 2,
            candidate_window_days: 90,
        }
    }
}

/// How an entry added under four eyes grades while it waits for approval.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PendingGrade {
    /// Not at all (the default): a pending add is not in force.
    #[default]
    None,
    /// `caution` at most: a pending add's `danger` or `caution` match shows as `caution`
    /// (near matches keep their lower grade), so an order to it is looked at before the
    /// entry is approved.
    Caution,
}

/// The `[four_eyes]` section: which lists need a second person for an edit. An add, disable
/// or enable of an entry of such a list, through the API or the CS page, is *pending* until
/// an admin with another name approves it (`POST /v1/lists/{list}/entries/{id}/approve`);
/// until then it is not in force. Off by default (no list named).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FourEyes {
    /// The lists under four eyes: `fraud`, `forwarders`.
    pub lists: Vec<String>,
    /// How a pending add grades.
    pub pending_grade: PendingGrade,
}

impl FourEyes {
    /// True when edits of the list named `list` (`fraud`, `forwarders`) need a second
    /// person's approval.
    pub fn covers(&self, list: &str) -> bool {
        self.lists.iter().any(|l| l == list)
    }

    /// Refuses a list name that is not `fraud` or `forwarders` (a typo would silently leave
    /// a list without four eyes).
    fn check(&self) -> Result<(), String> {
        match self
            .lists
            .iter()
            .find(|l| !matches!(l.as_str(), "fraud" | "forwarders"))
        {
            Some(l) => Err(format!(
                "unknown list `{l}` in lists (use \"fraud\", \"forwarders\")"
            )),
            None => Ok(()),
        }
    }
}

/// One `[[webhooks]]` entry: where alert events go and which ones.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSection {
    /// The receiver's URL (`http://` or `https://`).
    pub url: String,
    /// Events sent there: `danger`, `block`, `review`, `forwarding_service`, `outcome`.
    pub events: Vec<String>,
    /// A file holding the signing secret (HMAC-SHA256 key), relative to the configuration
    /// file.
    pub secret_file: PathBuf,
    /// Put the address as given in the event (default false: never the address or buyer
    /// fields).
    #[serde(default)]
    pub include_address: bool,
}

/// The file's top level, of which `[server]`, `[decisions]` and `[[webhooks]]` are read
/// here.
#[derive(Debug, Default, Deserialize)]
struct FileWithServer {
    #[serde(default)]
    server: ServerSection,
    #[serde(default)]
    decisions: DecisionsSection,
    #[serde(default)]
    webhooks: Vec<WebhookSection>,
}

/// The file's top level, of which only `[four_eyes]` is read here (apart from `[server]`,
/// so that an error names its section).
#[derive(Debug, Default, Deserialize)]
struct FileWithFourEyes {
    #[serde(default)]
    four_eyes: FourEyes,
}

/// Effective settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Listen address.
    pub listen: SocketAddr,
    /// Fraud list, if any.
    pub fraud: Option<PathBuf>,
    /// Forwarder list; `None` = the bundled one.
    pub forwarders: Option<PathBuf>,
    /// Token file.
    pub tokens: Option<PathBuf>,
    /// Serve without tokens.
    pub insecure_no_auth: bool,
    /// Largest body of a single call.
    pub max_body_bytes: usize,
    /// Largest body of a batch call.
    pub max_batch_bytes: usize,
    /// Most items in one batch.
    pub max_batch_items: usize,
    /// Longest time one request may take.
    pub request_timeout: Duration,
    /// Most `/v1` requests at once.
    pub max_in_flight: usize,
    /// Cap of the velocity window (delivery points).
    pub velocity_max_keys: usize,
    /// Velocity state file keeping the window (`None`: in memory).
    pub velocity_state: Option<PathBuf>,
    /// Where the velocity window lives.
    pub velocity: VelocityBackend,
    /// Key file of the Redis velocity window.
    pub velocity_key: Option<PathBuf>,
    /// Longest wait for Redis on one call.
    pub velocity_timeout: Duration,
    /// The Redis URL (`BANCHI_VELOCITY_URL`, read by [`Settings::resolve`]; tests set it).
    pub velocity_url: Option<SecretUrl>,
    /// Lowest score answered `review`.
    pub review_from: u32,
    /// Lowest score answered `block`.
    pub block_from: u32,
    /// The CS page's cookies are always `Secure`.
    pub secure_cookies: bool,
    /// The library's configuration (weights, thresholds, matching, velocity).
    pub config: Config,
    /// Where the lists live.
    pub store_kind: StoreKind,
    /// The list store, with `--store postgres` (its URL read from the environment by
    /// [`Settings::resolve`]).
    pub store: Option<banchi_store::Store>,
    /// `[decisions]` (its `path` resolved against the configuration file).
    pub decisions: DecisionsSection,
    /// `[[webhooks]]` (`secret_file` resolved against the configuration file).
    pub webhooks: Vec<WebhookSection>,
    /// Which lists' edits wait for a second person's approval (`[four_eyes]`; default none).
    pub four_eyes: FourEyes,
}

/// Default listen address: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// Why the settings could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The configuration file could not be read or has an error in a library section.
    #[error(transparent)]
    Config(#[from] banchi::error::ConfigError),
    /// The `[server]` or `[four_eyes]` section has an error (`message` names the section).
    #[error("{path}: {message}")]
    Server {
        /// The file.
        path: PathBuf,
        /// The TOML error (names the key, never a value from elsewhere).
        message: String,
    },
    /// The settings contradict each other.
    #[error("{0}")]
    Invalid(String),
}

impl Settings {
    /// Flags over the file's `[server]` over defaults.
    pub fn resolve(args: &ServeArgs) -> Result<Settings, SettingsError> {
        let (config, section, base) = match &args.config {
            Some(path) => {
                let config = Config::from_path(path)?;
                let text = std::fs::read_to_string(path).map_err(|source| {
                    banchi::error::ConfigError::Io {
                        path: path.clone(),
                        source,
                    }
                })?;
                let section_error = |section: &str, message: &str| SettingsError::Server {
                    path: path.clone(),
                    message: format!("[{section}]: {message}"),
                };
                let file: FileWithServer =
                    toml::from_str(&text).map_err(|e| section_error("server", e.message()))?;
                let four_eyes = toml::from_str::<FileWithFourEyes>(&text)
                    .map_err(|e| section_error("four_eyes", e.message()))?
                    .four_eyes;
                four_eyes
                    .check()
                    .map_err(|m| section_error("four_eyes", &m))?;
                let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
                (config, (file, four_eyes), base)
            }
            None => (
                Config::default(),
                (FileWithServer::default(), FourEyes::default()),
                PathBuf::new(),
            ),
        };
        let (section, four_eyes) = section;
        let mut settings = Self::merge(args, section.server, config, &base)?.with_sections(
            section.decisions,
            section.webhooks,
            &base,
        )?;
        settings.four_eyes = four_eyes;
        if settings.store_kind == StoreKind::Postgres {
            let store = banchi_store::DatabaseUrl::from_env()
                .and_then(banchi_store::Store::new)
                .map_err(|e| SettingsError::Invalid(format!("--store postgres: {e}")))?;
            settings.store = Some(store);
        }
        if settings.velocity == VelocityBackend::Redis {
            settings.velocity_url = std::env::var(crate::velocity_redis::URL_ENV)
                .ok()
                .map(SecretUrl);
        }
        Ok(settings)
    }

    /// Combines flags, a `[server]` section (paths relative to `base`) and a library config.
    pub fn merge(
        args: &ServeArgs,
        section: ServerSection,
        config: Config,
        base: &Path,
    ) -> Result<Settings, SettingsError> {
        let rel = |p: PathBuf| if p.is_relative() { base.join(p) } else { p };
        let default_listen: SocketAddr = DEFAULT_LISTEN
            .parse()
            .map_err(|_| SettingsError::Invalid("bad default listen address".into()))?;
        let review_from = section.review_from.unwrap_or(config.score.medium_from);
        let block_from = section.block_from.unwrap_or(config.score.high_from);
        if review_from > block_from || block_from > 100 {
            return Err(SettingsError::Invalid(format!(
                "[server] needs review_from <= block_from <= 100 (got {review_from} and {block_from})"
            )));
        }
        let settings = Settings {
            listen: args.listen.or(section.listen).unwrap_or(default_listen),
            fraud: args.fraud.clone().or(section.fraud.map(rel)),
            forwarders: args.forwarders.clone().or(section.forwarders.map(rel)),
            tokens: args.tokens.clone().or(section.tokens.map(rel)),
            insecure_no_auth: args.insecure_no_auth,
            max_body_bytes: section.max_body_bytes.unwrap_or(64 * 1024),
            max_batch_bytes: section.max_batch_bytes.unwrap_or(16 * 1024 * 1024),
            max_batch_items: section.max_batch_items.unwrap_or(10_000),
            request_timeout: Duration::from_millis(section.request_timeout_ms.unwrap_or(30_000)),
            max_in_flight: section.max_in_flight.unwrap_or(1024),
            velocity_max_keys: section.velocity_max_keys.unwrap_or(200_000),
            velocity_state: args
                .velocity_state
                .clone()
                .or(section.velocity_state.map(rel)),
            velocity: args.velocity.or(section.velocity).unwrap_or_default(),
            velocity_key: args.velocity_key.clone().or(section.velocity_key.map(rel)),
            velocity_timeout: Duration::from_millis(section.velocity_timeout_ms.unwrap_or(250)),
            velocity_url: None,
            review_from,
            block_from,
            secure_cookies: section.secure_cookies.unwrap_or(false),
            config,
            store_kind: args.store.or(section.store).unwrap_or_default(),
            store: None,
            decisions: DecisionsSection::default(),
            webhooks: Vec::new(),
            four_eyes: FourEyes::default(),
        };
        if settings.store_kind == StoreKind::Postgres
            && (settings.fraud.is_some() || settings.forwarders.is_some())
        {
            return Err(SettingsError::Invalid(
                "with --store postgres the lists are in the store: drop --fraud/--forwarders (load files with `banchi store import FILE --list fraud`)".into(),
            ));
        }
        if settings.max_in_flight == 0 || settings.max_batch_items == 0 {
            return Err(SettingsError::Invalid(
                "[server] max_in_flight and max_batch_items must be at least 1".into(),
            ));
        }
        if settings.velocity == VelocityBackend::Redis && settings.velocity_state.is_some() {
            return Err(SettingsError::Invalid(
                "--velocity redis and --velocity-state exclude each other: the window lives in Redis or in the state file".into(),
            ));
        }
        Ok(settings)
    }

    /// Adds `[decisions]` and `[[webhooks]]` (paths relative to `base`), checked.
    pub fn with_sections(
        mut self,
        mut decisions: DecisionsSection,
        mut webhooks: Vec<WebhookSection>,
        base: &Path,
    ) -> Result<Settings, SettingsError> {
        let rel = |p: PathBuf| if p.is_relative() { base.join(p) } else { p };
        let invalid = |m: String| Err(SettingsError::Invalid(m));
        if let Some(a) = decisions
            .review_actions
            .iter()
            .find(|a| !["allow", "review", "block"].contains(&a.as_str()))
        {
            return invalid(format!(
                "[decisions] review_actions: `{a}` is not an action (allow, review, block)"
            ));
        }
        if let Some(f) = decisions
            .keep_buyer_fields
            .iter()
            .find(|f| !["name", "phone", "email"].contains(&f.as_str()))
        {
            return invalid(format!(
                "[decisions] keep_buyer_fields: `{f}` is not name, phone or email"
            ));
        }
        if decisions.retention_days == 0 || decisions.flush_ms == 0 || decisions.queue == 0 {
            return invalid(
                "[decisions] retention_days, flush_ms and queue must be at least 1".into(),
            );
        }
        decisions.path = decisions.path.take().map(rel);
        for hook in &mut webhooks {
            if !(hook.url.starts_with("http://") || hook.url.starts_with("https://")) {
                return invalid("[[webhooks]] url must start with http:// or https://".into());
            }
            hook.secret_file = rel(std::mem::take(&mut hook.secret_file));
        }
        self.decisions = decisions;
        self.webhooks = webhooks;
        Ok(self)
    }

    /// Settings for tests: defaults, no lists, no tokens required.
    pub fn for_tests() -> Settings {
        let args = ServeArgs {
            insecure_no_auth: true,
            ..ServeArgs::default()
        };
        // Defaults always merge.
        match Self::merge(
            &args,
            ServerSection::default(),
            Config::default(),
            Path::new(""),
        ) {
            Ok(s) => s,
            Err(e) => unreachable!("default settings are valid: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_the_file_which_overrides_defaults() {
        let section: FileWithServer = toml::from_str(
            "[server]\nlisten = \"127.0.0.1:9000\"\nfraud = \"lists/fraud.csv\"\nmax_in_flight = 7\n",
        )
        .unwrap();
        let args = ServeArgs {
            fraud: Some("/tmp/other.csv".into()),
            ..ServeArgs::default()
        };
        let s = Settings::merge(
            &args,
            section.server.clone(),
            Config::default(),
            Path::new("/etc/banchi"),
        )
        .unwrap();
        assert_eq!(s.listen.to_string(), "127.0.0.1:9000");
        assert_eq!(s.fraud.as_deref(), Some(Path::new("/tmp/other.csv")));
        assert_eq!(s.max_in_flight, 7);
        assert_eq!((s.review_from, s.block_from), (31, 71));
        let no_flags = Settings::merge(
            &ServeArgs::default(),
            section.server,
            Config::default(),
            Path::new("/etc/banchi"),
        )
        .unwrap();
        assert_eq!(
            no_flags.fraud.as_deref(),
            Some(Path::new("/etc/banchi/lists/fraud.csv"))
        );
        assert_eq!(
            Settings::merge(
                &ServeArgs::default(),
                ServerSection::default(),
                Config::default(),
                Path::new("")
            )
            .unwrap()
            .listen
            .to_string(),
            DEFAULT_LISTEN
        );
    }

    #[test]
    fn velocity_in_redis_from_the_file_or_a_flag() {
        let file: FileWithServer = toml::from_str(
            "[server]\nvelocity = \"redis\"\nvelocity_key = \"velocity.key\"\nvelocity_timeout_ms = 100\n",
        )
        .unwrap();
        let s = Settings::merge(
            &ServeArgs::default(),
            file.server,
            Config::default(),
            Path::new("/etc/banchi"),
        )
        .unwrap();
        assert_eq!(s.velocity, VelocityBackend::Redis);
        assert_eq!(
            s.velocity_key.as_deref(),
            Some(Path::new("/etc/banchi/velocity.key"))
        );
        assert_eq!(s.velocity_timeout, Duration::from_millis(100));
        assert!(
            s.velocity_url.is_none(),
            "only resolve() reads the environment"
        );
        assert_eq!(
            format!("{:?}", SecretUrl("redis://:pw@h".into())),
            "SecretUrl(<redacted>)"
        );
        let both = ServeArgs {
            velocity: Some(VelocityBackend::Redis),
            velocity_state: Some("v.db".into()),
            ..ServeArgs::default()
        };
        let e = Settings::merge(
            &both,
            ServerSection::default(),
            Config::default(),
            Path::new(""),
        )
        .unwrap_err();
        assert!(e.to_string().contains("exclude each other"), "{e}");
        assert!(toml::from_str::<FileWithServer>("[server]\nvelocity = \"disk\"\n").is_err());
    }

    #[test]
    fn four_eyes_is_off_by_default_and_refuses_unknown_keys_and_lists() {
        let none: FileWithFourEyes = toml::from_str("[server]\n").unwrap();
        assert_eq!(none.four_eyes, FourEyes::default());
        assert!(!none.four_eyes.covers("fraud"));
        let on: FileWithFourEyes =
            toml::from_str("[four_eyes]\nlists = [\"fraud\"]\npending_grade = \"caution\"\n")
                .unwrap();
        assert!(on.four_eyes.covers("fraud") && !on.four_eyes.covers("forwarders"));
        assert_eq!(on.four_eyes.pending_grade, PendingGrade::Caution);
        assert!(on.four_eyes.check().is_ok());
        assert!(toml::from_str::<FileWithFourEyes>("[four_eyes]\nlist = [\"fraud\"]\n").is_err());
        assert!(
            toml::from_str::<FileWithFourEyes>("[four_eyes]\npending_grade = \"danger\"\n")
                .is_err()
        );
        let typo: FileWithFourEyes = toml::from_str("[four_eyes]\nlists = [\"frad\"]\n").unwrap();
        assert!(typo.four_eyes.check().is_err());
    }

    #[test]
    fn four_eyes_is_read_from_the_config_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("banchi.toml");
        std::fs::write(
            &path,
            "[four_eyes]\nlists = [\"fraud\"]\npending_grade = \"caution\"\n[weights]\npo_box = 40\n",
        )
        .unwrap();
        let args = ServeArgs {
            config: Some(path.clone()),
            ..ServeArgs::default()
        };
        let s = Settings::resolve(&args).unwrap();
        assert!(s.four_eyes.covers("fraud"));
        assert_eq!(s.four_eyes.pending_grade, PendingGrade::Caution);
        assert_eq!(s.config.weights.po_box, 40);
        std::fs::write(&path, "[four_eyes]\nlists = [\"frod\"]\n").unwrap();
        let e = Settings::resolve(&args).unwrap_err();
        assert!(e.to_string().contains("[four_eyes]"), "{e}");
        std::fs::write(&path, "[four_eyes]\nlist = [\"fraud\"]\n").unwrap();
        let e = Settings::resolve(&args).unwrap_err();
        assert!(e.to_string().contains("[four_eyes]"), "{e}");
    }

    #[test]
    fn unknown_server_keys_and_bad_thresholds_are_refused() {
        assert!(toml::from_str::<FileWithServer>("[server]\nlisten_on = 1\n").is_err());
        let bad = ServerSection {
            review_from: Some(80),
            block_from: Some(50),
            ..ServerSection::default()
        };
        assert!(
            Settings::merge(&ServeArgs::default(), bad, Config::default(), Path::new("")).is_err()
        );
    }
}
