//! The decision store's tests: one suite ([`suite`]) run on each backend.

mod sqlite_backend;
mod suite;
