"""Throughput and memory of the Python bindings on this machine (issue 12's figures).

    python python/bench/bench.py --dir /tmp/banchi-big [--rows 1000000] [--skip-spark]

Needs, in DIR, the files of
``cargo run --release --example gen_orders -- --orders 1000000 --fraud 1000000 --dir DIR``
and ``banchi index build DIR/fraud.csv -o DIR/fraud.idx`` (made here when missing, with
``--banchi`` and ``--gen-orders``). Measures, each with the load average beside it:

* ``check_many`` on the orders' addresses against the 1M-entry index (addresses/s);
* ``screen_arrow`` on a 1M-row pyarrow table (rows/s);
* ``banchi screen`` (the CLI) and ``banchi.spark.screen`` on Spark ``local[2]`` over the same
  rows without the name column (CSV for the CLI, Parquet for Spark; Spark writes to the
  ``noop`` sink), their ratio and Spark's rate per core;
* the peak RSS (VmHWM) of each Spark Python worker, the 1M-entry index loaded.

Prints one JSON object per figure and a Markdown table at the end.
"""

from __future__ import annotations

import argparse
import csv
import glob
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def figure(results: list[dict], what: str, value: float, unit: str, **extra) -> None:
    entry = {"what": what, "value": round(value, 1), "unit": unit, "load": load(), **extra}
    results.append(entry)
    print(json.dumps(entry, ensure_ascii=False), flush=True)


def ensure_data(d: Path, rows: int, banchi: str, gen: str) -> None:
    if not (d / "orders.csv").exists() or not (d / "fraud.csv").exists():
        subprocess.run(
            [gen, "--orders", str(rows), "--fraud", "1000000", "--dir", str(d)], check=True
        )
    if not (d / "fraud.idx").exists():
        subprocess.run([banchi, "index", "build", d / "fraud.csv", "-o", d / "fraud.idx"], check=True)
    plain = d / "orders_no_names.csv"
    if not plain.exists():
        with open(d / "orders.csv", newline="", encoding="utf-8") as f, open(
            plain, "w", newline="", encoding="utf-8"
        ) as out:
            r = csv.DictReader(f)
            w = csv.writer(out)
            w.writerow(["order_id", "phone", "email", "address"])
            for row in r:
                w.writerow([row["order_id"], row["phone"], row["email"], row["address"]])


def read_text(path: Path):
    """A CSV with every column read as text, as the CLI reads it."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    with open(path, newline="", encoding="utf-8") as f:
        header = next(csv.reader(f))
    types = {name: pa.string() for name in header}
    return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=types))


def bench_check_many(results, screener, addresses, repeats: int) -> None:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        out = screener.check_many(addresses)
        best = min(best, time.perf_counter() - start)
        assert len(out) == len(addresses)
        del out
    figure(results, "check_many", len(addresses) / best, "addresses/s", rows=len(addresses), seconds=round(best, 3))


def bench_screen_arrow(results, screener, table, repeats: int) -> None:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        out = screener.screen_arrow(table, phone_column="phone", email_column="email")
        best = min(best, time.perf_counter() - start)
        assert out.num_rows == table.num_rows
        del out
    figure(results, "screen_arrow", table.num_rows / best, "rows/s", rows=table.num_rows, seconds=round(best, 3))


def bench_cli(results, banchi: str, d: Path, rows: int) -> float:
    start = time.perf_counter()
    subprocess.run(
        [banchi, "screen", d / "orders_no_names.csv", "-o", d / "cli_out.csv", "--fraud", d / "fraud.idx", "--quiet"],
        check=True,
    )
    took = time.perf_counter() - start
    figure(results, "banchi screen (CLI, 2 cores)", rows / took, "rows/s", rows=rows, seconds=round(took, 3))
    return rows / took


def worker_peaks() -> list[int]:
    """VmHWM (kB) of every live PySpark daemon/worker process."""
    peaks = []
    for status in glob.glob("/proc/[0-9]*/status"):
        pid = status.split("/")[2]
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            if b"pyspark.daemon" not in cmd and b"pyspark.worker" not in cmd:
                continue
            for line in Path(status).read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]))
        except OSError:
            continue
    return peaks


def bench_spark(results, d: Path, rows: int, cli_rate: float, repeats: int) -> None:
    import pyarrow.parquet as pq

    if not os.environ.get("JAVA_HOME"):
        found = sorted(glob.glob("/usr/lib/jvm/java-17-openjdk-*"))
        if found:
            os.environ["JAVA_HOME"] = found[0]
    # Spark's Python workers must be this interpreter (the one banchi is installed in).
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    parquet = d / "orders_no_names.parquet"
    if not parquet.exists():
        pq.write_table(read_text(d / "orders_no_names.csv"), parquet)
    from pyspark.sql import SparkSession

    from banchi import spark as bspark

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("banchi-bench")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    try:
        spark.sparkContext.addFile(str(d / "fraud.idx"))
        df = spark.read.parquet(str(parquet))
        best = float("inf")
        for _ in range(repeats):
            loads = spark.sparkContext.accumulator(0)
            out = bspark.screen(df, fraud="fraud.idx", phone_col="phone", email_col="email", loads=loads)
            start = time.perf_counter()
            out.write.format("noop").mode("overwrite").save()
            best = min(best, time.perf_counter() - start)
        rate = rows / best
        figure(results, "banchi.spark.screen local[2] (noop sink)", rate, "rows/s", rows=rows, seconds=round(best, 3), list_loads_last_run=loads.value)
        figure(results, "Spark / CLI", rate / cli_rate, "ratio")
        figure(results, "Spark per core", rate / 2, "rows/s/core")
        peaks = worker_peaks()
        figure(results, "Spark Python worker peak RSS (max)", max(peaks) / 1024 if peaks else 0, "MB", workers_kb=peaks)
    finally:
        spark.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/banchi-big"))
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "release"
    ap.add_argument("--banchi", default=str(target / "banchi"))
    ap.add_argument("--gen-orders", default=str(target / "examples" / "gen_orders"))
    ap.add_argument("--skip-spark", action="store_true")
    args = ap.parse_args()

    import banchi

    d = args.dir
    d.mkdir(parents=True, exist_ok=True)
    ensure_data(d, args.rows, args.banchi, args.gen_orders)
    results: list[dict] = []
    start = time.perf_counter()
    screener = banchi.Screener(fraud=d / "fraud.idx")
    figure(results, "Screener(fraud=1M-entry index) open", time.perf_counter() - start, "s")
    table = read_text(d / "orders_no_names.csv").slice(0, args.rows)
    addresses = table.column("address").to_pylist()
    bench_check_many(results, screener, addresses, args.repeats)
    del addresses
    bench_screen_arrow(results, screener, table, args.repeats)
    del table
    cli_rate = bench_cli(results, args.banchi, d, args.rows)
    if not args.skip_spark:
        bench_spark(results, d, args.rows, cli_rate, args.repeats)
    print("\n| what | figure | load average (1, 5, 15 min) |\n|---|---|---|")
    for r in results:
        print(f"| {r['what']} | {r['value']:,} {r['unit']} | {r['load']} |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
