//! Arbitrary bytes as a watchlist CSV (`Watchlist::from_csv_reader`, the loader behind
//! `banchi list` and `Watchlist::from_csv_path`), for both list kinds; a list that loads is
//! written as an index (one temp file per process) and opened again. Check:
//! `tests/fuzz_checks/mod.rs`.
#![no_main]

#[path = "../../tests/fuzz_checks/mod.rs"]
mod fuzz_checks;

use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

fn path() -> &'static PathBuf {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("list.idx");
        (dir, path)
    })
    .1
}

fuzz_target!(|data: &[u8]| fuzz_checks::list_csv(data, path()));
