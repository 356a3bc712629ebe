//! Accuracy on generated addresses (issue 2, "What it must show"): every field right on
//! ≥ 95 % of addresses and prefecture..go right on ≥ 99 %, over addresses drawn from the
//! embedded gazetteer and written in every notation the issue lists.
//!
//! The generator lives in `tests/support/generate.rs`; `cargo run --release --example
//! accuracy` runs it at scale and prints the per-family figures. The targets here are the
//! issue's and are not to be lowered: a miss is a parser bug to fix.

use crate::support::generate::{self, Generator, Report, FAMILIES};
use std::sync::OnceLock;

const N: usize = 3_000;
const SEED: u64 = 1;

fn report() -> &'static Report {
    static R: OnceLock<Report> = OnceLock::new();
    R.get_or_init(|| generate::score(&Generator::new(SEED).cases(N), 3))
}

/// The per-family table and the failing examples, for assertion messages.
fn details(r: &Report) -> String {
    let mut s = format!("\n{r}");
    for (family, t) in &r.families {
        for (input, expected, got) in &t.failures {
            s.push_str(&format!(
                "\n[{family}]\n  input:    {input}\n  expected: {expected}\n  got:      {got}"
            ));
        }
    }
    s
}

#[test]
fn every_field_right_on_95_percent() {
    let r = report();
    let share = r.overall.all_share();
    assert!(
        share >= 0.95,
        "every field right on {:.2} % of {N} generated addresses (target ≥ 95 %){}",
        100.0 * share,
        details(r)
    );
}

#[test]
fn prefecture_to_go_right_on_99_percent() {
    let r = report();
    let share = r.overall.core_share();
    assert!(
        share >= 0.99,
        "prefecture..go right on {:.2} % of {N} generated addresses (target ≥ 99 %){}",
        100.0 * share,
        details(r)
    );
}

#[test]
fn every_family_is_exercised() {
    let r = report();
    for fam in FAMILIES {
        let n: usize = r
            .families
            .iter()
            .filter(|(name, _)| name.as_str() == *fam || name.starts_with(&format!("{fam}(")))
            .map(|(_, t)| t.n)
            .sum();
        assert!(n >= 20, "family {fam} has only {n} cases");
    }
}

#[test]
fn generation_is_deterministic() {
    let a = Generator::new(42).cases(200);
    let b = Generator::new(42).cases(200);
    let c = Generator::new(43).cases(200);
    let inputs = |v: &[generate::Case]| v.iter().map(|c| c.input.clone()).collect::<Vec<_>>();
    assert_eq!(inputs(&a), inputs(&b));
    assert_ne!(inputs(&a), inputs(&c));
}

#[test]
fn expected_values_come_from_the_gazetteer() {
    // The expected town is one the gazetteer holds in the expected municipality, so a failure
    // is the parser's, never the generator's.
    let g = banchi::gazetteer::Gazetteer::get();
    let mut known = std::collections::HashSet::new();
    for id in 0..g.town_count() as u32 {
        let t = g.town(id);
        known.insert((g.city(t.city).code, t.name));
    }
    for c in Generator::new(7).cases(500) {
        let e = &c.expected;
        assert!(
            known.contains(&(e.city_code.as_str(), e.town.as_str())),
            "{}: {} not a town of {}",
            c.input,
            e.town,
            e.city
        );
        assert!(!e.banchi.is_empty() && e.banchi.bytes().all(|b| b.is_ascii_digit()));
    }
}
