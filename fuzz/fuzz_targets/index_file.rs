//! Arbitrary bytes as an index file (`Watchlist::open_index`: envelope check, checksum, layout,
//! full FST walk). The loader only opens paths (it memory-maps), so each input goes through a
//! temp file. The first byte picks the mode:
//!
//! * even: the rest is the whole file, as found on disk (magic, version, CRC, length, body);
//! * odd: the rest is the *body*, wrapped in a valid envelope with the right CRC exactly as
//!   `watchlist::file::write_index` writes it (rebuilt here: `write_index` fsyncs, which
//!   would cut the execution rate a hundredfold) — random bytes almost never pass a CRC, so
//!   this mode is what reaches the layout and FST checks (a file that a bug or a hostile
//!   writer produced with a correct checksum).
//!
//! One temp file per process, rewritten for each input (the previous map is dropped first).
//!
//! `Watchlist::validate` catches panics from the `fst` crate on crafted bytes and reports the
//! file as malformed. libfuzzer-sys installs a panic hook that aborts, which would turn those
//! caught panics into crashes; this target installs a silent hook instead, so a caught panic
//! counts as the error the library returns, while a panic that escapes `open_index` is still a
//! finding (the fuzz_target! wrapper catches it and aborts).
#![no_main]

use banchi::watchlist::{file, Watchlist};
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

/// The envelope `file::write_index` puts around a body.
fn envelope(body: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(file::HEADER_LEN + body.len());
    v.extend_from_slice(&file::MAGIC);
    v.extend_from_slice(&file::VERSION.to_le_bytes());
    v.extend_from_slice(&crc32fast::hash(body).to_le_bytes());
    v.extend_from_slice(&(body.len() as u64).to_le_bytes());
    assert_eq!(
        v.len(),
        file::HEADER_LEN,
        "envelope layout changed: update this target"
    );
    v.extend_from_slice(body);
    v
}

fuzz_target!(|data: &[u8]| {
    HOOK.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let path = path();
    if mode & 1 == 1 {
        std::fs::write(path, envelope(rest)).expect("write temp file");
    } else {
        std::fs::write(path, rest).expect("write temp file");
    }
    if let Ok(list) = Watchlist::open_index(path) {
        // An index that opens was walked whole by validate(); reading it again must not panic.
        let _ = (
            list.len(),
            list.blocks(),
            list.kind(),
            list.columns().len(),
            list.body_size(),
        );
    }
});
