//! The decision store's tests: one suite ([`suite`]) run on each backend — SQLite, and
//! PostgreSQL started per test by the store's `postgres` module (shared by path; skipped
//! without PostgreSQL, a failure under CI).

#[path = "../../../store/tests/it/postgres.rs"]
mod postgres;
mod postgres_backend;
mod sqlite_backend;
mod suite;
