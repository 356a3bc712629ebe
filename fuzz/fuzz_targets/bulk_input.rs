//! Arbitrary bytes as a bulk screening input (`bulk::screen_stream`: format sniffing, header
//! and column detection, record joining, per-row parse and screen, output) as CSV, TSV or
//! JSONL (first byte), then through the record reader alone. Check:
//! `tests/fuzz_checks/mod.rs`.
#![no_main]

#[path = "../../tests/fuzz_checks/mod.rs"]
mod fuzz_checks;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| fuzz_checks::bulk_input(data));
