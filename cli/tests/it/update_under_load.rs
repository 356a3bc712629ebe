//! Safe list updates under load (issue 5, part 4).
//!
//! Two writer threads apply `banchi list add` / `banchi list disable` (each a separate
//! process, `--index` rebuilding the index under the list's lock) while a reader thread keeps
//! opening the index in-process and a screening process keeps running `banchi check --fraud`
//! on it. About one writer process in eight is SIGKILLed at a random moment — before it takes
//! the lock, while it writes the CSV, between the CSV and the index. The test asserts:
//!
//! * every index a reader opens verifies (checksum, FST walk) and is a whole list: each change
//!   acknowledged (exit 0) before the open is in it, none is half there;
//! * the list CSV always reads back whole;
//! * the screening process never fails on the index;
//! * at the end, no acknowledged change is lost: every acknowledged add is listed (active or,
//!   if its disable was acknowledged, disabled), and the index holds exactly the active rows.
//!
//! `BANCHI_LOAD_OPS` (default 800, ~20 s: the test loop's share) sets the number of
//! operations — the soak is `BANCHI_LOAD_OPS=5000` — and `BANCHI_LOAD_SEED` the seed (printed on
//! failure). Addresses are fictional blocks on a real town.

use banchi::watchlist::{ListFile, MatchOptions, Watchlist};
use banchi::{Address, Parser};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// splitmix64: a seedable generator for the schedule (no dependency needed).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A fictional block on 神田神保町, unique per (writer, n).
fn address_of(writer: usize, n: usize) -> String {
    let chome = 1 + writer;
    format!(
        "東京都千代田区神田神保町{chome}丁目{}番{}号",
        1 + n / 40,
        1 + n % 40
    )
}

/// What the writers know for sure: acknowledged adds and disables, and ids whose state is
/// not asserted on — their last operation was killed, or one is running now.
#[derive(Default, Clone)]
struct Ledger {
    added: HashMap<String, String>,
    disabled: HashSet<String>,
    unknown: HashSet<String>,
    in_flight: HashSet<String>,
}

impl Ledger {
    /// What a read that started at `self` and ended at `after` must have seen, per id: `true`
    /// active, `false` disabled. An id is asserted on when its add was acknowledged before the
    /// read; it must be active when it was active, settled, before and after the read (no
    /// disable started in between), and disabled when its disable was acknowledged before.
    /// (Disables are final in this test: nothing re-enables.)
    fn expected<'a>(&'a self, after: &'a Ledger) -> impl Iterator<Item = (&'a String, bool)> {
        let settled =
            |l: &Ledger, id: &String| !l.unknown.contains(id) && !l.in_flight.contains(id);
        self.added.keys().filter_map(move |id| {
            if !settled(self, id) {
                return None;
            }
            if self.disabled.contains(id) {
                return Some((id, false));
            }
            (settled(after, id) && !after.disabled.contains(id)).then_some((id, true))
        })
    }
}

enum Outcome {
    Acknowledged,
    Killed,
}

fn run_op(args: &[String], dir: &Path, kill_after: Option<Duration>) -> Outcome {
    let mut child = crate::support::banchi()
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn banchi");
    if let Some(d) = kill_after {
        std::thread::sleep(d);
        // The process may have finished already: then it was not killed, and its exit
        // status says whether the change is in.
        let _ = child.kill();
    }
    let out = child.wait_with_output().expect("wait banchi");
    if out.status.success() {
        Outcome::Acknowledged
    } else if kill_after.is_some() && out.status.code().is_none() {
        Outcome::Killed
    } else {
        panic!(
            "banchi {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn ids_matching(list: &Watchlist, addr: &Address) -> HashSet<String> {
    let opts = MatchOptions {
        max_matches: usize::MAX,
        ..MatchOptions::default()
    };
    list.screen_fraud(addr, &opts)
        .matches
        .into_iter()
        .map(|m| m.id)
        .collect()
}

/// Checks one index opened now against what was acknowledged before it was opened.
fn check_index(
    index: &Path,
    ledger: &Mutex<Ledger>,
    parsed: &HashMap<String, Address>,
) -> Result<usize, String> {
    let before = ledger.lock().unwrap().clone();
    let list = Watchlist::open_index(index).map_err(|e| format!("index did not open: {e}"))?;
    let after = ledger.lock().unwrap().clone();
    for (id, want) in before.expected(&after) {
        let present = ids_matching(&list, &parsed[id]).contains(id);
        if present != want {
            return Err(format!(
                "acknowledged entry {id} is {} the index (expected {})",
                if present { "in" } else { "missing from" },
                if want { "active" } else { "disabled" }
            ));
        }
    }
    Ok(list.len())
}

#[test]
fn list_updates_under_load_are_atomic_and_never_lost() {
    let ops: usize = std::env::var("BANCHI_LOAD_OPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(800);
    let seed: u64 = std::env::var("BANCHI_LOAD_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_BA4C);
    eprintln!("update under load: {ops} operations, seed {seed}");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let list_path = dir.join("list.csv");
    let index_path = dir.join("list.idx");

    // Every address the writers may add, parsed once for the readers' checks.
    let parser = Parser::new();
    let writers = 2usize;
    let per_writer = ops.div_ceil(writers);
    let mut parsed: HashMap<String, Address> = HashMap::new();
    for w in 0..writers {
        for n in 0..per_writer {
            let a = parser.parse(&address_of(w, n)).unwrap();
            parsed.insert(format!("w{w}-{n}"), a);
        }
    }
    let parsed = Arc::new(parsed);

    // A first acknowledged change creates the list and the index.
    let seed_args: Vec<String> = [
        "list",
        "add",
        "list.csv",
        "東京都千代田区神田神保町3丁目1番1号",
        "--id",
        "seed",
        "--reason",
        "chargeback",
        "--by",
        "test",
        "--index",
        "list.idx",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert!(matches!(
        run_op(&seed_args, &dir, None),
        Outcome::Acknowledged
    ));

    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let done = Arc::new(AtomicBool::new(false));
    let started = Instant::now();

    // Reader: opens the index and the CSV over and over.
    let reader = {
        let (ledger, done, parsed) = (ledger.clone(), done.clone(), parsed.clone());
        let (index_path, list_path) = (index_path.clone(), list_path.clone());
        std::thread::spawn(move || -> Result<u64, String> {
            let mut reads = 0u64;
            while !done.load(Ordering::SeqCst) {
                check_index(&index_path, &ledger, &parsed)?;
                let before = ledger.lock().unwrap().clone();
                let file =
                    ListFile::open(&list_path).map_err(|e| format!("list did not read: {e}"))?;
                let after = ledger.lock().unwrap().clone();
                for (id, active) in before.expected(&after) {
                    let e = file
                        .get(id)
                        .ok_or_else(|| format!("acknowledged {id} missing from the CSV"))?;
                    let want = if active { "active" } else { "disabled" };
                    if e.status != want {
                        return Err(format!("{id} is {} in the CSV, want {want}", e.status));
                    }
                }
                reads += 1;
            }
            Ok(reads)
        })
    };

    // Screening process: `banchi check --fraud list.idx` again and again.
    let screener = {
        let (done, dir) = (done.clone(), dir.clone());
        std::thread::spawn(move || -> Result<u64, String> {
            let mut runs = 0u64;
            while !done.load(Ordering::SeqCst) {
                let out = crate::support::banchi()
                    .args([
                        "check",
                        "--fraud",
                        "list.idx",
                        "--no-forwarders",
                        "--json",
                        "東京都千代田区神田神保町3丁目1番1号",
                    ])
                    .current_dir(&dir)
                    .output()
                    .map_err(|e| e.to_string())?;
                if out.status.code() != Some(0) {
                    return Err(format!(
                        "check failed: {}",
                        String::from_utf8_lossy(&out.stderr)
                    ));
                }
                let v: serde_json::Value =
                    serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
                if v["fraud"]["grade"] != "danger" {
                    return Err(format!("the seed entry did not match: {v}"));
                }
                runs += 1;
            }
            Ok(runs)
        })
    };

    // Writers: adds and disables of their own ids, some processes killed.
    let writer_threads: Vec<_> = (0..writers)
        .map(|w| {
            let (ledger, dir) = (ledger.clone(), dir.clone());
            std::thread::spawn(move || -> (u64, u64) {
                let mut rng = Rng(seed ^ (w as u64 + 1).wrapping_mul(0xA076_1D64_78BD_642F));
                let (mut acked, mut killed) = (0u64, 0u64);
                let mut active: Vec<String> = Vec::new();
                let mut next = 0usize;
                for _ in 0..per_writer {
                    let disable = !active.is_empty() && rng.below(4) == 0;
                    let (id, args) = if disable {
                        let id = active.swap_remove(rng.below(active.len() as u64) as usize);
                        let args = vec![
                            "list".into(),
                            "disable".into(),
                            "list.csv".into(),
                            id.clone(),
                            "--by".into(),
                            "test".into(),
                            "--index".into(),
                            "list.idx".into(),
                        ];
                        (id, args)
                    } else if next < per_writer {
                        let id = format!("w{w}-{next}");
                        let args = vec![
                            "list".into(),
                            "add".into(),
                            "list.csv".into(),
                            address_of(w, next),
                            "--id".into(),
                            id.clone(),
                            "--reason".into(),
                            "chargeback".into(),
                            "--by".into(),
                            "test".into(),
                            "--index".into(),
                            "list.idx".into(),
                        ];
                        next += 1;
                        (id, args)
                    } else {
                        break;
                    };
                    let kill =
                        (rng.below(8) == 0).then(|| Duration::from_micros(rng.below(25_000)));
                    ledger.lock().unwrap().in_flight.insert(id.clone());
                    let outcome = run_op(&args, &dir, kill);
                    let mut l = ledger.lock().unwrap();
                    l.in_flight.remove(&id);
                    match outcome {
                        Outcome::Acknowledged => {
                            acked += 1;
                            if disable {
                                l.disabled.insert(id);
                            } else {
                                l.added.insert(id.clone(), args[3].clone());
                                active.push(id);
                            }
                        }
                        Outcome::Killed => {
                            killed += 1;
                            if !disable {
                                l.added.insert(id.clone(), args[3].clone());
                            }
                            l.unknown.insert(id);
                        }
                    }
                }
                (acked, killed)
            })
        })
        .collect();

    let (mut acked, mut killed) = (0, 0);
    for t in writer_threads {
        let (a, k) = t.join().expect("writer thread");
        acked += a;
        killed += k;
    }
    done.store(true, Ordering::SeqCst);
    let reads = reader
        .join()
        .expect("reader thread")
        .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
    let checks = screener
        .join()
        .expect("screener thread")
        .unwrap_or_else(|e| panic!("seed {seed}: {e}"));

    // A killed writer may have left the index one change behind the CSV: one more
    // acknowledged change brings it in step, then both must agree with the ledger.
    let last_args: Vec<String> = [
        "list", "disable", "list.csv", "seed", "--by", "test", "--index", "list.idx",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert!(matches!(
        run_op(&last_args, &dir, None),
        Outcome::Acknowledged
    ));
    let final_ledger = ledger.lock().unwrap().clone();
    let in_index = check_index(&index_path, &ledger, &parsed)
        .unwrap_or_else(|e| panic!("seed {seed}: final index: {e}"));
    let file = ListFile::open(&list_path).unwrap();
    let active_rows = file
        .entries()
        .iter()
        .filter(|e| e.status == "active")
        .count();
    assert_eq!(
        in_index, active_rows,
        "seed {seed}: the final index holds {in_index} records, the CSV {active_rows} active rows"
    );
    assert!(final_ledger.in_flight.is_empty());
    for (id, active) in final_ledger.expected(&final_ledger) {
        let e = file
            .get(id)
            .unwrap_or_else(|| panic!("seed {seed}: acknowledged {id} lost"));
        assert_eq!(e.address, final_ledger.added[id]);
        let want = if active { "active" } else { "disabled" };
        assert_eq!(e.status, want, "seed {seed}: {id}");
    }
    // Only the list, its index, the lock file and temp files of killed writers remain.
    let strays: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy().into_owned();
            !matches!(n.as_str(), "list.csv" | "list.idx" | ".list.csv.lock")
        })
        .collect();
    for p in &strays {
        let n = p.file_name().unwrap().to_string_lossy().into_owned();
        assert!(n.ends_with(".tmp"), "unexpected file {n}");
    }
    assert!(acked > 0 && reads > 0 && checks > 0);
    eprintln!(
        "update under load: {acked} acknowledged, {killed} killed, {reads} index reads, \
         {checks} screening runs, {} stray temp files, {:.1} s",
        strays.len(),
        started.elapsed().as_secs_f64()
    );
}
