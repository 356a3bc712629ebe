//! Bulk screening through the library: no row lost on malformed input, output order, formats,
//! and an interrupted or killed run resumed equals an uninterrupted one.

use crate::support::screening::{screen_file_stopping, screener_with_fraud};
use banchi::bulk::{self, Format, Options, ADDED_COLUMNS};
use banchi::config::Config;
use banchi::{Scorer, Screener};
use std::path::Path;
use std::sync::atomic::AtomicBool;

const FRAUD: &str = "\
id,address,reason
F1,東京都世田谷区三軒茶屋2-11-5 コーポ黒猫201号室,chargeback
";

fn screener() -> Screener {
    screener_with_fraud(FRAUD)
}

fn run(input: &[u8], format: Format, opts: &Options) -> Vec<u8> {
    let mut out = Vec::new();
    let scorer = Scorer::new(&Config::default());
    bulk::screen_stream(input, &mut out, format, opts, &screener(), &scorer).unwrap();
    out
}

/// Output rows as field vectors (header first), read back with the csv crate.
fn rows(out: &[u8], delimiter: u8) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(delimiter)
        .quoting(delimiter == b',')
        .from_reader(out);
    r.records()
        .map(|x| x.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

fn col(header: &[String], name: &str) -> usize {
    header.iter().position(|h| h == name).unwrap()
}

#[test]
fn malformed_csv_keeps_every_row() {
    let big = "x".repeat(100 * 1024);
    let mut input = Vec::new();
    input.extend_from_slice("id,name,address\n".as_bytes());
    input.extend_from_slice("1,黒猫 花子,東京都世田谷区三軒茶屋2-11-5 コーポ黒猫 201\n".as_bytes()); // line 2
    input.extend_from_slice("3,三毛,東京都中央区銀座4-6-16,extra,more\n".as_bytes()); // 3: too many
    input.extend_from_slice("4,茶虎\n".as_bytes()); // 4: too few
    input.extend_from_slice(b"5,\xff\xfe,\xe6\x9d\xb1\xe4\xba\xac\xe9\x83\xbd\xe4\xb8\xad\xe5\xa4\xae\xe5\x8c\xba\xe9\x8a\x80\xe5\xba\xa74-6-16\n"); // 5: bad UTF-8 in name
    input.extend_from_slice(b"6,x,\xff\xfe\n"); // 6: bad UTF-8 address
    input.extend_from_slice("7,錆猫,\n".as_bytes()); // 7: empty address
    input.extend_from_slice(format!("8,{big},東京都中央区銀座4-6-16\n").as_bytes()); // 8: 100 kB name
    input.extend_from_slice(format!("9,縞猫,{big}\n").as_bytes()); // 9: 100 kB address
    input.extend_from_slice("10,\"灰猫\n二行目\",東京都中央区銀座4-6-16\n".as_bytes()); // 10-11: quoted line break
    input.extend_from_slice("2,\"白猫 次郎,東京都中央区銀座4-6-16\n".as_bytes()); // 12: quote never closed
    input.extend_from_slice("\n".as_bytes()); // 13: empty line
    input.extend_from_slice("11,斑猫,東京都中央区銀座4-6-16".as_bytes()); // 14: no final newline

    let out = run(&input, Format::Csv, &Options::default());
    let r = rows(&out, b',');
    let header = &r[0];
    assert_eq!(header.len(), 3 + ADDED_COLUMNS.len());
    assert_eq!(&header[3..], &ADDED_COLUMNS.map(String::from)[..]);
    let data = &r[1..];
    assert_eq!(
        data.len(),
        12,
        "12 input records (lines 2-14, one spans two lines), 12 rows"
    );
    for row in data {
        assert_eq!(row.len(), header.len(), "every row has the full width");
    }
    let (err, grade, score) = (
        col(header, "error"),
        col(header, "grade"),
        col(header, "score"),
    );
    let ids: Vec<&str> = data.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(ids[0], "1");
    assert_eq!(data[0][grade], "danger");
    assert_eq!(data[0][err], "");
    assert_eq!(data[0][score], "80");

    assert!(
        data[1][err].contains("5 fields, the header has 3"),
        "{}",
        data[1][err]
    );
    assert_eq!(
        data[1][2], "東京都中央区銀座4-6-16,extra,more",
        "extra fields kept"
    );
    assert!(data[2][err].contains("2 fields, the header has 3"));
    assert_eq!(
        data[3][err],
        "line 5: not valid UTF-8 (replaced with U+FFFD)"
    );
    assert_eq!(data[3][score], "0", "the address itself was screened");
    assert!(data[3][1].contains('\u{FFFD}'));
    assert_eq!(
        data[4][err],
        "line 6: the address is not valid UTF-8 (Shift_JIS or EUC-JP? give the input encoding)"
    );
    assert_eq!(data[5][err], "line 7: address: empty address");
    assert_eq!(data[5][score], "30");
    assert_eq!(data[6][err], "", "a 100 kB name is read");
    assert_eq!(data[6][1].len(), 100 * 1024);
    assert!(
        data[7][err].contains("address too long"),
        "{}",
        data[7][err]
    );
    assert_eq!(data[8][1], "灰猫\n二行目", "quoted line break kept");
    assert_eq!(data[8][err], "");
    assert!(
        data[9][err].starts_with("line 12: a quote is not closed"),
        "{}",
        data[9][err]
    );
    assert_eq!(data[9][grade], "");
    assert_eq!(data[10][err], "line 13: an empty line");
    assert_eq!(data[11][0], "11");
    assert_eq!(data[11][err], "");
}

#[test]
fn a_stray_quote_closed_later_is_one_rfc_4180_record() {
    // As Excel reads it: the lines between the two quotes are one field of one record, which
    // gets an error for its width; the rows after it are read as usual.
    let input = "id,name,address\n1,\"白猫,東京都中央区銀座4-6-16\n2,三毛,東京都中央区銀座4-6-16\n3,茶虎\",東京都中央区銀座4-6-16\n4,錆猫,東京都中央区銀座4-6-16\n";
    let out = run(input.as_bytes(), Format::Csv, &Options::default());
    let r = rows(&out, b',');
    let err = col(&r[0], "error");
    assert_eq!(r.len(), 3, "header + 2 rows");
    assert_eq!(
        r[1][1],
        "白猫,東京都中央区銀座4-6-16\n2,三毛,東京都中央区銀座4-6-16\n3,茶虎"
    );
    assert_eq!(r[1][err], "");
    assert_eq!(r[2][0], "4");
}

#[test]
fn output_keeps_input_order_across_chunks() {
    let mut input = String::from("n,address\n");
    for i in 0..5000 {
        input.push_str(&format!("{i},東京都中央区銀座4-6-{}\n", 1 + i % 40));
    }
    let opts = Options {
        chunk_rows: 64,
        ..Options::default()
    };
    let out = run(input.as_bytes(), Format::Csv, &opts);
    let r = rows(&out, b',');
    assert_eq!(r.len(), 5001);
    for (i, row) in r[1..].iter().enumerate() {
        assert_eq!(row[0], i.to_string());
        assert_eq!(
            row[1],
            format!("東京都中央区銀座4-6-{}", 1 + i % 40),
            "copied verbatim"
        );
    }
}

#[test]
fn tsv_and_jsonl() {
    let tsv = "id\taddress\n1\t東京都世田谷区三軒茶屋2-11-5-201\n2\t\"quoted\n";
    let out = run(tsv.as_bytes(), Format::Tsv, &Options::default());
    let r = rows(&out, b'\t');
    assert_eq!(r.len(), 3);
    assert_eq!(r[1][col(&r[0], "grade")], "danger");
    assert_eq!(r[2][1], "\"quoted", "TSV has no quoting");

    let jsonl = "{\"id\":1,\"address\":\"東京都世田谷区三軒茶屋2-11-5-201\",\"name\":\"黒猫\"}\n\
                 not json\n\
                 {}\n\
                 {\"id\":3,\"address\":\"東京都千代田区丸の内1-9-1 営業所止め\"}\n";
    let out = run(jsonl.as_bytes(), Format::Jsonl, &Options::default());
    let lines: Vec<serde_json::Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["id"], 1);
    assert_eq!(lines[0]["name"], "黒猫");
    assert_eq!(lines[0]["grade"], "danger");
    assert_eq!(lines[0]["score"], 80);
    assert_eq!(lines[0]["reasons"][0], "fraud_danger");
    assert_eq!(lines[1]["line"], 2);
    assert_eq!(lines[1]["raw"], "not json");
    assert!(lines[1]["error"]
        .as_str()
        .unwrap()
        .starts_with("line 2: not a JSON object"));
    assert_eq!(lines[2]["error"], "line 3: address: empty address");
    assert_eq!(lines[3]["reasons"][0], "office_pickup");
}

#[test]
fn velocity_flags_the_third_name_at_one_point() {
    let input = "\
name,address
黒猫 一葉,京都府京都市下京区東塩小路町721-1
白黒 双葉,京都府京都市下京区東塩小路町721-1
黒猫 一葉,京都府京都市下京区東塩小路町721-1
長毛 三葉,京都府京都市下京区東塩小路町721-1
長毛 三葉,東京都中央区銀座4-6-16
";
    let out = run(input.as_bytes(), Format::Csv, &Options::default());
    let r = rows(&out, b',');
    let reasons = col(&r[0], "reasons");
    let got: Vec<&str> = r[1..].iter().map(|x| x[reasons].as_str()).collect();
    assert_eq!(got, vec!["", "", "", "velocity", ""]);
    assert_eq!(r[4][col(&r[0], "score")], "30");
}

fn big_input(dir: &Path, rows: usize) -> std::path::PathBuf {
    let mut s = String::from("order_id,name,address\n");
    let towns = [
        "東京都中央区銀座",
        "大阪府大阪市北区梅田",
        "東京都世田谷区三軒茶屋",
    ];
    for i in 0..rows {
        // Names repeat at delivery points so that velocity depends on earlier rows.
        s.push_str(&format!(
            "O{i},{} 様,{}{}-{}-{}\n",
            ["黒猫", "白猫", "三毛", "茶虎"][i % 4],
            towns[i % 3],
            1 + i % 3,
            1 + (i / 7) % 20,
            1 + i % 5
        ));
        if i % 997 == 0 {
            s.push_str("broken,\"row\n");
        }
    }
    let p = dir.join("orders.csv");
    std::fs::write(&p, s).unwrap();
    p
}

fn screen_file(
    input: &Path,
    output: &Path,
    resume: bool,
    stop_after_chunks: Option<usize>,
) -> bulk::Summary {
    let opts = Options {
        chunk_rows: 256,
        resume,
        ..Options::default()
    };
    screen_file_stopping(input, output, &opts, &screener(), stop_after_chunks)
}

#[test]
fn interrupted_then_resumed_equals_uninterrupted() {
    let dir = tempfile::tempdir().unwrap();
    let input = big_input(dir.path(), 6000);
    let full = dir.path().join("full.csv");
    let s = screen_file(&input, &full, false, None);
    assert!(!s.interrupted);
    let expected = std::fs::read(&full).unwrap();

    // Stopped (Ctrl-C) after a few chunks: whole rows only, then resumed.
    let part = dir.path().join("part.csv");
    let s1 = screen_file(&input, &part, false, Some(3));
    assert!(s1.interrupted);
    assert!(s1.rows < s.rows);
    let partial = std::fs::read(&part).unwrap();
    assert!(partial.ends_with(b"\n"));
    assert_eq!(rows(&partial, b',').len() as u64, s1.rows + 1);
    let s2 = screen_file(&input, &part, true, None);
    assert_eq!(s2.resumed_from, s1.rows);
    assert_eq!(s1.rows + s2.rows, s.rows);
    assert_eq!(std::fs::read(&part).unwrap(), expected);

    // Killed mid-write: the output cut inside a row, resumed.
    for cut in [
        expected.len() / 3,
        expected.len() / 2 + 17,
        expected.len() - 5,
    ] {
        let killed = dir.path().join("killed.csv");
        std::fs::write(&killed, &expected[..cut]).unwrap();
        let s3 = screen_file(&input, &killed, true, None);
        assert!(s3.resumed_from > 0);
        assert_eq!(std::fs::read(&killed).unwrap(), expected, "cut at {cut}");
    }

    // A finished output resumed is left as it is.
    let s4 = screen_file(&input, &full, true, None);
    assert_eq!((s4.rows, s4.resumed_from), (0, s.rows));
    assert_eq!(std::fs::read(&full).unwrap(), expected);
}

#[test]
fn resume_refuses_another_header() {
    let dir = tempfile::tempdir().unwrap();
    let input = big_input(dir.path(), 10);
    let out = dir.path().join("out.csv");
    std::fs::write(&out, "something,else\n1,2\n").unwrap();
    let opts = Options {
        resume: true,
        ..Options::default()
    };
    let err = bulk::screen_file(
        &input,
        &out,
        &opts,
        &screener(),
        &Scorer::new(&Config::default()),
        &AtomicBool::new(false),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(err.to_string().contains("header differs"), "{err}");
}
