//! The store's one integration-test binary, against a real PostgreSQL started per test
//! (`postgres` module; skipped without PostgreSQL, a failure under CI).

mod postgres;
mod store;
