"""Screen a Parquet file of orders through DuckDB, then ask SQL questions of the verdicts.

    python python/examples/duckdb_parquet.py orders.parquet fraud.idx screened.parquet

DuckDB reads the Parquet file; its result goes to ``Screener.screen_arrow`` through the Arrow
C stream interface (no pandas), and the screened table is queried by DuckDB again and written
back to Parquet.
"""

import sys

import duckdb

import banchi

orders, fraud, out = sys.argv[1:4]
screener = banchi.Screener(fraud=fraud)
relation = duckdb.sql(f"select * from read_parquet('{orders}')")
source = relation if hasattr(relation, "__arrow_c_stream__") else relation.arrow()
screened = screener.screen_arrow(source, phone_column="phone", email_column="email")

# `screened` is a pyarrow.Table: DuckDB queries it by its variable name.
print(
    duckdb.sql(
        """
        select grade, forwarder, level, count(*) as orders
        from screened
        group by all
        order by orders desc
        """
    )
)
duckdb.sql(f"copy screened to '{out}' (format parquet)")
