"""The elevator id lookup of the score assembly: a table for dense ids, a binary search
for sparse ones; both must give the same answers."""

from __future__ import annotations

import numpy as np
import pytest

from maintenance.facts import IdIndex


@pytest.mark.parametrize(
    "ids",
    [
        np.arange(1, 11, dtype=np.int32),  # dense: the lookup table
        np.array([3, 70_000, 900_000], dtype=np.int32),  # sparse: searchsorted
    ],
)
def test_find_positions_and_misses(ids: np.ndarray) -> None:
    index = IdIndex(ids)
    query = np.concatenate([ids[::-1], np.array([0, -5, int(ids[-1]) + 1, 2_000_000])])
    pos, ok = index.find(query.astype(np.int32))
    n = ids.shape[0]
    assert ok.tolist() == [True] * n + [False] * 4
    assert pos[:n].tolist() == list(range(n - 1, -1, -1))
    assert ((pos >= 0) & (pos < n)).all()  # misses are clipped into range


def test_dense_and_sparse_agree() -> None:
    rng = np.random.default_rng(3)
    dense = np.arange(1, 5001, dtype=np.int32)
    sparse = np.unique(rng.integers(1, 10**7, 5000)).astype(np.int32)
    for ids in (dense, sparse):
        query = rng.integers(-10, int(ids[-1]) + 10, 3000).astype(np.int32)
        pos, ok = IdIndex(ids).find(query)
        expected = np.isin(query, ids)
        assert (ok == expected).all()
        assert (ids[pos[ok]] == query[ok]).all()


def test_empty_fleet() -> None:
    pos, ok = IdIndex(np.zeros(0, dtype=np.int32)).find(np.array([1, 2], dtype=np.int32))
    assert not ok.any()
    assert pos.tolist() == [0, 0]
