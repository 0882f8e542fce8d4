"""Retention of operational records: dead letters, finished webhook deliveries,
terminal events and the rescuer phone's applied actions older than their configured
age (:class:`storage.config.RetentionSettings`, 30 days by default) are deleted.

Run by ``liftwatch db maintain`` (daily). Deletion goes in bounded batches, each its own
short statement on an autocommit connection, so a large backlog never holds a long lock
on a busy table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import psycopg

from storage import housekeeping_repository as repo
from storage.config import RetentionSettings

DeleteBatch = Callable[[psycopg.Connection, int, int], int]


@dataclass(frozen=True)
class RetentionReport:
    dead_letters: int
    webhook_deliveries: int
    terminal_events: int
    rescuer_actions: int = 0


def _in_batches(conn: psycopg.Connection, delete: DeleteBatch, days: int, batch: int) -> int:
    total = 0
    while True:
        deleted = delete(conn, days, batch)
        total += deleted
        if deleted < batch:
            return total


def apply_record_retention(
    conn: psycopg.Connection, settings: RetentionSettings
) -> RetentionReport:
    """Delete expired dead letters, finished webhook deliveries, terminal events and
    rescuer actions.

    ``conn`` should be in autocommit mode (each batch commits on its own).
    """
    batch = settings.batch_rows
    return RetentionReport(
        dead_letters=_in_batches(conn, repo.delete_dead_letters, settings.dead_letter_days, batch),
        webhook_deliveries=_in_batches(
            conn, repo.delete_webhook_deliveries, settings.webhook_delivery_days, batch
        ),
        terminal_events=_in_batches(
            conn, repo.delete_terminal_events, settings.terminal_event_days, batch
        ),
        rescuer_actions=_in_batches(
            conn, repo.delete_rescuer_actions, settings.rescuer_action_days, batch
        ),
    )
