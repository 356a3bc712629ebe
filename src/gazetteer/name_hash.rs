//! The hash that places a name-table bucket — (group, first char) — in its slot. One
//! definition for the writer (`build.rs` includes this file) and the reader (`names`).

/// The hash of bucket (`group`, `first`); its low bits pick the slot (the table's slot count
/// is a power of two; collisions go to the next slot).
pub fn bucket_hash(group: u32, first: u32) -> u64 {
    let x = ((u64::from(group) << 32) | u64::from(first)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^ (x >> 29)
}
