//! Parse throughput: `cargo bench --bench parse`.
//!
//! Parses the geolonia peer inputs (7,400 real addresses in many notations) on one thread;
//! criterion reports the time per batch, from which addresses/s = 7,441 / time.

use banchi::Parser;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

const PAIRS: &str = include_str!("../tests/data/geolonia_pairs.tsv");

fn inputs() -> Vec<&'static str> {
    PAIRS
        .lines()
        .skip(1)
        .filter_map(|l| l.split('\t').next())
        .collect()
}

fn bench_parse(c: &mut Criterion) {
    let parser = Parser::new();
    let inputs = inputs();
    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Elements(inputs.len() as u64));
    group.bench_function("peer_inputs", |b| {
        b.iter(|| {
            for s in &inputs {
                let _ = black_box(parser.parse(black_box(s)));
            }
        })
    });
    group.bench_function("normalize_only", |b| {
        b.iter(|| {
            for s in &inputs {
                black_box(banchi::normalize::normalize(black_box(s)));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench_parse);
criterion_main!(benches);
