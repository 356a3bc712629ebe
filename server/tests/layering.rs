//! The library builds without the server's dependencies: `cargo tree` of the root package
//! names none of them, while the server's tree does.

use std::process::Command;

fn tree(package: &str) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .args([
            "tree",
            "--offline",
            "-e",
            "normal",
            "--prefix",
            "none",
            "-p",
            package,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn library_tree_has_no_server_dependencies() {
    let crate_names = |t: &str| -> Vec<String> {
        t.lines()
            .filter_map(|l| l.split_whitespace().next())
            .map(str::to_owned)
            .collect()
    };
    let server_only = [
        "axum",
        "tokio",
        "hyper",
        "tower-http",
        "utoipa",
        "prometheus-client",
    ];
    let library = crate_names(&tree("banchi"));
    assert!(
        library.iter().any(|c| c == "fst"),
        "tree of banchi looks wrong"
    );
    for dep in server_only {
        assert!(!library.iter().any(|c| c == dep), "banchi depends on {dep}");
    }
    let server = crate_names(&tree("banchi-server"));
    for dep in server_only {
        assert!(server.iter().any(|c| c == dep), "banchi-server lacks {dep}");
    }
}
