//! The crates' layering: the `banchi` library builds without the CLI's and the server's
//! dependencies (`cargo tree` of the root package names none of them), the server without the
//! CLI's, and the `banchi` binary carries both.

use std::process::Command;

/// The normal (non-dev, non-build) dependencies of `package`, one crate name per entry;
/// `depth` limits the tree (1 = direct dependencies only).
fn tree(package: &str, depth: Option<u32>) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .args(["tree", "--offline", "-e", "normal", "--prefix", "none"])
        .args(["-p", package]);
    if let Some(d) = depth {
        cmd.args(["--depth", &d.to_string()]);
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("running cargo tree: {e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

/// What only the server needs.
const SERVER_ONLY: [&str; 6] = [
    "axum",
    "tokio",
    "hyper",
    "tower-http",
    "utoipa",
    "prometheus-client",
];

/// What only the command line needs (`anyhow` apart: see below).
const CLI_ONLY: [&str; 5] = ["clap", "indicatif", "ctrlc", "mimalloc", "anstream"];

#[test]
fn the_library_tree_has_no_server_or_cli_dependencies() {
    let library = tree("banchi", None);
    assert!(
        library.iter().any(|c| c == "fst"),
        "tree of banchi looks wrong"
    );
    for dep in SERVER_ONLY.iter().chain(&CLI_ONLY) {
        assert!(!library.iter().any(|c| c == dep), "banchi depends on {dep}");
    }
    // `anyhow` comes in through lindera (the tokenizer's own dependency); the library itself
    // does not use it.
    let direct = tree("banchi", Some(1));
    assert!(direct.iter().any(|c| c == "lindera"), "{direct:?}");
    assert!(!direct.iter().any(|c| c == "anyhow"), "{direct:?}");
}

#[test]
fn the_server_has_no_cli_dependencies_and_the_binary_has_both() {
    let server = tree("banchi-server", None);
    for dep in SERVER_ONLY {
        assert!(server.iter().any(|c| c == dep), "banchi-server lacks {dep}");
    }
    // (`anstream` reaches the server through clap, which parses `ServeArgs`.)
    for dep in ["indicatif", "ctrlc", "mimalloc"] {
        assert!(
            !server.iter().any(|c| c == dep),
            "banchi-server depends on {dep}"
        );
    }
    let cli = tree("banchi-cli", None);
    for dep in SERVER_ONLY
        .iter()
        .chain(&CLI_ONLY)
        .chain(&["banchi-server"])
    {
        assert!(cli.iter().any(|c| c == dep), "banchi-cli lacks {dep}");
    }
}
