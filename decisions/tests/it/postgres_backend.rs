//! The suite on PostgreSQL — a fresh server per test, migrated by the store's migrations —
//! plus what only PostgreSQL has: several replicas' outbox workers at once, and the review
//! page's speed on a long queue.

use crate::postgres::PgServer;
use banchi_decisions::record::{OutboxEvent, ReviewQuery, ReviewStatus};
use banchi_decisions::Decisions;
use banchi_store::{DatabaseUrl, Store};
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// A store over a new pool to `pg` (what one replica has).
fn replica(pg: &PgServer) -> Store {
    let url: DatabaseUrl = pg.url().parse().unwrap();
    Store::new(url).unwrap()
}

/// A fresh, migrated database, or `None` when the test is skipped.
async fn fresh(test: &'static str) -> Option<(Decisions, PgServer)> {
    let pg = PgServer::start(test)?;
    let store = replica(&pg);
    store.migrate().await.unwrap();
    store.check_schema().await.unwrap();
    Some((Decisions::postgres(store), pg))
}

crate::backend_suite!(skippable fresh);

fn event(i: usize) -> OutboxEvent {
    OutboxEvent {
        event_id: format!("ev-{i:04}"),
        url: "http://127.0.0.1:9/hook".into(),
        event: "danger".into(),
        body: format!("{{\"id\":\"ev-{i:04}\"}}"),
        created_at_ms: 1_000 + i as i64,
    }
}

/// Four workers on two replicas (two pools) take the outbox concurrently, a few rows at a
/// time: every row is taken once, by one of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_workers_never_take_the_same_row() {
    let Some((_d, pg)) = fresh("concurrent_workers_never_take_the_same_row").await else {
        return;
    };
    let replicas = [
        Decisions::postgres(replica(&pg)),
        Decisions::postgres(replica(&pg)),
    ];
    let events: Vec<OutboxEvent> = (0..600).map(event).collect();
    replicas[0].enqueue(events).await.unwrap();
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let d = replicas[w % 2].clone();
            tokio::spawn(async move {
                let mut taken = Vec::new();
                loop {
                    let batch = d.claim_due(10_000, 60_000, 7).await.unwrap();
                    if batch.is_empty() {
                        break;
                    }
                    taken.extend(batch.into_iter().map(|x| x.id));
                }
                taken
            })
        })
        .collect();
    let mut seen = HashSet::new();
    let mut per_worker = Vec::new();
    for w in workers {
        let taken = w.await.unwrap();
        per_worker.push(taken.len());
        for id in taken {
            assert!(seen.insert(id), "row {id} taken twice");
        }
    }
    assert_eq!(seen.len(), 600, "every row taken: {per_worker:?}");
    assert!(
        replicas[1]
            .claim_due(10_000, 60_000, 10)
            .await
            .unwrap()
            .is_empty(),
        "all leased"
    );
    // The lease ends: due again, for one worker.
    let again = replicas[1].claim_due(70_000, 60_000, 1_000).await.unwrap();
    assert_eq!(again.len(), 600);
}

/// A worker skips rows another holds (SKIP LOCKED): it takes the others at once instead of
/// waiting, and the held rows once they are let go.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_skips_rows_another_holds() {
    let Some((d, pg)) = fresh("a_worker_skips_rows_another_holds").await else {
        return;
    };
    d.enqueue((0..10).map(event).collect()).await.unwrap();
    let other = replica(&pg);
    let mut conn = other.client().await.unwrap();
    let tx = conn.transaction().await.unwrap();
    let held: HashSet<i64> = tx
        .query(
            "SELECT id FROM banchi_webhook_outbox ORDER BY id LIMIT 3 FOR UPDATE",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let taken = tokio::time::timeout(Duration::from_secs(5), d.claim_due(10_000, 60_000, 100))
        .await
        .expect("claim_due waited for a locked row")
        .unwrap();
    assert_eq!(taken.len(), 7);
    assert!(taken.iter().all(|x| !held.contains(&x.id)));
    tx.rollback().await.unwrap();
    let rest = d.claim_due(10_000, 60_000, 100).await.unwrap();
    let rest: HashSet<i64> = rest.iter().map(|x| x.id).collect();
    assert_eq!(rest, held);
}

/// The review page with 100,000 open reviews (and as many decided orders): a page answers
/// well under 300 ms, first or deep, filtered or over two statuses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_review_page_is_fast_on_a_long_queue() {
    let Some((d, pg)) = fresh("the_review_page_is_fast_on_a_long_queue").await else {
        return;
    };
    let started = Instant::now();
    for chunk in 0..40 {
        let batch: Vec<banchi_decisions::record::Decision> = (0..5_000)
            .map(|i| {
                let n = chunk * 5_000 + i;
                crate::suite::order(&format!("L-{n:07}"), 1_000_000 + n, "review", true)
            })
            .collect();
        d.record(batch.into(), Vec::new().into()).await.unwrap();
    }
    let recorded = started.elapsed();
    // Half of them decided: approved.
    pg.psql(
        "UPDATE banchi_decisions SET review = 'approved' WHERE order_id < 'L-0100000';
         ANALYZE banchi_decisions",
    );
    let counts = d.counts().await.unwrap();
    assert_eq!((counts.decisions, counts.open), (200_000, 100_000));
    let q = |after: Option<String>| ReviewQuery {
        limit: 50,
        after,
        ..ReviewQuery::default()
    };
    let time = |name: &str, t: Duration| {
        eprintln!("{name}: {t:?}");
        assert!(t < Duration::from_millis(300), "{name} took {t:?}");
    };
    let t = Instant::now();
    let first = d.reviews(q(None)).await.unwrap();
    time("first page", t.elapsed());
    assert_eq!(first[0].order_id, "L-0199999");
    let t = Instant::now();
    let deep = d.reviews(q(Some("L-0100100".into()))).await.unwrap();
    time("deep page", t.elapsed());
    assert_eq!(deep[0].order_id, "L-0100099");
    assert_eq!(deep.len(), 50);
    let t = Instant::now();
    let filtered = d
        .reviews(ReviewQuery {
            reason: Some("velocity".into()),
            grade: Some("caution".into()),
            from_ms: Some(1_150_000),
            ..q(None)
        })
        .await
        .unwrap();
    time("filtered page", t.elapsed());
    assert_eq!(filtered.len(), 50);
    let t = Instant::now();
    let both = d
        .reviews(ReviewQuery {
            statuses: vec![ReviewStatus::Open, ReviewStatus::Approved],
            after: Some("L-0100002".into()),
            ..q(None)
        })
        .await
        .unwrap();
    time("two statuses", t.elapsed());
    let ids: Vec<(&str, Option<ReviewStatus>)> = both[..3]
        .iter()
        .map(|r| (r.order_id.as_str(), r.status))
        .collect();
    assert_eq!(
        ids,
        [
            ("L-0100001", Some(ReviewStatus::Open)),
            ("L-0100000", Some(ReviewStatus::Open)),
            ("L-0099999", Some(ReviewStatus::Approved)),
        ]
    );
    assert_eq!(both.len(), 50);
    let plan = pg.psql(
        "EXPLAIN SELECT order_id FROM banchi_decisions WHERE review = 'open'
         ORDER BY at DESC, order_id DESC LIMIT 50",
    );
    assert!(plan.contains("banchi_decisions_queue"), "{plan}");
    eprintln!("recorded 200,000 orders in {recorded:?}");
}

/// The server's role needs `SELECT, INSERT, UPDATE, DELETE` on the three tables and nothing
/// else (README, "Several replicas"): no privilege on the outbox's id sequence.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_role_needs_only_its_grants() {
    let Some((_owner, pg)) = fresh("the_server_role_needs_only_its_grants").await else {
        return;
    };
    pg.psql(
        "CREATE ROLE banchi_server LOGIN;
         GRANT SELECT, INSERT, UPDATE, DELETE
               ON banchi_decisions, banchi_outcomes, banchi_webhook_outbox TO banchi_server;",
    );
    let url: DatabaseUrl = pg.url_as("banchi_server").parse().unwrap();
    let d = Decisions::postgres(Store::new(url).unwrap());
    d.record(
        vec![crate::suite::order("G-1", 1_000, "review", true)].into(),
        vec![event(1)].into(),
    )
    .await
    .unwrap();
    let decide = banchi_decisions::record::Decide {
        decision: banchi_decisions::record::ReviewDecision::Approve,
        by: "alice".into(),
        reason: None,
        memo: None,
        at_ms: 2_000,
    };
    d.decide("G-1".into(), decide).await.unwrap();
    d.outcome(
        "G-1".into(),
        banchi_decisions::record::Outcome::Legit,
        3_000,
        "b".into(),
    )
    .await
    .unwrap();
    assert!(d.claim_listing("G-1".into()).await.unwrap());
    let due = d.claim_due(5_000, 1_000, 10).await.unwrap();
    d.delivered(due[0].id, 200, 5_001).await.unwrap();
    assert_eq!(d.counts().await.unwrap().decisions, 1);
    let pruned = d.prune(10_000).await.unwrap();
    assert_eq!(
        (pruned.decisions, pruned.outcomes, pruned.events),
        (1, 1, 1)
    );
}
