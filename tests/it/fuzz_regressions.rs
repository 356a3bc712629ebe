//! The fuzzers' kept corpus, replayed on every `cargo test` (issue 5, part 1).
//!
//! `tests/data/fuzz/<target>/` holds inputs the `cargo fuzz` runs found interesting (the
//! coverage-minimized corpus, capped in size — see `fuzz/README.md` for how it is refreshed)
//! plus every input that once crashed a target. Each file goes through the same check as its
//! fuzz target (`tests/fuzz_checks/mod.rs`, shared with `fuzz/fuzz_targets/`), so a fixed
//! finding stays fixed and the corpus keeps covering what the fuzzer reached.

use crate::fuzz_checks;

use std::path::{Path, PathBuf};

fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/fuzz")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(
        files.len() >= 20,
        "{}: only {} inputs kept",
        dir.display(),
        files.len()
    );
    files
}

fn replay(target: &str, check: impl Fn(&[u8])) {
    for path in corpus(target) {
        let data = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&data)));
        assert!(outcome.is_ok(), "{target}: {} fails again", path.display());
    }
}

#[test]
fn parse_corpus() {
    replay("parse", fuzz_checks::parse);
}

#[test]
fn list_csv_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let scratch = dir.path().join("list.idx");
    replay("list_csv", |d| fuzz_checks::list_csv(d, &scratch));
}

#[test]
fn index_file_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let scratch = dir.path().join("list.idx");
    replay("index_file", |d| fuzz_checks::index_file(d, &scratch));
}

#[test]
fn bulk_input_corpus() {
    replay("bulk_input", fuzz_checks::bulk_input);
}
