//! One suite for both backends: every check takes a [`Decisions`] and runs against SQLite
//! here and against PostgreSQL in `postgres_backend`.

use banchi_decisions::record::*;
use banchi_decisions::{Decisions, DecisionsError};

/// A fictional order at a fictional block of a real town.
pub fn order(id: &str, at_ms: i64, action: &str, review: bool) -> Decision {
    Decision {
        order_id: id.into(),
        at_ms,
        address: format!("東京都千代田区丸の内1-1-{at_ms} テストビル101"),
        key: Some(format!("13101|丸の内|1|1-{}", at_ms % 7)),
        score: if review { 50 } else { 5 },
        action: action.into(),
        fraud_grade: review.then(|| "caution".into()),
        forwarder_grade: None,
        reasons: if review {
            vec!["fraud_caution".into(), "velocity".into()]
        } else {
            vec![]
        },
        entry_ids: if review {
            vec!["fraud:F1".into()]
        } else {
            vec![]
        },
        lists_version: "v1".into(),
        buyer: BuyerFields::default(),
        review,
        detail: review.then(|| "{\"score\":50}".into()),
    }
}

async fn rec(
    d: &Decisions,
    batch: Vec<Decision>,
    events: Vec<OutboxEvent>,
) -> Result<(), DecisionsError> {
    d.record(batch.into(), events.into()).await
}

fn decide(decision: ReviewDecision, by: &str, at_ms: i64) -> Decide {
    Decide {
        decision,
        by: by.into(),
        reason: (decision == ReviewDecision::ConfirmFraud).then(|| "chargeback".into()),
        memo: Some("メモ".into()),
        at_ms,
    }
}

fn q(limit: usize) -> ReviewQuery {
    ReviewQuery {
        limit,
        ..ReviewQuery::default()
    }
}

/// Recording, re-screening, the queue's order, filters and pages.
pub async fn queue_pages_newest_first(d: &Decisions) {
    let batch: Vec<Decision> = (1..=25)
        .map(|i| order(&format!("Q-{i:03}"), 1_000 + i, "review", i % 5 != 0))
        .collect();
    rec(d, batch, vec![]).await.unwrap();
    // Not in the queue: allowed orders; in it: 20 of 25.
    let first = d.reviews(q(8)).await.unwrap();
    assert_eq!(first.len(), 8);
    assert_eq!(first[0].order_id, "Q-024", "newest first");
    assert!(first.iter().all(|r| r.status == Some(ReviewStatus::Open)));
    let mut seen: Vec<String> = first.iter().map(|r| r.order_id.clone()).collect();
    let mut after = first.last().map(|r| r.order_id.clone());
    while let Some(a) = after {
        let page = d
            .reviews(ReviewQuery {
                after: Some(a),
                ..q(8)
            })
            .await
            .unwrap();
        after = (page.len() == 8).then(|| page[7].order_id.clone());
        seen.extend(page.into_iter().map(|r| r.order_id));
    }
    assert_eq!(seen.len(), 20, "every open order once: {seen:?}");
    let mut sorted = seen.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(seen, sorted);
    // Filters.
    let none = d
        .reviews(ReviewQuery {
            grade: Some("danger".into()),
            ..q(50)
        })
        .await
        .unwrap();
    assert!(none.is_empty());
    let velocity = d
        .reviews(ReviewQuery {
            reason: Some("velocity".into()),
            from_ms: Some(1_010),
            to_ms: Some(1_020),
            ..q(50)
        })
        .await
        .unwrap();
    assert_eq!(velocity.len(), 8, "1010..1019 less 1010 and 1015");
    assert!(velocity.iter().all(|r| (1_010..1_020).contains(&r.at_ms)));
    // A prefix of a code is not the code.
    let prefix = d
        .reviews(ReviewQuery {
            reason: Some("veloc".into()),
            ..q(50)
        })
        .await
        .unwrap();
    assert!(prefix.is_empty());
    // Unknown cursor.
    assert!(matches!(
        d.reviews(ReviewQuery {
            after: Some("nope".into()),
            ..q(5)
        })
        .await,
        Err(DecisionsError::NotFound)
    ));
    // Screened again: the screening is replaced, the queue status kept.
    d.decide("Q-024".into(), decide(ReviewDecision::Hold, "alice", 5_000))
        .await
        .unwrap();
    let mut again = order("Q-024", 6_000, "allow", false);
    again.score = 3;
    rec(d, vec![again], vec![]).await.unwrap();
    let o = d.order("Q-024".into()).await.unwrap().unwrap();
    assert_eq!((o.score, o.at_ms), (3, 6_000));
    assert_eq!(o.status, Some(ReviewStatus::Held));
    assert_eq!(o.detail.as_deref(), Some("{\"score\":50}"), "detail kept");
}

/// Decisions: who and when, final ones final, held ones decidable.
pub async fn decisions_are_recorded_once(d: &Decisions) {
    rec(
        d,
        vec![
            order("D-1", 10, "review", true),
            order("D-2", 11, "allow", false),
            order("D-3", 12, "block", true),
        ],
        vec![],
    )
    .await
    .unwrap();
    let held = d
        .decide("D-1".into(), decide(ReviewDecision::Hold, "alice", 100))
        .await
        .unwrap();
    assert_eq!(held.status, Some(ReviewStatus::Held));
    assert_eq!(held.decided_by.as_deref(), Some("alice"));
    let done = d
        .decide("D-1".into(), decide(ReviewDecision::Approve, "bob", 200))
        .await
        .unwrap();
    assert_eq!(
        (done.status, done.decided_by.as_deref(), done.decided_at_ms),
        (Some(ReviewStatus::Approved), Some("bob"), Some(200))
    );
    assert!(matches!(
        d.decide("D-1".into(), decide(ReviewDecision::Hold, "carol", 300))
            .await,
        Err(DecisionsError::AlreadyDecided(ReviewStatus::Approved))
    ));
    assert!(matches!(
        d.decide("D-2".into(), decide(ReviewDecision::Approve, "bob", 1))
            .await,
        Err(DecisionsError::NotInQueue)
    ));
    assert!(matches!(
        d.decide("D-9".into(), decide(ReviewDecision::Approve, "bob", 1))
            .await,
        Err(DecisionsError::NotFound)
    ));
    let fraud = d
        .decide(
            "D-3".into(),
            decide(ReviewDecision::ConfirmFraud, "alice", 400),
        )
        .await
        .unwrap();
    assert_eq!(fraud.decision_reason.as_deref(), Some("chargeback"));
    let decided = d
        .reviews(ReviewQuery {
            statuses: vec![ReviewStatus::Approved, ReviewStatus::ConfirmedFraud],
            ..q(10)
        })
        .await
        .unwrap();
    let ids: Vec<&str> = decided.iter().map(|r| r.order_id.as_str()).collect();
    assert_eq!(ids, ["D-3", "D-1"]);
}

/// Outcomes: once per order and outcome; listing claimed by one caller.
pub async fn outcomes_are_idempotent(d: &Decisions) {
    rec(d, vec![order("O-1", 50, "allow", false)], vec![])
        .await
        .unwrap();
    let mut firsts = 0;
    for _ in 0..5 {
        let r = d
            .outcome("O-1".into(), Outcome::Chargeback, 60, "backoffice".into())
            .await
            .unwrap();
        firsts += usize::from(r.first);
        assert_eq!(r.order.order_id, "O-1");
    }
    assert_eq!(firsts, 1);
    assert!(
        d.outcome("O-1".into(), Outcome::Refunded, 61, "b".into())
            .await
            .unwrap()
            .first
    );
    assert!(matches!(
        d.outcome("O-404".into(), Outcome::Fraud, 1, "b".into())
            .await,
        Err(DecisionsError::NotFound)
    ));
    assert!(d.claim_listing("O-1".into()).await.unwrap());
    assert!(
        !d.claim_listing("O-1".into()).await.unwrap(),
        "claimed once"
    );
    d.release_listing("O-1".into()).await.unwrap();
    assert!(d.claim_listing("O-1".into()).await.unwrap());
    d.set_listing("O-1".into(), "F42".into()).await.unwrap();
    assert!(!d.claim_listing("O-1".into()).await.unwrap());
    d.release_listing("O-1".into()).await.unwrap();
    let o = d.order("O-1".into()).await.unwrap().unwrap();
    assert_eq!(
        o.listed_entry.as_deref(),
        Some("F42"),
        "release keeps a set entry"
    );
}

/// Candidates: N fraud outcomes at one point, or velocity then a chargeback.
pub async fn candidates_by_point(d: &Decisions) {
    let at = |id: &str, key: &str, t: i64, velocity: bool| {
        let mut o = order(id, t, "allow", false);
        o.key = Some(key.into());
        o.address = format!("架空の住所 {key}");
        if velocity {
            o.reasons = vec!["velocity".into()];
        }
        o
    };
    rec(
        d,
        vec![
            at("C-1", "K1", 100, false),
            at("C-2", "K1", 110, false),
            at("C-3", "K1", 120, false),
            at("C-4", "K2", 100, true),
            at("C-5", "K2", 130, false),
            at("C-6", "K3", 100, false),
            at("C-7", "K4", 100, false),
            at("C-8", "K4", 101, false),
        ],
        vec![],
    )
    .await
    .unwrap();
    for (id, o, t) in [
        ("C-1", Outcome::Chargeback, 1_000),
        ("C-2", Outcome::Unpaid, 1_010),
        ("C-3", Outcome::Fraud, 1_020),
        ("C-3", Outcome::Chargeback, 1_021),
        ("C-5", Outcome::Chargeback, 1_030),
        ("C-6", Outcome::Legit, 1_040),
        ("C-7", Outcome::Chargeback, 10),
        ("C-8", Outcome::Chargeback, 11),
    ] {
        d.outcome(id.into(), o, t, "b".into()).await.unwrap();
    }
    let found = d
        .candidates(CandidateQuery {
            min_fraud_outcomes: 3,
            since_ms: 500,
            limit: 10,
        })
        .await
        .unwrap();
    let keys: Vec<(&str, u32, bool)> = found
        .iter()
        .map(|c| (c.key.as_str(), c.fraud_outcomes, c.velocity_then_chargeback))
        .collect();
    assert_eq!(
        keys,
        [("K1", 3, false), ("K2", 1, true)],
        "K4 is outside the window"
    );
    assert_eq!(found[0].address, "架空の住所 K1");
    let mut orders = found[0].orders.clone();
    orders.sort();
    assert_eq!(orders, ["C-1", "C-2", "C-3"]);
    let two = d
        .candidates(CandidateQuery {
            min_fraud_outcomes: 2,
            since_ms: 0,
            limit: 10,
        })
        .await
        .unwrap();
    assert!(two.iter().any(|c| c.key == "K4"));
}

/// Retention: decisions, their outcomes and old events go; newer ones stay.
pub async fn pruning_deletes_what_expired(d: &Decisions) {
    rec(
        d,
        vec![
            order("P-old", 1_000, "review", true),
            order("P-new", 9_000, "review", true),
        ],
        vec![event("e-old", "http://127.0.0.1:9/a", 1_000)],
    )
    .await
    .unwrap();
    d.outcome("P-old".into(), Outcome::Fraud, 9_500, "b".into())
        .await
        .unwrap();
    d.enqueue(vec![event("e-new", "http://127.0.0.1:9/a", 9_000)])
        .await
        .unwrap();
    let pruned = d.prune(5_000).await.unwrap();
    assert!(pruned.decisions >= 1 && pruned.outcomes >= 1 && pruned.events >= 1);
    assert!(d.order("P-old".into()).await.unwrap().is_none());
    assert!(d.order("P-new".into()).await.unwrap().is_some());
    assert!(matches!(
        d.outcome("P-old".into(), Outcome::Fraud, 1, "b".into())
            .await,
        Err(DecisionsError::NotFound)
    ));
    let log = d.deliveries(10).await.unwrap();
    assert!(log.iter().all(|l| l.event_id != "e-old"));
    assert!(log.iter().any(|l| l.event_id == "e-new"));
    assert_eq!(d.prune(5_000).await.unwrap(), Pruned::default());
}

/// Retention over more than one chunk, with orders first recorded long ago and screened again
/// since (their row is old, their screening is not): exactly the expired ones go.
pub async fn pruning_takes_every_chunk_and_keeps_orders_screened_again(d: &Decisions) {
    // 12,000 orders, every third one recent; pruning deletes in chunks of 5,000.
    let orders: Vec<Decision> = (0..12_000)
        .map(|i| {
            let at = if i % 3 == 0 { 9_000 } else { 1_000 };
            order(&format!("W-{i:05}"), at, "allow", false)
        })
        .collect();
    for batch in orders.chunks(2_000) {
        rec(d, batch.to_vec(), vec![]).await.unwrap();
    }
    // Screened again today: the row stays where it was first recorded.
    rec(d, vec![order("W-00001", 9_500, "allow", false)], vec![])
        .await
        .unwrap();
    let pruned = d.prune(5_000).await.unwrap();
    assert_eq!(pruned.decisions, 8_000 - 1);
    assert_eq!(d.counts().await.unwrap().decisions, 4_000 + 1);
    assert!(d.order("W-00001".into()).await.unwrap().is_some());
    assert!(d.order("W-00002".into()).await.unwrap().is_none());
    assert!(d.order("W-11997".into()).await.unwrap().is_some());
    assert_eq!(d.prune(5_000).await.unwrap(), Pruned::default());
}

fn event(id: &str, url: &str, at: i64) -> OutboxEvent {
    OutboxEvent {
        event_id: id.into(),
        url: url.into(),
        event: "danger".into(),
        body: format!("{{\"id\":\"{id}\"}}"),
        created_at_ms: at,
    }
}

/// The outbox: due, leased, retried, delivered, given up; queued once per URL.
pub async fn outbox_delivers_at_least_once(d: &Decisions) {
    let a = "http://127.0.0.1:9/a";
    let b = "http://127.0.0.1:9/b";
    d.enqueue(vec![
        event("x1", a, 100),
        event("x1", b, 100),
        event("x2", a, 101),
    ])
    .await
    .unwrap();
    d.enqueue(vec![event("x1", a, 100)]).await.unwrap();
    assert_eq!(d.next_due().await.unwrap(), Some(100));
    let due = d.claim_due(200, 30_000, 10).await.unwrap();
    assert_eq!(due.len(), 3, "x1 twice (two URLs) and x2");
    assert!(
        d.claim_due(200, 30_000, 10).await.unwrap().is_empty(),
        "leased"
    );
    let x1a = due
        .iter()
        .find(|x| x.event_id == "x1" && x.url == a)
        .unwrap();
    d.retry(x1a.id, 1_000, Some(500), "500 Internal Server Error".into())
        .await
        .unwrap();
    let x1b = due.iter().find(|x| x.url == b).unwrap();
    d.delivered(x1b.id, 200, 300).await.unwrap();
    let x2 = due.iter().find(|x| x.event_id == "x2").unwrap();
    d.give_up(x2.id, 400, None, "connection refused".into())
        .await
        .unwrap();
    let again = d.claim_due(1_000, 30_000, 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!((again[0].id, again[0].attempts), (x1a.id, 1));
    assert_eq!(again[0].body, "{\"id\":\"x1\"}");
    d.delivered(again[0].id, 204, 1_100).await.unwrap();
    assert_eq!(d.next_due().await.unwrap(), None);
    let log = d.deliveries(10).await.unwrap();
    assert_eq!(log.len(), 3);
    let x2log = log.iter().find(|l| l.event_id == "x2").unwrap();
    assert_eq!((x2log.failed_at_ms, x2log.attempts), (Some(400), 1));
    let counts = d.counts().await.unwrap();
    assert_eq!(counts.undelivered, 0);
}

/// Runs every check on a fresh store: `backend_suite!(fresh)` with `fresh()` making one and
/// what to keep alive while it is used, or `backend_suite!(skippable fresh)` with
/// `fresh(test)` answering `None` when the test is skipped (no PostgreSQL installed).
#[macro_export]
macro_rules! backend_suite {
    (skippable $fresh:expr) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn queue_pages_newest_first() {
            let Some((d, _keep)) = $fresh("queue_pages_newest_first").await else {
                return;
            };
            $crate::suite::queue_pages_newest_first(&d).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn decisions_are_recorded_once() {
            let Some((d, _keep)) = $fresh("decisions_are_recorded_once").await else {
                return;
            };
            $crate::suite::decisions_are_recorded_once(&d).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn outcomes_are_idempotent() {
            let Some((d, _keep)) = $fresh("outcomes_are_idempotent").await else {
                return;
            };
            $crate::suite::outcomes_are_idempotent(&d).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn candidates_by_point() {
            let Some((d, _keep)) = $fresh("candidates_by_point").await else {
                return;
            };
            $crate::suite::candidates_by_point(&d).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn pruning_deletes_what_expired() {
            let Some((d, _keep)) = $fresh("pruning_deletes_what_expired").await else {
                return;
            };
            $crate::suite::pruning_deletes_what_expired(&d).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn pruning_takes_every_chunk_and_keeps_orders_screened_again() {
            let Some((d, _keep)) =
                $fresh("pruning_takes_every_chunk_and_keeps_orders_screened_again").await
            else {
                return;
            };
            $crate::suite::pruning_takes_every_chunk_and_keeps_orders_screened_again(&d).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn outbox_delivers_at_least_once() {
            let Some((d, _keep)) = $fresh("outbox_delivers_at_least_once").await else {
                return;
            };
            $crate::suite::outbox_delivers_at_least_once(&d).await;
        }
    };
    ($fresh:expr) => {
        async fn fresh_or_skip(
            _test: &'static str,
        ) -> Option<(banchi_decisions::Decisions, impl Sized)> {
            Some($fresh().await)
        }
        $crate::backend_suite!(skippable fresh_or_skip);
    };
}
