#!/usr/bin/env python3
"""Fails when two source files of a crate import each other, directly or round a longer circle.

Reads every `.rs` file under each crate's `src/` (the library, the server, the CLI, the Python
extension), takes the paths it names (`use` lines and inline `crate::…`/`super::…`/`self::…`
paths, outside `#[cfg(test)]` blocks), resolves each to the file that defines the item, and
looks for strongly connected components in that file graph. `mod x;` lines and `pub use`
re-exports in a module's facade (`lib.rs`, `mod.rs`) are not imports: a path that reaches a
re-exported name is followed to the file that defines it.

Usage: python3 tools/module_cycles.py [--graph]   (exit 1 and the circles printed when any)
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CRATES = {"banchi": "src", "banchi_server": "server/src", "banchi_cli": "cli/src",
          "banchi_python": "python/src"}

PATH_RE = re.compile(r"\b(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
USE_RE = re.compile(r"^\s*(pub(?:\([^)]*\))?\s+)?use\s+([^;]+);", re.S | re.M)


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return "\n".join(re.sub(r"//.*", "", line) for line in text.splitlines())


def strip_tests(text):
    """Drops `#[cfg(test)]` items (test modules import their parent by design)."""
    out, i = [], 0
    for m in re.finditer(r"#\[cfg\(test\)\]\s*(?:#\[[^\]]*\]\s*)*(?:pub\s+)?mod\s+\w+\s*\{", text):
        if m.start() < i:
            continue
        out.append(text[i:m.start()])
        depth, j = 1, m.end()
        while j < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        i = j
    out.append(text[i:])
    return "".join(out)


def strip_strings(text):
    return re.sub(r'"(?:\\.|[^"\\])*"', '""', text)


def module_files(src):
    """Maps module paths (tuples) to files for one crate."""
    mods = {}
    for f in sorted(src.rglob("*.rs")):
        rel = f.relative_to(src).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] in ("lib", "main") and len(parts) == 1:
            parts = []
        elif parts[-1] == "mod":
            parts = parts[:-1]
        mods[tuple(parts)] = f
    return mods


def expand_use(tree):
    """`a::{b, c::{d, e}}` -> [a::b, a::c::d, a::c::e] (aliases dropped)."""
    tree = re.sub(r"\s+", "", tree)
    depth, start, items = 0, 0, []
    brace = tree.find("{")
    if brace < 0:
        return [re.sub(r"as\w+$", "", tree)] if "as" not in tree else [tree.split("as")[0]]
    prefix, inner = tree[:brace], tree[brace + 1:tree.rfind("}")]
    for k, ch in enumerate(inner):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(inner[start:k])
            start = k + 1
    items.append(inner[start:])
    out = []
    for it in items:
        if it:
            out += [prefix + sub for sub in expand_use(it)]
    return out


def main():
    edges, files = {}, {}
    for crate, src in CRATES.items():
        src = ROOT / src
        if not src.is_dir():
            continue
        mods = module_files(src)
        texts = {m: strip_strings(strip_tests(strip_comments(f.read_text()))) for m, f in mods.items()}
        # Facade re-exports: (module, name) -> defining module.
        reexport = {}
        for m, text in texts.items():
            for um in USE_RE.finditer(text):
                if not um.group(1):
                    continue
                for path in expand_use(um.group(2)):
                    segs = [s for s in path.split("::") if s]
                    target = resolve(m, segs, mods, {})
                    if target is not None and target != m:
                        reexport[(m, segs[-1])] = target
        for m, text in texts.items():
            node = (crate, m)
            files[node] = mods[m]
            deps = edges.setdefault(node, set())
            facade_lines = set()
            for um in USE_RE.finditer(text):
                paths = expand_use(um.group(2))
                if um.group(1):
                    facade_lines.add(um.group(0))
                    continue
                for path in paths:
                    segs = [s for s in path.split("::") if s]
                    if segs and segs[0] in ("crate", "super", "self"):
                        add(deps, crate, resolve(m, segs, mods, reexport), m)
                    elif segs and segs[0] in {p[0] for p in mods if p} and m == ():
                        add(deps, crate, resolve(m, ["crate"] + segs, mods, reexport), m)
            body = USE_RE.sub("", text)
            for pm in PATH_RE.finditer(body):
                segs = [pm.group(1)] + [s for s in pm.group(2).split("::") if s]
                add(deps, crate, resolve(m, segs, mods, reexport), m)
    cycles = sccs(edges)
    if "--graph" in sys.argv:
        for n in sorted(edges):
            for d in sorted(edges[n]):
                print(f"{name(files, n)} -> {name(files, d)}")
    if cycles:
        print("module_cycles: files that import each other (break each circle):")
        for c in cycles:
            print("  " + " <-> ".join(name(files, n) for n in sorted(c)))
        return 1
    print(f"module_cycles: no circles among {len(files)} files")
    return 0


def name(files, n):
    return str(files[n].relative_to(ROOT))


def add(deps, crate, target, here):
    if target is not None and target != here:
        deps.add((crate, target))


def resolve(here, segs, mods, reexport):
    """The module file that defines the item a path names (longest module prefix)."""
    if not segs:
        return None
    if segs[0] == "crate":
        base, rest = (), segs[1:]
    elif segs[0] in ("super", "self"):
        base, rest = here, segs
        while rest and rest[0] in ("super", "self"):
            if rest[0] == "super":
                base = base[:-1]
            rest = rest[1:]
    else:
        return None
    cur = base
    for s in rest:
        if cur + (s,) in mods:
            cur = cur + (s,)
        else:
            seen = 0
            while (cur, s) in reexport and seen < 8:
                cur = reexport[(cur, s)]
                seen += 1
            break
    return cur if cur in mods else None


def sccs(edges):
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(comp)

    sys.setrecursionlimit(10000)
    for v in list(edges):
        if v not in index:
            visit(v)
    return out


if __name__ == "__main__":
    sys.exit(main())
