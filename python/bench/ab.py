"""Paired A/B of two builds of the Python package on this (noisy, shared) machine.

    pip install --no-deps --target /tmp/a OLD.whl; pip install --no-deps --target /tmp/b NEW.whl
    python python/bench/ab.py /tmp/a /tmp/b --mode check_many --rounds 3 --dir /tmp/banchi-big

Runs each build in its own subprocess, alternating A, B, A, B … so that both see the same
minutes of the machine, each the best of two calls over the 1M orders of ``--dir`` (see
bench.py) against its 1M-entry index; prints both medians and the B/A ratio of every round.
``--mode screen_arrow`` times ``screen_arrow`` on the same table instead.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

CHILD = r"""
import sys, time
sys.path.insert(0, sys.argv[1])
import banchi, pyarrow as pa, pyarrow.csv as pacsv
d, mode = sys.argv[2], sys.argv[3]
cols = {c: pa.string() for c in ("order_id", "phone", "email", "address")}
t = pacsv.read_csv(d + "/orders_no_names.csv", convert_options=pacsv.ConvertOptions(column_types=cols))
s = banchi.Screener(fraud=d + "/fraud.idx")
addresses = t.column("address").to_pylist()
best = 0.0
for _ in range(2):
    start = time.perf_counter()
    out = s.check_many(addresses) if mode == "check_many" else s.screen_arrow(t, phone_column="phone", email_column="email")
    best = max(best, t.num_rows / (time.perf_counter() - start))
    del out
print(best)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("a", help="folder holding build A's banchi package")
    ap.add_argument("b", help="folder holding build B's banchi package")
    ap.add_argument("--mode", choices=["check_many", "screen_arrow"], default="check_many")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--dir", default="/tmp/banchi-big")
    args = ap.parse_args()
    rates: dict[str, list[float]] = {"A": [], "B": []}
    for _ in range(args.rounds):
        for name, path in (("A", args.a), ("B", args.b)):
            out = subprocess.run(
                [sys.executable, "-c", CHILD, path, args.dir, args.mode],
                capture_output=True, text=True, check=True,
            )
            rates[name].append(float(out.stdout.strip()))
            print(name, round(rates[name][-1]), flush=True)
    for name, v in rates.items():
        print(name, "median", round(statistics.median(v)), "all", [round(x) for x in v])
    print("B/A per round", [round(b / a, 3) for a, b in zip(rates["A"], rates["B"])])


if __name__ == "__main__":
    main()
