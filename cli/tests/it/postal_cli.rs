//! A postal code given beside the address, as the CLI takes it: `check --postal` and
//! `screen --postal-column` (the parser's side is in the library's `tests/it/postal.rs`).

use crate::support::banchi;

#[test]
fn check_takes_a_postal_code() {
    let out = banchi()
        .args([
            "check",
            "--json",
            "--postal",
            "100-0001",
            "東京都中央区銀座4-6-16",
        ])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    assert_eq!(v["address"]["postal_code"], "100-0001");
    assert_eq!(v["address"]["anomalies"][0], "postal_code_mismatch");
    assert!(v["reasons"]
        .as_array()
        .is_some_and(|r| r.iter().any(|x| x["code"] == "postal_code_mismatch")));

    let out = banchi()
        .args(["check", "--postal", "12-34", "東京都中央区銀座4-6-16"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn screen_reads_a_postal_column() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let input = dir.path().join("orders.csv");
    let output = dir.path().join("out.csv");
    std::fs::write(
        &input,
        "id,zip,address\n1,104-0061,東京都中央区銀座4-6-16\n2,100-0001,東京都中央区銀座4-6-16\n3,,東京都中央区銀座4-6-16\n4,1040061,銀座4-6-16\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = banchi()
        .arg("screen")
        .arg(&input)
        .arg("-o")
        .arg(&output)
        .args(["--no-forwarders", "--postal-column", "zip"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut r = csv::Reader::from_path(&output).unwrap_or_else(|e| panic!("{e}"));
    let header = r.headers().cloned().unwrap_or_default();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap_or(usize::MAX);
    let (reasons, normalized) = (col("reasons"), col("normalized"));
    let rows: Vec<csv::StringRecord> = r.records().map_while(Result::ok).collect();
    assert_eq!(rows.len(), 4);
    let flagged: Vec<bool> = rows
        .iter()
        .map(|x| {
            x.get(reasons)
                .unwrap_or("")
                .contains("postal_code_mismatch")
        })
        .collect();
    assert_eq!(flagged, [false, true, false, false]);
    // Row 4 names neither prefecture nor municipality: the column's code finds them.
    assert!(rows[3]
        .get(normalized)
        .is_some_and(|n| n.starts_with("東京都中央区銀座")));

    // A column that is not in the header is a usage error.
    let out = banchi()
        .arg("screen")
        .arg(&input)
        .arg("-o")
        .arg(dir.path().join("out2.csv"))
        .args(["--postal-column", "postcode"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(2));
}
