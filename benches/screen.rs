//! Bulk screening end to end: `cargo bench --bench screen`.
//!
//! CSV in, CSV out, through [`banchi::bulk::screen_stream`] on all cores, against a
//! 1,000,000-entry fraud list memory-mapped from its index file plus the bundled forwarder list,
//! with scoring (buyer columns and velocity on). Inputs are synthetic (`support_orders.rs`: real
//! town names, invented blocks, ~2 % re-written fraud delivery points). The fraud CSV and its
//! index are generated once into `target/bench-data/` (about 30 s) and reused.
//!
//! Criterion reports the time per batch of 100,000 rows and the throughput in rows/s
//! ("elem/s"). Groups:
//! * `screen/csv_1m_fraud_idx` — the figure;
//! * `screen/csv_no_lists` — parsing + scoring + CSV only (what the lists cost);
//! * `screen/csv_1m_fraud_idx_1thread` — one worker thread (scaling with cores);
//! * `screen/peer_addresses_1m_fraud_idx` — the 7,441 real addresses of the geolonia peer's
//!   tests (`tests/data/geolonia_pairs.tsv`, many notations, few buildings) ×10, address
//!   column only, against the same 1M-entry index;
//! * `screen/dense_1m_fraud_idx` — issue 13's dense list: every delivery point 10–100 orders
//!   under names from 100, one day's orders (so velocity raises most rows), 60 % of the rows
//!   graded `danger` against the 1M-entry index (`support_orders::generate_dense`);
//! * `screen/sparse_1m_fraud_idx` — the same rows without the name column (no velocity):
//!   dense / sparse is what velocity costs.
//! * `screen/grades_1m_fraud_idx` and `…_1thread` — the library path without CSV: the
//!   orders' addresses through `Screener::check` (graded only, as Python's `check_many` and
//!   `screen_arrow` grade) and `Scorer::score`, on all cores and on one;
//! * `screen/check_1m_fraud_idx` — the same with every match listed (what the server
//!   answers per address).

#[path = "support_orders.rs"]
mod orders;

use banchi::bulk::{self, Format, Options};
use banchi::config::Config;
use banchi::watchlist::{ListKind, Watchlist};
use banchi::{Buyer, Parser, Scorer, Screener};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rayon::prelude::*;
use std::path::PathBuf;

/// The binary's allocator, so that the figure is the CLI's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ROWS: usize = 100_000;
const FRAUD: usize = 1_000_000;

fn data_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("bench-data")
}

/// The orders CSV (in memory) and the path of the 1M-entry fraud index.
fn inputs() -> (Vec<u8>, PathBuf) {
    let dir = data_dir();
    std::fs::create_dir_all(&dir).expect("bench data dir");
    let idx = dir.join(format!("fraud-{FRAUD}.idx"));
    let mut fraud_csv = Vec::new();
    let mut orders_csv = Vec::new();
    orders::generate(1, FRAUD, ROWS, &mut fraud_csv, &mut orders_csv).expect("generate");
    if !idx.exists() {
        let list = Watchlist::from_csv_reader(&fraud_csv[..], ListKind::Fraud, &Parser::new())
            .expect("fraud list");
        list.write_index(&idx).expect("write index");
    }
    (orders_csv, idx)
}

/// The `address` column of an orders CSV.
fn address_column(csv_bytes: &[u8]) -> Vec<String> {
    let mut reader = csv::Reader::from_reader(csv_bytes);
    let at = reader
        .headers()
        .expect("header")
        .iter()
        .position(|h| h == "address")
        .expect("address column");
    reader
        .records()
        .map(|r| r.expect("record")[at].to_owned())
        .collect()
}

/// The peer's test addresses ×10 as a one-column CSV.
fn peer_csv() -> Vec<u8> {
    let pairs = include_str!("../tests/data/geolonia_pairs.tsv");
    let mut csv = String::from("address\n");
    for _ in 0..10 {
        for line in pairs.lines().skip(1) {
            let a = line.split('\t').next().unwrap_or("");
            csv.push('"');
            csv.push_str(&a.replace('"', "\"\""));
            csv.push_str("\"\n");
        }
    }
    csv.into_bytes()
}

fn bench_screen(c: &mut Criterion) {
    let (orders, idx) = inputs();
    let parser = Parser::new();
    let fraud = Watchlist::open_index(&idx).expect("open index");
    let forwarders = Watchlist::bundled_forwarders(&parser).expect("forwarders");
    let with_lists = Screener::new(parser)
        .with_fraud(fraud)
        .with_forwarders(forwarders);
    let bare = Screener::new(parser);
    let scorer = Scorer::new(&Config::default());
    let opts = Options::default();

    let mut group = c.benchmark_group("screen");
    group.sample_size(10);
    group.throughput(Throughput::Elements(ROWS as u64));
    let run = |s: &Screener| {
        let mut out = Vec::with_capacity(orders.len() * 2);
        let summary =
            bulk::screen_stream(&orders[..], &mut out, Format::Csv, &opts, s, &scorer).unwrap();
        assert_eq!(summary.rows, ROWS as u64);
        out
    };
    group.bench_function("csv_1m_fraud_idx", |b| b.iter(|| run(&with_lists)));
    let peer = peer_csv();
    let peer_rows = peer.iter().filter(|&&c| c == b'\n').count() as u64 - 1;
    group.throughput(Throughput::Elements(peer_rows));
    group.bench_function("peer_addresses_1m_fraud_idx", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(peer.len() * 2);
            let s = bulk::screen_stream(
                &peer[..],
                &mut out,
                Format::Csv,
                &opts,
                &with_lists,
                &scorer,
            )
            .unwrap();
            assert_eq!(s.rows, peer_rows);
            out
        })
    });
    group.throughput(Throughput::Elements(ROWS as u64));
    for (name, with_names) in [("dense_1m_fraud_idx", true), ("sparse_1m_fraud_idx", false)] {
        let mut list = Vec::new();
        orders::generate_dense(1, FRAUD, ROWS, with_names, &mut list).expect("dense list");
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut out = Vec::with_capacity(list.len() * 2);
                let s = bulk::screen_stream(
                    &list[..],
                    &mut out,
                    Format::Csv,
                    &opts,
                    &with_lists,
                    &scorer,
                )
                .unwrap();
                assert_eq!(s.rows, ROWS as u64);
                assert!(s.fraud[1] * 10 >= ROWS as u64 * 5, "most rows danger");
                assert!(
                    !with_names || s.velocity * 2 >= ROWS as u64,
                    "velocity raised"
                );
                out
            })
        });
    }
    group.bench_function("csv_no_lists", |b| b.iter(|| run(&bare)));
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("pool");
    let addresses = address_column(&orders);
    let graded = with_lists.grades_only();
    let check = |s: &Screener| {
        addresses
            .par_iter()
            .map(|a| u64::from(scorer.score(&s.check(a), &Buyer::default()).score))
            .sum::<u64>()
    };
    group.bench_function("grades_1m_fraud_idx", |b| b.iter(|| check(&graded)));
    group.bench_function("grades_1m_fraud_idx_1thread", |b| {
        b.iter(|| one.install(|| check(&graded)))
    });
    group.bench_function("check_1m_fraud_idx", |b| b.iter(|| check(&with_lists)));
    group.bench_function("csv_1m_fraud_idx_1thread", |b| {
        b.iter(|| one.install(|| run(&with_lists)))
    });
    group.finish();
}

criterion_group!(benches, bench_screen);
criterion_main!(benches);
