//! Velocity kept across runs (`screen --velocity-state`, issue 13): two lists that each stay
//! under the threshold cross it together; an allowlisted point never does; an interrupted,
//! killed or resumed run leaves the same output and the same state as an uninterrupted one.

use crate::support::screening::screen_file_stopping;
use banchi::bulk::state::{default_key_file, now_minutes, Store};
use banchi::bulk::{self, Format, Options};
use banchi::config::Config;
use banchi::{Parser, Scorer, Screener};
use std::path::{Path, PathBuf};
use std::sync::Arc;

const WEEK: u32 = 7 * 24 * 60;

/// Unix seconds `hours_ago` hours before now (order times the state's window keeps).
fn ago(hours_ago: u32) -> u64 {
    (u64::from(now_minutes()) - u64::from(hours_ago) * 60) * 60
}

fn screen(input: &Path, output: &Path, opts: &Options, stop_after: Option<usize>) -> bulk::Summary {
    screen_file_stopping(
        input,
        output,
        opts,
        &Screener::new(Parser::new()),
        stop_after,
    )
}

fn with_state(store: &Arc<Store>) -> Options {
    Options {
        velocity_state: Some(Arc::clone(store)),
        ..Options::default()
    }
}

/// The `reasons` column of each data row.
fn reasons(path: &Path) -> Vec<String> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let at = r
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "reasons")
        .unwrap();
    r.records().map(|x| x.unwrap()[at].to_owned()).collect()
}

const KYOTO: &str = "京都府京都市下京区東塩小路町721-1";

fn write(dir: &Path, name: &str, rows: &[(u64, &str, &str)]) -> PathBuf {
    let mut s = String::from("order_id,order_time,name,address\n");
    for (i, (t, name, address)) in rows.iter().enumerate() {
        s.push_str(&format!("O{i},{t},{name},{address}\n"));
    }
    let p = dir.join(name);
    std::fs::write(&p, s).unwrap();
    p
}

#[test]
fn two_runs_under_the_threshold_cross_it_together() {
    let dir = tempfile::tempdir().unwrap();
    let day1 = write(
        dir.path(),
        "day1.csv",
        &[(ago(30), "黒猫 一葉", KYOTO), (ago(29), "白黒 双葉", KYOTO)],
    );
    let day2 = write(
        dir.path(),
        "day2.csv",
        &[
            (ago(2), "ﾅｶﾞｹ ﾐﾂﾊ", KYOTO),
            (ago(1), "ナガケ　ミツハ", "東京都中央区銀座4-6-16"),
        ],
    );
    let out = dir.path().join("out.csv");
    // Alone, neither list raises velocity.
    for list in [&day1, &day2] {
        screen(list, &out, &Options::default(), None);
        assert!(reasons(&out).iter().all(|r| !r.contains("velocity")));
    }
    // With a state, the second run sees the first one's two names.
    let db = dir.path().join("velocity.db");
    let store = Arc::new(Store::open(&db, None, WEEK).unwrap());
    let s1 = screen(&day1, &out, &with_state(&store), None);
    assert_eq!(s1.velocity, 0);
    let s2 = screen(&day2, &out, &with_state(&store), None);
    assert_eq!(s2.velocity, 1);
    assert_eq!(reasons(&out), vec!["velocity", ""]);
    let stats = store.stats(3).unwrap();
    assert_eq!((stats.points, stats.entries), (2, 4));
    // Nothing in the state's files is an address or a name.
    drop(store);
    for f in [db.clone(), default_key_file(&db)] {
        let bytes = std::fs::read(&f).unwrap();
        for clear in ["東塩小路", "黒猫", "ﾅｶﾞｹ", "ナガケ"] {
            assert!(
                !bytes.windows(clear.len()).any(|w| w == clear.as_bytes()),
                "{clear} in {}",
                f.display()
            );
        }
    }

    // An allowlisted point (a shared mail room) never raises velocity.
    let db2 = dir.path().join("allow.db");
    let store = Arc::new(Store::open(&db2, None, WEEK).unwrap());
    let key = Parser::new().parse(KYOTO).unwrap().key;
    let opts = Options {
        velocity_allow: vec![key],
        ..with_state(&store)
    };
    screen(&day1, &out, &opts, None);
    let s = screen(&day2, &out, &opts, None);
    assert_eq!(s.velocity, 0);
    assert_eq!(
        store.stats(3).unwrap().points,
        1,
        "only the Ginza point kept"
    );
}

/// 3,000 orders over 40 points, names repeating, times within the last day.
fn many(dir: &Path) -> PathBuf {
    let towns = [
        "東京都中央区銀座",
        "大阪府大阪市北区梅田",
        "東京都世田谷区三軒茶屋",
    ];
    let names = [
        "黒猫 一葉",
        "白猫 次郎",
        "三毛 三郎",
        "茶虎 四郎",
        "錆猫 五月",
    ];
    let rows: Vec<(u64, String, String)> = (0..3000u32)
        .map(|i| {
            let p = (i * 7919) % 40;
            (
                ago(24) + u64::from(i) * 20,
                names[(i as usize / 40 + i as usize / 7) % 5].to_owned(),
                format!(
                    "{}{}-{}-{}",
                    towns[p as usize % 3],
                    1 + p % 3,
                    1 + p / 3,
                    1 + p % 5
                ),
            )
        })
        .collect();
    let borrowed: Vec<(u64, &str, &str)> = rows
        .iter()
        .map(|(t, n, a)| (*t, n.as_str(), a.as_str()))
        .collect();
    write(dir, "many.csv", &borrowed)
}

/// The database file with its WAL files (what a copy of the state at that moment is).
fn snapshot(db: &Path) -> Vec<(PathBuf, Option<Vec<u8>>)> {
    ["", "-wal", "-shm"]
        .iter()
        .map(|ext| {
            let mut p = db.as_os_str().to_owned();
            p.push(ext);
            let p = PathBuf::from(p);
            let bytes = std::fs::read(&p).ok();
            (p, bytes)
        })
        .collect()
}

fn restore(_db: &Path, files: &[(PathBuf, Option<Vec<u8>>)]) {
    for (p, bytes) in files {
        match bytes {
            Some(b) => std::fs::write(p, b).unwrap(),
            None => {
                let _ = std::fs::remove_file(p);
            }
        }
    }
}

/// The state's entries, in order.
fn entries(db: &Path) -> Vec<(i64, i64, i64)> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare("SELECT point, name, seen FROM names ORDER BY point, name")
        .unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap();
    rows.map(Result::unwrap).collect()
}

#[test]
fn interrupted_killed_and_resumed_equal_uninterrupted() {
    let dir = tempfile::tempdir().unwrap();
    let input = many(dir.path());
    let small = |store: &Arc<Store>, resume: bool| Options {
        chunk_rows: 256,
        resume,
        ..with_state(store)
    };
    // The uninterrupted run.
    let full_db = dir.path().join("full.db");
    let full_store = Arc::new(Store::open(&full_db, None, WEEK).unwrap());
    let full = dir.path().join("full.csv");
    let s = screen(&input, &full, &small(&full_store, false), None);
    assert!(
        s.velocity > 100,
        "the list raises velocity ({})",
        s.velocity
    );
    let expected = std::fs::read(&full).unwrap();
    drop(full_store);
    let expected_state = entries(&full_db);
    let key = default_key_file(&full_db);

    // Stopped (Ctrl-C) after 3 chunks, then resumed: same output, same state.
    let db = dir.path().join("part.db");
    let store = Arc::new(Store::open(&db, Some(&key), WEEK).unwrap());
    let part = dir.path().join("part.csv");
    let s1 = screen(&input, &part, &small(&store, false), Some(3));
    assert!(s1.interrupted);
    let s2 = screen(&input, &part, &small(&store, true), None);
    assert_eq!(s1.rows + s2.rows, s.rows);
    assert_eq!(std::fs::read(&part).unwrap(), expected);
    drop(store);
    assert_eq!(entries(&db), expected_state);

    // Killed: the state lost its last commits (a kill between the output's write and the
    // state's commit, several chunks' worth) and the output ends inside a row.
    let db = dir.path().join("killed.db");
    let killed = dir.path().join("killed.csv");
    let store = Arc::new(Store::open(&db, Some(&key), WEEK).unwrap());
    screen(&input, &killed, &small(&store, false), Some(1));
    drop(store);
    let early_state = snapshot(&db);
    let store = Arc::new(Store::open(&db, Some(&key), WEEK).unwrap());
    screen(&input, &killed, &small(&store, true), Some(4));
    drop(store);
    restore(&db, &early_state);
    let cut = std::fs::read(&killed).unwrap();
    std::fs::write(&killed, &cut[..cut.len() - 9]).unwrap();
    let store = Arc::new(Store::open(&db, Some(&key), WEEK).unwrap());
    let s3 = screen(&input, &killed, &small(&store, true), None);
    assert!(s3.resumed_from > 256);
    assert_eq!(std::fs::read(&killed).unwrap(), expected);
    drop(store);
    assert_eq!(entries(&db), expected_state);
}

#[test]
fn a_state_and_screen_stream_agree_on_one_list() {
    // Without an earlier run, a state changes nothing in one list's verdicts.
    let dir = tempfile::tempdir().unwrap();
    let input = many(dir.path());
    let out = dir.path().join("a.csv");
    screen(&input, &out, &Options::default(), None);
    let plain = std::fs::read(&out).unwrap();
    let store = Arc::new(Store::open(&dir.path().join("s.db"), None, WEEK).unwrap());
    screen(&input, &out, &with_state(&store), None);
    assert_eq!(std::fs::read(&out).unwrap(), plain);
    let mut streamed = Vec::new();
    bulk::screen_stream(
        std::fs::read(&input).unwrap().as_slice(),
        &mut streamed,
        Format::Csv,
        &Options::default(),
        &Screener::new(Parser::new()),
        &Scorer::new(&Config::default()),
    )
    .unwrap();
    assert_eq!(streamed, plain);
}
