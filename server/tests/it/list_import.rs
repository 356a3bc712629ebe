//! `POST /v1/lists/{list}/import` over loopback: a dry run shows each row's normalized key,
//! duplicates and rejects and writes nothing; the real run registers the new rows in one
//! write, in force for the next request. Addresses are invented flats at real blocks.

use crate::support::*;
use serde_json::json;

const BODY: &str = "address,reason,memo\n\
大阪府大阪市北区梅田3-1-1 架空タワー1205号室,chargeback,first\n\
東京都中央区銀座四丁目6番16号 301,resale,\n\
大阪府大阪市北区梅田三丁目1番1号 架空タワー1205,chargeback,\n\
福岡県福岡市博多区,chargeback,\n\
福岡県福岡市博多区博多駅前2-1-1 架空コーポ705,bored,\n";

const UMEDA: &str = "大阪府大阪市北区梅田3丁目1-1 1205";

fn import(s: &TestServer, query: &str, token: &str, content_type: &str) -> Reply {
    request(
        s.addr,
        "POST",
        &format!("/v1/lists/fraud/import{query}"),
        Some(token),
        Some(content_type),
        BODY.as_bytes(),
    )
}

fn outcomes(report: &serde_json::Value) -> Vec<String> {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["outcome"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_dry_run_reports_every_row_and_writes_nothing_then_the_import_is_in_force() {
    let s = TestServer::with_fraud_list(FRAUD_CSV);
    let file = s.dir().join("fraud.csv");
    let before = std::fs::read(&file).unwrap();

    let dry = import(&s, "?dry_run=true", ADMIN_TOKEN, "text/csv");
    assert_eq!(dry.status, 200, "{}", dry.text());
    assert!(
        !dry.text().contains("架空"),
        "answers never quote an address"
    );
    let dry = dry.json();
    assert_eq!(dry["dry_run"], true);
    assert_eq!(
        outcomes(&dry),
        ["add", "duplicate", "duplicate", "reject", "reject"]
    );
    let rows = &dry["rows"];
    assert_eq!(rows[0]["line"], 2);
    assert!(rows[0]["key"].as_str().unwrap().ends_with("|1205"), "{dry}");
    assert_eq!(rows[0]["id"], "1", "the id the import would give");
    assert_eq!(
        rows[1]["duplicate_of"], "F1",
        "an active entry at the same point"
    );
    assert_eq!(
        rows[2]["duplicate_of"], "line 2",
        "an earlier row of the body"
    );
    assert_eq!(rows[2]["key"], rows[0]["key"]);
    assert!(
        rows[3]["error"].as_str().unwrap().contains("block"),
        "{dry}"
    );
    assert!(rows[4]["error"].is_string());
    assert_eq!(
        (&dry["added"], &dry["duplicates"], &dry["rejected"]),
        (&json!(1), &json!(2), &json!(2))
    );
    assert_eq!(dry["lists_version"], serde_json::Value::Null);
    assert_eq!(
        std::fs::read(&file).unwrap(),
        before,
        "a dry run writes nothing"
    );
    let screened = post_json(s.addr, "/v1/screen", &json!({ "address": UMEDA })).json();
    assert_eq!(screened["fraud"]["grade"], serde_json::Value::Null);
    // The default is a dry run.
    assert_eq!(
        import(&s, "", ADMIN_TOKEN, "text/csv").json()["dry_run"],
        true
    );
    assert_eq!(std::fs::read(&file).unwrap(), before);

    let done = import(&s, "?dry_run=false", ADMIN_TOKEN, "text/csv");
    assert_eq!(done.status, 200, "{}", done.text());
    let done = done.json();
    assert_eq!(done["dry_run"], false);
    assert_eq!(done["added"], 1);
    assert_eq!(done["rows"][0]["id"], "1");
    let screened = post_json(s.addr, "/v1/screen", &json!({ "address": UMEDA })).json();
    assert_eq!(screened["fraud"]["grade"], "danger");
    assert_eq!(screened["lists_version"], done["lists_version"]);
    let entry = get_with(s.addr, "/v1/lists/fraud/entries/1", ADMIN_TOKEN).json();
    assert_eq!(entry["registered_by"], "alice");
    assert_eq!(entry["memo"], "first");

    // Imported again: every row is now a duplicate or a reject, nothing is written.
    let after = std::fs::read(&file).unwrap();
    let again = import(&s, "?dry_run=false", ADMIN_TOKEN, "text/csv").json();
    assert_eq!(again["added"], 0);
    assert_eq!(again["rows"][0]["duplicate_of"], "1");
    assert_eq!(std::fs::read(&file).unwrap(), after);
}

#[test]
fn import_needs_an_admin_token_and_a_csv_body() {
    let s = TestServer::with_fraud_list(FRAUD_CSV);
    assert_eq!(import(&s, "", SCREEN_TOKEN, "text/csv").status, 403);
    let wrong = import(&s, "", ADMIN_TOKEN, "application/json");
    assert_eq!(wrong.status, 415);
    assert_eq!(wrong.error_code(), "unsupported_media_type");
    let bad_query = import(&s, "?dry_run=maybe", ADMIN_TOKEN, "text/csv");
    assert_eq!(bad_query.status, 400);
    let no_columns = request(
        s.addr,
        "POST",
        "/v1/lists/fraud/import",
        Some(ADMIN_TOKEN),
        Some("text/csv"),
        b"where,why\nx,y\n",
    );
    assert_eq!(no_columns.status, 422);
}
