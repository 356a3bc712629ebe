//! Lookup speed on a 1,000,000-entry fraud list: the cost of grading an address that is
//! parsed already (budget: < 2 µs), served from a memory-mapped index file as in production.
//!
//! The list is synthetic: real town names and chome ranges from the embedded gazetteer, with
//! invented banchi, go and rooms (nobody's address). It is built from `Address` values
//! directly (no parsing), written to a temporary index file and memory-mapped, so the setup
//! takes seconds. Queries come in three kinds, benched apart and mixed:
//!
//! * `hit` — a listed delivery point (danger), plus the near scan around it;
//! * `near` — a listed town + chome, banchi one off (warning);
//! * `miss` — an unlisted town (no grade).
//!
//! `grade/*` is the lookup proper ([`Watchlist::fraud_grade`]); `matches/*` also builds the
//! owned list of matched records ([`Watchlist::screen_fraud`]), whose cost grows with the
//! number of records near the query (printed at start-up: the synthetic list is dense, one
//! town in four holds every entry).
//!
//! ```text
//! cargo bench --bench watchlist
//! ```
//!
//! Building an index from a 1M-line CSV (parsing dominates) is timed with the CLI, see the
//! README: `cargo run --release --example gen_orders -- --orders 0 --fraud 1000000 --dir
//! /tmp/banchi-big && time target/release/banchi index build /tmp/banchi-big/fraud.csv -o
//! /tmp/banchi-big/fraud.idx`.

use banchi::gazetteer::Gazetteer;
use banchi::watchlist::{Entry, ListKind, MatchOptions, Watchlist, WatchlistBuilder};
use banchi::{Address, Level};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use std::hint::black_box;

const ENTRIES: usize = 1_000_000;

/// SplitMix64: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// A synthetic delivery point in town `t` of the gazetteer.
fn point(rng: &mut Rng, t: u32) -> Address {
    let g = Gazetteer::get();
    let town = g.town(t);
    let city = g.city(town.city);
    let chome = town.has_chome().then(|| {
        let lo = u32::from(town.chome_min.max(1));
        let hi = u32::from(town.chome_max.min(9)).max(lo);
        lo + rng.below(u64::from(hi - lo + 1)) as u32
    });
    let room = (rng.below(3) > 0).then(|| format!("{}{:02}", 1 + rng.below(9), 1 + rng.below(12)));
    let mut a = Address {
        prefecture: g.prefecture(city.pref).map(|p| p.name.to_owned()),
        city: Some(city.full_name()),
        city_code: Some(city.code.to_owned()),
        town: Some(town.name.to_owned()),
        chome,
        banchi: Some((1 + rng.below(40)).to_string()),
        go: Some((1 + rng.below(30)).to_string()),
        room,
        level: Level::Block,
        ..Address::default()
    };
    if a.room.is_some() {
        a.level = Level::Unit;
    }
    a.key = a.compute_key();
    a
}

struct Fixture {
    list: Watchlist,
    hit: Vec<Address>,
    near: Vec<Address>,
    miss: Vec<Address>,
    _dir: tempfile::TempDir,
}

fn fixture() -> Fixture {
    let g = Gazetteer::get();
    let towns = g.town_count() as u64;
    let mut rng = Rng(42);
    // Fraud is concentrated: the list covers one town in four.
    let listed = |t: u64| t.is_multiple_of(4);
    let mut b = WatchlistBuilder::new(ListKind::Fraud, vec!["memo".into()]);
    let mut hit = Vec::new();
    let mut near = Vec::new();
    for i in 0..ENTRIES {
        let t = loop {
            let t = rng.below(towns);
            if listed(t) {
                break t;
            }
        };
        let a = point(&mut rng, t as u32);
        let e = Entry {
            id: format!("F{i:07}"),
            reason: Some("chargeback".into()),
            service: None,
            metadata: vec![String::new()],
        };
        if i % 100 == 0 {
            hit.push(a.clone());
            // One banchi off, with a go no entry has (1..=30): graded near, never same block.
            let mut n = a.clone();
            let banchi: u32 = n.banchi.as_deref().unwrap_or("1").parse().unwrap_or(1);
            n.banchi = Some((banchi + 1).to_string());
            n.go = Some("31".into());
            n.room = None;
            near.push(n);
        }
        // Rows that fail are counted by the builder; synthetic rows never fail.
        let _ = b.add(i as u64 + 2, &e, &a);
    }
    let mem = b.build().expect("synthetic list builds");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("fraud.idx");
    mem.write_index(&path).expect("index written");
    drop(mem);
    let list = Watchlist::open_index(&path).expect("index maps");
    let miss = (0..10_000)
        .map(|_| {
            let t = loop {
                let t = rng.below(towns);
                if !listed(t) {
                    break t;
                }
            };
            point(&mut rng, t as u32)
        })
        .collect();
    eprintln!(
        "watchlist bench: {} records, {} blocks, index body {:.1} MB",
        list.len(),
        list.blocks(),
        list.body_size() as f64 / 1e6
    );
    Fixture {
        list,
        hit,
        near,
        miss,
        _dir: dir,
    }
}

fn bench(c: &mut Criterion) {
    let f = fixture();
    let opts = MatchOptions::default();
    for (name, qs) in [("hit", &f.hit), ("near", &f.near), ("miss", &f.miss)] {
        let n: usize = qs
            .iter()
            .map(|q| f.list.screen_fraud(q, &opts).matches.len())
            .sum();
        eprintln!(
            "watchlist bench: {name}: {:.2} matches per query",
            n as f64 / qs.len() as f64
        );
    }
    let mixed: Vec<Address> = f
        .hit
        .iter()
        .zip(&f.near)
        .zip(&f.miss)
        .flat_map(|((a, b), c)| [a.clone(), b.clone(), c.clone()])
        .collect();
    let sets = [
        ("hit", &f.hit),
        ("near", &f.near),
        ("miss", &f.miss),
        ("mixed", &mixed),
    ];
    let mut group = c.benchmark_group("watchlist_1m");
    group.throughput(Throughput::Elements(1));
    // The lookup: the grade of a parsed address.
    for (name, queries) in sets {
        let mut i = 0usize;
        group.bench_function(format!("grade/{name}"), |b| {
            b.iter(|| {
                i = (i + 1) % queries.len();
                black_box(f.list.fraud_grade(black_box(&queries[i]), &opts))
            })
        });
    }
    // The lookup plus the owned list of matches (ids, reasons, metadata) a report shows.
    for (name, queries) in sets {
        let mut i = 0usize;
        group.bench_function(format!("matches/{name}"), |b| {
            b.iter(|| {
                i = (i + 1) % queries.len();
                black_box(f.list.screen_fraud(black_box(&queries[i]), &opts))
            })
        });
    }
    group.finish();

    // Opening the mapped index (checksum over the whole file included).
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("fraud.idx");
    f.list.write_index(&path).expect("index written");
    let mut open = c.benchmark_group("watchlist_1m_open");
    open.sample_size(10);
    open.bench_function("open_index", |b| {
        b.iter_batched(
            || (),
            |()| black_box(Watchlist::open_index(&path).expect("opens").len()),
            BatchSize::PerIteration,
        )
    });
    open.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
