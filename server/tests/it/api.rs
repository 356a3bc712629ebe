//! The screening API over real loopback sockets: answers, every error status, limits,
//! velocity across calls, reloads.

use crate::support::*;
use banchi_server::settings::Settings;
use serde_json::json;
use std::io::Write;
use std::time::Duration;

#[test]
fn open_endpoints_need_no_token() {
    let s = TestServer::with_fraud_list(FRAUD_CSV);
    let about = get(s.addr, "/");
    assert_eq!(about.status, 200);
    assert_eq!(about.json()["name"], "banchi");
    assert_eq!(get(s.addr, "/healthz").json()["status"], "ok");
    let ready = get(s.addr, "/readyz").json();
    assert_eq!(ready["lists"][0]["list"], "fraud");
    assert_eq!(ready["lists"][0]["entries"], 1);
    let doc = get(s.addr, "/openapi.json").json();
    assert!(doc["paths"]["/v1/screen"]["post"].is_object());
    post_json(
        s.addr,
        "/v1/screen",
        &json!({"address": "東京都中央区銀座4-6-16-301"}),
    );
    let metrics = get(s.addr, "/metrics");
    assert!(metrics
        .text()
        .contains("banchi_http_requests_total{route=\"/v1/screen\",status=\"200\"} 1"));
    assert!(metrics
        .text()
        .contains("banchi_screen_grades_total{list=\"fraud\",grade=\"danger\"} 1"));
}

#[test]
fn screen_grades_scores_and_acts() {
    let s = TestServer::with_fraud_list(FRAUD_CSV);
    let version = get(s.addr, "/readyz").json()["lists_version"].clone();
    let r = post_json(
        s.addr,
        "/v1/screen",
        &json!({"order_id": "A-1001", "address": "東京都中央区銀座四丁目６番１６号　３０１"}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["order_id"], "A-1001");
    assert_eq!(v["fraud"]["grade"], "danger");
    assert_eq!(v["fraud"]["stars"], "★★★");
    assert_eq!(v["fraud"]["matches"][0]["id"], "F1");
    assert_eq!(v["fraud"]["matches"][0]["matched"], "same_unit");
    assert_eq!(v["action"], "block");
    assert_eq!(v["level"], "high");
    assert_eq!(v["address"]["town"], "銀座");
    assert_eq!(v["address"]["room"], "301");
    assert_eq!(v["reasons"][0]["code"], "fraud_danger");
    assert_eq!(v["lists_version"], version);
    // Same block, other room: caution → review.
    let other = post_json(
        s.addr,
        "/v1/screen",
        &json!({"address": "東京都中央区銀座4-6-16-502"}),
    );
    assert_eq!(other.json()["fraud"]["grade"], "caution");
    assert_eq!(other.json()["fraud"]["matches"][0]["matched"], "same_block");
    assert_eq!(other.json()["action"], "review");
    // Elsewhere: allow.
    let clean = post_json(
        s.addr,
        "/v1/screen",
        &json!({"address": "大阪府大阪市北区梅田3-1-1"}),
    );
    assert_eq!(clean.json()["action"], "allow");
    assert_eq!(clean.json()["fraud"]["grade"], serde_json::Value::Null);
    // A forwarding warehouse from the bundled list.
    let fw = post_json(
        s.addr,
        "/v1/screen",
        &json!({"address": "神奈川県大和市南林間1-8-17 サウスクラウドビル3F DANKEBOX PM12345"}),
    );
    assert_eq!(fw.json()["forwarder"]["grade"], "forwarding_service");
}

#[test]
fn address_parts_are_joined_and_a_repeated_prefecture_is_one() {
    let s = TestServer::with_fraud_list(FRAUD_CSV);
    let r = post_json(
        s.addr,
        "/v1/screen",
        &json!({"address": {"postal_code": "104-0061", "prefecture": "東京都",
                            "line1": "東京都中央区銀座4-6-16", "line2": "架空ハイツ301"}}),
    );
    let v = r.json();
    assert_eq!(v["fraud"]["grade"], "danger", "{v}");
    let anomalies = v["address"]["anomalies"].as_array().unwrap();
    assert!(
        !anomalies.iter().any(|a| a == "duplicated_prefecture"),
        "{v}"
    );
    let n = post_json(
        s.addr,
        "/v1/normalize",
        &json!({"address": {"prefecture": "東京都", "city": "中央区", "line1": "銀座4-6-16"}}),
    );
    assert_eq!(n.status, 200);
    assert_eq!(n.json()["key"], "13102|銀座|4|6|16||");
    let bad = post_json(s.addr, "/v1/normalize", &json!({"address": "   "}));
    assert_eq!(bad.status, 200);
    assert!(bad.json()["error"].is_string());
}

#[test]
fn each_error_has_its_status_code_and_request_id() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::for_tests();
    settings.fraud = Some(dir.path().join("fraud.csv"));
    std::fs::write(dir.path().join("fraud.csv"), FRAUD_CSV).unwrap();
    settings.max_body_bytes = 4096;
    settings.max_batch_items = 3;
    let s = TestServer::start(settings);
    let a = s.addr;
    let body = r#"{"address":"東京都中央区銀座4-6-16"}"#.as_bytes();
    let json = Some("application/json");
    let screen = |body: &[u8]| request(a, "POST", "/v1/screen", Some(SCREEN_TOKEN), json, body);
    let cases: Vec<(Reply, u16, &str)> = vec![
        (
            request(a, "POST", "/v1/screen", None, json, body),
            401,
            "unauthorized",
        ),
        (
            request(
                a,
                "POST",
                "/v1/screen",
                Some("wrong-token-000000000"),
                json,
                body,
            ),
            401,
            "unauthorized",
        ),
        (
            request(a, "POST", "/v1/admin/reload", Some(SCREEN_TOKEN), json, b""),
            403,
            "forbidden",
        ),
        (get(a, "/v1/nothing-here"), 404, "not_found"),
        (
            get_with(a, "/v1/screen", SCREEN_TOKEN),
            405,
            "method_not_allowed",
        ),
        (
            request(
                a,
                "POST",
                "/v1/screen",
                Some(SCREEN_TOKEN),
                Some("text/plain"),
                body,
            ),
            415,
            "unsupported_media_type",
        ),
        (screen(b"{\"address\": "), 400, "bad_request"),
        (screen(b"{\"address\": \"\xff\xfe\"}"), 400, "bad_request"),
        (screen(b"{\"addr\": 1}"), 422, "invalid_request"),
        (
            screen(&vec![b' '; 10 * 1024 * 1024]),
            413,
            "payload_too_large",
        ),
        (
            request(
                a,
                "POST",
                "/v1/screen/batch",
                Some(SCREEN_TOKEN),
                json,
                br#"[{"address":"a"},{"address":"b"},{"address":"c"},{"address":"d"}]"#,
            ),
            413,
            "payload_too_large",
        ),
    ];
    for (i, (reply, status, code)) in cases.iter().enumerate() {
        assert_eq!(reply.status, *status, "case {i}: {}", reply.text());
        assert_eq!(reply.error_code(), *code, "case {i}");
        assert!(
            !reply.text().contains("銀座"),
            "case {i} echoes the address"
        );
    }
    // The server still answers.
    assert_eq!(
        post_json(
            a,
            "/v1/screen",
            &json!({"address": "東京都中央区銀座4-6-16"})
        )
        .status,
        200
    );
}

#[test]
fn not_ready_until_the_lists_are_loaded() {
    // The router over a state whose lists were never loaded.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let state = banchi_server::state::AppState::new(
        Settings::for_tests(),
        banchi_server::auth::Tokens::insecure(),
    );
    rt.spawn(async move {
        let _ = axum::serve(listener, banchi_server::router::router(state)).await;
    });
    let r = get(addr, "/readyz");
    assert_eq!(r.status, 503);
    assert_eq!(r.error_code(), "not_ready");
    assert_eq!(r.header("retry-after"), Some("1"));
    let s = post_json(
        addr,
        "/v1/screen",
        &json!({"address": "東京都中央区銀座4-6-16"}),
    );
    assert_eq!(s.status, 503);
    assert_eq!(get(addr, "/healthz").status, 200);
}

#[test]
fn in_flight_limit_answers_429_and_slow_clients_do_not_block_others() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("fraud.csv"), FRAUD_CSV).unwrap();
    let mut settings = Settings::for_tests();
    settings.fraud = Some(dir.path().join("fraud.csv"));
    settings.max_in_flight = 1;
    let s = TestServer::start(settings);
    let body = r#""address":"東京都中央区銀座4-6-16"}"#;
    // A slow client holds the only slot, its body half sent.
    let mut slow = start_slow_body(s.addr, "/v1/screen", SCREEN_TOKEN, 1 + body.len());
    std::thread::sleep(Duration::from_millis(200));
    let busy = post_json(
        s.addr,
        "/v1/screen",
        &json!({"address": "東京都中央区銀座4-6-16"}),
    );
    assert_eq!(busy.status, 429);
    assert_eq!(busy.error_code(), "too_many_requests");
    assert_eq!(
        get(s.addr, "/healthz").status,
        200,
        "open endpoints still answer"
    );
    slow.write_all(body.as_bytes()).unwrap();
    let done = read_reply(&mut slow);
    assert_eq!(done.status, 200, "{}", done.text());
    assert_eq!(
        post_json(
            s.addr,
            "/v1/screen",
            &json!({"address": "東京都中央区銀座4-6-16"})
        )
        .status,
        200
    );
}

#[test]
fn a_request_over_the_timeout_answers_503() {
    let mut settings = Settings::for_tests();
    settings.request_timeout = Duration::from_millis(300);
    let s = TestServer::start(settings);
    let mut slow = start_slow_body(s.addr, "/v1/screen", SCREEN_TOKEN, 100);
    let r = read_reply(&mut slow);
    assert_eq!(r.status, 503);
    assert_eq!(r.error_code(), "timeout");
}

#[test]
fn json_batch_answers_in_order_with_per_item_errors() {
    let s = TestServer::with_fraud_list(FRAUD_CSV);
    let batch = json!([
        {"order_id": "1", "address": "東京都中央区銀座4-6-16-301"},
        {"order_id": "2", "adress": "typo"},
        {"order_id": "3", "address": "大阪府大阪市北区梅田3-1-1"},
    ]);
    let r = post_json(s.addr, "/v1/screen/batch", &batch);
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    let items = v.as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["order_id"], "1");
    assert_eq!(items[0]["fraud"]["grade"], "danger");
    assert_eq!(items[1]["index"], 1);
    assert_eq!(items[1]["error"]["code"], "invalid_request");
    assert_eq!(items[2]["order_id"], "3");
    assert_eq!(items[2]["action"], "allow");
}

#[test]
fn a_json_batch_larger_than_a_chunk_streams_back_whole_and_in_order() {
    // 5,000 items span three of the server's screening chunks and dozens of its answer
    // buffers; bad items sit first, on a chunk boundary and last, where separators go wrong.
    let s = TestServer::with_fraud_list(FRAUD_CSV);
    let bad = [0, 2_047, 2_048, 4_999];
    let batch: Vec<serde_json::Value> = (0..5_000)
        .map(|i| {
            if bad.contains(&i) {
                json!({"order_id": i.to_string()})
            } else {
                json!({"order_id": i.to_string(), "address": "東京都中央区銀座4-6-16-301"})
            }
        })
        .collect();
    let r = post_json(s.addr, "/v1/screen/batch", &json!(batch));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let v = r.json();
    let items = v.as_array().unwrap();
    assert_eq!(items.len(), 5_000);
    for (i, item) in items.iter().enumerate() {
        if bad.contains(&i) {
            assert_eq!(item["index"], i, "{item}");
            assert_eq!(item["error"]["code"], "invalid_request", "{item}");
        } else {
            assert_eq!(item["order_id"], i.to_string(), "{item}");
            assert_eq!(item["fraud"]["grade"], "danger", "{item}");
        }
    }
}

#[test]
fn ndjson_batch_streams_answers_in_order() {
    let s = TestServer::with_fraud_list(FRAUD_CSV);
    let mut body = String::new();
    for i in 0..1_200 {
        let line = if i == 700 {
            "not json".to_owned()
        } else {
            json!({"order_id": i.to_string(), "address": "東京都中央区銀座4-6-16-301"}).to_string()
        };
        body += &line;
        body.push('\n');
    }
    let r = request(
        s.addr,
        "POST",
        "/v1/screen/batch",
        Some(SCREEN_TOKEN),
        Some("application/x-ndjson"),
        body.as_bytes(),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/x-ndjson"));
    let lines: Vec<serde_json::Value> = r
        .text()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1_200);
    for (i, l) in lines.iter().enumerate() {
        if i == 700 {
            assert_eq!(l["index"], 700);
            assert_eq!(l["error"]["code"], "bad_request");
        } else {
            assert_eq!(l["order_id"], i.to_string());
            assert_eq!(l["fraud"]["grade"], "danger");
        }
    }
}

#[test]
fn ndjson_over_the_item_limit_ends_with_an_error_line() {
    let mut settings = Settings::for_tests();
    settings.max_batch_items = 2;
    let s = TestServer::start(settings);
    let line = json!({"address": "東京都中央区銀座4-6-16"}).to_string() + "\n";
    let r = request(
        s.addr,
        "POST",
        "/v1/screen/batch",
        Some(SCREEN_TOKEN),
        Some("application/x-ndjson"),
        line.repeat(5).as_bytes(),
    );
    let text = r.text();
    let last: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(last["error"]["code"], "payload_too_large", "{text}");
}

#[test]
fn velocity_counts_names_across_calls() {
    let s = TestServer::start(Settings::for_tests());
    let order = |name: &str| screen_order(s.addr, "東京都中央区銀座4-6-16 架空ハイツ502", name);
    let has_velocity = |v: &serde_json::Value| has_reason(v, "velocity");
    assert!(!has_velocity(&order("山田太郎")));
    assert!(!has_velocity(&order("佐藤花子")));
    assert!(!has_velocity(&order("山田 太郎")), "the same name again");
    let third = order("鈴木一郎");
    assert!(has_velocity(&third), "{third}");
}

#[test]
fn reload_swaps_the_lists_and_their_version() {
    let s = TestServer::with_fraud_list(FRAUD_CSV);
    let address = json!({"address": "大阪府大阪市北区梅田3-1-1 架空ビル1201"});
    let before = post_json(s.addr, "/v1/screen", &address).json();
    assert_eq!(before["fraud"]["grade"], serde_json::Value::Null);
    std::fs::write(
        s.dir().join("fraud.csv"),
        format!("{FRAUD_CSV}F2,大阪府大阪市北区梅田3-1-1 架空ビル1201号室,chargeback\n"),
    )
    .unwrap();
    let reload = request(
        s.addr,
        "POST",
        "/v1/admin/reload",
        Some(ADMIN_TOKEN),
        None,
        b"",
    );
    assert_eq!(reload.status, 200, "{}", reload.text());
    let after = post_json(s.addr, "/v1/screen", &address).json();
    assert_eq!(after["fraud"]["grade"], "danger");
    assert_ne!(after["lists_version"], before["lists_version"]);
    assert_eq!(reload.json()["lists_version"], after["lists_version"]);
    // A broken file keeps the previous lists.
    std::fs::write(s.dir().join("fraud.csv"), "no,header\n\"unclosed").unwrap();
    let failed = request(
        s.addr,
        "POST",
        "/v1/admin/reload",
        Some(ADMIN_TOKEN),
        None,
        b"",
    );
    assert_eq!(failed.status, 409, "{}", failed.text());
    assert_eq!(
        post_json(s.addr, "/v1/screen", &address).json()["fraud"]["grade"],
        "danger"
    );
}

#[test]
fn list_edits_take_effect_for_the_next_request() {
    let s = TestServer::with_fraud_list(FRAUD_CSV);
    let admin = |method: &str, path: &str, body: Option<serde_json::Value>| {
        let bytes = body.map(|b| b.to_string()).unwrap_or_default();
        request(
            s.addr,
            method,
            path,
            Some(ADMIN_TOKEN),
            Some("application/json"),
            bytes.as_bytes(),
        )
    };
    let address = json!({"address": "福岡県福岡市博多区博多駅前2-1-1 架空コーポ705"});
    assert_eq!(
        post_json(s.addr, "/v1/screen", &address).json()["fraud"]["grade"],
        serde_json::Value::Null
    );
    // A screen token may not touch lists.
    let denied = get_with(s.addr, "/v1/lists/fraud/entries", SCREEN_TOKEN);
    assert_eq!(denied.status, 403);
    assert_eq!(denied.error_code(), "forbidden");

    let added = admin(
        "POST",
        "/v1/lists/fraud/entries",
        Some(
            json!({"address": "福岡県福岡市博多区博多駅前2丁目1番1号 架空コーポ705号室", "reason": "chargeback", "memo": "<script>alert(1)</script>"}),
        ),
    );
    assert_eq!(added.status, 200, "{}", added.text());
    let added = added.json();
    let id = added["id"].as_str().unwrap().to_owned();
    assert_ne!(id, "F1", "a new id is picked");
    assert!(added["key"].as_str().unwrap().ends_with("|705"), "{added}");
    let graded = post_json(s.addr, "/v1/screen", &address).json();
    assert_eq!(graded["fraud"]["grade"], "danger");
    assert_eq!(graded["lists_version"], added["lists_version"]);

    let disabled = admin(
        "PATCH",
        &format!("/v1/lists/fraud/entries/{id}"),
        Some(json!({"disabled": true, "memo": "refunded"})),
    );
    assert_eq!(disabled.status, 200, "{}", disabled.text());
    assert_eq!(
        post_json(s.addr, "/v1/screen", &address).json()["fraud"]["grade"],
        serde_json::Value::Null
    );
    let again = admin(
        "PATCH",
        &format!("/v1/lists/fraud/entries/{id}"),
        Some(json!({"disabled": true})),
    );
    assert_eq!(again.status, 409);

    let entry = admin("GET", &format!("/v1/lists/fraud/entries/{id}"), None).json();
    assert_eq!(entry["status"], "disabled");
    let history = entry["history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["by"], "alice");
    assert_eq!(history[1]["action"], "disable");
    assert_eq!(history[1]["memo"], "refunded");

    let page = admin("GET", "/v1/lists/fraud/entries?limit=1", None).json();
    assert_eq!(page["entries"][0]["id"], "F1");
    assert_eq!(page["next_after"], "F1");
    let next = admin("GET", "/v1/lists/fraud/entries?limit=1&after=F1", None).json();
    assert_eq!(next["entries"][0]["id"], id);
    assert_eq!(next["next_after"], serde_json::Value::Null);
    let active = admin("GET", "/v1/lists/fraud/entries?status=active", None).json();
    assert_eq!(active["entries"].as_array().unwrap().len(), 1);

    assert_eq!(
        admin("GET", "/v1/lists/fraud/entries/nope", None).status,
        404
    );
    assert_eq!(admin("GET", "/v1/lists/other/entries", None).status, 404);
    let not_block = admin(
        "POST",
        "/v1/lists/fraud/entries",
        Some(json!({"address": "福岡県福岡市博多区", "reason": "chargeback"})),
    );
    assert_eq!(not_block.status, 422);
    let bad_reason = admin(
        "POST",
        "/v1/lists/fraud/entries",
        Some(json!({"address": "福岡県福岡市博多区博多駅前2-1-1", "reason": "bored"})),
    );
    assert_eq!(bad_reason.status, 422);
    // The bundled forwarder list has no file to edit.
    assert_eq!(
        admin("GET", "/v1/lists/forwarders/entries", None).status,
        404
    );
}

#[test]
fn a_list_served_as_an_index_is_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let parser = banchi::Parser::new();
    let list =
        banchi::Watchlist::from_csv_reader(FRAUD_CSV.as_bytes(), banchi::ListKind::Fraud, &parser)
            .unwrap();
    let idx = dir.path().join("fraud.idx");
    list.write_index(&idx).unwrap();
    let mut settings = Settings::for_tests();
    settings.fraud = Some(idx);
    let s = TestServer::start(settings);
    let r = request(
        s.addr,
        "POST",
        "/v1/lists/fraud/entries",
        Some(ADMIN_TOKEN),
        Some("application/json"),
        json!({"address": "東京都中央区銀座4-6-16", "reason": "other"})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(r.status, 409, "{}", r.text());
    assert_eq!(r.error_code(), "conflict");
    assert_eq!(
        post_json(
            s.addr,
            "/v1/screen",
            &json!({"address": "東京都中央区銀座4-6-16-301"})
        )
        .json()["fraud"]["grade"],
        "danger"
    );
}

#[test]
fn a_malformed_query_string_is_a_json_400() {
    let s = TestServer::with_fraud_list(FRAUD_CSV);
    let r = get_with(s.addr, "/v1/lists/fraud/entries?limit=many", ADMIN_TOKEN);
    assert_eq!(r.status, 400);
    assert_eq!(r.error_code(), "bad_request");
}
