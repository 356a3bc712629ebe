"""banchi on Spark: screen a DataFrame's addresses where the data lives.

:func:`screen` appends the verdict columns of ``banchi screen`` to a DataFrame with
``DataFrame.mapInArrow``: each Python worker process builds one :class:`banchi.Screener`
(the index memory-mapped, so the workers of a node share its pages) and screens the Arrow
batches Spark hands it, on all the cores the task may use, with the GIL released.

Output schema: the input columns (a column already named like a verdict column is
replaced), then

======================  ======  ==========================================================
column                  type    content
======================  ======  ==========================================================
``grade``               string  ``danger`` / ``caution`` / ``warning`` / ``""``
``forwarder``           string  ``forwarding_service`` / ``possible`` / ``""``
``score``               string  ``0``–``100``
``level``               string  ``low`` / ``medium`` / ``high``
``reasons``             string  reason codes joined with ``;``
``normalized``          string  the address written back from its parts, ``""`` if unparsed
``error``               string  why the row's address did not parse, ``""`` when it did
``velocity_key``        string  the delivery-point key (null below block level)
======================  ======  ==========================================================

The seven verdict columns are the strings ``banchi screen`` writes in its CSV, empty where
it writes nothing. ``error`` starts with ``line N:`` only when ``line_col`` names a column of
line numbers (the CLI names the line of its input file; a DataFrame has none). Velocity —
one delivery point receiving orders under several names — needs the rows in order, which a
distributed job does not have: it is not computed here; group on ``velocity_key`` instead.

Lists and configuration: a path every worker can read (a shared filesystem), or a file
shipped with the job (``spark-submit --files fraud.idx`` or ``SparkContext.addFile``) named
by its file name; a path that does not exist on the worker is looked up with
``SparkFiles.get``.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any, Iterator

from ._banchi import VELOCITY_KEY, VERDICT_COLUMNS, Screener

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pyarrow as pa
    from pyspark import Accumulator
    from pyspark.sql import DataFrame
    from pyspark.sql.types import StructType

__all__ = ["screen", "output_schema", "worker_screener", "resolve_path"]

# One Screener per (lists, configuration) in each Python worker process. Spark runs one
# Python worker per concurrent task and reuses it for the next tasks
# (spark.python.worker.reuse, on by default), so the lists are opened once per worker, not
# once per batch or per task.
_SCREENERS: dict[tuple[Any, ...], Screener] = {}
_LOCK = threading.Lock()


def resolve_path(path: str | os.PathLike[str] | None) -> str | None:
    """The path as this process can open it: as given when it exists, else the file of that
    name shipped with the job (``SparkFiles.get``)."""
    if path is None:
        return None
    given = os.fspath(path)
    if os.path.exists(given):
        return given
    try:
        from pyspark import SparkFiles

        shipped = SparkFiles.get(os.path.basename(given))
    except Exception:  # no SparkContext here, or no files shipped
        shipped = None
    if shipped and os.path.exists(shipped):
        return shipped
    raise FileNotFoundError(
        f"{given}: no such file on this worker, and none of that name shipped with the job "
        "(spark-submit --files, SparkContext.addFile)"
    )


def worker_screener(
    fraud: str | None,
    forwarders: str | None,
    config: str | None,
    no_forwarders: bool = False,
    near: int | None = None,
) -> tuple[Screener, bool]:
    """This process's screener for these lists, and whether this call loaded it."""
    key = (fraud, forwarders, config, no_forwarders, near)
    with _LOCK:
        screener = _SCREENERS.get(key)
        if screener is not None:
            return screener, False
        screener = Screener(
            resolve_path(fraud),
            resolve_path(forwarders),
            resolve_path(config),
            no_forwarders=no_forwarders,
            near=near,
        )
        _SCREENERS[key] = screener
        return screener, True


def output_schema(schema: StructType) -> StructType:
    """The schema :func:`screen` returns for an input of ``schema``."""
    from pyspark.sql.types import StringType, StructField, StructType

    added = [*VERDICT_COLUMNS, VELOCITY_KEY]
    fields = [f for f in schema.fields if f.name not in added]
    fields += [StructField(name, StringType(), False) for name in VERDICT_COLUMNS]
    fields.append(StructField(VELOCITY_KEY, StringType(), True))
    return StructType(fields)


def screen(
    df: DataFrame,
    address_col: str | list[str] = "address",
    fraud: str | os.PathLike[str] | None = "fraud.idx",
    forwarders: str | os.PathLike[str] | None = None,
    config: str | os.PathLike[str] | None = None,
    name_col: str | None = None,
    phone_col: str | None = None,
    email_col: str | None = None,
    postal_col: str | None = None,
    line_col: str | None = None,
    *,
    no_forwarders: bool = False,
    near: int | None = None,
    loads: Accumulator[int] | None = None,
) -> DataFrame:
    """``df`` with the verdict columns of ``banchi screen`` and ``velocity_key`` appended
    (see the module documentation for the schema).

    ``address_col``: a column, or several joined with a space. ``fraud``: the fraud list
    (index file or CSV; None: no fraud list). ``forwarders``: a forwarder list, None for the
    bundled one (``no_forwarders=True``: none). ``config``: the TOML configuration.
    ``name_col``, ``phone_col``, ``email_col``: buyer columns for the dummy-data signals;
    ``postal_col``: a postal-code column checked against the address; ``line_col``: an
    integer column whose value ``error`` names as ``line N``. ``loads``: an accumulator that
    counts the lists' loads (one per Python worker process).

    The job fails with ``banchi.ListError`` (on the workers) when a list is refused, and
    ``FileNotFoundError`` when a worker finds no list file.
    """
    fraud_path = None if fraud is None else os.fspath(fraud)
    forwarders_path = None if forwarders is None else os.fspath(forwarders)
    config_path = None if config is None else os.fspath(config)
    schema = output_schema(df.schema)
    columns = {
        "name_column": name_col,
        "phone_column": phone_col,
        "email_column": email_col,
        "postal_column": postal_col,
        "line_column": line_col,
    }

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        screener, loaded = worker_screener(
            fraud_path, forwarders_path, config_path, no_forwarders, near
        )
        if loaded and loads is not None:
            loads.add(1)
        for batch in batches:
            if batch.num_rows == 0:
                continue
            table = screener.screen_arrow(
                batch,
                address_col,
                first_line=None,
                velocity=False,
                velocity_key=True,
                **columns,
            )
            yield from _as_spark_batches(table, batch.schema)

    return df.mapInArrow(run, schema)


def _as_spark_batches(table: Any, input_schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    """The result's batches, their new string columns in the layout Spark sent (Spark sends
    ``large_string`` when ``spark.sql.execution.arrow.useLargeVarTypes`` is on and expects
    the same back)."""
    import pyarrow as pa

    large = any(pa.types.is_large_string(f.type) for f in input_schema)
    if large:
        target = pa.schema(
            [
                f.with_type(pa.large_string()) if pa.types.is_string(f.type) else f
                for f in table.schema
            ]
        )
        table = table.cast(target)
    yield from table.to_batches()
