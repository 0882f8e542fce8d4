"""Alarms: list with filters, and the operator lifecycle (acknowledge, start, resolve,
close, mark false). An action not allowed from the alarm's state answers 409."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Body, Depends, Path, Query
from pydantic import BaseModel, Field

from alarms import service
from alarms.model import AlarmActionRecord as ActionRecord
from alarms.model import AlarmFilter, AlarmRecord
from api.deps import Db, company_scope, require_roles
from api.errors import AUTHENTICATED, NOT_FOUND, NOT_FOUND_OR_CONFLICT
from api.pagination import Page, Paging, make_page
from api.params import IsoDateTime
from api.projection import projection
from api.security import Principal, Role
from domain.alarm_lifecycle import AlarmAction, AlarmState
from domain.alarms import AlarmType

router = APIRouter(prefix="/api/v1/alarms", tags=["alarms"], responses=AUTHENTICATED)

Reader = Annotated[Principal, Depends(require_roles(Role.SUPERVISOR, Role.DESK, Role.COMPANY))]
Operator = Annotated[Principal, Depends(require_roles(Role.DESK, Role.COMPANY))]
AlarmId = Annotated[int, Path(ge=1, le=9_223_372_036_854_775_807)]


# The responses: projections of the records in ``alarms.model`` (api.projection).
if TYPE_CHECKING:
    Alarm = BaseModel
    AlarmActionRecord = BaseModel
    AlarmWithHistory = BaseModel
else:
    Alarm = projection(
        AlarmRecord, "Alarm", module=__name__, allowed_actions=(list[str], ...)
    )  # allowed_actions: AlarmRecord's property
    AlarmActionRecord = projection(ActionRecord, "AlarmActionRecord", module=__name__)
    AlarmWithHistory = projection(
        AlarmRecord,
        "AlarmWithHistory",
        (),
        base=Alarm,
        module=__name__,
        history=(list[AlarmActionRecord], ...),
    )


class ActionRequest(BaseModel):
    note: str = Field("", max_length=2000)


def _alarm(record: AlarmRecord) -> Alarm:
    return Alarm.model_validate(record, from_attributes=True)


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
    since: Annotated[IsoDateTime | None, Query(description="opened at or after")] = None,
) -> Page[Alarm]:
    where = service.scoped_filter(
        AlarmFilter(
            states=[s.value for s in state] if state else None,
            types=[t.value for t in type_] if type_ else None,
            elevator_id=elevator_id, district=district, company_id=company,
            min_severity=min_severity, since=since,
        ),
        company_scope(principal),
        active,
    )  # fmt: skip
    records = await service.list_alarms(db, where, paging.limit + 1, paging.offset)
    return make_page([_alarm(record) for record in records], paging)


@router.get("/{alarm_id}", response_model=AlarmWithHistory, responses=NOT_FOUND)
async def get_alarm(db: Db, principal: Reader, alarm_id: AlarmId) -> AlarmWithHistory:
    detail = await service.alarm_detail(db, alarm_id, company_scope(principal))
    return AlarmWithHistory(
        **_alarm(detail.alarm).model_dump(),
        history=[
            AlarmActionRecord.model_validate(entry, from_attributes=True)
            for entry in detail.history
        ],
    )


async def _act(
    db: Db, principal: Principal, alarm_id: int, action: AlarmAction, body: ActionRequest | None
) -> AlarmWithHistory:
    await service.apply_action(
        db,
        alarm_id,
        action,
        actor=principal.subject,
        note=body.note if body else "",
        company_id=company_scope(principal),
    )
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


@router.post("/{alarm_id}/{step}", response_model=AlarmWithHistory, responses=NOT_FOUND_OR_CONFLICT)
async def act(
    db: Db, principal: Operator, alarm_id: AlarmId, step: Step, body: Note = None
) -> AlarmWithHistory:
    """Move the alarm on: acknowledge it, start work on it (in progress), resolve it, close
    it, or mark it a false alarm. A step its state does not allow answers 409 with the
    allowed ones."""
    return await _act(db, principal, alarm_id, _STEP_ACTION[step], body)
