"""banchi.spark.screen: a local[2] job over 10,000 generated orders gives the verdict columns
of `banchi screen` on the same rows, loading the lists once per Python worker."""

from __future__ import annotations

import csv
import glob
import os
import subprocess
import sys

import pytest

import banchi
from conftest import read_csv_rows

pyspark = pytest.importorskip("pyspark")
pytest.importorskip("pyarrow")
from banchi import spark as bspark  # noqa: E402

VERDICTS = list(banchi.VERDICT_COLUMNS)
ROWS = 10_000
PARTITIONS = 8
INDEX_NAME = "banchi_spark_test_fraud.idx"


def _java_home() -> None:
    if os.environ.get("JAVA_HOME"):
        return
    found = sorted(glob.glob("/usr/lib/jvm/java-17-openjdk-*"))
    if found:
        os.environ["JAVA_HOME"] = found[0]


@pytest.fixture(scope="module")
def spark():
    _java_home()
    # The workers run this interpreter (the one banchi is installed in).
    os.environ["PYSPARK_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("banchi-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.python.worker.reuse", "true")
        .getOrCreate()
    )
    yield session
    session.stop()


@pytest.fixture(scope="module")
def orders(tmp_path_factory, gen_orders_bin, cli):
    """10,000 generated orders without a name column (`order_id, line, phone, email,
    address`; three addresses broken on purpose), a 20,000-entry fraud index, and the CLI's
    screened output of the same rows."""
    d = tmp_path_factory.mktemp("spark")
    subprocess.run(
        [str(gen_orders_bin), "--orders", str(ROWS), "--fraud", "20000", "--seed", "7", "--dir", str(d)],
        check=True,
        capture_output=True,
    )
    rows = read_csv_rows(d / "orders.csv")
    assert len(rows) == ROWS
    rows[10]["address"] = ""
    rows[20]["address"] = "hello, world"
    rows[30]["address"] = "東" * 500  # over the 1,024-byte cap
    path = d / "orders_no_names.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["order_id", "line", "phone", "email", "address"])
        for i, r in enumerate(rows):
            w.writerow([r["order_id"], i + 2, r["phone"], r["email"], r["address"]])
    index = d / INDEX_NAME
    cli("index", "build", d / "fraud.csv", "-o", index)
    screened = d / "cli.csv"
    cli("screen", path, "-o", screened, "--fraud", index, "--quiet")
    return path, index, read_csv_rows(screened)


def test_local_job_equals_the_cli(spark, orders):
    path, index, expected = orders
    from pyspark.sql import functions as F

    spark.sparkContext.addFile(str(index))
    df = (
        spark.read.csv(str(path), header=True, inferSchema=False)
        .withColumn("line", F.col("line").cast("long"))
        .repartition(PARTITIONS)
    )
    loads = spark.sparkContext.accumulator(0)
    out = bspark.screen(
        df,
        fraud=INDEX_NAME,  # shipped with addFile: found through SparkFiles on the workers
        phone_col="phone",
        email_col="email",
        line_col="line",
        loads=loads,
    )
    assert out.schema == bspark.output_schema(df.schema)
    got = {r["order_id"]: r for r in (row.asDict() for row in out.collect())}
    assert len(got) == ROWS
    mismatches = [
        (e["order_id"], c, e[c], got[e["order_id"]][c])
        for e in expected
        for c in VERDICTS
        if got[e["order_id"]][c] != e[c]
    ]
    assert mismatches == [], mismatches[:10]
    # The comparison covers every kind of outcome.
    assert {e["grade"] for e in expected} >= {"danger", "caution", "warning", ""}
    assert sum(1 for e in expected if e["error"]) >= 3
    keyed = [r for r in got.values() if r["velocity_key"]]
    assert len(keyed) > ROWS * 0.9
    # Lists opened once per Python worker (local[2]: at most two), not per task or batch.
    assert 1 <= loads.value <= 2 < PARTITIONS, loads.value


def test_errors_without_line_numbers(spark):
    df = spark.createDataFrame(
        [("A1", None), ("A2", "東京都中央区銀座4-6-16")], "order_id string, address string"
    )
    rows = {r["order_id"]: r for r in bspark.screen(df, fraud=None).collect()}
    assert rows["A1"]["error"] == "address: empty address"
    assert rows["A2"]["error"] == "" and rows["A2"]["velocity_key"] == "13102|銀座|4|6|16||"


def test_worker_cache_loads_once(orders):
    _, index, _ = orders
    first, loaded = bspark.worker_screener(str(index), None, None)
    again, loaded_again = bspark.worker_screener(str(index), None, None)
    assert loaded and not loaded_again and first is again
    other, loaded_other = bspark.worker_screener(str(index), None, None, True)
    assert loaded_other and other is not first


def test_missing_list_on_a_worker():
    with pytest.raises(FileNotFoundError, match="no such file on this worker"):
        bspark.resolve_path("/nonexistent/banchi/fraud.idx")
