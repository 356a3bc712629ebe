//! Handlers, one module per resource; [`crate::router`] wires them to paths.

pub mod admin_api;
pub mod health;
pub mod import;
pub mod lists;
pub mod normalize;
pub mod outcomes;
pub mod reviews;
pub mod screen;
pub mod search;
