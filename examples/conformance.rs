//! Peer conformance: how often banchi agrees with @geolonia/normalize-japanese-addresses on
//! its own test addresses (`tests/data/geolonia_pairs.tsv`).
//!
//! ```text
//! cargo run --release --example conformance [-- --show N]
//! ```
//! Prints agreement on prefecture, city, town+chome (all rows) and block number (rows the
//! peer confirmed, level 8), then up to N disagreements of each kind.

#[allow(dead_code)] // share() and block_share() serve the conformance test
#[path = "../tests/support/peer.rs"]
mod peer;

fn main() {
    let show: usize = std::env::args()
        .skip_while(|a| a != "--show")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let report = peer::score(&peer::load());
    println!("{report}");
    for (kind, rows) in &report.disagreements {
        for (input, ours, theirs) in rows.iter().take(show) {
            println!("{kind}\t{input}\tours={ours}\tpeer={theirs}");
        }
    }
}
