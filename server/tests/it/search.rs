//! `POST /v1/lists/{list}/search` over loopback: by id, by address prefix in another
//! notation, pages, status filter, scope and errors.

use crate::support::*;
use serde_json::json;

/// Real blocks of 銀座 and 梅田; the buildings are fictional.
const LIST: &str = "id,address,reason\n\
F1,東京都中央区銀座4-6-16 架空ハイツ301号室,chargeback\n\
F2,東京都中央区銀座四丁目6番16号 架空ハイツ502,resale\n\
F3,東京都中央区銀座4-60-1,other\n\
F4,大阪府大阪市北区梅田3-1-1 架空コーポ705,unpaid\n";

fn search(s: &TestServer, token: &str, body: serde_json::Value) -> Reply {
    request(
        s.addr,
        "POST",
        "/v1/lists/fraud/search",
        Some(token),
        Some("application/json"),
        body.to_string().as_bytes(),
    )
}

fn ids(r: &Reply) -> Vec<String> {
    r.json()["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn search_by_address_prefix_and_by_id() {
    let s = TestServer::with_fraud_list(LIST);
    // Another notation of the same block finds both rooms, not banchi 60.
    let r = search(&s, ADMIN_TOKEN, json!({"q": "中央区銀座４丁目６－１６"}));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(ids(&r), ["F1", "F2"]);
    let v = r.json();
    assert_eq!(v["level"], "block");
    assert_eq!(v["entries"][0]["matched_by"], "address");
    assert_eq!(v["entries"][0]["key"], "13102|銀座|4|6|16||301");
    assert_eq!(v["entries"][0]["reason"], "chargeback");
    assert_eq!(v["next_after"], serde_json::Value::Null);
    // The town level finds the whole chome; the prefecture everything in it.
    let town = search(&s, ADMIN_TOKEN, json!({"q": "東京都中央区銀座4丁目"}));
    assert_eq!(ids(&town), ["F1", "F2", "F3"]);
    assert_eq!(
        ids(&search(&s, ADMIN_TOKEN, json!({"q": "大阪府"}))),
        ["F4"]
    );
    // By id.
    let by_id = search(&s, ADMIN_TOKEN, json!({"q": "F3"}));
    assert_eq!(ids(&by_id), ["F3"]);
    assert_eq!(by_id.json()["entries"][0]["matched_by"], "id");
    assert_eq!(by_id.json()["level"], serde_json::Value::Null);
    assert!(ids(&search(&s, ADMIN_TOKEN, json!({"q": "F9"}))).is_empty());
    let doc = get(s.addr, "/openapi.json").json();
    assert!(doc["paths"]["/v1/lists/{list}/search"]["post"].is_object());
}

#[test]
fn search_pages_and_filters_by_status() {
    let s = TestServer::with_fraud_list(LIST);
    let first = search(&s, ADMIN_TOKEN, json!({"q": "東京都中央区", "limit": 2}));
    assert_eq!(ids(&first), ["F1", "F2"]);
    assert_eq!(first.json()["next_after"], "F2");
    let rest = search(
        &s,
        ADMIN_TOKEN,
        json!({"q": "東京都中央区", "limit": 2, "after": "F2"}),
    );
    assert_eq!(ids(&rest), ["F3"]);
    assert_eq!(rest.json()["next_after"], serde_json::Value::Null);
    // Disable F2 through the API, then filter.
    let patched = request(
        s.addr,
        "PATCH",
        "/v1/lists/fraud/entries/F2",
        Some(ADMIN_TOKEN),
        Some("application/json"),
        json!({"disabled": true, "memo": "refunded"})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(patched.status, 200, "{}", patched.text());
    let disabled = search(
        &s,
        ADMIN_TOKEN,
        json!({"q": "東京都中央区銀座4", "status": "disabled"}),
    );
    assert_eq!(ids(&disabled), ["F2"]);
    assert_eq!(
        disabled.json()["entries"][0]["history"][0]["memo"],
        "refunded"
    );
    let active = search(
        &s,
        ADMIN_TOKEN,
        json!({"q": "東京都中央区銀座4", "status": "active"}),
    );
    assert_eq!(ids(&active), ["F1", "F3"]);
}

#[test]
fn search_needs_an_admin_token_and_checks_its_input() {
    let s = TestServer::with_fraud_list(LIST);
    let denied = search(&s, SCREEN_TOKEN, json!({"q": "F1"}));
    assert_eq!(denied.status, 403);
    assert_eq!(denied.error_code(), "forbidden");
    let anonymous = request(
        s.addr,
        "POST",
        "/v1/lists/fraud/search",
        None,
        Some("application/json"),
        br#"{"q":"F1"}"#,
    );
    assert_eq!(anonymous.status, 401);
    let bad_limit = search(&s, ADMIN_TOKEN, json!({"q": "F1", "limit": 0}));
    assert_eq!(bad_limit.status, 422);
    let bad_status = search(&s, ADMIN_TOKEN, json!({"q": "F1", "status": "gone"}));
    assert_eq!(bad_status.status, 422);
    let bad_after = search(&s, ADMIN_TOKEN, json!({"q": "F1", "after": "nope"}));
    assert_eq!(bad_after.status, 404);
    assert_eq!(bad_after.error_code(), "not_found");
    let missing_q = search(&s, ADMIN_TOKEN, json!({"address": "F1"}));
    assert_eq!(missing_q.status, 422);
    let other_list = request(
        s.addr,
        "POST",
        "/v1/lists/other/search",
        Some(ADMIN_TOKEN),
        Some("application/json"),
        br#"{"q":"F1"}"#,
    );
    assert_eq!(other_list.status, 404);
    // The query is never echoed in an error.
    let secret = "東京都中央区銀座4-6-16 架空ハイツ999";
    let r = search(&s, ADMIN_TOKEN, json!({"q": secret, "limit": 5000}));
    assert_eq!(r.status, 422);
    assert!(!r.text().contains("架空ハイツ999"), "{}", r.text());
}
