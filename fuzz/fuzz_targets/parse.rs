//! Arbitrary bytes → UTF-8 (lossy, so every input reaches the parser) → normalize, fold and
//! `Parser::parse`. The check lives in `tests/fuzz_checks/mod.rs`, shared with the corpus
//! replay in `tests/it/fuzz_regressions.rs`.
#![no_main]

#[path = "../../tests/fuzz_checks/mod.rs"]
mod fuzz_checks;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| fuzz_checks::parse(data));
