"""Re-screen a shipping list kept as CSV with pandas or Polars, without shelling out.

    python python/examples/rescreen_csv.py data/sample_orders.csv data/sample_fraud.csv out.csv

Every column is read as text (as ``banchi screen`` reads it), the table goes through
``Screener.screen_arrow`` (Arrow in, Arrow out: no per-row Python), and the verdict columns
``grade, forwarder, score, level, reasons, normalized, error`` come back appended — the same
strings the CLI writes. Then the usual DataFrame work: the riskiest orders first.
"""

import sys

import banchi


def with_polars(orders: str, fraud: str, out: str) -> None:
    import polars as pl

    frame = pl.read_csv(orders, infer_schema=False)  # every column as text
    screener = banchi.Screener(fraud=fraud)
    screened = pl.from_arrow(
        screener.screen_arrow(
            frame,
            name_column="name",  # velocity (several names at one point), in row order
            phone_column="phone",
            email_column="email",
            time_column="order_time",
        )
    )
    screened.write_csv(out)
    risky = (
        screened.with_columns(pl.col("score").cast(pl.Int32))
        .filter(pl.col("level") != "low")
        .sort("score", descending=True)
    )
    print(risky.select("order_id", "grade", "forwarder", "score", "reasons"))


def with_pandas(orders: str, fraud: str) -> None:
    import pandas as pd
    import pyarrow as pa

    df = pd.read_csv(orders, dtype=str, keep_default_na=False)
    screener = banchi.Screener(fraud=fraud)
    screened = screener.screen_arrow(pa.Table.from_pandas(df, preserve_index=False)).to_pandas()
    print(screened.groupby("grade").size())


if __name__ == "__main__":
    orders, fraud, out = sys.argv[1:4]
    with_polars(orders, fraud, out)
    with_pandas(orders, fraud)
