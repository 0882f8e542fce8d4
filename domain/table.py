"""A fleet-wide table held column by column: equal-length named numpy arrays.

The score job moves the whole fleet as such tables. Each column is a contiguous array, so
that a vectorised step over one input (a factor curve, an eligibility rule) reads only that
input's memory; in a row-major record array every pass over one field would stride through
all fields of every row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

Schema = Sequence[tuple[str, DTypeLike]]  # (column name, numpy type)


class Table:
    """Named columns of one length. ``t["name"]`` is a column, ``len(t)`` the row count;
    ``t["name"] = values`` assigns into the column (numpy broadcasting, its type kept)."""

    __slots__ = ("_columns", "_rows")

    def __init__(self, columns: Mapping[str, NDArray[Any]]) -> None:
        lengths = {name: int(np.shape(c)[0]) for name, c in columns.items()}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"columns of different lengths: {lengths}")
        self._columns = dict(columns)
        self._rows = next(iter(lengths.values()), 0)

    @classmethod
    def zeros(cls, schema: Schema, rows: int = 0) -> Table:
        return cls({name: np.zeros(rows, dtype=dtype) for name, dtype in schema})

    @classmethod
    def full(cls, schema: Schema, rows: int, fill: Any) -> Table:
        return cls({name: np.full(rows, fill, dtype=dtype) for name, dtype in schema})

    def __getitem__(self, name: str) -> NDArray[Any]:
        return self._columns[name]

    def __setitem__(self, name: str, values: Any) -> None:
        self._columns[name][...] = values

    def __len__(self) -> int:
        return self._rows

    def take(self, index: NDArray[Any]) -> Table:
        """The rows at ``index`` (integer positions or a boolean mask), in that order."""
        return Table({name: c[index] for name, c in self._columns.items()})

    def sorted_by(self, *keys: str) -> Table:
        """The rows ordered by ``keys`` (the first the major key); itself when in order."""
        if self._rows < 2:
            return self
        if len(keys) == 1 and bool(np.all(self[keys[0]][1:] >= self[keys[0]][:-1])):
            return self
        return self.take(np.lexsort(tuple(self[k] for k in reversed(keys))))

    def __repr__(self) -> str:
        return f"Table({self._rows} rows: {', '.join(self._columns)})"
