//! Hand-made cases by class: how many of each class the parser gets right, and which fail.
//!
//! ```text
//! cargo run --release --example handmade [-- --show N] [--class NAME]
//! ```
//! Prints, per class, the share of cases with every field right and with prefecture..go
//! right, then up to N failing cases of each class (default 10) with the fields that differ
//! (`got` ≠ `want`). Cases: `tests/data/handmade/*.tsv` (format in that folder's README).
//! Then the grading pairs (`grading_pairs.tsv`): the share whose fraud grade is as written.

#[path = "../tests/support/handmade.rs"]
mod handmade;

use banchi::Parser;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let value_of = |flag: &str| {
        args.iter()
            .skip_while(|a| *a != flag)
            .nth(1)
            .map(String::as_str)
    };
    let show: usize = value_of("--show")
        .and_then(|n| n.parse().ok())
        .unwrap_or(10);
    let only = value_of("--class");
    let cases = match handmade::load_all() {
        Ok(cases) => cases,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let parser = Parser::new();
    let (mut total, mut all_right, mut block_right) = (0, 0, 0);
    println!("class            cases  every field  prefecture..go");
    for (class, _) in handmade::CLASSES {
        if only.is_some_and(|o| o != *class) {
            continue;
        }
        let mut failures = Vec::new();
        let (mut n, mut all, mut block) = (0, 0, 0);
        for case in cases.iter().filter(|c| c.class == *class) {
            let outcome = handmade::check(&parser, case);
            n += 1;
            all += outcome.all_right() as usize;
            block += outcome.block_right() as usize;
            if !outcome.all_right() {
                failures.push((case, outcome));
            }
        }
        let pc = |k: usize| 100.0 * k as f64 / n.max(1) as f64;
        println!(
            "{class:<16} {n:>5}  {:>10.1} %  {:>12.1} %",
            pc(all),
            pc(block)
        );
        for (case, outcome) in failures.iter().take(show) {
            let wrong: Vec<String> = outcome
                .wrong
                .iter()
                .map(|(f, got, want)| format!("{f}: got `{got}` want `{want}`"))
                .collect();
            println!(
                "    line {:>3}  {}  —  {}",
                case.line,
                case.input,
                wrong.join("; ")
            );
        }
        total += n;
        all_right += all;
        block_right += block;
    }
    let pc = |k: usize| 100.0 * k as f64 / total.max(1) as f64;
    println!(
        "{:<16} {total:>5}  {:>10.1} %  {:>12.1} %",
        "all",
        pc(all_right),
        pc(block_right)
    );
    let pairs = match handmade::load_pairs() {
        Ok(pairs) => pairs,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let mut right = 0;
    let mut wrong = Vec::new();
    for pair in &pairs {
        match handmade::grade_pair(&parser, pair) {
            Ok((screened, graded)) if screened == pair.grade && graded == pair.grade => right += 1,
            Ok((screened, graded)) => wrong.push(format!(
                "    line {:>3}  {}  —  screened `{screened}`, graded `{graded}`, want `{}`",
                pair.line, pair.query, pair.grade
            )),
            Err(e) => wrong.push(format!("    line {:>3}  {e}", pair.line)),
        }
    }
    println!(
        "grading pairs    {:>5}  {:>10.1} %  (fraud grade as written, both lookups)",
        pairs.len(),
        100.0 * right as f64 / pairs.len().max(1) as f64
    );
    for w in wrong.iter().take(show) {
        println!("{w}");
    }
}
