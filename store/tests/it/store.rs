//! Migrations, import/export, edits and their change log, snapshots, privileges and TLS,
//! against a real PostgreSQL.

use crate::postgres::PgServer;
use banchi::watchlist::manage::NewEntry;
use banchi::watchlist::{ListFile, ReasonCode};
use banchi::Parser;
use banchi_store::{DatabaseUrl, ListName, Store, StoreError};
use std::path::Path;
use std::time::SystemTime;

/// Fictional people's flats at real public blocks; a memo with a comma, quotes and a line
/// break, a row with an empty trailing cell.
const FRAUD_CSV: &str = "id,address,reason,status,registered_by,registered_at,memo,history
1,東京都中央区銀座4-6-16 架空ハイツ301号室,chargeback,active,cs-a,2026-11-01T00:00:00Z,\"two orders, \"\"same\"\" name\nsecond line\",[]
2,大阪府大阪市北区梅田三丁目1番1号 架空タワー1205号室,resale,active,cs-b,2026-11-02T00:00:00Z,,
3,福岡県福岡市博多区博多駅前2-1-1,unpaid,disabled,cs-a,2026-11-03T00:00:00Z,gone,[]
";

async fn store_on(pg: &PgServer) -> Store {
    let url: DatabaseUrl = pg.url().parse().unwrap();
    let store = Store::new(url).unwrap();
    store.migrate().await.unwrap();
    store
}

fn list_file(dir: &Path, csv: &str) -> ListFile {
    let path = dir.join("fraud.csv");
    std::fs::write(&path, csv).unwrap();
    ListFile::open(&path).unwrap()
}

fn new_entry<'a>(address: &'a str, id: Option<&'a str>) -> NewEntry<'a> {
    NewEntry {
        id,
        address,
        reason: ReasonCode::Chargeback,
        by: "cs-test",
        memo: Some("fictional"),
    }
}

#[tokio::test]
async fn migrations_apply_once_and_a_foreign_schema_is_refused_with_the_fix() {
    let Some(pg) = PgServer::start("migrations") else {
        return;
    };
    let url: DatabaseUrl = pg.url().parse().unwrap();
    let err = Store::open(url.clone()).await.unwrap_err();
    assert!(matches!(err, StoreError::NoSchema), "{err}");
    assert!(err.to_string().contains("banchi store migrate"), "{err}");
    let store = Store::new(url.clone()).unwrap();
    assert_eq!(
        store.migrate().await.unwrap().len(),
        banchi_store::migrate::MIGRATIONS.len()
    );
    assert!(
        store.migrate().await.unwrap().is_empty(),
        "a second migrate applies nothing"
    );
    Store::open(url.clone()).await.unwrap();
    pg.psql("INSERT INTO banchi_schema_migrations (version, name) VALUES (99, 'from the future')");
    let err = Store::open(url.clone()).await.unwrap_err();
    assert!(
        matches!(err, StoreError::SchemaNewer { found: 99, .. }),
        "{err}"
    );
    let err = store.migrate().await.unwrap_err();
    assert!(matches!(err, StoreError::SchemaNewer { .. }), "{err}");
}

#[tokio::test]
async fn an_unreachable_database_is_a_clear_error_without_the_password() {
    let port = crate::postgres::free_port();
    let url: DatabaseUrl = format!("postgresql://u:hunter2@127.0.0.1:{port}/db?sslmode=disable")
        .parse()
        .unwrap();
    let err = Store::open(url).await.unwrap_err();
    let text = err.to_string();
    assert!(err.is_unavailable(), "{text}");
    assert!(text.contains(&format!("127.0.0.1:{port}/db")), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
}

#[tokio::test]
async fn import_then_export_gives_the_same_bytes_and_the_same_version() {
    let Some(pg) = PgServer::start("import_export") else {
        return;
    };
    let store = store_on(&pg).await;
    let dir = tempfile::tempdir().unwrap();
    let file = list_file(dir.path(), FRAUD_CSV);
    let parser = Parser::new();
    let report = store
        .import(ListName::Fraud, &file, &parser, "ops")
        .await
        .unwrap();
    assert_eq!((report.added, report.updated, report.unchanged), (3, 0, 0));
    assert_eq!(report.seq, 3);
    let again = store
        .import(ListName::Fraud, &file, &parser, "ops")
        .await
        .unwrap();
    assert_eq!((again.added, again.updated, again.unchanged), (0, 0, 3));
    assert_eq!(
        store.last_seq().await.unwrap(),
        3,
        "an unchanged import writes no change"
    );

    let out = dir.path().join("out.csv");
    assert_eq!(store.export(ListName::Fraud, &out).await.unwrap(), Some(3));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), FRAUD_CSV);
    let rows = store.rows(ListName::Fraud).await.unwrap().unwrap();
    assert_eq!(
        rows.digest,
        file.digest(),
        "lists_version means what it means for files"
    );
    assert_eq!(
        store.export(ListName::Forwarders, &out).await.unwrap(),
        None
    );

    // A changed row is one update; the others stay.
    let changed = FRAUD_CSV.replace("resale,active", "resale,disabled");
    let file2 = list_file(dir.path(), &changed);
    let r = store
        .import(ListName::Fraud, &file2, &parser, "ops")
        .await
        .unwrap();
    assert_eq!((r.added, r.updated, r.unchanged), (0, 1, 2));
    let rows = store.rows(ListName::Fraud).await.unwrap().unwrap();
    assert_eq!(rows.digest, file2.digest());
    assert_eq!(
        pg.psql("SELECT status FROM banchi_entries WHERE id = '2'"),
        "disabled"
    );
}

#[tokio::test]
async fn edits_follow_the_list_rules_and_log_every_image_in_commit_order() {
    let Some(pg) = PgServer::start("edits") else {
        return;
    };
    let store = store_on(&pg).await;
    let dir = tempfile::tempdir().unwrap();
    let parser = Parser::new();
    store
        .import(
            ListName::Fraud,
            &list_file(dir.path(), FRAUD_CSV),
            &parser,
            "ops",
        )
        .await
        .unwrap();
    let now = SystemTime::now();
    let added = store
        .add(
            ListName::Fraud,
            &parser,
            &new_entry("東京都千代田区丸の内1-9-1 架空301", None),
            now,
        )
        .await
        .unwrap();
    assert_eq!(
        added.id, "4",
        "the next number after the largest numeric id"
    );
    assert_eq!(added.seq, 4);
    let err = store
        .add(
            ListName::Fraud,
            &parser,
            &new_entry("東京都千代田区丸の内1-9-1", Some("2")),
            now,
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains('2'), "{err}");
    let err = store
        .add(ListName::Fraud, &parser, &new_entry("東京都", None), now)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::List(_)), "{err}");
    let disabled = store
        .set_status(ListName::Fraud, "4", "cs-b", Some("mistake"), true, now)
        .await
        .unwrap();
    assert_eq!(disabled.seq, 5);
    let err = store
        .set_status(ListName::Fraud, "4", "cs-b", None, true, now)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("disabled"), "{err}");
    let err = store
        .set_status(ListName::Fraud, "404", "cs-b", None, true, now)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("404"), "{err}");

    let entry = store.entry(ListName::Fraud, "4").await.unwrap().unwrap();
    assert_eq!(entry.status, "disabled");
    assert_eq!(entry.history.len(), 2);
    let (page, more) = store
        .page(ListName::Fraud, Some("1"), 2, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        page.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
        ["2", "3"]
    );
    assert!(more);
    let (active, _) = store
        .page(ListName::Fraud, None, 10, Some("active"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        active.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
        ["1", "2"]
    );
    assert!(store
        .page(ListName::Fraud, Some("nope"), 2, None)
        .await
        .unwrap()
        .is_none());

    // Twenty adds at once: numbers 6..=25, each change's digest the list's after it.
    let mut tasks = Vec::new();
    for i in 0..20 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let address = format!("東京都千代田区丸の内1-9-1 架空{}号室", 100 + i);
            store
                .add(
                    ListName::Fraud,
                    &Parser::new(),
                    &new_entry(&address, None),
                    SystemTime::now(),
                )
                .await
                .unwrap()
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let changes = store.changes_after(0, 1000).await.unwrap();
    let seqs: Vec<i64> = changes.iter().map(|c| c.seq).collect();
    assert_eq!(seqs, (1..=25).collect::<Vec<_>>());
    let rows = store.rows(ListName::Fraud).await.unwrap().unwrap();
    assert_eq!(rows.seq, 25);
    assert_eq!(changes.last().unwrap().digest, rows.digest);
    let file = ListFile::from_rows(Path::new("x"), rows.header.clone(), rows.rows.clone()).unwrap();
    assert_eq!(
        file.digest(),
        rows.digest,
        "the kept digest is the rows' digest"
    );
    assert_eq!(store.changes_after(23, 1000).await.unwrap().len(), 2);
}

#[tokio::test]
async fn snapshots_cover_a_sequence_and_altered_bytes_are_refused() {
    let Some(pg) = PgServer::start("snapshots") else {
        return;
    };
    let store = store_on(&pg).await;
    let dir = tempfile::tempdir().unwrap();
    let parser = Parser::new();
    assert!(store
        .load_snapshot(ListName::Fraud)
        .await
        .unwrap()
        .is_none());
    assert!(
        store
            .build_snapshot(ListName::Fraud, &parser)
            .await
            .unwrap()
            .is_none(),
        "no list, no snapshot"
    );
    store
        .import(
            ListName::Fraud,
            &list_file(dir.path(), FRAUD_CSV),
            &parser,
            "ops",
        )
        .await
        .unwrap();
    let (info, built) = store
        .build_snapshot(ListName::Fraud, &parser)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((info.seq, info.entries), (3, 3));
    assert!(built.is_some());
    let (again, rebuilt) = store
        .build_snapshot(ListName::Fraud, &parser)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.seq, 3);
    assert!(rebuilt.is_none(), "nothing changed since: not rebuilt");
    let snap = store.load_snapshot(ListName::Fraud).await.unwrap().unwrap();
    assert_eq!(snap.seq, 3);
    assert_eq!(snap.watchlist.len(), 2, "the disabled row is not indexed");
    assert_eq!(
        snap.digest,
        store.rows(ListName::Fraud).await.unwrap().unwrap().digest
    );

    // Another session holding the builder's lock: this one skips.
    let lock = "SELECT pg_advisory_lock(7089068661690401025)"; // 0x6261_6e63_6869_0101
    let mut holder = pg
        .command("psql")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &pg.port().to_string(),
            "-U",
            "banchi_owner",
            "-d",
            "postgres",
            "-c",
            lock,
            "-c",
            "SELECT pg_sleep(5)",
        ])
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(700));
    store
        .add(
            ListName::Fraud,
            &parser,
            &new_entry("東京都千代田区丸の内1-9-1", None),
            SystemTime::now(),
        )
        .await
        .unwrap();
    assert!(
        store
            .build_snapshot(ListName::Fraud, &parser)
            .await
            .unwrap()
            .is_none(),
        "another builder holds the lock"
    );
    let _ = holder.kill();
    let _ = holder.wait();

    pg.psql(
        "UPDATE banchi_snapshots SET image = overlay(image placing '\\x00'::bytea from 40 for 1)",
    );
    let err = store.load_snapshot(ListName::Fraud).await.unwrap_err();
    assert!(matches!(err, StoreError::Snapshot { seq: 3, .. }), "{err}");
    assert!(
        err.to_string()
            .contains("banchi store snapshot --list fraud"),
        "{err}"
    );
}

#[tokio::test]
async fn the_server_role_needs_only_select_insert_and_update() {
    let Some(pg) = PgServer::start("privileges") else {
        return;
    };
    let owner = store_on(&pg).await;
    let dir = tempfile::tempdir().unwrap();
    let parser = Parser::new();
    owner
        .import(
            ListName::Fraud,
            &list_file(dir.path(), FRAUD_CSV),
            &parser,
            "ops",
        )
        .await
        .unwrap();
    pg.psql(
        "CREATE ROLE banchi_server LOGIN;
         GRANT SELECT, INSERT, UPDATE ON banchi_lists, banchi_entries, banchi_changes,
               banchi_sequence, banchi_snapshots, banchi_schema_migrations TO banchi_server;",
    );
    let url: DatabaseUrl = pg.url_as("banchi_server").parse().unwrap();
    let store = Store::open(url).await.unwrap();
    let now = SystemTime::now();
    store
        .add(
            ListName::Fraud,
            &parser,
            &new_entry("東京都千代田区丸の内1-9-1", None),
            now,
        )
        .await
        .unwrap();
    store
        .set_status(ListName::Fraud, "1", "cs", None, true, now)
        .await
        .unwrap();
    store
        .build_snapshot(ListName::Fraud, &parser)
        .await
        .unwrap()
        .unwrap();
    store
        .build_snapshot(ListName::Forwarders, &parser)
        .await
        .unwrap();
    let err = store.migrate().await.unwrap_err();
    assert!(err.to_string().contains("permission denied"), "{err}");
}

#[tokio::test]
async fn tls_with_the_ca_file_connects_and_a_wrong_ca_is_refused() {
    let Some(pg) = PgServer::start("tls") else {
        return;
    };
    let dir = pg.dir().to_owned();
    if !openssl(
        &dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=banchi test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
        ],
    ) {
        return;
    }
    std::fs::write(
        dir.join("leaf.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
    )
    .unwrap();
    assert!(openssl(
        &dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "data/server.key",
            "-out",
            "server.csr"
        ]
    ));
    assert!(openssl(
        &dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "leaf.ext",
            "-out",
            "data/server.crt"
        ]
    ));
    pg.psql("ALTER SYSTEM SET ssl = on");
    let _ = std::process::Command::new("chown")
        .args(["-R", "postgres:postgres"])
        .arg(dir.join("data"))
        .status();
    let _ = std::process::Command::new("chmod")
        .arg("600")
        .arg(dir.join("data/server.key"))
        .status();
    pg.psql("SELECT pg_reload_conf()");
    std::thread::sleep(std::time::Duration::from_millis(500));
    let base = format!("postgresql://banchi_owner@localhost:{}/postgres", pg.port());
    let verified: DatabaseUrl = format!(
        "{base}?sslmode=verify-full&sslrootcert={}",
        dir.join("ca.pem").display()
    )
    .parse()
    .unwrap();
    let store = Store::new(verified).unwrap();
    store.migrate().await.unwrap();
    let on_tls = pg.psql(
        "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
          WHERE s.ssl AND a.application_name = 'banchi'",
    );
    assert_ne!(on_tls, "0", "banchi's connection is encrypted");
    // A wrong CA: the connection is refused.
    let other = dir.join("other.pem");
    assert!(openssl(
        &dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=other CA",
            "-keyout",
            "other.key",
            "-out",
            "other.pem"
        ]
    ));
    let wrong: DatabaseUrl = format!("{base}?sslmode=verify-full&sslrootcert={}", other.display())
        .parse()
        .unwrap();
    let err = Store::open(wrong).await.unwrap_err();
    assert!(err.is_unavailable(), "{err}");
    // require without a CA file: encrypted.
    let require: DatabaseUrl = format!("{base}?sslmode=require").parse().unwrap();
    Store::open(require).await.unwrap();
}

/// Runs openssl in `dir`; false (the test skipped) when openssl is not installed.
fn openssl(dir: &Path, args: &[&str]) -> bool {
    match std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
    {
        Ok(out) => {
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            true
        }
        Err(_) => {
            crate::postgres::skip("tls", "openssl");
            false
        }
    }
}
