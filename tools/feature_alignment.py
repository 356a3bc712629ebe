#!/usr/bin/env python3
"""Fails when maturin's build of the Python extension would compile the library a second time.

`.ci/run` tests the workspace (`cargo test --workspace`), then maturin builds `python/` alone
(`-p banchi-python --features extension-module`) into the same target directory. Cargo turns on
a dependency's features per selection of packages; if any crate the library depends on resolves
with other features in the two selections, the library and everything above that crate is
compiled again. `python/Cargo.toml` lists the features the server and CLI turn on, so that the
two selections agree; this script compares them (with `cargo tree`) and names the
crates that differ.

Usage: python3 tools/feature_alignment.py
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def tree(*args, edges="normal,build"):
    done = subprocess.run(
        ["cargo", "tree", "--locked", "-e", edges, "--prefix", "none", *args],
        cwd=ROOT, capture_output=True, text=True,
    )
    if done.returncode != 0:
        sys.exit(f"feature_alignment: cargo tree failed:\n{done.stderr}")
    out = done.stdout
    return [line.replace(" (*)", "").replace(" (proc-macro)", "").strip()
            for line in out.splitlines() if line.strip()]


def features(*args, edges="normal,build"):
    found = {}
    for line in tree("-f", "{p}|{f}", *args, edges=edges):
        package, _, feats = line.partition("|")
        found.setdefault(package.strip(), set()).update(f for f in feats.split(",") if f)
    return found


def main():
    library = {line.strip() for line in tree("-f", "{p}", "-p", "banchi")}
    # `cargo test` builds the tests, so their dev-dependencies' features count on that side.
    workspace = features("--workspace", edges="normal,build,dev")
    python = features("-p", "banchi-python", "--features", "extension-module")
    differ = []
    for package in sorted(library):
        a, b = workspace.get(package, set()), python.get(package, set())
        if a != b:
            differ.append(f"  {package}: workspace only {sorted(a - b)}, python only {sorted(b - a)}")
    if differ:
        print("feature_alignment: the library's dependencies resolve differently for maturin's "
              "build; add these features to python/Cargo.toml (\"Build once\"):")
        print("\n".join(differ))
        return 1
    print(f"feature_alignment: the library's {len(library)} crates resolve alike for the "
          "workspace and the Python extension")
    return 0


if __name__ == "__main__":
    sys.exit(main())
