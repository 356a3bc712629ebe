//! `banchi normalize` as a user runs it: arguments, stdin streaming, one line out per line in,
//! in order, with an `error` field for lines that cannot be parsed.

use crate::support::{banchi, output_with_stdin};
use serde_json::Value;

fn run_stdin(input: &[u8]) -> (Vec<Value>, i32) {
    let out = output_with_stdin(banchi().arg("normalize"), input);
    let lines = String::from_utf8(out.stdout)
        .expect("stdout is UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    (lines, out.status.code().unwrap_or(-1))
}

#[test]
fn one_json_line_per_input_line_in_order() {
    let mut input = Vec::new();
    input.extend_from_slice("東京都中央区銀座4-6-16\n".as_bytes());
    input.extend_from_slice(b"\n");
    input.extend_from_slice(b"\xff\xfe broken utf-8\n");
    input.extend_from_slice("大阪府大阪市北区梅田3丁目1-1\r\n".as_bytes());
    input.extend_from_slice(&[b'1'; 100_000]);
    input.extend_from_slice(b"\n");
    input.extend_from_slice("hello\u{0}world\n".as_bytes());
    input.extend_from_slice("北海道札幌市中央区北3西1-2-3".as_bytes()); // no final newline
    let (lines, code) = run_stdin(&input);
    assert_eq!(code, 0);
    assert_eq!(lines.len(), 7);
    assert_eq!(lines[0]["town"], "銀座");
    assert_eq!(lines[0]["error"], Value::Null);
    assert_eq!(lines[1]["error"], "empty address");
    assert_eq!(lines[2]["error"], "input is not valid UTF-8");
    assert_eq!(lines[3]["city"], "大阪市北区");
    assert!(lines[4]["error"]
        .as_str()
        .is_some_and(|e| e.starts_with("address too long")));
    assert_eq!(lines[5]["level"], "none");
    assert!(lines[5]["error"].is_string());
    assert_eq!(lines[6]["town"], "北三条西");
    assert_eq!(lines[6]["chome"], 1);
}

#[test]
fn many_lines_keep_their_order() {
    let towns = ["銀座", "築地", "日本橋", "八丁堀"];
    let mut input = String::new();
    for i in 0..20_000 {
        let t = towns[i % towns.len()];
        input.push_str(&format!("東京都中央区{t}1-{}-{}\n", i % 30 + 1, i % 40 + 1));
    }
    let (lines, code) = run_stdin(input.as_bytes());
    assert_eq!(code, 0);
    assert_eq!(lines.len(), 20_000);
    for (i, l) in lines.iter().enumerate() {
        assert_eq!(l["town"], towns[i % towns.len()], "line {i}");
        assert_eq!(l["go"], (i % 40 + 1).to_string(), "line {i}");
    }
}

#[test]
fn arguments_are_answered_in_order() {
    let out = banchi()
        .args([
            "normalize",
            "東京都江東区豊洲 １ー２ー２７",
            "京都府京都市中京区寺町通御池上る上本能寺前町488",
        ])
        .output()
        .expect("run banchi");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["key"], "13108|豊洲|1|2|27||");
    assert_eq!(lines[1]["town"], "上本能寺前町");
    assert_eq!(lines[1]["banchi"], "488");
}

#[test]
fn usage_errors_exit_2() {
    let out = banchi()
        .args(["normalize", "--no-such-flag"])
        .output()
        .expect("run banchi");
    assert_eq!(out.status.code(), Some(2));
}
