//! Peer conformance: how often banchi agrees with @geolonia/normalize-japanese-addresses on
//! its own test addresses (`tests/data/geolonia_pairs.tsv`), and with the small public peer
//! suites in `tests/data/peers/` (japanese-address-parser, abr-geocoder).
//!
//! ```text
//! cargo run --release --example conformance [-- --show N]
//! ```
//! Prints agreement on prefecture, city, town+chome (all rows) and block number (rows the
//! peer confirmed, level 8), then up to N disagreements of each kind; then
//! prefecture+city+town agreement on each small suite and up to N of its disagreements.

#[allow(dead_code)] // share() and block_share() serve the conformance test
#[path = "../tests/support/peer.rs"]
mod peer;

#[allow(dead_code)] // share() serves the conformance test
#[path = "../tests/support/peer_suites.rs"]
mod peer_suites;

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
    for suite in peer_suites::score_all() {
        println!("{suite}");
        for (input, ours, theirs) in suite.disagreements.iter().take(show) {
            println!("  {input}\tours={ours}\tpeer={theirs}");
        }
    }
}
