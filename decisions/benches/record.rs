//! What the recorder's writer costs per screened order: `SqliteDecisions::record` of one batch
//! (as the server's recorder writes them, every `flush_ms`), into a store that already holds
//! orders, with order ids in the order a shop's traffic gives them (not sorted).
//!
//!     cargo bench -p banchi-decisions --bench record
//!
//! Throughput is in orders: criterion's "elem/s" is orders written per second on one core.

use banchi_decisions::record::{BuyerFields, Decision};
use banchi_decisions::sqlite::SqliteDecisions;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use std::cell::Cell;

/// One order as `POST /v1/screen` records it: most allowed, one in twenty sent to review.
fn order(n: u64) -> Decision {
    let review = n.is_multiple_of(20);
    Decision {
        // Two wrk-like clients, each counting up: ids land all over the key order.
        order_id: format!("{}-{}-O{:06}", 481_516_234 + n % 2, n / 2, n % 20_000),
        at_ms: 1_765_000_000_000 + n as i64,
        address: format!(
            "大阪府大阪市北区梅田{}丁目{}番{}号 架空タワー{}号室",
            n % 3 + 1,
            n % 17 + 1,
            n % 9 + 1,
            100 + n % 900
        ),
        key: Some(format!(
            "27127|梅田|{}|{}|{}||{}",
            n % 3 + 1,
            n % 17 + 1,
            n % 9 + 1,
            100 + n % 900
        )),
        score: if review { 55 } else { 5 },
        action: if review { "review" } else { "allow" }.into(),
        fraud_grade: review.then(|| "caution".into()),
        forwarder_grade: None,
        reasons: if review {
            vec!["fraud_caution".into()]
        } else {
            vec![]
        },
        entry_ids: if review {
            vec!["fraud:F12".into()]
        } else {
            vec![]
        },
        lists_version: "f61adb181-wb9c6b064".into(),
        buyer: BuyerFields::default(),
        review,
        detail: review.then(|| "{\"score\":55,\"reasons\":[]}".repeat(20)),
    }
}

fn record(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let store = SqliteDecisions::open(&dir.path().join("decisions.sqlite")).expect("the store");
    let next = Cell::new(0u64);
    let batch = |len: u64| {
        let start = next.get();
        next.set(start + len);
        (start..start + len).map(order).collect::<Vec<_>>()
    };
    // A store that has seen a busy hour already.
    for _ in 0..50 {
        store.record(&batch(2_000), &[]).expect("recorded");
    }
    let mut group = c.benchmark_group("record");
    for len in [100u64, 1_000] {
        group.throughput(Throughput::Elements(len));
        group.bench_function(format!("sqlite/{len}"), |b| {
            b.iter_batched(
                || batch(len),
                |orders| store.record(&orders, &[]).expect("recorded"),
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, record);
criterion_main!(benches);
