//! Accuracy on generated addresses: true addresses drawn from the embedded gazetteer, written
//! in every notation issue 2 lists (see `tests/support/generate.rs` for how, and what is left
//! out as genuinely ambiguous).
//!
//! ```text
//! cargo run --release --example accuracy -- [--n 20000] [--seed 1] [--show 5]
//! ```
//! Prints, per notation family and overall: the share of addresses with every field right
//! (prefecture, city, town, chome, banchi, go, building, floor, room, customer ID), the share
//! with prefecture..go right, error counts per field (plus the anomaly set and the delivery-point
//! key, which are not part of "every field"), then up to N failing examples per family.

#[path = "../tests/support/generate.rs"]
mod generate;

fn arg<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::args()
        .skip_while(|a| a != name)
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let n: usize = arg("--n", 20_000);
    let seed: u64 = arg("--seed", 1);
    let show: usize = arg("--show", 5);
    let started = std::time::Instant::now();
    let cases = generate::Generator::new(seed).cases(n);
    let generated = started.elapsed();
    let report = generate::score(&cases, show);
    println!(
        "{n} generated addresses, seed {seed} (generated in {:.2?}, parsed and scored in {:.2?})\n",
        generated,
        started.elapsed() - generated
    );
    print!("{report}");
    println!(
        "\nevery field right: {:.3} %   prefecture..go right: {:.3} %   (targets: ≥ 95 %, ≥ 99 %)",
        100.0 * report.overall.all_share(),
        100.0 * report.overall.core_share()
    );
    if show > 0 {
        for (family, t) in &report.families {
            if t.failures.is_empty() {
                continue;
            }
            println!("\n## {family}");
            for (input, expected, got) in &t.failures {
                println!("  input:    {input}\n  expected: {expected}\n  got:      {got}\n");
            }
        }
    }
}
