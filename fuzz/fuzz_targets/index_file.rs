//! Arbitrary bytes as an index file (`Watchlist::open_index`: envelope check, checksum, layout,
//! full FST walk), whole or as a body wrapped in a valid envelope (first byte's low bit). Check:
//! `tests/fuzz_checks/mod.rs`. The loader memory-maps a path, so inputs go through one temp
//! file per process.
//!
//! `Watchlist::validate` catches panics from the `fst` crate on crafted bytes and reports the
//! file as malformed. libfuzzer-sys installs a panic hook that aborts, which would turn those
//! caught panics into crashes; this target installs a silent hook instead, so a caught panic
//! counts as the error the library returns, while a panic that escapes `open_index` is still a
//! finding (the fuzz_target! wrapper catches it and aborts).
#![no_main]

#[path = "../../tests/fuzz_checks/mod.rs"]
mod fuzz_checks;

use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::{Once, OnceLock};

static HOOK: Once = Once::new();

fn path() -> &'static PathBuf {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("list.idx");
        (dir, path)
    })
    .1
}

fuzz_target!(|data: &[u8]| {
    HOOK.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    fuzz_checks::index_file(data, path());
});
