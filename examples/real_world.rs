//! The real-world run: Japan Post's 22,200 business addresses (written by people, each with its
//! own town), parsed by the library, and the same addresses re-written in other notations.
//!
//! ```text
//! cargo run --release --example real_world [-- --show N]
//! ```
//! Prints the level reached, how often our town agrees with Japan Post's, how often each kind
//! of rewrite keeps the original's key, then the failures grouped by class (`--show N` prints
//! the first N of each class). Deterministic: the rewrites draw from a fixed seed. The figures
//! equal those of the shared `real-world-check` tool run without `--show` on the same build
//! (that tool's `--show` draws its samples from the stream the rewrites use).
//! Data: `tests/data/real_world/office.tsv.gz`, made by `tools/extract_office_data.py`.

#[allow(dead_code)] // the row's jis and postal code serve the tests
#[path = "../tests/support/real_world.rs"]
mod real_world;

use real_world::Miss;
use std::collections::BTreeMap;

fn main() {
    let show: usize = std::env::args()
        .skip_while(|a| a != "--show")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let rows = real_world::load();
    let report = real_world::run(&rows);
    println!("{report}");
    let written = rows
        .iter()
        .filter(|r| real_world::written_block(&r.banchi))
        .count();
    println!(
        "block level where Japan Post writes a block number ({written} rows): {:.4}",
        report.block_level_where_written(&rows)
    );

    print_misses("below block level", &report.below_block, show);
    print_misses("town disagrees with Japan Post's", &report.town_bad, show);

    let mut by_kind: BTreeMap<&str, Vec<&real_world::RewriteMiss>> = BTreeMap::new();
    for m in &report.rewrite_bad {
        by_kind.entry(m.kind).or_default().push(m);
    }
    println!("\nrewrites losing the key, by kind:");
    for (kind, misses) in &by_kind {
        println!("  {kind}: {}", misses.len());
        for m in misses.iter().take(show) {
            println!(
                "    {}\t{}\tkey={}\trewrite_key={}",
                m.original, m.rewrite, m.key, m.rewrite_key
            );
        }
    }
}

/// Prints the counts of `misses` by class, and the first `show` of each.
fn print_misses(title: &str, misses: &[Miss], show: usize) {
    let mut by_class: BTreeMap<&str, Vec<&Miss>> = BTreeMap::new();
    for m in misses {
        by_class.entry(m.class).or_default().push(m);
    }
    println!("\n{title}, by class: {}", misses.len());
    for (class, ms) in &by_class {
        println!("  {class}: {}", ms.len());
        for m in ms.iter().take(show) {
            println!(
                "    {}\tjapan_post_town={}\tours={}\tlevel={}",
                m.text, m.japan_post_town, m.ours, m.level
            );
        }
    }
}
