//! The `banchi check`, `banchi index` and `banchi list` commands, end to end. Addresses are
//! fictional except the public forwarding warehouses of the bundled list.

use crate::support::{banchi, output_with_stdin, run_in, text};
use std::fs;
use std::path::Path;
use std::process::Output;

fn banchi_stdin(args: &[&str], cwd: &Path, input: &[u8]) -> Output {
    output_with_stdin(banchi().args(args).current_dir(cwd), input)
}

const LIST: &str = "\
id,address,reason,memo
F1,東京都世田谷区三軒茶屋1-2-3 ハイツ黒猫101号室,chargeback,fictional
F2,東京都世田谷区,resale,unparseable on purpose
";

/// A scratch folder holding [`LIST`] as `fraud.csv`.
fn with_list() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("fraud.csv"), LIST).unwrap();
    dir
}

/// `banchi check ARGS… --fraud FRAUD` in `dir`.
fn check(dir: &Path, args: &[&str], fraud: &str) -> Output {
    let args: Vec<&str> = ["check"]
        .iter()
        .chain(args)
        .chain(&["--fraud", fraud])
        .copied()
        .collect();
    run_in(&args, dir)
}

#[test]
fn check_prints_a_readable_verdict_with_stars() {
    let dir = with_list();
    let out = check(
        dir.path(),
        &["東京都世田谷区三軒茶屋一丁目2番3号 101号室"],
        "fraud.csv",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(s.contains("★★★危険 (danger)"), "{s}");
    assert!(
        s.contains("F1 [danger] reason=chargeback matched=same_room"),
        "{s}"
    );
    assert!(s.contains("東京都世田谷区三軒茶屋1丁目2-3 101号室"), "{s}");
    assert!(s.contains("海外転送 forwarder: 該当なし none"), "{s}");
    // The unparseable list row is reported by line, without its address.
    let err = text(&out.stderr);
    assert!(err.contains("line 3"), "{err}");
    assert!(!err.contains("世田谷"), "{err}");

    let out = check(dir.path(), &["東京都世田谷区三軒茶屋1-2-3"], "fraud.csv");
    assert!(text(&out.stdout).contains("★★注意 (caution)"));
    let out = check(dir.path(), &["東京都世田谷区三軒茶屋1-3-1"], "fraud.csv");
    assert!(text(&out.stdout).contains("★警戒 (warning)"));
    let out = run_in(
        &["check", "神奈川県大和市南林間1-8-17 DANKEBOX PM12345"],
        dir.path(),
    );
    let s = text(&out.stdout);
    assert!(s.contains("海外転送サービス (forwarding_service)"), "{s}");
    assert!(
        s.contains("不正利用 fraud:     (リストなし no list loaded)"),
        "{s}"
    );
    let out = run_in(&["check", "神奈川県大和市南林間1-9-1"], dir.path());
    assert!(text(&out.stdout).contains("海外転送サービスの可能性 (possible)"));
}

#[test]
fn check_json_is_one_object() {
    let dir = with_list();
    let out = check(
        dir.path(),
        &["--json", "東京都世田谷区三軒茶屋1-2-3-101"],
        "fraud.csv",
    );
    let lines: Vec<&str> = std::str::from_utf8(&out.stdout).unwrap().lines().collect();
    assert_eq!(lines.len(), 1);
    let v: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(v["input"], "東京都世田谷区三軒茶屋1-2-3-101");
    assert_eq!(v["address"]["room"], "101");
    assert_eq!(v["fraud"]["grade"], "danger");
    assert_eq!(v["fraud"]["matches"][0]["id"], "F1");
    assert_eq!(v["fraud"]["matches"][0]["reason"], "chargeback");
    assert_eq!(v["fraud"]["matches"][0]["grade"], "danger");
    assert_eq!(v["forwarder"]["grade"], serde_json::Value::Null);
}

#[test]
fn check_streams_stdin_in_order_with_errors_in_place() {
    let dir = with_list();
    let mut input = Vec::new();
    for i in 0..20_000 {
        match i % 5 {
            0 => input.extend_from_slice("東京都世田谷区三軒茶屋1-2-3-101\n".as_bytes()),
            1 => input.extend_from_slice(b"\n"),
            2 => input.extend_from_slice(b"\xff\xfe not utf-8\r\n"),
            3 => input.extend_from_slice("東京都江東区常盤2-1-7\n".as_bytes()),
            _ => {
                input.extend_from_slice(format!("東京都世田谷区深沢{}-1-1\n", i % 9 + 1).as_bytes())
            }
        }
    }
    let out = banchi_stdin(&["check", "--fraud", "fraud.csv"], dir.path(), &input);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<&str> = std::str::from_utf8(&out.stdout).unwrap().lines().collect();
    assert_eq!(lines.len(), 20_000);
    for (i, l) in lines.iter().enumerate() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        match i % 5 {
            0 => assert_eq!(v["fraud"]["grade"], "danger", "{i}"),
            1 => assert_eq!(v["error"], "empty address", "{i}"),
            2 => assert_eq!(v["error"], "input is not valid UTF-8", "{i}"),
            3 => assert_eq!(v["forwarder"]["grade"], "forwarding_service", "{i}"),
            _ => {
                assert_eq!(v["error"], serde_json::Value::Null, "{i}");
                assert_eq!(v["address"]["town"], "深沢", "{i}");
            }
        }
    }
}

#[test]
fn fail_on_sets_the_exit_status() {
    let dir = with_list();
    let run = |q: &str, g: &str| {
        run_in(
            &["check", q, "--fraud", "fraud.csv", "--fail-on", g],
            dir.path(),
        )
        .status
        .code()
    };
    assert_eq!(run("東京都世田谷区三軒茶屋1-2-3-101", "danger"), Some(1));
    assert_eq!(run("東京都世田谷区三軒茶屋1-2-3", "danger"), Some(0));
    assert_eq!(run("東京都世田谷区三軒茶屋1-2-3", "caution"), Some(1));
    assert_eq!(run("東京都江東区常盤2-1-7", "possible"), Some(1));
    assert_eq!(run("東京都江東区常盤2-1-7", "warning"), Some(0));
    assert_eq!(run("東京都江東区常盤2-1-7", "purple"), Some(2));
}

#[test]
fn index_build_then_check_with_the_index() {
    let dir = with_list();
    let out = run_in(
        &["index", "build", "fraud.csv", "-o", "fraud.idx"],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    // The old count line as it was (scripts read it), the fallback count right after it.
    assert!(
        err.contains(
            "2 rows: 1 indexed, 0 disabled, 1 rejected\n  indexed: 1 exactly, 0 by fallback key (0 unknown_town, 0 missing_town)\n"
        ),
        "{err}"
    );
    assert!(err.contains("line 3"), "{err}");
    // Privacy: the rejected row is named by its line, never by its address...
    assert!(!err.contains("世田谷"), "{err}");
    // ...unless --verbose asks for it.
    let out = run_in(
        &[
            "index",
            "build",
            "fraud.csv",
            "-o",
            "fraud.idx",
            "--verbose",
        ],
        dir.path(),
    );
    let err = text(&out.stderr);
    assert!(
        err.contains(
            "line 3: no block number (banchi) found (resolved to city level): 東京都世田谷区"
        ),
        "{err}"
    );
    assert!(
        !err.contains("三軒茶屋"),
        "only rejected rows are shown: {err}"
    );
    let out = run_in(&["index", "info", "fraud.idx"], dir.path());
    assert!(text(&out.stdout).contains("records:  1"));
    assert!(
        text(&out.stdout).contains(
            "source:   2 rows: 1 indexed, 0 disabled, 1 rejected\n  indexed: 1 exactly, 0 by fallback key"
        ),
        "{}",
        text(&out.stdout)
    );
    let out = check(
        dir.path(),
        &["--json", "東京都世田谷区三軒茶屋1-2-3-101"],
        "fraud.idx",
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["fraud"]["grade"], "danger");
    assert_eq!(v["fraud"]["matches"][0]["metadata"]["memo"], "fictional");
    // --max-rejected refuses to write.
    let out = run_in(
        &[
            "index",
            "build",
            "fraud.csv",
            "-o",
            "strict.idx",
            "--max-rejected",
            "0",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(!dir.path().join("strict.idx").exists());
    // A fraud index given as the forwarder list is refused.
    let out = run_in(&["check", "x", "--forwarders", "fraud.idx"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("not a forwarder list"));
    // A forwarder index works in its place.
    fs::write(
        dir.path().join("fw.csv"),
        "id,service,address\nW1,Fictional Tenso,東京都世田谷区深沢3-4-5\n",
    )
    .unwrap();
    let out = run_in(
        &[
            "index",
            "build",
            "fw.csv",
            "-o",
            "fw.idx",
            "--kind",
            "forwarder",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run_in(
        &[
            "check",
            "--json",
            "東京都世田谷区深沢3-4-5 PM1",
            "--forwarders",
            "fw.idx",
        ],
        dir.path(),
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["forwarder"]["grade"], "forwarding_service");
    assert_eq!(v["forwarder"]["matches"][0]["service"], "Fictional Tenso");
}

#[test]
fn a_corrupt_index_is_a_clear_error() {
    let dir = with_list();
    assert!(run_in(
        &["index", "build", "fraud.csv", "-o", "fraud.idx"],
        dir.path()
    )
    .status
    .success());
    let p = dir.path().join("fraud.idx");
    let mut bytes = fs::read(&p).unwrap();
    let n = bytes.len();
    bytes[n - 3] ^= 0x55;
    fs::write(&p, &bytes).unwrap();
    let out = check(dir.path(), &["x"], "fraud.idx");
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("corrupt") && err.contains("checksum"), "{err}");
    fs::write(&p, &bytes[..n / 2]).unwrap();
    let err = text(&run_in(&["index", "info", "fraud.idx"], dir.path()).stderr);
    assert!(err.contains("truncated"), "{err}");
}

#[test]
fn list_commands_manage_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let ok = |args: &[&str]| {
        let out = run_in(args, dir.path());
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        text(&out.stdout)
    };
    ok(&[
        "list",
        "add",
        "fraud.csv",
        "東京都世田谷区三軒茶屋1-2-3 ハイツ黒猫101号室",
        "--reason",
        "chargeback",
        "--by",
        "fictional-cs",
        "--memo",
        "fictional chargeback",
    ]);
    ok(&[
        "list",
        "add",
        "fraud.csv",
        "東京都世田谷区深沢3-4-5",
        "--reason",
        "credit_master",
        "--by",
        "fictional-cs",
        "--id",
        "X9",
    ]);
    let bad = run_in(
        &[
            "list",
            "add",
            "fraud.csv",
            "東京都世田谷区深沢3-4-5",
            "--reason",
            "fraud",
            "--by",
            "a",
        ],
        dir.path(),
    );
    assert_eq!(bad.status.code(), Some(2));
    let bad = run_in(
        &[
            "list",
            "add",
            "fraud.csv",
            "東京都世田谷区",
            "--reason",
            "other",
            "--by",
            "a",
        ],
        dir.path(),
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad.stderr).contains("needs a municipality and a block number"),
        "{}",
        text(&bad.stderr)
    );
    ok(&[
        "list",
        "disable",
        "fraud.csv",
        "1",
        "--by",
        "fictional-lead",
        "--memo",
        "refunded",
    ]);
    let shown = ok(&["list", "show", "fraud.csv", "1", "--json"]);
    let v: serde_json::Value = serde_json::from_str(shown.trim()).unwrap();
    assert_eq!(v["status"], "disabled");
    assert_eq!(v["reason"], "chargeback");
    assert_eq!(v["history"][1]["action"], "disable");
    assert_eq!(v["history"][1]["memo"], "refunded");
    let check = ok(&[
        "check",
        "--json",
        "東京都世田谷区三軒茶屋1-2-3-101",
        "--fraud",
        "fraud.csv",
    ]);
    let v: serde_json::Value = serde_json::from_str(check.trim()).unwrap();
    assert_eq!(v["fraud"]["grade"], serde_json::Value::Null);
    ok(&["list", "enable", "fraud.csv", "1", "--by", "fictional-lead"]);
    let check = ok(&[
        "check",
        "--json",
        "東京都世田谷区三軒茶屋1-2-3-101",
        "--fraud",
        "fraud.csv",
    ]);
    let v: serde_json::Value = serde_json::from_str(check.trim()).unwrap();
    assert_eq!(v["fraud"]["grade"], "danger");
    let all = ok(&["list", "show", "fraud.csv"]);
    assert!(all.contains("X9  [active]"), "{all}");
    let again = run_in(
        &["list", "enable", "fraud.csv", "1", "--by", "x"],
        dir.path(),
    );
    assert!(text(&again.stderr).contains("already active"));
}

#[test]
fn lists_loaded_by_check_and_screen_name_rejected_rows_by_line_unless_verbose() {
    let dir = with_list();
    fs::write(
        dir.path().join("orders.csv"),
        "address\n東京都世田谷区三軒茶屋1-2-3-101\n",
    )
    .unwrap();
    let check = ["check", "東京都中央区銀座4-6-16", "--fraud", "fraud.csv"];
    let screen = [
        "screen",
        "orders.csv",
        "-o",
        "out.csv",
        "--fraud",
        "fraud.csv",
    ];
    for args in [&check[..], &screen[..]] {
        let out = run_in(args, dir.path());
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        let err = text(&out.stderr);
        assert!(
            err.contains("line 3: no block number (banchi) found (resolved to city level)"),
            "{err}"
        );
        assert!(
            !err.contains("世田谷"),
            "{args:?} printed an address: {err}"
        );

        let verbose: Vec<&str> = args.iter().copied().chain(["--verbose"]).collect();
        let out = run_in(&verbose, dir.path());
        assert!(out.status.success(), "{verbose:?}: {}", text(&out.stderr));
        let err = text(&out.stderr);
        assert!(
            err.contains(
                "line 3: no block number (banchi) found (resolved to city level): 東京都世田谷区"
            ),
            "{err}"
        );
        assert!(!err.contains("三軒茶屋"), "only rejected rows: {err}");
    }
    // From an index the addresses are not at hand: --verbose says where they are instead.
    let out = run_in(
        &["index", "build", "fraud.csv", "-o", "fraud.idx"],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run_in(&["check", "x", "--fraud", "fraud.idx", "-v"], dir.path());
    let err = text(&out.stderr);
    assert!(err.contains("index build LIST.csv --verbose"), "{err}");
    assert!(!err.contains("世田谷"), "{err}");
}

#[test]
fn every_subcommand_help_has_examples_and_exit_status() {
    let dir = tempfile::tempdir().unwrap();
    let commands: &[&[&str]] = &[
        &["normalize"],
        &["check"],
        &["screen"],
        &["index"],
        &["index", "build"],
        &["index", "info"],
        &["list"],
        &["list", "add"],
        &["list", "disable"],
        &["list", "enable"],
        &["list", "approve"],
        &["list", "reject"],
        &["list", "show"],
        &["config"],
        &["config", "show"],
    ];
    for cmd in commands {
        let args: Vec<&str> = cmd.iter().copied().chain(["--help"]).collect();
        let out = run_in(&args, dir.path());
        assert!(out.status.success(), "{args:?}");
        let help = text(&out.stdout);
        let examples = help
            .split_once("Examples:\n")
            .map(|(_, rest)| rest)
            .unwrap_or_else(|| panic!("{cmd:?} --help has no examples:\n{help}"));
        // The first example line runs this very command.
        let first = examples.lines().next().unwrap_or_default().trim();
        let prefix = format!("banchi {}", cmd.join(" "));
        assert!(first.starts_with(&prefix), "{cmd:?}: {first}");
        if cmd.len() == 2 || ["normalize", "check", "screen", "list"].contains(&cmd[0]) {
            assert!(
                help.contains("Exit status"),
                "{cmd:?} --help: no exit status"
            );
        }
    }
}

#[test]
fn index_build_and_info_count_fallback_rows_and_check_matches_them() {
    let dir = tempfile::tempdir().unwrap();
    // 黒猫ヶ丘 is a made-up town of a real city: not in the gazetteer.
    fs::write(
        dir.path().join("fraud.csv"),
        "id,address,reason\nU1,長野県長野市黒猫ヶ丘三丁目4番5号,chargeback\nE1,東京都世田谷区深沢3-4-5,unpaid\nA1,府中市黒猫町1-2,other\n",
    )
    .unwrap();
    let out = run_in(
        &["index", "build", "fraud.csv", "-o", "fraud.idx"],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report = "3 rows: 2 indexed, 0 disabled, 1 rejected\n  indexed: 1 exactly, 1 by fallback key (1 unknown_town, 0 missing_town)\n  rejected: 1 ambiguous_municipality\n  line 4: the municipality is ambiguous";
    let err = text(&out.stderr);
    assert!(err.contains(report), "{err}");
    assert!(!err.contains("黒猫"), "{err}");
    let out = run_in(&["index", "info", "fraud.idx"], dir.path());
    let info = text(&out.stdout);
    assert!(info.contains(&format!("source:   {report}")), "{info}");
    let out = check(dir.path(), &["--json", "長野市黒猫ケ丘3-4-5"], "fraud.idx");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["fraud"]["grade"], "danger", "{v}");
    assert_eq!(v["fraud"]["matches"][0]["id"], "U1");
    assert_eq!(v["fraud"]["matches"][0]["fallback"], true);
}

/// List and index files hold victims' addresses: `banchi list` and `banchi index build`
/// write them with mode 0600, also when the file they replace was readable by others.
#[cfg(unix)]
#[test]
fn list_and_index_files_are_written_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let mode = |name: &str| {
        fs::metadata(dir.path().join(name))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    let open_up = |name: &str| {
        fs::set_permissions(dir.path().join(name), fs::Permissions::from_mode(0o644)).unwrap()
    };
    fs::write(dir.path().join("fraud.csv"), LIST).unwrap();
    open_up("fraud.csv");
    let out = run_in(
        &["list", "disable", "fraud.csv", "F1", "--by", "fictional-cs"],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(fs::read_to_string(dir.path().join("fraud.csv"))
        .unwrap()
        .contains("disabled"));
    assert_eq!(mode("fraud.csv"), 0o600);

    fs::write(dir.path().join("fraud.idx"), "not an index yet").unwrap();
    open_up("fraud.idx");
    let out = run_in(
        &["index", "build", "fraud.csv", "-o", "fraud.idx"],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(mode("fraud.idx"), 0o600);
}

/// A list edited through the server's journal (as `POST /v1/lists/fraud/entries` appends):
/// `banchi list show`, `banchi index build` and `banchi check` read the journal, and a
/// `banchi list` edit after it keeps the journalled edit (and folds it into the file).
#[test]
fn list_commands_and_index_build_read_the_edit_journal() {
    use banchi::watchlist::manage::NewEntry;
    use banchi::watchlist::{journal, ListEditor, ReasonCode};
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("fraud.csv");
    fs::write(
        &csv,
        "id,address,reason,status,registered_by,registered_at,memo,history\n\
         1,東京都中央区銀座4-6-16 架空ハイツ301号室,chargeback,active,cs,2026-11-22T03:35:20Z,,[]\n",
    )
    .unwrap();
    let flat = "大阪府大阪市北区梅田3-1-1 架空タワー1206号室";
    let mut editor = ListEditor::open(&csv).unwrap();
    let id = editor
        .add(
            &banchi::Parser::new(),
            &NewEntry {
                id: None,
                address: flat,
                reason: ReasonCode::Unpaid,
                by: "api-token",
                memo: None,
            },
            std::time::SystemTime::now(),
        )
        .unwrap();
    assert_eq!(id, "2");
    assert!(journal::journal_path(&csv).exists());

    let ok = |args: &[&str]| {
        let out = run_in(args, dir.path());
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        text(&out.stdout)
    };
    let shown = ok(&["list", "show", "fraud.csv", "2", "--json"]);
    let entry: serde_json::Value = serde_json::from_str(shown.trim()).unwrap();
    assert_eq!(entry["status"], "active");
    assert_eq!(entry["registered_by"], "api-token");

    ok(&["index", "build", "fraud.csv", "-o", "fraud.idx"]);
    let graded = ok(&["check", "--fraud", "fraud.idx", "--json", flat]);
    let verdict: serde_json::Value = serde_json::from_str(graded.trim()).unwrap();
    assert_eq!(verdict["fraud"]["grade"], "danger", "{graded}");
    let graded = ok(&["check", "--fraud", "fraud.csv", "--json", flat]);
    let verdict: serde_json::Value = serde_json::from_str(graded.trim()).unwrap();
    assert_eq!(verdict["fraud"]["grade"], "danger", "{graded}");

    // A `banchi list` edit after the journalled one: both kept, the journal folded.
    ok(&[
        "list",
        "disable",
        "fraud.csv",
        "1",
        "--by",
        "fictional-lead",
    ]);
    assert!(!journal::journal_path(&csv).exists());
    let all = ok(&["list", "show", "fraud.csv", "--json"]);
    let entries: Vec<serde_json::Value> = all
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["status"], "disabled");
    assert_eq!(entries[1]["status"], "active");
    assert!(fs::read_to_string(&csv).unwrap().contains(flat));
}

#[test]
fn list_approve_and_reject_review_a_pending_change_by_another_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fraud.csv");
    let mut file = banchi::watchlist::ListFile::open(&path).unwrap();
    let new = |address| banchi::watchlist::manage::NewEntry {
        id: None,
        address,
        reason: banchi::watchlist::ReasonCode::Chargeback,
        by: "alice",
        memo: None,
    };
    let t = std::time::SystemTime::UNIX_EPOCH;
    let parser = banchi::Parser::new();
    let a = file
        .add_pending(&parser, &new("東京都中央区銀座4-6-16 架空ハイツ301号室"), t)
        .unwrap();
    let b = file
        .add_pending(&parser, &new("東京都中央区銀座4-6-16 架空ハイツ302号室"), t)
        .unwrap();
    file.save().unwrap();
    let show = run_in(&["list", "show", "fraud.csv", &a], dir.path());
    assert!(
        text(&show.stdout).contains("pending=add"),
        "{}",
        text(&show.stdout)
    );
    // Not by the person who made the change.
    let own = run_in(
        &["list", "approve", "fraud.csv", &a, "--by", "alice"],
        dir.path(),
    );
    assert_eq!(own.status.code(), Some(2), "{}", text(&own.stderr));
    let ok = run_in(
        &["list", "approve", "fraud.csv", &a, "--by", "bob"],
        dir.path(),
    );
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    let ok = run_in(
        &[
            "list",
            "reject",
            "fraud.csv",
            &b,
            "--by",
            "bob",
            "--memo",
            "not ours",
        ],
        dir.path(),
    );
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    let file = banchi::watchlist::ListFile::open(&path).unwrap();
    let (ea, eb) = (file.get(&a).unwrap(), file.get(&b).unwrap());
    assert_eq!((ea.status.as_str(), ea.pending), ("active", None));
    assert_eq!((eb.status.as_str(), eb.pending), ("disabled", None));
    assert_eq!(ea.history[1].by, "bob");
    // The checker matches the approved entry only.
    let out = check(
        dir.path(),
        &["東京都中央区銀座4-6-16 架空ハイツ302号室", "--json"],
        "fraud.csv",
    );
    assert!(
        text(&out.stdout).contains("\"caution\""),
        "{}",
        text(&out.stdout)
    );
}
