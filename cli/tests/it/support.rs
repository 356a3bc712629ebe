//! What every CLI test does: run the built `banchi` (`CARGO_BIN_EXE_banchi`), feed it standard
//! input, read its output, and find the repository's sample data.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The `banchi` binary cargo built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_banchi");

/// The repository root (the sample data lives in the library's `data/`).
pub const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// A `banchi` command, to add arguments to.
pub fn banchi() -> Command {
    Command::new(BIN)
}

/// `banchi ARGS…` run in `cwd`, waited for.
pub fn run_in(args: &[&str], cwd: &Path) -> Output {
    banchi()
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run banchi")
}

/// A path under the repository root.
pub fn repo(p: &str) -> PathBuf {
    Path::new(REPO).join(p)
}

/// Runs `cmd` with `input` on its standard input, waits, and returns what it printed. Stdin is
/// fed from another thread: the child writes while it reads, and a full stdout pipe would
/// otherwise block both sides.
pub fn output_with_stdin(cmd: &mut Command, input: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn banchi");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_vec();
    let feeder = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().expect("wait for banchi");
    feeder.join().expect("feeder thread").expect("write stdin");
    out
}

/// Output bytes as text (lossy: a test prints what it got even when it is not UTF-8).
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The records of a CSV text, header included.
pub fn csv_rows_of(text: &str) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    r.records()
        .map(|x| x.expect("a CSV record").iter().map(str::to_owned).collect())
        .collect()
}
