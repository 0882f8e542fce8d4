"""Hazards (隐患): sources, grades, parties, states, and the rows the repository returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Source(StrEnum):
    INSPECTION = "inspection"  # periodic inspection (定期检验)
    MAINTENANCE = "maintenance"  # a maintenance visit's checklist item failed
    SPOT_CHECK = "spot_check"  # a supervisor's spot check (监督抽查)
    COMPLAINT = "complaint"  # a passenger's complaint
    AUTOMATIC = "automatic"  # raised from the data by a rule


class Rule(StrEnum):
    RECURRING_FAULT = "recurring_fault"  # same fault type >= 3 times in 30 days
    INSPECTION_EXPIRED = "inspection_expired"
    INSURANCE_LAPSED = "insurance_lapsed"
    MAINTENANCE_OVERDUE = "maintenance_overdue"  # > 15 days past due
    CONDITION_COLLAPSE = "condition_collapse"  # condition index below the threshold


class Grade(StrEnum):
    GENERAL = "general"  # 一般隐患
    SERIOUS = "serious"  # 重大隐患


class Party(StrEnum):
    USER_UNIT = "user_unit"
    COMPANY = "company"


class State(StrEnum):
    REPORTED = "reported"
    ASSIGNED = "assigned"
    REMEDIATING = "remediating"
    REMEDIATED = "remediated"
    VERIFIED = "verified"
    CLOSED = "closed"


class Action(StrEnum):
    REPORT = "report"
    ASSIGN = "assign"
    START = "start"
    REMEDIATE = "remediate"
    VERIFY = "verify"
    SEND_BACK = "send_back"
    CLOSE = "close"
    REGRADE = "regrade"
    EVIDENCE = "evidence"
    OUT_OF_SERVICE = "out_of_service"
    RETURN_TO_SERVICE = "return_to_service"
    ESCALATE = "escalate"


# Where a hazard of each category usually lies (the reporter may say otherwise).
CATEGORIES: dict[str, Party] = {
    "safety_device": Party.COMPANY,  # 安全保护装置失效
    "brake": Party.COMPANY,
    "door_lock": Party.COMPANY,
    "traction": Party.COMPANY,
    "door": Party.COMPANY,
    "car": Party.COMPANY,
    "machine_room": Party.USER_UNIT,
    "pit": Party.COMPANY,
    "emergency_call": Party.COMPANY,
    "signage": Party.USER_UNIT,  # 使用标志、安全须知
    "inspection": Party.USER_UNIT,  # 未按期申报检验
    "insurance": Party.USER_UNIT,
    "maintenance": Party.COMPANY,
    "recurring_fault": Party.COMPANY,
    "condition": Party.COMPANY,
    "misuse": Party.USER_UNIT,
    "other": Party.USER_UNIT,
}

# What each automatic rule's hazard is.
RULE_CATEGORY: dict[Rule, str] = {
    Rule.RECURRING_FAULT: "recurring_fault",
    Rule.INSPECTION_EXPIRED: "inspection",
    Rule.INSURANCE_LAPSED: "insurance",
    Rule.MAINTENANCE_OVERDUE: "maintenance",
    Rule.CONDITION_COLLAPSE: "condition",
}


@dataclass(frozen=True)
class NewHazard:
    elevator_id: int
    source: Source
    category: str
    description: str
    party: Party | None = None  # None: the category's usual party
    grade: Grade | None = None  # None: by the grading rules
    rule: Rule | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Hazard:
    id: int
    elevator_id: int
    registration_code: str
    district: str
    company_id: int
    user_unit_id: int | None
    source: str
    rule: str | None
    category: str
    description: str
    grade: str
    party: str
    state: str
    reported_at: datetime
    reported_by: str
    due_at: datetime
    remediated_at: datetime | None
    verified_at: datetime | None
    closed_at: datetime | None
    escalation: int
    out_of_service: bool
    evidence: int
    lon: float = 0.0
    lat: float = 0.0


@dataclass(frozen=True)
class TrailEntry:
    id: int
    hazard_id: int
    at: datetime
    action: str
    from_state: str
    to_state: str
    actor: str
    note: str
    evidence_id: int | None


@dataclass(frozen=True)
class Evidence:
    id: int
    hazard_id: int
    at: datetime
    uploaded_by: str
    filename: str
    media_type: str
    size: int
    sha256: str
    storage_key: str


@dataclass(frozen=True)
class Scope:
    """What a caller sees: every elevator, or one company's, or one user unit's."""

    every: bool = False
    company_id: int | None = None
    user_unit_id: int | None = None


@dataclass(frozen=True)
class Actor:
    """Who takes a step: the trail's name, the role, and the caller's scope."""

    name: str
    role: str  # admin, supervisor, desk, company, user_unit, system
    scope: Scope


SYSTEM = Actor("system", "system", Scope(every=True))
