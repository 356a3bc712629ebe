//! Hostile input (issue 5, part 3): the cost of one `parse` is bounded.
//!
//! Worst-case shapes near the size cap (1,000 bytes of digits, repeated 丁目, repeated
//! hyphens, repeated prefecture and city names, deep kanji numerals, many spaces…) are
//! compared with the median of ordinary addresses on two measures:
//!
//! * **allocation volume** — a counting global allocator (per thread) gives a deterministic
//!   work proxy: bytes and calls allocated by one parse (minimum of three, see
//!   [`allocation_of`]). It catches quadratic copying and lattice blow-ups that allocate,
//!   with no timing noise, and a second test checks that doubling an input at most
//!   (about) doubles it;
//! * **time** — the minimum over several repetitions of a batch of parses. This is a
//!   **coarse guard** against exponential or quadratic CPU blow-ups (regex backtracking,
//!   unbounded lattices), not a benchmark: the machine is shared, so the bound is the issue's
//!   generous 100× the median, and the minimum of the repetitions discards scheduling noise.
//!
//! Inputs over `MAX_INPUT_BYTES` must be refused with `TooLong` before any work is done:
//! 100 kB of digits is checked to cost (almost) no allocation and no more time than an
//! ordinary address.

use banchi::{ParseError, Parser, MAX_INPUT_BYTES};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// Counting allocator (per thread, so parallel tests do not disturb each other)
// ---------------------------------------------------------------------------------------------

struct Counting;

thread_local! {
    static BYTES: Cell<u64> = const { Cell::new(0) };
    static CALLS: Cell<u64> = const { Cell::new(0) };
}

fn note(size: usize) {
    // `try_with`: the allocator also runs while thread locals are torn down.
    let _ = BYTES.try_with(|b| b.set(b.get() + size as u64));
    let _ = CALLS.try_with(|c| c.set(c.get() + 1));
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Bytes and calls allocated on this thread by one parse of `s`, after a first parse of the
/// same input has run any lazy initialisation it triggers (the segmenter's dictionary and
/// thread-local lattice). The minimum of three parses: the count is exact on a quiet thread,
/// but a cache shared between threads (the `regex` crate's matcher pool) allocates a fresh
/// cache when another test thread holds it at that moment, which only ever adds.
fn allocation_of(p: &Parser, s: &str) -> (u64, u64) {
    let _ = p.parse(s);
    (0..3).map(|_| allocation_once(p, s)).min().unwrap()
}

fn allocation_once(p: &Parser, s: &str) -> (u64, u64) {
    let (b0, c0) = (BYTES.with(Cell::get), CALLS.with(Cell::get));
    let r = p.parse(black_box(s));
    let (b1, c1) = (BYTES.with(Cell::get), CALLS.with(Cell::get));
    drop(black_box(r));
    (b1 - b0, c1 - c0)
}

// ---------------------------------------------------------------------------------------------
// Inputs (places are real and public; buildings and IDs fictional)
// ---------------------------------------------------------------------------------------------

fn ordinary() -> Vec<String> {
    [
        "東京都中央区銀座4丁目6番16号 銀座ビル3F 301号室",
        "東京都千代田区丸の内1-9-1",
        "大阪府大阪市北区梅田３丁目１−１ 大阪ビル12F",
        "大阪市北区梅田三丁目一番一号　大阪ビル１２階",
        "〒060-0001 北海道札幌市中央区北一条西2丁目1番地",
        "神奈川県横浜市中区本町6-50-10",
        "愛知県名古屋市中区三の丸3丁目1番1号",
        "京都府京都市中京区寺町通御池上る上本能寺前町488",
        "福岡県福岡市中央区天神1丁目8番1号 天神ハイツ205",
        "宮城県仙台市青葉区国分町3-7-1",
        "広島県広島市中区国泰寺町1丁目6-34",
        "沖縄県那覇市泉崎1-2-2 メゾン泉崎 502",
        "長野県長野市大字鶴賀緑町1613",
        "世田谷区世田谷4-21-27 サンハイツ21 101",
        "埼玉県さいたま市浦和区高砂3丁目15番1号",
        "千葉県千葉市中央区市場町1番1号",
        "東京都新宿区西新宿2丁目8−1 PM12345",
        "兵庫県神戸市中央区加納町6丁目5番1号",
        "静岡県静岡市葵区追手町9番6号",
        "新潟県新潟市中央区学校町通1番町602番地1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Length of the worst cases: near the cap, as the issue asks ("1,000 bytes of digits").
const WORST_LEN: usize = 1000;

fn worst_cases() -> Vec<(&'static str, String)> {
    worst_cases_of(WORST_LEN)
}

/// The worst-case shapes, each about `len` bytes (at most `len`).
fn worst_cases_of(len: usize) -> Vec<(&'static str, String)> {
    assert!(len <= MAX_INPUT_BYTES);
    // `head` followed by `unit` repeated while the whole stays within `len`.
    let fill = |head: &str, unit: &str| {
        let mut s = head.to_owned();
        while s.len() + unit.len() <= len {
            s.push_str(unit);
        }
        s
    };
    let front = "東京都中央区銀座";
    vec![
        ("1,000 bytes of digits", "1".repeat(len)),
        ("address + digits", fill(front, "7")),
        ("repeated 丁目", fill("", "丁目")),
        ("town + repeated 1丁目", fill(front, "1丁目")),
        ("town + repeated 四丁目", fill(front, "四丁目")),
        ("repeated hyphens", "-".repeat(len)),
        ("address + 1- repeated", fill(front, "1-")),
        ("address + ー repeated", fill(front, "ー")),
        ("address + 1ー repeated", fill(front, "1ー")),
        ("address + full-width －１ repeated", fill(front, "－１")),
        ("repeated prefecture names", fill("", "東京都")),
        ("repeated prefecture + city", fill("", "東京都中央区")),
        ("repeated city names", fill("", "中央区")),
        ("repeated town names", fill("東京都中央区", "銀座")),
        ("all prefectures round robin", {
            let g = banchi::gazetteer::Gazetteer::get();
            let mut s = String::new();
            for p in g.prefectures().iter().cycle() {
                if s.len() + p.name.len() > len {
                    break;
                }
                s.push_str(p.name);
            }
            s
        }),
        (
            "deep kanji numerals",
            fill(front, "一二三四五六七八九十百千"),
        ),
        (
            "kanji numerals after 番地",
            fill(&format!("{front}四丁目"), "九千九百九十九番地の"),
        ),
        ("repeated 番地の", fill(front, "1番地の")),
        ("many ASCII spaces", fill("東京都 中央区 銀座", " ")),
        ("spaces between digits", fill(front, "1 ")),
        ("many full-width spaces", fill("東京都　中央区　", "　")),
        (
            "spaces between every char",
            fill("", "東 京 都 中 央 区 銀 座 1 "),
        ),
        (
            "repeated building/floor/room",
            fill(front, "1-1 ビル3F 301号室 "),
        ),
        ("repeated customer IDs", fill(front, "PM12345 ")),
        ("repeated postal codes", fill("", "〒100-0001 ")),
        ("hyphen look-alikes", fill(front, "1‐2‑3‒4–5—6―7−8")),
        ("half-width kana with marks", fill(front, "ﾊﾞｲﾄﾞﾋﾞﾙ")),
        ("katakana and long vowels", fill(front, "ビーム")),
        ("kana only", fill("", "あいうえお")),
    ]
}

// ---------------------------------------------------------------------------------------------
// Measures
// ---------------------------------------------------------------------------------------------

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Minimum over `reps` repetitions of the time of `batch` parses of `s`, per parse.
fn min_time(p: &Parser, s: &str, reps: usize, batch: usize) -> Duration {
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..batch {
                black_box(p.parse(black_box(s)).ok());
            }
            t.elapsed() / batch as u32
        })
        .min()
        .unwrap()
}

const BOUND: f64 = 100.0;

#[test]
fn worst_cases_are_within_the_size_cap_and_parse() {
    // The worst cases exercise the parser, not the size check: each must be accepted.
    let p = Parser::new();
    for (name, s) in worst_cases() {
        assert!(s.len() <= MAX_INPUT_BYTES, "{name}: {} bytes", s.len());
        assert!(
            s.len() >= 900,
            "{name}: only {} bytes, not a worst case",
            s.len()
        );
        let r = p.parse(&s);
        assert!(
            !matches!(r, Err(ParseError::TooLong { .. }) | Err(ParseError::Empty)),
            "{name}: {r:?}"
        );
    }
}

#[test]
fn allocation_per_input_is_bounded() {
    let p = Parser::new();
    // Warm up the gazetteer and the segmenter's lazily loaded dictionary.
    for s in ordinary() {
        let _ = p.parse(&s);
    }
    let ord: Vec<(u64, u64)> = ordinary().iter().map(|s| allocation_of(&p, s)).collect();
    // Deterministic: the same input allocates the same again.
    for (s, &first) in ordinary().iter().zip(&ord) {
        assert_eq!(
            allocation_of(&p, s),
            first,
            "allocation of {s:?} changed between runs"
        );
    }
    let med_bytes = median(ord.iter().map(|x| x.0 as f64).collect());
    let med_calls = median(ord.iter().map(|x| x.1 as f64).collect());
    assert!(
        med_bytes > 0.0 && med_calls > 0.0,
        "the counting allocator saw nothing"
    );
    let mut report = Vec::new();
    let mut over = Vec::new();
    for (name, s) in worst_cases() {
        let (bytes, calls) = allocation_of(&p, &s);
        assert_eq!(
            allocation_once(&p, &s),
            (bytes, calls),
            "{name}: allocation not repeatable"
        );
        let (rb, rc) = (bytes as f64 / med_bytes, calls as f64 / med_calls);
        report.push(format!(
            "{name:40} {bytes:>9} B ({rb:6.1}×) {calls:>6} allocs ({rc:6.1}×)"
        ));
        if rb > BOUND || rc > BOUND {
            over.push(name);
        }
    }
    println!(
        "median ordinary: {med_bytes} B, {med_calls} allocs\n{}",
        report.join("\n")
    );
    assert!(
        over.is_empty(),
        "over {BOUND}× the median allocation: {over:?}\n{}",
        report.join("\n")
    );

    // Over the cap: refused before any real work (the error itself is allocation-free).
    let huge = "1".repeat(100_000);
    let (bytes, calls) = allocation_of(&p, &huge);
    assert!(
        matches!(
            p.parse(&huge),
            Err(ParseError::TooLong { len: 100_000, .. })
        ),
        "100 kB accepted"
    );
    assert_eq!((bytes, calls), (0, 0), "TooLong path allocated");
}

/// Coarse guard (see the module docs): min-of-repetitions time of each worst case ≤ 100× the
/// median ordinary address. Ordinary parses take microseconds, so the bound is a few hundred
/// microseconds to a millisecond: a regex or lattice blow-up on 1 kB overshoots it by orders
/// of magnitude, scheduling noise on a shared machine does not once the minimum is taken.
#[test]
fn time_per_input_is_bounded() {
    let p = Parser::new();
    let (reps, batch) = (7, 20);
    for s in ordinary() {
        let _ = p.parse(&s);
    }
    let ord: Vec<f64> = ordinary()
        .iter()
        .map(|s| min_time(&p, s, reps, batch).as_secs_f64())
        .collect();
    let med = median(ord);
    let mut report = Vec::new();
    let mut over = Vec::new();
    for (name, s) in worst_cases() {
        let mut t = min_time(&p, &s, reps, batch).as_secs_f64();
        if t > BOUND * med {
            // One retry with more repetitions before calling it: the machine is shared.
            t = t.min(min_time(&p, &s, reps * 3, batch).as_secs_f64());
        }
        report.push(format!("{name:40} {:>9.1} µs ({:6.1}×)", t * 1e6, t / med));
        if t > BOUND * med {
            over.push(name);
        }
    }
    println!(
        "median ordinary: {:.1} µs\n{}",
        med * 1e6,
        report.join("\n")
    );
    assert!(
        over.is_empty(),
        "over {BOUND}× the median time: {over:?}\n{}",
        report.join("\n")
    );

    let huge = "1".repeat(100_000);
    let t = min_time(&p, &huge, reps, batch).as_secs_f64();
    assert!(
        t <= med * 10.0,
        "TooLong on 100 kB took {:.1} µs (median {:.1} µs)",
        t * 1e6,
        med * 1e6
    );
}

/// Deterministic scaling check: doubling a worst-case input (500 → 1,000 bytes) may at most
/// triple its allocation (linear work doubles it, quadratic work quadruples it).
#[test]
fn allocation_grows_linearly_with_input() {
    let p = Parser::new();
    let half = worst_cases_of(WORST_LEN / 2);
    let full = worst_cases_of(WORST_LEN);
    let mut report = Vec::new();
    let mut over = Vec::new();
    for ((name, small), (_, large)) in half.iter().zip(&full) {
        let (b1, _) = allocation_of(&p, small);
        let (b2, _) = allocation_of(&p, large);
        // Fixed costs dominate small inputs: compare growth against the input-size growth.
        let size_ratio = large.len() as f64 / small.len().max(1) as f64;
        let ratio = b2 as f64 / b1.max(1) as f64;
        report.push(format!(
            "{name:40} {b1:>8} B → {b2:>8} B ({ratio:4.2}× for {size_ratio:4.2}× the bytes)"
        ));
        if ratio > 1.5 * size_ratio {
            over.push(*name);
        }
    }
    println!("{}", report.join("\n"));
    assert!(
        over.is_empty(),
        "super-linear allocation: {over:?}\n{}",
        report.join("\n")
    );
}
