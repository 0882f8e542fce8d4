"""SQL of the record retention (:mod:`storage.housekeeping`): one bounded batch each."""

from __future__ import annotations

import psycopg


def delete_dead_letters(conn: psycopg.Connection, days: int, batch: int) -> int:
    """Delete up to ``batch`` dead letters received more than ``days`` ago."""
    cur = conn.execute(
        """
        DELETE FROM dead_letters WHERE id IN (
            SELECT id FROM dead_letters
            WHERE received_at < now() - make_interval(days => %(days)s)
            LIMIT %(batch)s)
        """,
        {"days": days, "batch": batch},
    )
    return cur.rowcount


def delete_webhook_deliveries(conn: psycopg.Connection, days: int, batch: int) -> int:
    """Delete up to ``batch`` delivered or failed deliveries created more than ``days`` ago.

    Pending deliveries are work still to do: kept whatever their age.
    """
    cur = conn.execute(
        """
        DELETE FROM webhook_deliveries WHERE id IN (
            SELECT id FROM webhook_deliveries
            WHERE created_at < now() - make_interval(days => %(days)s)
              AND status <> 'pending'
            LIMIT %(batch)s)
        """,
        {"days": days, "batch": batch},
    )
    return cur.rowcount


def delete_rescuer_actions(conn: psycopg.Connection, days: int, batch: int) -> int:
    """Delete up to ``batch`` rescuer actions applied more than ``days`` ago (their only
    use is answering a phone's resend of the same action; the case keeps its history)."""
    cur = conn.execute(
        """
        DELETE FROM rescuer_actions WHERE (rescuer_id, action_id) IN (
            SELECT rescuer_id, action_id FROM rescuer_actions
            WHERE received_at < now() - make_interval(days => %(days)s)
            LIMIT %(batch)s)
        """,
        {"days": days, "batch": batch},
    )
    return cur.rowcount


def delete_terminal_events(conn: psycopg.Connection, days: int, batch: int) -> int:
    """Delete up to ``batch`` terminal events that happened more than ``days`` ago."""
    cur = conn.execute(
        """
        DELETE FROM terminal_events WHERE (elevator_id, ts, seq) IN (
            SELECT elevator_id, ts, seq FROM terminal_events
            WHERE ts < now() - make_interval(days => %(days)s)
            LIMIT %(batch)s)
        """,
        {"days": days, "batch": batch},
    )
    return cur.rowcount
