"""Use cases of hazards on the API side: report, the life-cycle steps, grading, the
out-of-service order, evidence, reads. Each write runs in one transaction with its trail
entry and its live event (``hazard``), so the trail records exactly what was committed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hazards import repository as repo
from hazards.config import HazardSettings
from hazards.errors import (
    EvidenceRequired,
    EvidenceTooLarge,
    InvalidHazard,
    UnknownElevator,
    UnknownHazard,
)
from hazards.evidence import EvidenceStore, new_key, sha256
from hazards.model import (
    CATEGORIES,
    Action,
    Actor,
    Evidence,
    Grade,
    Hazard,
    NewHazard,
    Party,
    Scope,
    State,
    TrailEntry,
)
from hazards.policy import (
    check_category,
    check_evidence,
    check_may,
    deadline,
    grade_of,
    may_report,
    next_state,
)
from storage.events import anotify

AsyncConn = repo.AsyncConn


@dataclass(frozen=True)
class HazardDetail:
    hazard: Hazard
    trail: list[TrailEntry]
    evidence: list[Evidence]


@dataclass(frozen=True)
class Step:
    """One life-cycle step asked by a caller."""

    action: Action
    note: str = ""
    party: Party | None = None  # ASSIGN: to whom
    grade: Grade | None = None  # REGRADE: the new grade


async def _event(conn: AsyncConn, hazard: Hazard, action: str, **extra: Any) -> None:
    await anotify(
        conn,
        "hazard",
        {
            "id": hazard.id,
            "elevator_id": hazard.elevator_id,
            "company_id": hazard.company_id,
            "grade": hazard.grade,
            "state": hazard.state,
            "action": action,
            **extra,
        },
    )


async def report(
    conn: AsyncConn, new: NewHazard, actor: Actor, now: datetime, settings: HazardSettings
) -> Hazard:
    """A finding becomes a hazard: graded by the rules (or as the supervisor says),
    its deadline by grade, the responsible party by category (or as reported)."""
    may_report(actor.role, new.source)
    category = check_category(new.category)
    if new.grade is not None and actor.role not in ("admin", "supervisor"):
        raise InvalidHazard("errors.hazards.grade_by_supervisor")
    grade = new.grade or grade_of(category, new.rule, settings)
    party = new.party or CATEGORIES[category]
    async with conn.transaction():
        if not await repo.elevator_in_scope(conn, new.elevator_id, actor.scope):
            raise UnknownElevator(new.elevator_id)
        values = {
            "elevator": new.elevator_id,
            "source": new.source.value,
            "rule": new.rule.value if new.rule else None,
            "category": category,
            "description": new.description,
            "grade": grade.value,
            "party": party.value,
            "at": now,
            "by": actor.name,
            "due": deadline(grade, now, settings),
            "detail": new.detail,
        }
        hazard_id = await repo.insert_hazard(conn, values)
        if hazard_id is None:
            raise InvalidHazard("errors.hazards.rule_open")
        await repo.add_trail(
            conn, hazard_id, now, "report", ("reported", "reported"), actor.name,
            new.description, detail={"grade": grade.value, "party": party.value},
        )  # fmt: skip
        hazard = await _get(conn, hazard_id, actor.scope)
        await _event(conn, hazard, "report")
    return hazard


async def _get(conn: AsyncConn, hazard_id: int, scope: Scope, lock: bool = False) -> Hazard:
    hazard = await repo.get_hazard(conn, hazard_id, scope, lock)
    if hazard is None:
        raise UnknownHazard(hazard_id)
    return hazard


def _changes(
    hazard: Hazard, step: Step, to: State, now: datetime, settings: HazardSettings
) -> dict[str, Any]:
    changes: dict[str, Any] = {"state": to.value}
    if step.action is Action.ASSIGN and step.party is not None:
        changes["party"] = step.party.value
    if step.action is Action.REMEDIATE:
        changes["remediated_at"] = now
    if step.action is Action.SEND_BACK:
        changes["remediated_at"] = None
    if step.action is Action.VERIFY:
        changes["verified_at"] = now
    if step.action is Action.CLOSE:
        changes["closed_at"] = now
    if step.action is Action.REGRADE:
        if step.grade is None:
            raise InvalidHazard("errors.hazards.regrade_needs_grade")
        changes["grade"] = step.grade.value
        changes["due_at"] = deadline(step.grade, hazard.reported_at, settings)
    return changes


async def act(
    conn: AsyncConn,
    hazard_id: int,
    step: Step,
    actor: Actor,
    now: datetime,
    settings: HazardSettings,
) -> Hazard:
    """Take one step of the life cycle (or regrade, or order / lift out of service)."""
    if step.action in (Action.SEND_BACK, Action.REGRADE) and len(step.note.strip()) < 2:
        raise InvalidHazard("errors.hazards.note_needed")
    async with conn.transaction():
        hazard = await _get(conn, hazard_id, actor.scope, lock=True)
        check_may(step.action, actor.role, Party(hazard.party))
        state = State(hazard.state)
        to = next_state(state, step.action)
        if step.action is Action.REMEDIATE and hazard.evidence == 0:
            raise EvidenceRequired()
        changes = _changes(hazard, step, to, now, settings)
        await _service_order(conn, hazard, step.action, changes)
        await repo.update_hazard(conn, hazard_id, changes)
        if to is State.CLOSED and hazard.out_of_service:
            await repo.update_hazard(conn, hazard_id, {"out_of_service": False})
            await repo.set_in_service(conn, hazard.elevator_id, True)
        detail = {k: str(v) for k, v in changes.items() if k not in ("state",)}
        await repo.add_trail(
            conn, hazard_id, now, step.action.value, (state.value, to.value), actor.name,
            step.note, detail=detail,
        )  # fmt: skip
        updated = await _get(conn, hazard_id, actor.scope)
        await _event(conn, updated, step.action.value)
    return updated


async def _service_order(
    conn: AsyncConn, hazard: Hazard, action: Action, changes: dict[str, Any]
) -> None:
    """A serious hazard may order its elevator out of service until it is lifted or the
    hazard closes; the registry's ``in_service`` is what the map and the public page show."""
    if action is Action.OUT_OF_SERVICE:
        if hazard.grade != Grade.SERIOUS.value:
            raise InvalidHazard("errors.hazards.out_of_service_serious")
        changes["out_of_service"] = True
        await repo.update_hazard(conn, hazard.id, {"out_of_service": True})
        await repo.set_in_service(conn, hazard.elevator_id, False)
    elif action is Action.RETURN_TO_SERVICE:
        changes["out_of_service"] = False
        await repo.update_hazard(conn, hazard.id, {"out_of_service": False})
        await repo.set_in_service(conn, hazard.elevator_id, True)


async def add_evidence(
    conn: AsyncConn,
    store: EvidenceStore,
    hazard_id: int,
    filename: str,
    data: bytes,
    actor: Actor,
    now: datetime,
    settings: HazardSettings,
) -> Evidence:
    """Check the file (size, then type by content), store it, then record it with its
    trail entry; a file stored for a transaction that then fails is an orphan, never a
    record without its file."""
    if len(data) > settings.evidence_max_bytes:
        raise EvidenceTooLarge(len(data), settings.evidence_max_bytes)
    media_type, ext = check_evidence(filename, data)
    hazard = await _get(conn, hazard_id, actor.scope)
    check_may(Action.EVIDENCE, actor.role, Party(hazard.party))
    next_state(State(hazard.state), Action.EVIDENCE)
    key = new_key(hazard_id, ext)
    store.put(key, data, media_type)
    async with conn.transaction():
        locked = await _get(conn, hazard_id, actor.scope, lock=True)
        next_state(State(locked.state), Action.EVIDENCE)
        evidence = await repo.insert_evidence(
            conn,
            {
                "hazard": hazard_id, "at": now, "by": actor.name, "filename": filename,
                "media_type": media_type, "size": len(data), "sha256": sha256(data), "key": key,
            },
        )  # fmt: skip
        await repo.add_trail(
            conn, hazard_id, now, "evidence", (locked.state, locked.state), actor.name,
            filename, evidence_id=evidence.id,
        )  # fmt: skip
        await _event(conn, locked, "evidence")
    return evidence


async def evidence_file(
    conn: AsyncConn, store: EvidenceStore, hazard_id: int, evidence_id: int, scope: Scope
) -> tuple[Evidence, bytes]:
    await _get(conn, hazard_id, scope)
    item = await repo.evidence_item(conn, hazard_id, evidence_id)
    if item is None:
        raise UnknownHazard(hazard_id)
    return item, store.get(item.storage_key)


async def detail(conn: AsyncConn, hazard_id: int, scope: Scope) -> HazardDetail:
    hazard = await _get(conn, hazard_id, scope)
    return HazardDetail(
        hazard, await repo.trail(conn, hazard_id), await repo.evidence_of(conn, hazard_id)
    )


async def hazards(
    conn: AsyncConn, scope: Scope, filters: dict[str, Any], limit: int, offset: int
) -> list[Hazard]:
    return await repo.list_hazards(conn, scope, filters, limit, offset)
