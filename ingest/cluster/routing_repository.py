"""SQL of the learned bucket -> partition map (``cluster_routing``)."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import args_row

_FETCH = """
SELECT bucket, partition FROM cluster_routing WHERE buckets = %s AND partitions = %s
"""
_LEARN = """
INSERT INTO cluster_routing (buckets, partitions, bucket, partition)
VALUES (%s, %s, %s, %s)
ON CONFLICT (buckets, partitions, bucket)
DO UPDATE SET partition = EXCLUDED.partition, learned_at = now()
WHERE cluster_routing.partition <> EXCLUDED.partition
"""


def _pair(bucket: int, partition: int) -> tuple[int, int]:
    return bucket, partition


def fetch_routing(conn: psycopg.Connection[Any], buckets: int, partitions: int) -> dict[int, int]:
    with conn.cursor(row_factory=args_row(_pair)) as cursor:
        rows = cursor.execute(_FETCH, (buckets, partitions)).fetchall()
    return dict(rows)


def learn_routing(
    conn: psycopg.Connection[Any], buckets: int, partitions: int, learned: dict[int, int]
) -> None:
    with conn.cursor() as cursor:
        cursor.executemany(
            _LEARN, [(buckets, partitions, bucket, part) for bucket, part in learned.items()]
        )
