"""Column tables (domain.table.Table)."""

from __future__ import annotations

import numpy as np
import pytest

from domain.table import Table


def test_columns_of_one_length_only() -> None:
    with pytest.raises(ValueError, match="different lengths"):
        Table({"a": np.zeros(3), "b": np.zeros(2)})
    assert len(Table({})) == 0


def test_zeros_full_and_assignment_keep_the_column_types() -> None:
    t = Table.zeros([("id", "i4"), ("x", "f8")], 3)
    t["id"] = [3, 1, 2]
    t["x"] = 0.5
    assert t["id"].dtype == np.int32
    assert t["id"].tolist() == [3, 1, 2]
    assert t["x"].tolist() == [0.5, 0.5, 0.5]
    assert Table.full([("d", "i4")], 2, -7)["d"].tolist() == [-7, -7]


def test_take_and_sorted_by() -> None:
    t = Table({"id": np.array([3, 1, 2, 1]), "level": np.array([0, 1, 0, 0])})
    by_id = t.sorted_by("id", "level")
    assert by_id["id"].tolist() == [1, 1, 2, 3]
    assert by_id["level"].tolist() == [0, 1, 0, 0]
    ordered = Table({"id": np.array([1, 2, 2, 5])})
    assert ordered.sorted_by("id") is ordered  # already in order: no copy
    assert t.take(np.array([True, False, False, True]))["id"].tolist() == [3, 1]
