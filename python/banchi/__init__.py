"""banchi: Japanese shipping addresses parsed and screened against fraud and forwarding lists.

The Rust library itself, not a re-implementation, so every verdict equals the CLI's::

    import banchi

    banchi.Parser().parse("東京都中央区銀座４丁目６番１６号 銀座ビル３Ｆ").key
    # '13102|銀座|4|6|16|3|'

    screener = banchi.Screener(fraud="fraud.idx")        # a list CSV or an index file
    s = screener.check("東京都中央区銀座4-6-16-301")
    s.grade, s.stars, s.score, s.level, s.action, s.reason_codes

    screener.check_many(addresses)                        # all cores, GIL released
    screener.screen_arrow(table)                          # pyarrow / Polars / DuckDB tables

Spark: :func:`banchi.spark.screen`.
"""

from ._banchi import (
    MAX_INPUT_BYTES,
    VELOCITY_KEY,
    VERDICT_COLUMNS,
    Address,
    ArrowError,
    ArrowStream,
    BanchiError,
    ConfigError,
    ListError,
    ParseError,
    Parser,
    Screener,
    Screening,
    __version__,
)

__all__ = [
    "Address",
    "ArrowError",
    "ArrowStream",
    "BanchiError",
    "ConfigError",
    "ListError",
    "MAX_INPUT_BYTES",
    "ParseError",
    "Parser",
    "Screener",
    "Screening",
    "VELOCITY_KEY",
    "VERDICT_COLUMNS",
    "__version__",
]
