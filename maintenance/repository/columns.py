"""Column tables in and out of PostgreSQL: the score job's fast path.

The whole fleet moves as column tables (:class:`domain.table.Table`): every column is
fixed-width and never NULL (the queries COALESCE unknowns to NaN or a sentinel), so numpy
reads and writes them without a Python loop per elevator. Reads come as one ``bytea`` per
column packed by the server (:func:`copy_out`), writes go by binary COPY (:func:`copy_in`).
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import psycopg
from numpy.typing import NDArray
from psycopg import sql

from domain.table import Table

_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
_HEADER = _SIGNATURE + struct.pack(">ii", 0, 0)
_TRAILER = b"\xff\xff"
NO_DAY = np.iinfo(np.int32).min  # "no date" in day-number columns (days since 1970-01-01)
LEVEL_NAMES = ("half_monthly", "quarterly", "half_yearly", "yearly")

# PostgreSQL type -> big-endian numpy type of its binary representation.
PG_TYPES: dict[str, str] = {
    "int2": ">i2",
    "int4": ">i4",
    "int8": ">i8",
    "float8": ">f8",
    "bool": "?",
}

Columns = Sequence[tuple[str, str]]  # (name, PostgreSQL type)


def _row_dtype(columns: Columns) -> np.dtype[Any]:
    fields: list[tuple[str, str]] = [("_nfields", ">i2")]
    for name, pgtype in columns:
        fields += [(f"_len_{name}", ">i4"), (name, PG_TYPES[pgtype])]
    return np.dtype(fields)


_SEND = {"int2": "int2send", "int4": "int4send", "int8": "int8send", "float8": "float8send"}
_SEND["bool"] = "boolsend"


def copy_out(
    conn: psycopg.Connection[Any], query: str, params: Mapping[str, Any], columns: Columns
) -> Table:
    """Run ``query`` and return its rows as a column table.

    Every column of ``query`` must be of the declared type and never NULL. The server
    packs each column into one ``bytea`` of fixed-width big-endian values (``int4send``
    etc., ``string_agg``), which numpy reads as it is: a binary COPY hands the rows over
    one message each, and the Python loop over a million of them cost more than the query.
    All the aggregates of one query read the same rows in the same order, so the columns
    line up; a NULL (skipped by ``string_agg``) shows as a short column and is refused.
    """
    names = [sql.Identifier(f"c{i}") for i in range(len(columns))]
    packed = sql.SQL(", ").join(
        sql.SQL("string_agg({}({}), ''::bytea)").format(
            sql.SQL(_SEND[t]),  # type: ignore[arg-type,unused-ignore]
            n,
        )
        for n, (_, t) in zip(names, columns, strict=True)
    )
    statement = sql.SQL("SELECT count(*), {} FROM ({}) AS q ({})").format(
        packed,
        sql.SQL(query),  # type: ignore[arg-type,unused-ignore]
        sql.SQL(", ").join(names),
    )
    row = conn.execute(statement, params, binary=True).fetchone()
    count = 0 if row is None else int(row[0])
    out: dict[str, NDArray[Any]] = {}
    for i, (name, t) in enumerate(columns):
        data = None if row is None else row[i + 1]
        wire = np.frombuffer(data or b"", dtype=PG_TYPES[t])
        if wire.shape[0] != count:
            raise ValueError(f"column {name!r} of the query has NULLs")
        out[name] = wire.astype(PG_TYPES[t].lstrip(">"))
    return Table(out)


def numpy_schema(columns: Columns) -> list[tuple[str, str]]:
    """The native numpy types of ``columns`` (for tables built outside the database)."""
    return [(name, PG_TYPES[t].lstrip(">")) for name, t in columns]


def copy_in(
    conn: psycopg.Connection[Any], table: str, columns: Columns, values: Mapping[str, Any]
) -> int:
    """Write equal-length arrays ``values[name]`` into ``table`` with one binary COPY."""
    dtype = _row_dtype(columns)
    n = len(values[columns[0][0]])
    rows = np.empty(n, dtype=dtype)
    rows["_nfields"] = len(columns)
    for name, _ in columns:
        rows[f"_len_{name}"] = dtype[name].itemsize
        rows[name] = values[name]
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT binary)").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(c) for c, _ in columns)
    )
    with conn.cursor().copy(statement) as copy:
        copy.write(_HEADER + rows.tobytes() + _TRAILER)
    return n


def table_exists(conn: psycopg.Connection[Any], name: str) -> bool:
    row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (name,)).fetchone()
    return bool(row and row[0])


def temp_ddl(table: str, columns: Columns) -> sql.Composed:
    """A temporary table of ``columns``, dropped at the end of the transaction."""
    return sql.SQL("CREATE TEMP TABLE {} ({}) ON COMMIT DROP").format(
        sql.Identifier(table),
        sql.SQL(", ").join(
            sql.SQL("{} {}").format(sql.Identifier(n), sql.SQL(t)) for n, t in columns
        ),
    )
