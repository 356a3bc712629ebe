//! Prometheus metrics (`GET /metrics`): requests, latency, grades, list versions, reloads.
//!
//! Labels hold route templates (`/v1/lists/{list}/entries/{id}`), statuses, grades and list
//! versions only — never anything taken from a request body.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct GradeLabels {
    list: &'static str,
    grade: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActionLabels {
    action: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ListLabels {
    list: &'static str,
    version: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReloadLabels {
    outcome: &'static str,
}

fn latency_histogram() -> Histogram {
    // 50 µs … ~1.6 s.
    Histogram::new(exponential_buckets(0.000_05, 2.0, 16))
}

/// The server's metrics and their registry.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    grades: Family<GradeLabels, Counter>,
    actions: Family<ActionLabels, Counter>,
    lists: Family<ListLabels, Gauge>,
    reloads: Family<ReloadLabels, Counter>,
    /// 1 while the list store cannot be reached (`--store postgres`).
    store_stale: Gauge,
    /// The last change of the store's change log in force.
    store_seq: Gauge,
    /// Orders answered without velocity (Redis unreachable).
    velocity_unavailable: Counter,
    /// 1 while the shared velocity window (Redis) is connected.
    velocity_connected: Gauge,
    /// Decisions written to the decision store, dropped (queue full) or lost (store error).
    decisions: Family<DecisionLabels, Counter>,
    /// `banchi_webhook_*`, shared with the delivery task.
    webhooks: crate::webhooks::WebhookMetrics,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DecisionLabels {
    result: &'static str,
}

/// `banchi_decisions_total{result}`, shared with the recorder's task.
#[derive(Clone, Debug)]
pub struct DecisionCounts(Family<DecisionLabels, Counter>);

impl DecisionCounts {
    /// Counts `n` decisions `recorded`, `dropped` (queue full) or `failed` (store error).
    pub fn add(&self, result: &'static str, n: u64) {
        self.0.get_or_create(&DecisionLabels { result }).inc_by(n);
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers every metric.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("banchi");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        let grades = Family::<GradeLabels, Counter>::default();
        let actions = Family::<ActionLabels, Counter>::default();
        let lists = Family::<ListLabels, Gauge>::default();
        let reloads = Family::<ReloadLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time from request to response headers, by route",
            latency.clone(),
        );
        registry.register(
            "screen_grades",
            "Grades given, by list and grade",
            grades.clone(),
        );
        registry.register(
            "screen_actions",
            "allow / review / block answers",
            actions.clone(),
        );
        registry.register(
            "list_entries",
            "Indexed entries of each active list, labelled with its version",
            lists.clone(),
        );
        registry.register("list_reloads", "List reloads by outcome", reloads.clone());
        let store_stale = Gauge::default();
        let store_seq = Gauge::default();
        registry.register(
            "store_stale",
            "1 while the list store (PostgreSQL) cannot be reached; screening goes on with the lists held",
            store_stale.clone(),
        );
        registry.register(
            "store_seq",
            "The last change of the list store's change log in force",
            store_seq.clone(),
        );
        let velocity_unavailable = Counter::default();
        registry.register(
            "velocity_unavailable",
            "Orders answered without velocity because the shared window (Redis) was unreachable",
            velocity_unavailable.clone(),
        );
        let velocity_connected = Gauge::default();
        registry.register(
            "velocity_redis_connected",
            "1 while the shared velocity window (Redis) is connected; 0 while not, or without --velocity redis",
            velocity_connected.clone(),
        );
        let decisions = Family::<DecisionLabels, Counter>::default();
        registry.register(
            "decisions",
            "Screened orders given to the decision store: result=recorded, dropped (its queue was full) or failed (the store refused the batch)",
            decisions.clone(),
        );
        let webhooks = crate::webhooks::WebhookMetrics::default();
        webhooks.register(&mut registry);
        Metrics {
            webhooks,
            decisions,
            registry,
            requests,
            latency,
            grades,
            actions,
            lists,
            reloads,
            store_stale,
            store_seq,
            velocity_unavailable,
            velocity_connected,
        }
    }

    /// The counter of decisions by what became of them, for the recorder's task.
    pub fn decision_counts(&self) -> DecisionCounts {
        DecisionCounts(self.decisions.clone())
    }

    /// The webhook delivery task's handle on its series.
    pub fn webhooks(&self) -> crate::webhooks::WebhookMetrics {
        self.webhooks.clone()
    }

    /// Counts orders answered without velocity (Redis unreachable).
    pub fn velocity_unavailable(&self, orders: u64) {
        self.velocity_unavailable.inc_by(orders);
    }

    /// Whether the shared velocity window is connected (set when metrics are read).
    pub fn velocity_connected(&self, up: bool) {
        self.velocity_connected.set(i64::from(up));
    }

    /// Counts one request.
    pub fn request(&self, route: &str, status: u16, seconds: f64) {
        let route = route.to_owned();
        self.requests
            .get_or_create(&RequestLabels {
                route: route.clone(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels { route })
            .observe(seconds);
    }

    /// Counts one grade given.
    pub fn grade(&self, list: &'static str, grade: &'static str) {
        self.grades
            .get_or_create(&GradeLabels { list, grade })
            .inc();
    }

    /// Counts one action answered.
    pub fn action(&self, action: &'static str) {
        self.actions.get_or_create(&ActionLabels { action }).inc();
    }

    /// Publishes the active lists (replacing the previous versions' series).
    pub fn lists(&self, info: &[crate::lists::ListInfo]) {
        self.lists.clear();
        for l in info {
            self.lists
                .get_or_create(&ListLabels {
                    list: l.list,
                    version: l.version.clone(),
                })
                .set(i64::try_from(l.entries).unwrap_or(i64::MAX));
        }
    }

    /// The list store's state: stale or not, and the last change in force.
    pub fn store(&self, stale: bool, seq: i64) {
        self.store_stale.set(i64::from(stale));
        self.store_seq.set(seq);
    }

    /// Counts one reload.
    pub fn reload(&self, ok: bool) {
        let outcome = if ok { "ok" } else { "failed" };
        self.reloads.get_or_create(&ReloadLabels { outcome }).inc();
    }

    /// The Prometheus text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String does not fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_has_every_series() {
        let m = Metrics::new();
        m.request("/v1/screen", 200, 0.0002);
        m.grade("fraud", "danger");
        m.action("block");
        m.reload(true);
        m.lists(&[crate::lists::ListInfo {
            list: "fraud",
            entries: 3,
            version: "0badcafe".into(),
            index: false,
            pending_edits: 0,
        }]);
        let text = m.encode();
        for want in [
            "banchi_http_requests_total{route=\"/v1/screen\",status=\"200\"} 1",
            "banchi_http_request_duration_seconds_bucket{le=\"0.0001\",route=\"/v1/screen\"} 0",
            "banchi_screen_grades_total{list=\"fraud\",grade=\"danger\"} 1",
            "banchi_screen_actions_total{action=\"block\"} 1",
            "banchi_list_entries{list=\"fraud\",version=\"0badcafe\"} 3",
            "banchi_list_reloads_total{outcome=\"ok\"} 1",
        ] {
            assert!(text.contains(want), "missing {want} in\n{text}");
        }
    }
}
