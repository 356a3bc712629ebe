//! `banchi screen` and `banchi config` as a user runs them: the README's command on the sample
//! data, exit codes, help texts, Ctrl-C and --resume.

use crate::support::{banchi, csv_rows_of, repo, REPO};
use std::path::Path;
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    banchi().args(args).output().unwrap()
}

fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .unwrap();
    r.records()
        .map(|x| x.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

/// `banchi screen INPUT -o OUT`, to add arguments to.
fn screen(input: &Path, out: &Path) -> Command {
    let mut cmd = banchi();
    cmd.arg("screen").arg(input).arg("-o").arg(out);
    cmd
}

/// `banchi screen INPUT -o OUT --fraud data/sample_fraud.csv EXTRA…`, run from the repository root.
fn screen_against_sample_fraud(input: &Path, out: &Path, extra: &[&str]) -> Output {
    screen(input, out)
        .args(["--fraud", "data/sample_fraud.csv"])
        .args(extra)
        .current_dir(REPO)
        .output()
        .unwrap()
}

#[test]
fn readme_command_screens_the_sample() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.csv");
    let o = screen_against_sample_fraud(Path::new("data/sample_orders.csv"), &out, &[]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("banchi screen: 20 rows"), "{stderr}");
    assert!(stderr.contains("danger"));
    // No address text in the summary.
    assert!(!stderr.contains("三軒茶屋"));
    let rows = csv_rows(&out);
    let input = csv_rows(&repo("data/sample_orders.csv"));
    assert_eq!(rows.len(), input.len());
    let h = &rows[0];
    let at = |name: &str| h.iter().position(|x| x == name).unwrap();
    for (row, inp) in rows.iter().zip(&input).skip(1) {
        assert_eq!(&row[..inp.len()], &inp[..], "input columns kept");
    }
    let by_id = |id: &str| rows.iter().find(|r| r[0] == id).unwrap();
    assert_eq!(by_id("A-1001")[at("grade")], "danger");
    assert_eq!(by_id("A-1002")[at("grade")], "caution");
    assert_eq!(by_id("A-1004")[at("grade")], "warning");
    assert_eq!(by_id("A-1005")[at("forwarder")], "forwarding_service");
    assert_eq!(by_id("A-1007")[at("reasons")], "office_pickup");
    assert_eq!(by_id("A-1008")[at("score")], "100");
    assert_eq!(by_id("A-1008")[at("level")], "high");
    assert_eq!(by_id("A-1013")[at("reasons")], "fraud_danger;velocity");
    assert_eq!(
        by_id("A-1019")[at("error")],
        "line 20: address: empty address"
    );
}

#[test]
fn fail_on_and_usage_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.csv");
    let out_s = out.to_str().unwrap();
    let sample = repo("data/sample_orders.csv");
    let fraud = repo("data/sample_fraud.csv");
    let (sample, fraud) = (sample.to_str().unwrap(), fraud.to_str().unwrap());
    let code = |args: &[&str]| run(args).status.code();
    assert_eq!(
        code(&[
            "screen",
            sample,
            "-o",
            out_s,
            "--fraud",
            fraud,
            "--fail-on",
            "high",
            "-q"
        ]),
        Some(1)
    );
    assert_eq!(
        code(&[
            "screen",
            sample,
            "-o",
            out_s,
            "--no-forwarders",
            "--fail-on",
            "forwarding_service",
            "-q"
        ]),
        Some(0)
    );
    assert_eq!(
        code(&["screen", sample, "-o", out_s, "--fail-on", "purple"]),
        Some(2)
    );
    assert_eq!(code(&["screen", "/nonexistent.csv", "-o", out_s]), Some(2));
    let o = run(&["screen", sample, "-o", out_s, "--address-column", "住所X"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("住所X"));
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[weights]\nnope = 1\n").unwrap();
    assert_eq!(
        code(&[
            "screen",
            sample,
            "-o",
            out_s,
            "--config",
            bad.to_str().unwrap()
        ]),
        Some(2)
    );
}

#[test]
fn config_show_prints_the_effective_configuration() {
    let o = run(&["config", "show"]);
    assert_eq!(o.status.code(), Some(0));
    let text = String::from_utf8(o.stdout).unwrap();
    let cfg = banchi::config::Config::from_toml_str(&text).unwrap();
    assert_eq!(cfg, banchi::config::Config::default());
    assert!(text.contains("alert_threshold = 10"));

    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("c.toml");
    std::fs::write(&f, "[matching]\nnear_distance = 4\n").unwrap();
    let o = run(&["config", "show", "--config", f.to_str().unwrap()]);
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("near_distance = 4"));
    assert!(text.contains("fraud_danger = 80"));
}

#[test]
fn help_has_examples() {
    for sub in ["screen", "config"] {
        let o = run(&[sub, "--help"]);
        assert_eq!(o.status.code(), Some(0));
        let text = String::from_utf8(o.stdout).unwrap();
        assert!(text.contains("Examples:"), "{sub}");
        assert!(text.contains("banchi "), "{sub}");
    }
    let o = run(&["screen", "--help"]);
    assert!(String::from_utf8(o.stdout).unwrap().contains("Exit status"));
}

/// Ctrl-C (SIGINT) mid-run leaves whole rows and exit status 130; --resume finishes the job
/// with the same bytes as an uninterrupted run.
#[cfg(unix)]
#[test]
fn ctrl_c_then_resume() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("orders.csv");
    let mut s = String::from("order_id,name,address\n");
    for i in 0..150_000 {
        s.push_str(&format!(
            "O{i},黒猫 {},東京都中央区銀座{}-{}-{} コーポ黒猫 {}号室\n",
            i % 7,
            1 + i % 8,
            1 + (i / 8) % 30,
            1 + i % 20,
            101 + i % 9
        ));
    }
    std::fs::write(&input, s).unwrap();
    let full = dir.path().join("full.csv");
    let o = screen(&input, &full).arg("-q").output().unwrap();
    assert_eq!(o.status.code(), Some(0));

    let part = dir.path().join("part.csv");
    let child = screen(&input, &part)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until some rows are written, then interrupt.
    let started = std::time::Instant::now();
    while std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0) < 200_000
        && started.elapsed().as_secs() < 20
    {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let o = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    let expected = std::fs::read(&full).unwrap();
    if o.status.code() == Some(0) {
        // The run finished before the signal arrived (a very fast machine): nothing to test.
        assert_eq!(std::fs::read(&part).unwrap(), expected);
        return;
    }
    assert_eq!(o.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(stderr.contains("--resume"));
    let partial = std::fs::read(&part).unwrap();
    assert!(partial.len() < expected.len());
    assert_eq!(
        &expected[..partial.len()],
        &partial[..],
        "a prefix of whole rows"
    );
    assert!(partial.ends_with(b"\n"));

    let o = screen(&input, &part).arg("--resume").output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stderr).contains("resumed after"));
    assert_eq!(std::fs::read(&part).unwrap(), expected);
}

#[test]
fn check_shows_the_score() {
    let fraud = repo("data/sample_fraud.csv");
    let fraud = fraud.to_str().unwrap();
    let o = run(&[
        "check",
        "東京都世田谷区三軒茶屋2-11-5 コーポ黒猫201",
        "--fraud",
        fraud,
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(
        text.starts_with("{\"input\":"),
        "screening keys first: {text}"
    );
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["fraud"]["grade"], "danger");
    assert_eq!(v["score"], 80);
    assert_eq!(v["level"], "high");
    assert_eq!(v["alert"], true);
    assert_eq!(v["reasons"][0]["code"], "fraud_danger");
    assert!(v["reasons"][0]["ja"].as_str().unwrap().contains("F0001"));

    // Readable form, not a terminal: no colour codes.
    let o = run(&[
        "check",
        "東京都千代田区丸の内1-9-1 ヤマト運輸丸の内営業所止め",
    ]);
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("20/100 low"), "{text}");
    assert!(text.contains("office_pickup +20"));
    assert!(!text.contains('\u{1b}'), "no ANSI codes when piped");

    // --fail-on alert / high.
    let code = |args: &[&str]| run(args).status.code();
    assert_eq!(
        code(&["check", "東京都中央区銀座4-6-16", "--fail-on", "alert"]),
        Some(0)
    );
    assert_eq!(
        code(&[
            "check",
            "東京都中央区銀座4-6-16 PM12345",
            "--fail-on",
            "alert"
        ]),
        Some(1)
    );
    assert_eq!(
        code(&[
            "check",
            "東京都中央区銀座4-6-16 PM12345",
            "--fail-on",
            "high"
        ]),
        Some(0)
    );
    assert_eq!(code(&["check", "x", "--fail-on", "nope"]), Some(2));
}

#[test]
fn screen_near_distance_and_repeated_fail_on() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).to_string_lossy().into_owned();
    std::fs::write(
        p("fraud.csv"),
        "id,address,reason\nF1,東京都世田谷区三軒茶屋2-5-1,chargeback\n",
    )
    .unwrap();
    // Banchi 8 is 3 away from the listed 5: outside the default near distance (2).
    std::fs::write(p("orders.csv"), "address\n東京都世田谷区三軒茶屋2-8-1\n").unwrap();
    let grade = |extra: &[&str]| {
        let (orders, out, fraud) = (p("orders.csv"), p("out.csv"), p("fraud.csv"));
        let mut args = vec!["screen", &orders, "-o", &out, "--fraud", &fraud, "-q"];
        args.extend_from_slice(extra);
        let o = run(&args);
        let rows = csv_rows(Path::new(&out));
        let at = rows[0].iter().position(|x| x == "grade").unwrap();
        (o.status.code(), rows[1][at].clone())
    };
    assert_eq!(grade(&[]), (Some(0), String::new()));
    assert_eq!(grade(&["--near", "3"]), (Some(0), "warning".to_owned()));
    // --fail-on repeats: any one reached sets exit 1.
    assert_eq!(
        grade(&["--near", "3", "--fail-on", "danger", "--fail-on", "warning"]),
        (Some(1), "warning".to_owned())
    );
    assert_eq!(
        grade(&["--near", "3", "--fail-on", "danger", "--fail-on", "high"]),
        (Some(0), "warning".to_owned())
    );
}

#[test]
fn shift_jis_input_is_decoded_with_encoding() {
    let dir = tempfile::tempdir().unwrap();
    let utf8 = std::fs::read_to_string(repo("data/sample_orders.csv")).unwrap();
    let (sjis, _, lossy) = encoding_rs::SHIFT_JIS.encode(&utf8);
    assert!(!lossy, "the sample is all Shift_JIS characters");
    let input = dir.path().join("sjis.csv");
    std::fs::write(&input, &sjis).unwrap();
    let screen = |input: &Path, out: &str, extra: &[&str]| {
        let out = dir.path().join(out);
        let args: Vec<&str> = ["-q"].into_iter().chain(extra.iter().copied()).collect();
        let o = screen_against_sample_fraud(input, &out, &args);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        // A Shift_JIS list comes back Shift_JIS (the default output encoding is the input's).
        let bytes = std::fs::read(&out).unwrap();
        let text = if extra.contains(&"--encoding") {
            assert!(std::str::from_utf8(&bytes).is_err(), "not UTF-8");
            let (text, _, errors) = encoding_rs::SHIFT_JIS.decode(&bytes);
            assert!(!errors, "valid Shift_JIS");
            text.into_owned()
        } else {
            String::from_utf8(bytes).unwrap()
        };
        csv_rows_of(&text)
    };
    let want = screen(&repo("data/sample_orders.csv"), "utf8.csv", &[]);
    for label in ["shift_jis", "cp932", "sjis"] {
        let got = screen(&input, "sjis_out.csv", &["--encoding", label]);
        assert_eq!(got.len(), want.len());
        // Verdicts equal row for row (input text may differ where Shift_JIS maps a dash
        // look-alike to another).
        let verdicts = |rows: &[Vec<String>]| -> Vec<Vec<String>> {
            rows.iter().map(|r| r[r.len() - 7..].to_vec()).collect()
        };
        assert_eq!(verdicts(&got), verdicts(&want), "--encoding {label}");
        assert_eq!(got[1][0], "A-1001", "input columns decoded");
    }
    // Without it: every row still comes out, each saying its address is not UTF-8.
    let raw = screen(&input, "raw.csv", &[]);
    assert_eq!(raw.len(), want.len());
    let error = raw[0].iter().position(|x| x == "error").unwrap();
    assert!(raw[1..]
        .iter()
        .all(|r| r[error].contains("not valid UTF-8")));
    // An unknown label is a usage error.
    let o = run(&["screen", "x.csv", "-o", "y.csv", "--encoding", "klingon"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn output_encoding_follows_the_input_or_is_chosen() {
    let dir = tempfile::tempdir().unwrap();
    let run_ok = |input: &Path, out: &Path, extra: &[&str]| {
        let args: Vec<&str> = ["-q"].into_iter().chain(extra.iter().copied()).collect();
        let o = screen_against_sample_fraud(input, out, &args);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        std::fs::read(out).unwrap()
    };
    // A UTF-8 list with a BOM keeps it; without one, none is added.
    let sample = std::fs::read(repo("data/sample_orders.csv")).unwrap();
    let with_bom = dir.path().join("bom.csv");
    std::fs::write(&with_bom, [&b"\xEF\xBB\xBF"[..], &sample].concat()).unwrap();
    let out = dir.path().join("out.csv");
    let plain = run_ok(&repo("data/sample_orders.csv"), &out, &[]);
    assert!(!plain.starts_with(b"\xEF\xBB\xBF"));
    let bom = run_ok(&with_bom, &out, &[]);
    assert_eq!(&bom[..3], b"\xEF\xBB\xBF");
    assert_eq!(&bom[3..], &plain[..], "the same rows after the BOM");
    let forced = run_ok(&with_bom, &out, &["--output-encoding", "utf-8"]);
    assert_eq!(forced, plain);
    let added = run_ok(
        &repo("data/sample_orders.csv"),
        &out,
        &["--output-encoding", "utf-8-bom"],
    );
    assert_eq!(added, bom);
    // cp932 asked for a UTF-8 list: a character CP932 lacks (𠮷) becomes 〓, and the row's
    // error names its column.
    let input = dir.path().join("kichi.csv");
    std::fs::write(
        &input,
        "order_id,name,address\nK-1,𠮷田 花子,東京都世田谷区三軒茶屋2-11-5 コーポ黒猫201号室\nK-2,黒猫 花子,東京都中央区銀座4-6-16\n",
    )
    .unwrap();
    let sjis = run_ok(&input, &out, &["--output-encoding", "cp932"]);
    let (text, _, errors) = encoding_rs::SHIFT_JIS.decode(&sjis);
    assert!(!errors);
    let rows = csv_rows_of(&text);
    let error = rows[0].iter().position(|x| x == "error").unwrap();
    assert_eq!(rows[1][1], "〓田 花子");
    assert!(rows[1][error].contains("column name"), "{}", rows[1][error]);
    assert!(rows[1][error].starts_with("line 2: "), "{}", rows[1][error]);
    assert_eq!(
        rows[1][rows[0].iter().position(|x| x == "grade").unwrap()],
        "danger"
    );
    assert_eq!(rows[2][1], "黒猫 花子");
    assert_eq!(rows[2][error], "");
    // JSONL stays UTF-8; asking otherwise is a usage error.
    let o = screen_against_sample_fraud(
        &input,
        &dir.path().join("out.jsonl"),
        &["-q", "--output-encoding", "cp932"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("JSONL"));
    let o = run(&[
        "screen",
        "x.csv",
        "-o",
        "y.csv",
        "--output-encoding",
        "latin1",
    ]);
    assert_eq!(o.status.code(), Some(2));
}
