"""Alarm use cases: raise and resolve what detectors report (minus what a suppression
window silences), the operator's life-cycle step with its trail, and the desk's reads.

The raising side is synchronous (ingest's and detection's worker threads); the desk's
side is asynchronous (the API's pool).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from alarms import lifecycle_repository, repository
from alarms.errors import AlarmNotFound, AlarmTransitionRefused, OtherCompanyAlarms
from alarms.model import (
    AlarmChange,
    AlarmDetail,
    AlarmFilter,
    AlarmRecord,
    AppliedAlarm,
    active_only,
)
from alarms.policy import SuppressionSchedule
from domain.alarm_lifecycle import AlarmAction, AlarmState, Transitioned, next_state
from domain.alarms import AlarmType

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)


# -- raising and resolving (detectors, presence) ---------------------------------------
@dataclass(frozen=True)
class RecordedChanges:
    applied: list[AppliedAlarm]
    suppressed: int  # raises dropped by a suppression window


def apply_alarm_changes(
    conn: psycopg.Connection[Any], changes: Sequence[AlarmChange]
) -> list[AppliedAlarm]:
    """Raise and resolve several alarms in the caller's transaction, in order."""
    applied: list[AppliedAlarm] = []
    for change in changes:
        if change.raised:
            raised = repository.raise_alarm(
                conn, change.elevator_id, change.alarm_type, change.at, change.source,
                change.detail, change.onset_tolerance,
            )  # fmt: skip
            applied.append(AppliedAlarm(change, raised.id, raised.created))
        else:
            resolved = repository.resolve_alarm(
                conn, change.elevator_id, change.alarm_type, change.at
            )
            applied.append(AppliedAlarm(change, resolved, False))
    return applied


def load_suppressions(
    conn: psycopg.Connection[Any], exempt: frozenset[AlarmType], now: datetime
) -> SuppressionSchedule:
    """The current and upcoming suppression windows."""
    return SuppressionSchedule.of(repository.current_suppressions(conn, now), exempt)


def _event_ms(at: datetime) -> int:
    return (at - _EPOCH) // _MILLISECOND


def record_alarm_changes(
    conn: psycopg.Connection[Any],
    changes: Sequence[AlarmChange],
    suppression: SuppressionSchedule,
) -> RecordedChanges:
    """Apply ``changes`` in one transaction, except the raises a window suppresses."""
    kept = [
        change
        for change in changes
        if not (
            change.raised
            and suppression.suppresses(change.elevator_id, change.alarm_type, _event_ms(change.at))
        )
    ]
    applied: list[AppliedAlarm] = []
    if kept:
        with conn.transaction():
            applied = apply_alarm_changes(conn, kept)
    return RecordedChanges(applied, len(changes) - len(kept))


# -- the desk: reads and life-cycle steps ------------------------------------------------
def scoped_filter(where: AlarmFilter, scope: int | None, active: bool | None = None) -> AlarmFilter:
    """``where`` narrowed to the caller's company (``scope``; None: every company) and,
    with ``active``, to the active states."""
    if scope is not None and where.company_id is not None and where.company_id != scope:
        raise OtherCompanyAlarms(where.company_id)
    company_id = scope if scope is not None else where.company_id
    states = active_only(where.states) if active else where.states
    return AlarmFilter(
        states=states, types=where.types, elevator_id=where.elevator_id,
        district=where.district, company_id=company_id, min_severity=where.min_severity,
        since=where.since,
    )  # fmt: skip


async def list_alarms(
    conn: psycopg.AsyncConnection[Any], where: AlarmFilter, limit: int, offset: int
) -> list[AlarmRecord]:
    return await lifecycle_repository.fetch_alarms(conn, where, limit, offset)


async def alarm_detail(
    conn: psycopg.AsyncConnection[Any], alarm_id: int, company_id: int | None
) -> AlarmDetail:
    """The alarm and its trail; :class:`AlarmNotFound` outside the caller's company."""
    alarm = await lifecycle_repository.fetch_alarm(conn, alarm_id, company_id)
    if alarm is None:
        raise AlarmNotFound(alarm_id)
    history = await lifecycle_repository.fetch_alarm_history(conn, alarm_id)
    return AlarmDetail(alarm, history)


async def apply_action(
    conn: psycopg.AsyncConnection[Any],
    alarm_id: int,
    action: AlarmAction,
    actor: str,
    note: str = "",
    company_id: int | None = None,
) -> Transitioned:
    """Apply ``action`` to the alarm, with its trail entry and live event, in one
    transaction. Raises :class:`AlarmNotFound` (also for another company's alarm) and
    :class:`AlarmTransitionRefused`."""
    async with conn.transaction():
        locked = await lifecycle_repository.lock_alarm(conn, alarm_id, company_id)
        if locked is None:
            raise AlarmNotFound(alarm_id)
        state = AlarmState(locked.state)
        target = next_state(state, action)
        if target is None:
            raise AlarmTransitionRefused(alarm_id, state, action)
        step = Transitioned(alarm_id, locked.elevator_id, locked.alarm_type, state, target)
        await lifecycle_repository.record_transition(conn, step, action, actor, note)
    return step
