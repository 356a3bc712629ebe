//! `banchi_webhook_*` series: deliveries by result, queued→delivered latency, and the events
//! not yet delivered nor given up.
//!
//! Labels hold the result only — never a URL (a query string may hold a token) nor anything
//! from an event.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

/// The delivery task's metrics: a cheap handle (clones share the series).
#[derive(Debug, Clone)]
pub struct WebhookMetrics {
    deliveries: Family<ResultLabels, Counter>,
    latency: Histogram,
    undelivered: Gauge,
}

impl Default for WebhookMetrics {
    fn default() -> Self {
        WebhookMetrics {
            deliveries: Family::default(),
            // 5 ms … ~45 min: loopback receivers to retries an hour apart.
            latency: Histogram::new(exponential_buckets(0.005, 2.0, 20)),
            undelivered: Gauge::default(),
        }
    }
}

impl WebhookMetrics {
    /// Registers the series (`banchi_` prefix from the registry).
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "webhook_deliveries",
            "Webhook delivery attempts by result: delivered (2xx), retry (failed, tried again later), gave_up (failed, no more attempts)",
            self.deliveries.clone(),
        );
        registry.register(
            "webhook_delivery_latency_seconds",
            "Time from an event being queued to its delivery (2xx), retries included",
            self.latency.clone(),
        );
        registry.register(
            "webhook_undelivered",
            "Webhook events neither delivered nor given up (refreshed by the delivery task)",
            self.undelivered.clone(),
        );
    }

    /// Counts one attempt's result: `delivered`, `retry` or `gave_up`.
    pub fn attempt(&self, result: &'static str) {
        self.deliveries
            .get_or_create(&ResultLabels { result })
            .inc();
    }

    /// Notes a delivery `seconds` after the event was queued.
    pub fn delivered_after(&self, seconds: f64) {
        self.latency.observe(seconds.max(0.0));
    }

    /// Events neither delivered nor given up.
    pub fn undelivered(&self, n: u64) {
        self.undelivered.set(i64::try_from(n).unwrap_or(i64::MAX));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_are_exposed() {
        let m = WebhookMetrics::default();
        let mut registry = Registry::with_prefix("banchi");
        m.register(&mut registry);
        m.attempt("delivered");
        m.attempt("retry");
        m.delivered_after(0.02);
        m.undelivered(3);
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
        for want in [
            "banchi_webhook_deliveries_total{result=\"delivered\"} 1",
            "banchi_webhook_deliveries_total{result=\"retry\"} 1",
            "banchi_webhook_delivery_latency_seconds_count 1",
            "banchi_webhook_undelivered 3",
        ] {
            assert!(text.contains(want), "missing {want} in\n{text}");
        }
    }
}
