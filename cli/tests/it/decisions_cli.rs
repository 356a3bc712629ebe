//! `banchi decisions candidates` on a SQLite decision store written by the library: points
//! with enough fraud outcomes are printed, points on the fraud list and single outcomes are
//! not, and the address only with `--verbose`.

use crate::support::run_in;
use banchi_decisions::record::{BuyerFields, Decision, Outcome};
use banchi_decisions::sqlite::SqliteDecisions;

fn order(id: &str, address: &str, key: &str) -> Decision {
    Decision {
        order_id: id.into(),
        at_ms: banchi_decisions::now_ms() - 1_000,
        address: address.into(),
        key: Some(key.into()),
        score: 10,
        action: "allow".into(),
        fraud_grade: None,
        forwarder_grade: None,
        reasons: vec![],
        entry_ids: vec![],
        lists_version: "v".into(),
        buyer: BuyerFields::default(),
        review: false,
        detail: None,
    }
}

#[test]
fn candidates_are_the_points_with_fraud_outcomes_not_on_the_list() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("decisions.sqlite");
    let listed = "東京都中央区銀座4-6-16 架空ハイツ301号室";
    let fresh = "東京都千代田区丸の内1-9-1 架空タワー1203";
    let once = "東京都千代田区丸の内1-9-2 架空タワー5";
    std::fs::write(
        dir.path().join("fraud.csv"),
        format!("id,address,reason\nF1,{listed},chargeback\n"),
    )
    .unwrap();
    let store = SqliteDecisions::open(&db).unwrap();
    store
        .record(
            &[
                order("A-1", listed, "KL"),
                order("A-2", listed, "KL"),
                order("B-1", fresh, "KF"),
                order("B-2", fresh, "KF"),
                order("C-1", once, "KO"),
            ],
            &[],
        )
        .unwrap();
    let now = banchi_decisions::now_ms();
    for id in ["A-1", "A-2", "B-1", "B-2", "C-1"] {
        store
            .outcome(id, Outcome::Chargeback, now, "backoffice")
            .unwrap();
    }
    drop(store);
    let db_arg = db.to_str().unwrap();
    let out = run_in(
        &[
            "decisions",
            "candidates",
            "--db",
            db_arg,
            "--fraud",
            "fraud.csv",
        ],
        dir.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "key\tfraud_outcomes\tvelocity_then_chargeback\tlast_outcome\torders"
    );
    assert_eq!(lines.len(), 2, "only KF: {text}");
    assert!(lines[1].starts_with("KF\t2\tfalse\t"), "{text}");
    assert!(
        lines[1].ends_with("B-1,B-2") || lines[1].ends_with("B-2,B-1"),
        "{text}"
    );
    assert!(!text.contains("丸の内"), "no address without --verbose");
    let verbose = run_in(
        &[
            "decisions",
            "candidates",
            "--db",
            db_arg,
            "--fraud",
            "fraud.csv",
            "--verbose",
        ],
        dir.path(),
    );
    assert!(String::from_utf8(verbose.stdout).unwrap().contains(fresh));
    let missing = run_in(
        &["decisions", "candidates", "--db", "nope.sqlite"],
        dir.path(),
    );
    assert!(!missing.status.success());
}
