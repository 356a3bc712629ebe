//! Set-up shared by the tests of servers on the PostgreSQL store (`--store postgres`): a
//! database holding the fixture fraud list, and settings pointing a server at it.

use crate::postgres::PgServer;
use crate::support::FRAUD_CSV;
use banchi_server::settings::{Settings, StoreKind};
use banchi_store::{DatabaseUrl, ListName, Store};

/// A database with the schema and the fixture fraud list imported (`None`: no PostgreSQL
/// here, and not under CI).
pub fn database(test: &str) -> Option<PgServer> {
    let pg = PgServer::start(test)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = Store::new(pg.url().parse::<DatabaseUrl>().unwrap()).unwrap();
        store.migrate().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fraud.csv");
        std::fs::write(&path, FRAUD_CSV).unwrap();
        let file = banchi::watchlist::ListFile::open(&path).unwrap();
        store
            .import(ListName::Fraud, &file, &banchi::Parser::new(), "test")
            .await
            .unwrap();
    });
    Some(pg)
}

/// `s` serving the lists of the store at `pg`.
pub fn on_store(mut s: Settings, pg: &PgServer) -> Settings {
    s.store_kind = StoreKind::Postgres;
    s.store = Some(Store::new(pg.url().parse().unwrap()).unwrap());
    s
}
