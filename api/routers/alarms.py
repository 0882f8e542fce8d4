"""Alarms: list with filters, and the operator lifecycle (acknowledge, start, resolve,
close, mark false). An action not allowed from the alarm's state answers 409."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Path, Query, status
from pydantic import BaseModel, Field

from alarms.lifecycle_repository import AlarmAction, AlarmState, allowed_actions, apply_action
from api.deps import Db, company_scope, require_roles
from api.pagination import Page, Paging, make_page
from api.security import Principal, Role
from domain.alarms import AlarmType

router = APIRouter(prefix="/api/v1/alarms", tags=["alarms"])

Reader = Annotated[Principal, Depends(require_roles(Role.SUPERVISOR, Role.DESK, Role.COMPANY))]
Operator = Annotated[Principal, Depends(require_roles(Role.DESK, Role.COMPANY))]
AlarmId = Annotated[int, Path(ge=1, le=9_223_372_036_854_775_807)]


class Alarm(BaseModel):
    id: int
    elevator_id: int
    elevator_code: str
    district: str
    company_id: int
    type: str
    severity: int
    state: str
    source: str
    opened_at: datetime
    last_seen_at: datetime
    occurrences: int
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    detail: dict[str, Any]
    allowed_actions: list[str]


class AlarmActionRecord(BaseModel):
    at: datetime
    action: str
    from_state: str
    to_state: str
    actor: str
    note: str


class AlarmWithHistory(Alarm):
    history: list[AlarmActionRecord]


class ActionRequest(BaseModel):
    note: str = Field("", max_length=2000)


_COLUMNS = """a.id, a.elevator_id, e.code, e.district, e.company_id, a.type, a.severity,
    a.state, a.source, a.opened_at, a.last_seen_at, a.occurrences, a.acknowledged_at,
    a.resolved_at, a.closed_at, a.detail"""


def _alarm(r: Any) -> Alarm:
    return Alarm(
        id=r[0],
        elevator_id=r[1],
        elevator_code=r[2],
        district=r[3],
        company_id=r[4],
        type=r[5],
        severity=r[6],
        state=r[7],
        source=r[8],
        opened_at=r[9],
        last_seen_at=r[10],
        occurrences=r[11],
        acknowledged_at=r[12],
        resolved_at=r[13],
        closed_at=r[14],
        detail=r[15],
        allowed_actions=[a.value for a in allowed_actions(AlarmState(r[7]))],
    )


@router.get("", response_model=Page[Alarm])
async def list_alarms(
    db: Db,
    principal: Reader,
    paging: Paging,
    state: Annotated[
        list[AlarmState] | None, Query(description="states (repeat); default: all")
    ] = None,
    active: Annotated[bool | None, Query(description="only open/acknowledged/in progress")] = None,
    type_: Annotated[list[AlarmType] | None, Query(alias="type")] = None,
    elevator_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    district: Annotated[str | None, Query(max_length=64)] = None,
    company: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    min_severity: Annotated[int | None, Query(ge=1, le=4)] = None,
    since: Annotated[datetime | None, Query(description="opened at or after")] = None,
) -> Page[Alarm]:
    scope = company_scope(principal)
    if scope is not None and company is not None and company != scope:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "a company sees only its own alarms")
    company = scope if scope is not None else company
    states = [s.value for s in state] if state else None
    if active:
        states = [
            s
            for s in (states or ["open", "acknowledged", "in_progress"])
            if s in ("open", "acknowledged", "in_progress")
        ]
    cur = await db.execute(
        f"""SELECT {_COLUMNS} FROM alarms a JOIN elevators e ON e.id = a.elevator_id
           WHERE (%(states)s::text[] IS NULL OR a.state = ANY(%(states)s))
             AND (%(types)s::text[] IS NULL OR a.type = ANY(%(types)s))
             AND (%(elevator)s::integer IS NULL OR a.elevator_id = %(elevator)s)
             AND (%(district)s::text IS NULL OR e.district = %(district)s)
             AND (%(company)s::integer IS NULL OR e.company_id = %(company)s)
             AND (%(sev)s::smallint IS NULL OR a.severity >= %(sev)s)
             AND (%(since)s::timestamptz IS NULL OR a.opened_at >= %(since)s)
           ORDER BY a.opened_at DESC, a.id DESC LIMIT %(limit)s OFFSET %(offset)s""",  # noqa: S608
        {
            "states": states,
            "types": [t.value for t in type_] if type_ else None,
            "elevator": elevator_id,
            "district": district,
            "company": company,
            "sev": min_severity,
            "since": since,
            "limit": paging.limit + 1,
            "offset": paging.offset,
        },
    )
    return make_page([_alarm(r) for r in await cur.fetchall()], paging)


@router.get("/{alarm_id}", response_model=AlarmWithHistory)
async def get_alarm(db: Db, principal: Reader, alarm_id: AlarmId) -> AlarmWithHistory:
    scope = company_scope(principal)
    cur = await db.execute(
        f"""SELECT {_COLUMNS} FROM alarms a JOIN elevators e ON e.id = a.elevator_id
            WHERE a.id = %s AND (%s::integer IS NULL OR e.company_id = %s)""",  # noqa: S608
        (alarm_id, scope, scope),
    )
    row = await cur.fetchone()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"alarm {alarm_id} not found")
    cur = await db.execute(
        "SELECT at, action, from_state, to_state, actor, note FROM alarm_actions"
        " WHERE alarm_id = %s ORDER BY at, id",
        (alarm_id,),
    )
    history = [
        AlarmActionRecord(
            at=h[0], action=h[1], from_state=h[2], to_state=h[3], actor=h[4], note=h[5]
        )
        for h in await cur.fetchall()
    ]
    return AlarmWithHistory(**_alarm(row).model_dump(), history=history)


async def _act(
    db: Db, principal: Principal, alarm_id: int, action: AlarmAction, body: ActionRequest | None
) -> AlarmWithHistory:
    done = await apply_action(
        db,
        alarm_id,
        action,
        actor=principal.subject,
        note=body.note if body else "",
        company_id=company_scope(principal),
    )
    if done is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"alarm {alarm_id} not found")
    return await get_alarm(db, principal, alarm_id)


Note = Annotated[ActionRequest | None, Body()]


class Step(StrEnum):
    """The life-cycle steps as URL segments."""

    ACKNOWLEDGE = "acknowledge"
    START = "start"
    RESOLVE = "resolve"
    CLOSE = "close"
    FALSE_ALARM = "false-alarm"


_STEP_ACTION = {
    Step.ACKNOWLEDGE: AlarmAction.ACKNOWLEDGE,
    Step.START: AlarmAction.START,
    Step.RESOLVE: AlarmAction.RESOLVE,
    Step.CLOSE: AlarmAction.CLOSE,
    Step.FALSE_ALARM: AlarmAction.MARK_FALSE,
}


@router.post("/{alarm_id}/{step}", response_model=AlarmWithHistory)
async def act(
    db: Db, principal: Operator, alarm_id: AlarmId, step: Step, body: Note = None
) -> AlarmWithHistory:
    """Move the alarm on: acknowledge it, start work on it (in progress), resolve it, close
    it, or mark it a false alarm. A step its state does not allow answers 409 with the
    allowed ones."""
    return await _act(db, principal, alarm_id, _STEP_ACTION[step], body)
