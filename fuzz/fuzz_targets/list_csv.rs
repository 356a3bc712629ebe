//! Arbitrary bytes as a watchlist CSV (`Watchlist::from_csv_reader`, the loader behind
//! `banchi list` and `Watchlist::from_csv_path`), for both list kinds. An error is fine; a
//! panic, hang or blow-up is not. A list that loads must also survive being written as an
//! index and opened again.
#![no_main]

use banchi::watchlist::{ListKind, Watchlist};
use banchi::Parser;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let parser = Parser::new();
    let kind = if data.first().is_some_and(|b| b & 1 == 1) {
        ListKind::Forwarder
    } else {
        ListKind::Fraud
    };
    if let Ok(list) = Watchlist::from_csv_reader(data, kind, &parser) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("list.idx");
        list.write_index(&path).expect("write a loaded list");
        let back = Watchlist::open_index(&path).expect("reopen a written index");
        assert_eq!(back.len(), list.len());
    }
});
