"""Screener.screen_arrow against `banchi screen` on the sample data, over pyarrow, Polars and
DuckDB tables, and its errors."""

from __future__ import annotations

import csv
import sys

import pytest

import banchi
from conftest import SAMPLE_FRAUD, SAMPLE_ORDERS, read_csv_rows

pa = pytest.importorskip("pyarrow")
pacsv = pytest.importorskip("pyarrow.csv")

VERDICTS = list(banchi.VERDICT_COLUMNS)


def all_text(path) -> "pa.Table":
    """A CSV read with every column as text (as the CLI reads it)."""
    with open(path, newline="", encoding="utf-8") as f:
        header = next(csv.reader(f))
    return pacsv.read_csv(
        path, convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in header})
    )


@pytest.fixture(scope="module")
def screener():
    return banchi.Screener(fraud=SAMPLE_FRAUD)


@pytest.fixture(scope="module")
def cli_screened(cli, tmp_path_factory):
    """`banchi screen data/sample_orders.csv --fraud data/sample_fraud.csv` (the CLI finds the
    name, phone, email and order_time columns by their names)."""
    out = tmp_path_factory.mktemp("cli") / "screened.csv"
    cli("screen", SAMPLE_ORDERS, "-o", out, "--fraud", SAMPLE_FRAUD, "--quiet")
    return read_csv_rows(out)


BUYER = dict(
    name_column="name", phone_column="phone", email_column="email", time_column="order_time"
)


def verdict_rows(table) -> list[dict[str, str]]:
    return [{c: row[c] for c in VERDICTS} for row in table.select(VERDICTS).to_pylist()]


def test_pyarrow_table_equals_the_cli(screener, cli_screened):
    table = all_text(SAMPLE_ORDERS)
    out = screener.screen_arrow(table, **BUYER)
    assert isinstance(out, pa.Table)
    assert out.num_rows == table.num_rows == len(cli_screened)
    assert out.column_names == table.column_names + VERDICTS
    assert verdict_rows(out) == [{c: r[c] for c in VERDICTS} for r in cli_screened]
    # The input columns are passed through untouched.
    assert out.select(table.column_names).equals(table)
    # The sample has every kind of verdict, so the comparison means something.
    grades = {r["grade"] for r in cli_screened}
    assert {"danger", "caution", ""} <= grades
    assert any("velocity" in r["reasons"] for r in cli_screened)
    assert any(r["error"] for r in cli_screened)


def test_velocity_only_with_a_name_column(screener, cli_screened):
    table = all_text(SAMPLE_ORDERS)
    out = verdict_rows(screener.screen_arrow(table, phone_column="phone", email_column="email"))
    assert not any("velocity" in r["reasons"] for r in out)
    off = verdict_rows(screener.screen_arrow(table, velocity=False, **BUYER))
    assert not any("velocity" in r["reasons"] for r in off)


def test_record_batches_and_small_batches(screener, cli_screened):
    table = all_text(SAMPLE_ORDERS)
    expected = [{c: r[c] for c in VERDICTS} for r in cli_screened]
    # Many small batches: velocity still counts over the table in row order.
    chunked = pa.Table.from_batches(table.to_batches(max_chunksize=3))
    assert verdict_rows(screener.screen_arrow(chunked, **BUYER)) == expected
    batch = table.combine_chunks().to_batches()[0]
    assert verdict_rows(screener.screen_arrow(batch, **BUYER)) == expected

    class ArrayOnly:  # an object with only the C data interface of one record batch
        def __arrow_c_array__(self, requested_schema=None):
            return batch.__arrow_c_array__()

    assert verdict_rows(screener.screen_arrow(ArrayOnly(), **BUYER)) == expected


def test_polars_and_duckdb_tables(screener, cli_screened):
    expected = [{c: r[c] for c in VERDICTS} for r in cli_screened]
    pl = pytest.importorskip("polars")
    frame = pl.read_csv(SAMPLE_ORDERS, infer_schema=False)
    assert verdict_rows(screener.screen_arrow(frame, **BUYER)) == expected
    duckdb = pytest.importorskip("duckdb")
    rel = duckdb.sql(
        f"select * from read_csv('{SAMPLE_ORDERS}', all_varchar = true, header = true)"
    )
    source = rel if hasattr(rel, "__arrow_c_stream__") else rel.arrow()
    assert verdict_rows(screener.screen_arrow(source, **BUYER)) == expected


def test_null_cells_keep_their_rows(screener):
    table = pa.table(
        {
            "address": pa.array(["東京都中央区銀座4-6-16", None, "  ", "東京都中央区銀座4-6-16"]),
            "phone": pa.array([None, None, None, "00-0000-0000"]),
        }
    )
    out = verdict_rows(screener.screen_arrow(table, phone_column="phone"))
    assert len(out) == 4
    assert out[0]["error"] == "" and out[0]["normalized"] == "東京都中央区銀座4丁目6-16"
    assert out[1]["error"] == "line 3: address: empty address"
    assert out[2]["error"] == "line 4: address: empty address"
    assert out[1]["normalized"] == "" and out[1]["grade"] == ""
    assert "dummy_phone" in out[3]["reasons"].split(";")
    # No `line N: ` without a line; a line column gives each row its own number.
    bare = verdict_rows(screener.screen_arrow(table, first_line=None))
    assert bare[1]["error"] == "address: empty address"
    numbered = table.append_column("n", pa.array([10, 20, 30, 40], pa.int64()))
    lines = verdict_rows(screener.screen_arrow(numbered, line_column="n"))
    assert lines[2]["error"] == "line 30: address: empty address"


def test_column_layouts(screener):
    addresses = ["東京都中央区銀座4-6-16", None, "東京都中央区銀座4-6-16"]
    plain = verdict_rows(screener.screen_arrow(pa.table({"address": addresses})))
    for typ in (pa.large_string(), pa.string_view()):
        t = pa.table({"address": pa.array(addresses, typ)})
        assert verdict_rows(screener.screen_arrow(t)) == plain
    dictionary = pa.table({"address": pa.array(addresses).dictionary_encode()})
    assert verdict_rows(screener.screen_arrow(dictionary)) == plain
    nulls = verdict_rows(screener.screen_arrow(pa.table({"address": pa.nulls(2)})))
    assert [r["error"] for r in nulls] == ["line 2: address: empty address", "line 3: address: empty address"]


def test_several_address_columns_are_joined(screener):
    t = pa.table({"pref": ["東京都", "東京都"], "rest": ["中央区銀座4-6-16", None]})
    out = verdict_rows(screener.screen_arrow(t, ["pref", "rest"]))
    assert out[0]["normalized"] == "東京都中央区銀座4丁目6-16"
    assert out[1]["normalized"] == "東京都"


def test_velocity_key_and_rescreen(screener):
    t = pa.table({"address": ["東京都中央区銀座4-6-16 301", "東京都中央区", None]})
    out = screener.screen_arrow(t, velocity_key=True)
    assert out.column("velocity_key").to_pylist() == ["13102|銀座|4|6|16||301", None, None]
    again = screener.screen_arrow(out)
    assert again.column_names == ["address", "velocity_key", *VERDICTS]
    assert verdict_rows(again) == verdict_rows(out)


def test_errors(screener):
    t = pa.table({"address": ["東京都中央区銀座4-6-16"], "n": [1]})
    with pytest.raises(banchi.ArrowError, match="column `住所` is not in the table"):
        screener.screen_arrow(t, "住所")
    with pytest.raises(banchi.ArrowError, match="column `n` is Int64, not text"):
        screener.screen_arrow(t, "n")
    with pytest.raises(banchi.ArrowError, match="line column `address` is Utf8, not an integer"):
        screener.screen_arrow(t, line_column="address")
    with pytest.raises(TypeError, match="not an Arrow table"):
        screener.screen_arrow([{"address": "x"}])
    # Column names match ignoring case, as the CLI's --address-column does.
    upper = pa.table({"ADDRESS": ["東京都中央区銀座4-6-16"]})
    assert verdict_rows(screener.screen_arrow(upper))[0]["error"] == ""


def test_empty_table(screener):
    t = pa.table({"address": pa.array([], pa.string())})
    out = screener.screen_arrow(t)
    assert out.num_rows == 0 and out.column_names == ["address", *VERDICTS]


def test_without_pyarrow_an_arrow_stream_is_returned(screener, monkeypatch):
    table = all_text(SAMPLE_ORDERS)
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # `import pyarrow` now fails
    out = screener.screen_arrow(table, **BUYER)
    monkeypatch.undo()
    assert isinstance(out, banchi.ArrowStream)
    assert out.column_names[-7:] == VERDICTS
    read = pa.table(out)
    assert read.num_rows == table.num_rows
    with pytest.raises(banchi.ArrowError, match="read already"):
        out.__arrow_c_stream__()
