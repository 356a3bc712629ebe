//! Set-up shared by the integration tests and the measuring examples: the peer suite and its
//! score, the hand-made cases, the real-world business addresses and the notation generator.
//! The examples (`examples/*.rs`) include single files of this folder with `#[path]`, so each
//! file stands alone; some of their helpers serve only the examples.

#![allow(dead_code)]

pub mod generate;
pub mod handmade;
pub mod peer;
pub mod peer_suites;
pub mod real_world;
pub mod screening;
