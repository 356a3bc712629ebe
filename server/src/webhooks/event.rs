//! Event bodies: which events an order raises, and the JSON each receiver is sent.
//!
//! The JSON holds what was decided (action, score, grades, reason codes, matched entry ids,
//! lists' version) and the order id — never the address or the buyer fields, unless the
//! receiver's `include_address = true` (then the address as given, and still no buyer
//! field). The body is built once when the event is queued and stored in the outbox exactly
//! as it is signed and sent.

use banchi_decisions::record::{Decision, Outcome, Review};
use serde::Serialize;

/// The grades of an order.
#[derive(Debug, Serialize)]
struct Grades<'a> {
    fraud: Option<&'a str>,
    forwarder: Option<&'a str>,
}

/// One event as sent (field order as documented in the README).
#[derive(Debug, Serialize)]
struct Body<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    created_at: String,
    order_id: Option<&'a str>,
    action: &'a str,
    score: u32,
    grades: Grades<'a>,
    reasons: &'a [String],
    entry_ids: &'a [String],
    lists_version: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    address: Option<&'a str>,
}

/// What an event says of its order (a screened [`Decision`] or a recorded [`Review`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct OrderView<'a> {
    pub order_id: &'a str,
    pub action: &'a str,
    pub score: u32,
    pub fraud_grade: Option<&'a str>,
    pub forwarder_grade: Option<&'a str>,
    pub reasons: &'a [String],
    pub entry_ids: &'a [String],
    pub lists_version: &'a str,
    pub address: &'a str,
}

impl<'a> From<&'a Decision> for OrderView<'a> {
    fn from(d: &'a Decision) -> Self {
        OrderView {
            order_id: &d.order_id,
            action: &d.action,
            score: d.score,
            fraud_grade: d.fraud_grade.as_deref(),
            forwarder_grade: d.forwarder_grade.as_deref(),
            reasons: &d.reasons,
            entry_ids: &d.entry_ids,
            lists_version: &d.lists_version,
            address: &d.address,
        }
    }
}

impl<'a> From<&'a Review> for OrderView<'a> {
    fn from(r: &'a Review) -> Self {
        OrderView {
            order_id: &r.order_id,
            action: &r.action,
            score: r.score,
            fraud_grade: r.fraud_grade.as_deref(),
            forwarder_grade: r.forwarder_grade.as_deref(),
            reasons: &r.reasons,
            entry_ids: &r.entry_ids,
            lists_version: &r.lists_version,
            address: &r.address,
        }
    }
}

/// The events a screened order raises, in [`super::EVENTS`] order: `danger` (fraud grade
/// danger), `block` or `review` (its action), `forwarding_service` (forwarder grade).
pub(crate) fn raised(o: &OrderView<'_>) -> Vec<&'static str> {
    let mut out = Vec::new();
    if o.fraud_grade == Some("danger") {
        out.push("danger");
    }
    match o.action {
        "block" => out.push("block"),
        "review" => out.push("review"),
        _ => {}
    }
    if o.forwarder_grade == Some("forwarding_service") {
        out.push("forwarding_service");
    }
    out
}

/// An outcome and when it happened, for `outcome` events.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OutcomeView {
    pub outcome: Outcome,
    pub at_ms: i64,
}

/// The JSON body of event `id` of type `kind` about `o`.
pub(crate) fn body(
    id: &str,
    kind: &str,
    created_at_ms: i64,
    o: &OrderView<'_>,
    outcome: Option<OutcomeView>,
    include_address: bool,
) -> String {
    let body = Body {
        id,
        kind,
        created_at: rfc3339(created_at_ms),
        order_id: Some(o.order_id).filter(|s| !s.is_empty()),
        action: o.action,
        score: o.score,
        grades: Grades {
            fraud: o.fraud_grade,
            forwarder: o.forwarder_grade,
        },
        reasons: o.reasons,
        entry_ids: o.entry_ids,
        lists_version: o.lists_version,
        outcome: outcome.map(|x| x.outcome.as_str()),
        outcome_at: outcome.map(|x| rfc3339(x.at_ms)),
        address: include_address.then_some(o.address),
    };
    // Strings, numbers and options of them always serialize.
    serde_json::to_string(&body).unwrap_or_default()
}

/// `2026-11-22T03:35:20Z` for Unix milliseconds (whole seconds, UTC).
pub(crate) fn rfc3339(ms: i64) -> String {
    let t =
        std::time::UNIX_EPOCH + std::time::Duration::from_millis(u64::try_from(ms).unwrap_or(0));
    banchi::watchlist::manage::rfc3339_utc(t)
}

/// A random 128-bit event id, as 32 lowercase hex digits.
pub(crate) fn new_id() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        // No system randomness (never seen on Linux): time and a counter still make ids that
        // do not repeat within this process.
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        bytes[..8].copy_from_slice(&nanos.to_be_bytes());
        bytes[8..].copy_from_slice(&n.to_be_bytes());
    }
    super::sign::hex(&bytes)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use banchi_decisions::record::BuyerFields;

    pub(crate) fn decision() -> Decision {
        Decision {
            order_id: "A-1".into(),
            at_ms: 1_767_225_600_000,
            address: "東京都中央区銀座4-6-16 架空ハイツ301号室".into(),
            key: Some("13102|銀座|4|6-16".into()),
            score: 92,
            action: "block".into(),
            fraud_grade: Some("danger".into()),
            forwarder_grade: Some("forwarding_service".into()),
            reasons: vec!["fraud_danger".into(), "forwarder".into()],
            entry_ids: vec!["fraud:F1".into(), "forwarders:W3".into()],
            lists_version: "v1".into(),
            buyer: BuyerFields {
                name: Some("山田太郎".into()),
                phone: Some("090-0000-0000".into()),
                email: Some("taro@example.com".into()),
            },
            review: true,
            detail: Some("{\"secret\":1}".into()),
        }
    }

    #[test]
    fn an_order_raises_its_grades_and_action() {
        let d = decision();
        assert_eq!(
            raised(&OrderView::from(&d)),
            ["danger", "block", "forwarding_service"]
        );
        let quiet = Decision {
            action: "allow".into(),
            fraud_grade: Some("caution".into()),
            forwarder_grade: None,
            ..decision()
        };
        assert!(raised(&OrderView::from(&quiet)).is_empty());
        let review = Decision {
            action: "review".into(),
            fraud_grade: None,
            forwarder_grade: None,
            ..decision()
        };
        assert_eq!(raised(&OrderView::from(&review)), ["review"]);
    }

    #[test]
    fn the_body_never_holds_the_address_or_buyer_unless_asked() {
        let d = decision();
        let o = OrderView::from(&d);
        let text = body("ab12", "block", 1_767_225_600_123, &o, None, false);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "id": "ab12", "type": "block", "created_at": "2026-01-01T00:00:00Z",
                "order_id": "A-1", "action": "block", "score": 92,
                "grades": {"fraud": "danger", "forwarder": "forwarding_service"},
                "reasons": ["fraud_danger", "forwarder"],
                "entry_ids": ["fraud:F1", "forwarders:W3"], "lists_version": "v1"
            })
        );
        for absent in ["銀座", "山田", "090", "example.com", "secret"] {
            assert!(!text.contains(absent), "{absent} in {text}");
        }
        let with = body("ab12", "block", 0, &o, None, true);
        let v: serde_json::Value = serde_json::from_str(&with).unwrap();
        assert_eq!(v["address"], d.address.as_str());
        assert!(!with.contains("山田") && !with.contains("090"));
    }

    #[test]
    fn an_order_without_id_says_null_and_outcomes_say_when() {
        let d = Decision {
            order_id: String::new(),
            ..decision()
        };
        let o = OrderView::from(&d);
        let out = OutcomeView {
            outcome: Outcome::Chargeback,
            at_ms: 1_767_312_000_000,
        };
        let v: serde_json::Value =
            serde_json::from_str(&body("x", "outcome", 0, &o, Some(out), false)).unwrap();
        assert!(v["order_id"].is_null());
        assert_eq!(v["outcome"], "chargeback");
        assert_eq!(v["outcome_at"], "2026-01-02T00:00:00Z");
        assert_eq!(v["created_at"], "1970-01-01T00:00:00Z");
    }

    #[test]
    fn ids_are_128_bit_hex_and_differ() {
        let (a, b) = (new_id(), new_id());
        assert_eq!(a.len(), 32);
        assert!(a
            .bytes()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_ne!(a, b);
    }
}
