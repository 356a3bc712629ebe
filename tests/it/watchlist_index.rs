//! Index files: round trip, refusal of corrupt / foreign / truncated files, atomic writes,
//! and the managed list file read back as a list.

use banchi::error::{IndexError, ListError, WatchlistError};
use banchi::watchlist::manage::NewEntry;
use banchi::watchlist::{
    Grade, ListFile, ListKind, MatchOptions, ReasonCode, StatusEdit, Watchlist,
};
use banchi::Parser;
use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime};

const CSV: &str = "\
id,address,reason,agent
A1,東京都世田谷区三軒茶屋1-2-3 ハイツ黒猫101号室,chargeback,fictional-agent-1
A2,東京都世田谷区深沢3-4-5,unpaid,fictional-agent-2
A3,東京都世田谷区,resale,fictional-agent-3
";

fn list() -> Watchlist {
    Watchlist::from_csv_reader(CSV.as_bytes(), ListKind::Fraud, &Parser::new()).unwrap()
}

fn grade(l: &Watchlist, q: &str) -> Option<Grade> {
    let a = Parser::new().parse(q).unwrap();
    l.screen_fraud(&a, &MatchOptions::default()).grade
}

fn index_error(path: &Path) -> IndexError {
    match Watchlist::open_index(path) {
        Err(WatchlistError::Index(e)) => e,
        other => panic!("expected an index error, got {other:?}"),
    }
}

#[test]
fn an_index_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fraud.idx");
    let built = list();
    built.write_index(&path).unwrap();
    let loaded = Watchlist::open_index(&path).unwrap();
    assert_eq!(loaded.kind(), ListKind::Fraud);
    assert_eq!(loaded.len(), 2);
    assert_eq!(loaded.report(), built.report());
    assert_eq!(loaded.report().rejected[0].line, 4);
    assert_eq!(loaded.columns(), ["agent".to_string()]);
    for q in [
        "東京都世田谷区三軒茶屋1-2-3-101",
        "東京都世田谷区三軒茶屋1-2-3-102",
        "東京都世田谷区深沢3-4-6",
        "東京都世田谷区深沢9-9-9",
    ] {
        assert_eq!(grade(&loaded, q), grade(&built, q), "{q}");
    }
    assert_eq!(
        grade(&loaded, "東京都世田谷区三軒茶屋1-2-3-101"),
        Some(Grade::Danger)
    );
    // open() tells an index from a CSV by its magic bytes, not its name.
    let renamed = dir.path().join("fraud.csv");
    fs::copy(&path, &renamed).unwrap();
    let auto = Watchlist::open(&renamed, ListKind::Fraud, &Parser::new()).unwrap();
    assert_eq!(auto.len(), 2);
    let csv_path = dir.path().join("list.idx");
    fs::write(&csv_path, CSV).unwrap();
    let auto = Watchlist::open(&csv_path, ListKind::Fraud, &Parser::new()).unwrap();
    assert_eq!(auto.len(), 2);
}

#[test]
fn every_flipped_byte_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fraud.idx");
    list().write_index(&path).unwrap();
    let good = fs::read(&path).unwrap();
    let bad_path = dir.path().join("bad.idx");
    for i in 0..good.len() {
        let mut bad = good.clone();
        bad[i] ^= 0x01;
        fs::write(&bad_path, &bad).unwrap();
        assert!(
            Watchlist::open_index(&bad_path).is_err(),
            "flipping byte {i} went unnoticed"
        );
    }
    // Body bytes fail the checksum specifically.
    let mut bad = good.clone();
    let last = bad.len() - 1;
    bad[last] ^= 0xFF;
    fs::write(&bad_path, &bad).unwrap();
    assert!(matches!(
        index_error(&bad_path),
        IndexError::ChecksumMismatch { .. }
    ));
    let msg = Watchlist::open_index(&bad_path).unwrap_err().to_string();
    assert!(msg.contains("corrupt"), "{msg}");
}

#[test]
fn every_truncation_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fraud.idx");
    list().write_index(&path).unwrap();
    let good = fs::read(&path).unwrap();
    let bad_path = dir.path().join("short.idx");
    for cut in 0..good.len() {
        fs::write(&bad_path, &good[..cut]).unwrap();
        let e = index_error(&bad_path);
        if cut == 0 {
            assert_eq!(e, IndexError::NotAnIndex);
        } else {
            assert!(
                matches!(e, IndexError::Truncated { .. }),
                "cut {cut}: {e:?}"
            );
        }
    }
    // Truncated files are also refused through open(), never read as a CSV.
    fs::write(&bad_path, &good[..good.len() / 2]).unwrap();
    assert!(matches!(
        Watchlist::open(&bad_path, ListKind::Fraud, &Parser::new()),
        Err(WatchlistError::Index(IndexError::Truncated { .. }))
    ));
}

#[test]
fn foreign_files_and_other_versions_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.idx");
    fs::write(&p, CSV).unwrap();
    assert_eq!(index_error(&p), IndexError::NotAnIndex);
    fs::write(
        &p,
        [
            0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ],
    )
    .unwrap();
    assert_eq!(index_error(&p), IndexError::NotAnIndex);
    let good = dir.path().join("good.idx");
    list().write_index(&good).unwrap();
    let mut v = fs::read(&good).unwrap();
    v[8..12].copy_from_slice(&7u32.to_le_bytes());
    fs::write(&p, &v).unwrap();
    assert_eq!(
        index_error(&p),
        IndexError::UnsupportedVersion {
            found: 7,
            supported: 3
        }
    );
    // An index written before fallback keys (format version 1) or by the parser before
    // issue 25 (version 2) is refused, never read, and the error says how to fix it.
    v[8..12].copy_from_slice(&2u32.to_le_bytes());
    fs::write(&p, &v).unwrap();
    assert!(matches!(
        index_error(&p),
        IndexError::UnsupportedVersion { found: 2, .. }
    ));
    v[8..12].copy_from_slice(&1u32.to_le_bytes());
    fs::write(&p, &v).unwrap();
    let e = Watchlist::open_index(&p).unwrap_err();
    assert!(
        e.to_string()
            .contains("rebuild it with `banchi index build`"),
        "{e}"
    );
    assert_eq!(
        index_error(&p),
        IndexError::UnsupportedVersion {
            found: 1,
            supported: 3
        }
    );
    assert!(matches!(
        Watchlist::open_index(&dir.path().join("missing.idx")),
        Err(WatchlistError::Io { .. })
    ));
}

#[test]
fn rewriting_an_index_is_atomic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fraud.idx");
    list().write_index(&path).unwrap();
    // A server has the old index mapped while a new one replaces it.
    let serving = Watchlist::open_index(&path).unwrap();
    let bigger = format!("{CSV}A4,東京都世田谷区太子堂2-3-4,chargeback,fictional-agent-4\n");
    let new =
        Watchlist::from_csv_reader(bigger.as_bytes(), ListKind::Fraud, &Parser::new()).unwrap();
    new.write_index(&path).unwrap();
    // The old map is still whole; the file now holds the new list; no temp file is left.
    assert_eq!(serving.len(), 2);
    assert_eq!(
        grade(&serving, "東京都世田谷区三軒茶屋1-2-3-101"),
        Some(Grade::Danger)
    );
    assert_eq!(Watchlist::open_index(&path).unwrap().len(), 3);
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("fraud.idx")]);
}

#[test]
fn a_failed_write_leaves_the_old_index() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fraud.idx");
    list().write_index(&path).unwrap();
    let before = fs::read(&path).unwrap();
    // A target whose directory does not exist cannot be written; a directory in the way of
    // the rename makes the last step fail after the temp file was written.
    let blocked = dir.path().join("blocked.idx");
    fs::create_dir(&blocked).unwrap();
    fs::write(blocked.join("keep"), "x").unwrap();
    assert!(list().write_index(&blocked).is_err());
    assert!(list()
        .write_index(&dir.path().join("no/such/dir.idx"))
        .is_err());
    assert_eq!(fs::read(&path).unwrap(), before);
    let mut names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, vec!["blocked.idx", "fraud.idx"]);
}

#[test]
fn list_management_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fraud.csv");
    let parser = Parser::new();
    let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_318_520);
    let mut f = ListFile::open(&path).unwrap();
    let id = f
        .add(
            &parser,
            &NewEntry {
                id: None,
                address: "東京都世田谷区三軒茶屋1-2-3 ハイツ黒猫101号室",
                reason: ReasonCode::Chargeback,
                by: "fictional-cs-1",
                memo: Some("chargeback on a fictional order"),
            },
            t,
        )
        .unwrap();
    assert_eq!(id, "1");
    let err = f
        .add(
            &parser,
            &NewEntry {
                id: Some("1"),
                address: "東京都世田谷区深沢3-4-5",
                reason: ReasonCode::Other,
                by: "x",
                memo: None,
            },
            t,
        )
        .unwrap_err();
    assert!(matches!(err, ListError::DuplicateId(_)));
    let err = f
        .add(
            &parser,
            &NewEntry {
                id: None,
                address: "東京都世田谷区",
                reason: ReasonCode::Other,
                by: "x",
                memo: None,
            },
            t,
        )
        .unwrap_err();
    assert!(matches!(err, ListError::NotABlock(_)), "{err:?}");
    f.save().unwrap();
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.starts_with(
        "id,address,reason,status,registered_by,registered_at,memo,history,pending\n"
    ));
    assert!(text.contains("2026-11-22T03:35:20Z"), "{text}");

    // The managed file is a list CSV: it loads and matches.
    let l = Watchlist::from_csv_path(&path, ListKind::Fraud, &parser).unwrap();
    assert_eq!(l.len(), 1);
    assert_eq!(
        grade(&l, "東京都世田谷区三軒茶屋1-2-3-101"),
        Some(Grade::Danger)
    );
    let s = banchi::Screener::new(parser).with_fraud(l);
    let m = &s.check("東京都世田谷区三軒茶屋1-2-3-101").fraud.matches[0];
    assert_eq!(m.reason.as_deref(), Some("chargeback"));
    let meta: Vec<&str> = m.metadata.0.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(meta, vec!["registered_by", "registered_at", "memo"]);

    // Disabled: kept with its history, no longer matching.
    let mut f = ListFile::open(&path).unwrap();
    f.disable("1", "fictional-cs-2", Some("customer verified"), t)
        .unwrap();
    f.save().unwrap();
    let l = Watchlist::from_csv_path(&path, ListKind::Fraud, &parser).unwrap();
    assert_eq!((l.len(), l.report().disabled), (0, 1));
    assert_eq!(grade(&l, "東京都世田谷区三軒茶屋1-2-3-101"), None);
    let e = ListFile::open(&path).unwrap().get("1").unwrap();
    assert_eq!(e.status, "disabled");
    assert_eq!(e.history.len(), 2);
    assert_eq!(e.registered_by, "fictional-cs-1");

    let mut f = ListFile::open(&path).unwrap();
    f.enable("1", "fictional-cs-3", None, t).unwrap();
    f.save().unwrap();
    let l = Watchlist::from_csv_path(&path, ListKind::Fraud, &parser).unwrap();
    assert_eq!(l.len(), 1);
    // No temp file left behind.
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn malformed_list_csvs_are_clear_errors() {
    let p = Parser::new();
    let load = |s: &str| Watchlist::from_csv_reader(s.as_bytes(), ListKind::Fraud, &p);
    let e = load("id,reason\nA,chargeback\n").unwrap_err();
    assert!(e.to_string().contains("no `address` column"), "{e}");
    let e = load("id,address\nA,東京都世田谷区深沢3-4-5\nA,東京都世田谷区深沢3-4-6\n").unwrap_err();
    assert_eq!(e.to_string(), "duplicate id `A` on lines 2 and 3");
    let e = load("id,address,reason\nA,\"東京都世田谷区深沢3-4-5,x\nB,東京都世田谷区深沢3-4-6,y\n")
        .unwrap_err();
    assert!(matches!(e, WatchlistError::Csv { line: 2, .. }), "{e:?}");
    let e = load("id,address\nA,東京都世田谷区深沢3-4-5,extra\n").unwrap_err();
    assert!(matches!(e, WatchlistError::Csv { line: 2, .. }), "{e:?}");
    assert!(matches!(load(""), Err(WatchlistError::EmptyCsv)));
    // A stray quote inside a field is kept as text, the row still parses.
    let l = load("id,address\nA,東京都世田谷区深沢3-4-5 \"x\" \n").unwrap();
    assert_eq!(l.report().rows, 1);
}

#[test]
fn fallback_rows_survive_the_index_file_and_list_add() {
    let dir = tempfile::tempdir().unwrap();
    let parser = Parser::new();
    let path = dir.path().join("fraud.csv");
    let mut f = ListFile::open(&path).unwrap();
    let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_000_000);
    let entry = |address| NewEntry {
        id: None,
        address,
        reason: ReasonCode::Chargeback,
        by: "fictional-agent",
        memo: None,
    };
    // A town the gazetteer does not know (黒猫ヶ丘 is made up) is accepted by `list add`...
    f.add(&parser, &entry("長野県長野市黒猫ヶ丘三丁目4番5号"), t)
        .unwrap();
    // ...an ambiguous municipality is not, and says why.
    let err = f.add(&parser, &entry("府中市黒猫町1-2"), t).unwrap_err();
    assert!(
        matches!(
            err,
            ListError::NotIndexable(banchi::watchlist::RejectReason::AmbiguousMunicipality)
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("ambiguous"), "{err}");
    f.save().unwrap();
    let built = Watchlist::from_csv_path(&path, ListKind::Fraud, &parser).unwrap();
    assert_eq!(built.report().fallback.unknown_town, 1);
    let idx = dir.path().join("fraud.idx");
    built.write_index(&idx).unwrap();
    let loaded = Watchlist::open_index(&idx).unwrap();
    assert_eq!(loaded.report(), built.report());
    assert!(loaded.has_fallback());
    for q in ["長野市黒猫ケ丘3-4-5", "長野県長野市黒猫が丘３丁目４－６"] {
        assert_eq!(grade(&loaded, q), grade(&built, q), "{q}");
    }
    assert_eq!(grade(&loaded, "長野市黒猫ケ丘3-4-5"), Some(Grade::Danger));
}
