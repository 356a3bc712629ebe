//! Alerts by webhook: signed JSON events about orders and outcomes, delivered from the
//! decision store's outbox with retries, at least once.

/// The events a `[[webhooks]]` entry can ask for.
pub const EVENTS: &[&str] = &["danger", "block", "review", "forwarding_service", "outcome"];
