//! Alerts by webhook: signed JSON events about orders and outcomes, delivered from the
//! decision store's outbox with retries, at least once.
//!
//! Why an outbox: an alert must survive a restart and a receiver that is down, and a slow
//! receiver must never slow screening. So events are not sent from the request path: the
//! recorder writes them into the decision store's `webhook_outbox` in the same transaction as
//! the orders that raised them ([`Hooks::for_order`], [`Hooks::for_outcome`]), and one task
//! per server ([`spawn_delivery`]) sends what is due, notes each attempt, and retries with
//! exponential backoff until the receiver answers 2xx or a day has passed.
//!
//! * [`Hooks`] — the `[[webhooks]]` receivers with their secrets, read once at start;
//! * [`event`] — which events an order raises and their JSON (never the address or buyer
//!   fields unless `include_address = true`);
//! * [`sign`] — the `Banchi-Signature` header (HMAC-SHA256 over `t.body`);
//! * [`deliver`] — the delivery task: leases, timeouts, backoff, giving up;
//! * [`metrics`] — `banchi_webhook_*` series;
//! * [`page`] — the delivery log on the CS page.
//!
//! Logs and the delivery log name a receiver by scheme, host, port and path only
//! ([`display_url`]): a query string may hold a token. Secrets, bodies and addresses are
//! never logged.

pub mod deliver;
pub mod event;
pub mod metrics;
pub mod page;
pub mod sign;

pub use deliver::{spawn_delivery, spawn_delivery_with, Tuning};
pub use metrics::WebhookMetrics;
pub use page::delivery_log;

use banchi_decisions::record::{Decision, OutboxEvent, Outcome, Review};
use event::{OrderView, OutcomeView};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// The events a `[[webhooks]]` entry can ask for.
pub const EVENTS: &[&str] = &["danger", "block", "review", "forwarding_service", "outcome"];

/// Why the `[[webhooks]]` receivers could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// A secret file is missing, unreadable, empty or readable by others.
    #[error("[[webhooks]] secret_file {path}: {reason}; create it with `(umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n' > {path})` and give the receiver the same secret")]
    SecretFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A URL is not usable (shown without its query string).
    #[error("[[webhooks]] url {url}: {reason}")]
    Url {
        /// The URL, without query string or credentials.
        url: String,
        /// What is wrong.
        reason: String,
    },
}

/// A signing secret (never printed).
#[derive(Clone)]
pub(crate) struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// One configured receiver.
#[derive(Debug, Clone)]
pub struct Receiver {
    /// Where events go (as configured; [`display_url`] for logs).
    pub url: String,
    /// The events it asked for.
    pub events: Vec<String>,
    /// Whether its events carry the address as given.
    pub include_address: bool,
    secret: Secret,
}

impl Receiver {
    /// The signing secret.
    pub(crate) fn secret(&self) -> &[u8] {
        &self.secret.0
    }

    fn wants(&self, event: &str) -> bool {
        self.events.iter().any(|e| e == event)
    }
}

/// The configured receivers with their secrets (read once at start).
#[derive(Debug, Clone, Default)]
pub struct Hooks {
    receivers: Vec<Receiver>,
}

impl Hooks {
    /// Reads every secret file (refusing a missing or empty one, or one that others can read:
    /// mode & 0o077 != 0, like the other key files) and checks the URLs (http or https, a host,
    /// no `user:password@`, each URL once).
    pub fn load(sections: &[crate::settings::WebhookSection]) -> Result<Hooks, WebhookError> {
        let mut seen = HashSet::new();
        let mut receivers = Vec::with_capacity(sections.len());
        for s in sections {
            check_url(&s.url)?;
            if !seen.insert(s.url.as_str()) {
                return Err(WebhookError::Url {
                    url: display_url(&s.url),
                    reason: "configured twice (one [[webhooks]] entry per URL; list every event it wants in its `events`)".into(),
                });
            }
            if let Some(e) = s.events.iter().find(|e| !EVENTS.contains(&e.as_str())) {
                return Err(WebhookError::Url {
                    url: display_url(&s.url),
                    reason: format!("event `{e}` is not one of {}", EVENTS.join(", ")),
                });
            }
            receivers.push(Receiver {
                url: s.url.clone(),
                events: s.events.clone(),
                include_address: s.include_address,
                secret: read_secret(&s.secret_file)?,
            });
        }
        Ok(Hooks { receivers })
    }

    /// True without any receiver.
    pub fn is_empty(&self) -> bool {
        self.receivers.is_empty()
    }

    /// The receivers.
    pub fn receivers(&self) -> &[Receiver] {
        &self.receivers
    }

    /// The receiver at `url`.
    pub fn receiver(&self, url: &str) -> Option<&Receiver> {
        self.receivers.iter().find(|r| r.url == url)
    }

    /// Events one screened order raises: `danger` (fraud grade danger), `block` / `review`
    /// (its action), `forwarding_service` (forwarder grade forwarding_service); one
    /// [`OutboxEvent`] per (event, receiver that asked for it), the same event id for every
    /// receiver of an event. `d.order_id` may be "" (then `"order_id": null`).
    pub fn for_order(&self, d: &Decision, now_ms: i64) -> Vec<OutboxEvent> {
        if self.is_empty() {
            return Vec::new();
        }
        let o = OrderView::from(d);
        event::raised(&o)
            .into_iter()
            .flat_map(|kind| self.events(kind, &o, None, now_ms))
            .collect()
    }

    /// The `outcome` event of an order (`order` as recorded), for the receivers that asked
    /// for `outcome`.
    pub fn for_outcome(
        &self,
        order: &Review,
        outcome: Outcome,
        at_ms: i64,
        now_ms: i64,
    ) -> Vec<OutboxEvent> {
        let o = OrderView::from(order);
        self.events("outcome", &o, Some(OutcomeView { outcome, at_ms }), now_ms)
    }

    /// Event `kind` about `o` for each receiver that wants it.
    fn events(
        &self,
        kind: &'static str,
        o: &OrderView<'_>,
        outcome: Option<OutcomeView>,
        now_ms: i64,
    ) -> Vec<OutboxEvent> {
        let mut wanting = self.receivers.iter().filter(|r| r.wants(kind)).peekable();
        if wanting.peek().is_none() {
            return Vec::new();
        }
        let id = event::new_id();
        // At most two bodies: with and without the address.
        let mut bodies: [Option<String>; 2] = [None, None];
        wanting
            .map(|r| {
                let body = bodies[usize::from(r.include_address)]
                    .get_or_insert_with(|| {
                        event::body(&id, kind, now_ms, o, outcome, r.include_address)
                    })
                    .clone();
                OutboxEvent {
                    event_id: id.clone(),
                    url: r.url.clone(),
                    event: kind.to_owned(),
                    body,
                    created_at_ms: now_ms,
                }
            })
            .collect()
    }
}

/// A URL as logs and the page show it: scheme, host, port and path — no query string, no
/// fragment, no credentials. Text that does not parse shows as `<invalid url>`.
pub fn display_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) => {
            let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
            format!(
                "{}://{}{port}{}",
                u.scheme(),
                u.host_str().unwrap_or(""),
                u.path()
            )
        }
        Err(_) => "<invalid url>".into(),
    }
}

fn check_url(url: &str) -> Result<(), WebhookError> {
    let bad = |reason: &str| WebhookError::Url {
        url: display_url(url),
        reason: reason.into(),
    };
    let u = reqwest::Url::parse(url).map_err(|e| bad(&format!("not a URL ({e})")))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(bad("must start with http:// or https://"));
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err(bad("has no host"));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(bad(
            "holds credentials (user:password@): receivers authenticate the signature instead",
        ));
    }
    Ok(())
}

/// Reads a secret file: its text, surrounding whitespace trimmed, is the HMAC key.
fn read_secret(path: &Path) -> Result<Secret, WebhookError> {
    let bad = |reason: String| WebhookError::SecretFile {
        path: path.to_owned(),
        reason,
    };
    let meta = std::fs::metadata(path).map_err(|e| {
        bad(if e.kind() == std::io::ErrorKind::NotFound {
            "missing".into()
        } else {
            e.to_string()
        })
    })?;
    if !meta.is_file() {
        return Err(bad("not a file".into()));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(bad(format!(
                "mode {:o}: others can read it (chmod 600)",
                mode & 0o777
            )));
        }
    }
    let bytes = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    let secret = bytes.trim_ascii();
    if secret.is_empty() {
        return Err(bad("empty".into()));
    }
    Ok(Secret(secret.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::WebhookSection;

    fn secret_file(dir: &Path, name: &str, text: &str, mode: u32) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        path
    }

    fn section(url: &str, events: &[&str], secret_file: PathBuf) -> WebhookSection {
        WebhookSection {
            url: url.into(),
            events: events.iter().map(|e| (*e).to_owned()).collect(),
            secret_file,
            include_address: false,
        }
    }

    #[test]
    fn load_refuses_bad_secret_files_and_urls() {
        let dir = tempfile::tempdir().unwrap();
        let good = secret_file(dir.path(), "good", "s3cret\n", 0o600);
        let hooks = Hooks::load(&[section(
            "https://h.example/a?token=x",
            &["block"],
            good.clone(),
        )])
        .unwrap();
        assert_eq!(hooks.receivers()[0].secret(), b"s3cret");
        assert!(!format!("{hooks:?}").contains("s3cret"));

        let err = |sections: &[WebhookSection]| Hooks::load(sections).unwrap_err().to_string();
        let open = secret_file(dir.path(), "open", "s3cret", 0o644);
        assert!(err(&[section("http://h/", &["block"], open)]).contains("mode 644"));
        let empty = secret_file(dir.path(), "empty", " \n", 0o600);
        assert!(err(&[section("http://h/", &["block"], empty)]).contains("empty"));
        let missing = dir.path().join("missing");
        assert!(err(&[section("http://h/", &["block"], missing)]).contains("missing"));
        let e = err(&[section("http://u:pw@h/x?k=v", &["block"], good.clone())]);
        assert!(
            e.contains("credentials") && !e.contains("pw") && !e.contains("k=v"),
            "{e}"
        );
        assert!(err(&[section("ftp://h/", &["block"], good.clone())]).contains("http"));
        assert!(err(&[section("http://h/", &["nope"], good.clone())]).contains("nope"));
        let twice = [
            section("http://h/", &["block"], good.clone()),
            section("http://h/", &["danger"], good),
        ];
        assert!(err(&twice).contains("twice"));
    }

    #[test]
    fn urls_show_without_query_or_credentials() {
        assert_eq!(
            display_url("https://hooks.example:8443/in/banchi?token=abc#x"),
            "https://hooks.example:8443/in/banchi"
        );
        assert_eq!(display_url("not a url"), "<invalid url>");
    }

    #[test]
    fn one_event_id_per_event_for_every_receiver() {
        let dir = tempfile::tempdir().unwrap();
        let s = secret_file(dir.path(), "s", "k", 0o600);
        let mut with_address = section("http://b/", &["block", "outcome"], s.clone());
        with_address.include_address = true;
        let hooks = Hooks::load(&[
            section("http://a/", &["danger", "block"], s.clone()),
            with_address,
            section("http://c/", &["review"], s),
        ])
        .unwrap();
        let d = event::tests::decision();
        let events = hooks.for_order(&d, 1_000);
        let kinds: Vec<_> = events
            .iter()
            .map(|e| (e.event.as_str(), e.url.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("danger", "http://a/"),
                ("block", "http://a/"),
                ("block", "http://b/")
            ]
        );
        assert_ne!(events[0].event_id, events[1].event_id);
        assert_eq!(events[1].event_id, events[2].event_id);
        assert!(!events[1].body.contains("銀座") && events[2].body.contains("銀座"));
        assert!(events.iter().all(|e| e.created_at_ms == 1_000));
        assert!(Hooks::default().for_order(&d, 1).is_empty());
    }
}
