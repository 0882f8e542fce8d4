"""Repository of what broker provisioning and the simulator guard read from the registry.

:func:`terminal_ids_after` pages through the registered terminal ids (keyset order,
for provisioning in batches); :func:`fleet_is_simulated` tells whether every
registered elevator came from the simulator's fleet seeding, which writes each
elevator's hidden condition to ``sim_elevator_condition`` (a real registry leaves that
table empty).
"""

from __future__ import annotations

from typing import Any

import psycopg


def terminal_ids_after(conn: psycopg.Connection[Any], after: str, limit: int) -> list[str]:
    """Up to ``limit`` terminal ids greater than ``after`` (``""`` for the first page)."""
    rows = conn.execute(
        "SELECT terminal_id FROM elevators WHERE terminal_id > %s ORDER BY terminal_id LIMIT %s",
        (after, limit),
    ).fetchall()
    return [str(r[0]) for r in rows]


def fleet_is_simulated(conn: psycopg.Connection[Any]) -> bool:
    """True when the registry is empty or every elevator has the simulator's marker."""
    row = conn.execute(
        """SELECT count(*) FROM elevators e
           WHERE NOT EXISTS (SELECT 1 FROM sim_elevator_condition s
                             WHERE s.elevator_id = e.id)"""
    ).fetchone()
    return row is not None and int(row[0]) == 0
