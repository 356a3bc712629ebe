//! Arbitrary bytes → UTF-8 (lossy, so every input reaches the parser) → normalize, fold and
//! `Parser::parse`. Checks the contract the property tests check, on whatever libFuzzer finds.
#![no_main]

use banchi::normalize::{fold, normalize};
use banchi::{ParseError, Parser, MAX_INPUT_BYTES};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let display = normalize(&s);
    let _ = fold(&display);
    match Parser::new().parse(&s) {
        Err(ParseError::TooLong { len, max }) => {
            assert!(len == s.len() && max == MAX_INPUT_BYTES && len > max)
        }
        Err(_) => assert!(s.len() <= MAX_INPUT_BYTES),
        Ok(a) => {
            assert!(s.len() <= MAX_INPUT_BYTES);
            assert_eq!(a.key, a.compute_key());
        }
    }
});
