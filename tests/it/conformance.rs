//! Peer conformance as a test: banchi agrees with @geolonia/normalize-japanese-addresses on
//! prefecture, city and town+chome for ≥ 99 % of the peer's 7,191 test addresses, and on the
//! block number wherever the peer confirmed one. Details: `cargo run --release --example
//! conformance -- --show 40`.

use crate::support::peer;

#[test]
fn agrees_with_the_peer_on_99_percent() {
    let report = peer::score(&peer::load());
    assert_eq!(report.rows, 7191, "the peer file changed");
    // The figures, for `-- --nocapture`.
    eprintln!("{report}");
    assert!(report.share() >= 0.99, "{report}");
    assert!(report.block_share() >= 0.99, "{report}");
}

#[test]
fn peer_towns_split_like_ours() {
    use banchi::normalize::name_key;
    assert_eq!(
        peer::peer_town("奈佐原二丁目"),
        (name_key("奈佐原"), Some(2))
    );
    assert_eq!(peer::peer_town("大字国納"), (name_key("国納"), None));
    assert_eq!(
        peer::peer_town("新金岡町四丁"),
        (name_key("新金岡町"), Some(4))
    );
    assert_eq!(peer::peer_town("十二丁目"), (name_key("十二丁目"), None));
}
