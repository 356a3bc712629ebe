//! The suite on SQLite, plus what only the file has (its mode, reopening).

use banchi_decisions::Decisions;

async fn fresh() -> (Decisions, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let d = Decisions::sqlite(&dir.path().join("decisions.sqlite")).unwrap();
    (d, dir)
}

crate::backend_suite!(fresh);

#[cfg(unix)]
#[test]
fn the_file_is_private_and_reopens() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("decisions.sqlite");
    std::fs::write(&path, b"").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let store = banchi_decisions::sqlite::SqliteDecisions::open(&path).unwrap();
    store
        .record(&[crate::suite::order("R-1", 1, "review", true)], &[])
        .unwrap();
    drop(store);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let again = banchi_decisions::sqlite::SqliteDecisions::open(&path).unwrap();
    assert_eq!(again.counts().unwrap().open, 1);
}
