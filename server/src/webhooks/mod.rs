//! Alerts by webhook: signed JSON events about orders and outcomes, delivered from the
//! decision store's outbox with retries, at least once.
//!
//! STUB on main while the delivery is written on its own branch (part-hooks): no receiver
//! is ever configured here, so no event is made.

use banchi_decisions::record::{Decision, OutboxEvent, Outcome, Review};

/// The events a `[[webhooks]]` entry can ask for.
pub const EVENTS: &[&str] = &["danger", "block", "review", "forwarding_service", "outcome"];

/// Why the receivers could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("webhooks are not built in yet")]
pub struct WebhookError;

/// The configured receivers.
#[derive(Debug, Default)]
pub struct Hooks;

impl Hooks {
    /// Reads the receivers' secrets.
    pub fn load(sections: &[crate::settings::WebhookSection]) -> Result<Hooks, WebhookError> {
        if sections.is_empty() {
            Ok(Hooks)
        } else {
            Err(WebhookError)
        }
    }

    /// True without receivers.
    pub fn is_empty(&self) -> bool {
        true
    }

    /// The events one order raises.
    pub fn for_order(&self, _d: &Decision, _now_ms: i64) -> Vec<OutboxEvent> {
        Vec::new()
    }

    /// The `outcome` event of an order.
    pub fn for_outcome(
        &self,
        _order: &Review,
        _outcome: Outcome,
        _at_ms: i64,
        _now_ms: i64,
    ) -> Vec<OutboxEvent> {
        Vec::new()
    }
}
