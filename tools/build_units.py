#!/usr/bin/env python3
"""Lists the crates that `cargo test --profile ci --workspace` compiles twice, and why.

A crate used both by a build script (the gazetteer's and IPADIC's) and by the library is one
compilation unit only when the two agree on features, profile and dependencies; otherwise cargo
compiles it twice (once for the host's build scripts, once for the code). The `ci` profile's
`build-override` and the feature-only build-dependencies in `dictionaries/ipadic/Cargo.toml`
keep them agreeing; this script shows what drifted after a dependency change.

It reads cargo's unit graph, an unstable output (`-Z unstable-options --unit-graph`, allowed on
a stable toolchain by RUSTC_BOOTSTRAP=1 for this one command); it builds nothing.

Usage: python3 tools/build_units.py   (exit 1 when a crate is compiled twice)
"""

import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def unit_graph():
    done = subprocess.run(
        ["cargo", "test", "--profile", "ci", "--workspace", "--no-run",
         "-Z", "unstable-options", "--unit-graph"],
        cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "RUSTC_BOOTSTRAP": "1"},
    )
    if done.returncode != 0:
        sys.exit(f"build_units: cargo failed:\n{done.stderr}")
    return json.loads(done.stdout)


def main():
    graph = unit_graph()
    units = defaultdict(list)
    for unit in graph["units"]:
        if unit["mode"] == "build":
            units[(unit["pkg_id"], unit["target"]["name"])].append(unit)
    twice = 0
    for (pkg, target), found in sorted(units.items()):
        if len(found) < 2:
            continue
        twice += 1
        a, b = found[0], found[1]
        name = pkg.split("#")[-1]
        profile = {k for k in set(a["profile"]) | set(b["profile"])
                   if a["profile"].get(k) != b["profile"].get(k)}
        features = set(a["features"]) ^ set(b["features"])
        why = []
        if profile:
            why.append("profile: " + ", ".join(
                f"{k} {a['profile'].get(k)} / {b['profile'].get(k)}" for k in sorted(profile)))
        if features:
            why.append("features only on one side: " + ", ".join(sorted(features)))
        if not why:
            why.append("a dependency differs")
        print(f"{name} ({target}) x{len(found)}: {'; '.join(why)}")
    print(f"{twice} crates compiled more than once, of {len(graph['units'])} units")
    return 1 if twice else 0


if __name__ == "__main__":
    sys.exit(main())
