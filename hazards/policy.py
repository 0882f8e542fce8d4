"""The hazard life cycle as a pure state machine, grading, deadlines, escalation levels,
and the evidence file check (by content, not by name). No I/O."""

from __future__ import annotations

from datetime import datetime, timedelta

from hazards.config import HazardSettings
from hazards.errors import IllegalStep, InvalidEvidence, InvalidHazard, NotYourStep
from hazards.model import CATEGORIES, Action, Grade, Party, Rule, Source, State

SUPERVISORS = frozenset({"admin", "supervisor", "system"})
PARTY_ROLE = {Party.COMPANY: "company", Party.USER_UNIT: "user_unit"}

# (state, action) -> next state. Regrading, evidence and service orders keep the state.
TRANSITIONS: dict[tuple[State, Action], State] = {
    (State.REPORTED, Action.ASSIGN): State.ASSIGNED,
    (State.ASSIGNED, Action.ASSIGN): State.ASSIGNED,  # to the other party
    (State.ASSIGNED, Action.START): State.REMEDIATING,
    (State.REMEDIATING, Action.REMEDIATE): State.REMEDIATED,
    (State.REMEDIATED, Action.VERIFY): State.VERIFIED,
    (State.REMEDIATED, Action.SEND_BACK): State.REMEDIATING,
    (State.VERIFIED, Action.CLOSE): State.CLOSED,
}
OPEN_STATES = frozenset(
    {State.REPORTED, State.ASSIGNED, State.REMEDIATING, State.REMEDIATED, State.VERIFIED}
)
# Not yet remediated: the deadline still runs (escalation).
PENDING_STATES = frozenset({State.REPORTED, State.ASSIGNED, State.REMEDIATING})
# Steps the supervisor takes; the responsible party takes START and REMEDIATE.
SUPERVISOR_ACTIONS = frozenset(
    {
        Action.ASSIGN,
        Action.VERIFY,
        Action.SEND_BACK,
        Action.CLOSE,
        Action.REGRADE,
        Action.OUT_OF_SERVICE,
        Action.RETURN_TO_SERVICE,
    }
)
PARTY_ACTIONS = frozenset({Action.START, Action.REMEDIATE, Action.EVIDENCE})
STATE_KEEPING = frozenset(
    {Action.REGRADE, Action.EVIDENCE, Action.OUT_OF_SERVICE, Action.RETURN_TO_SERVICE}
)


def next_state(state: State, action: Action) -> State:
    """The state after ``action``; :class:`IllegalStep` when not allowed from ``state``."""
    if action in STATE_KEEPING:
        if state is State.CLOSED:
            raise IllegalStep(action.value, state.value)
        return state
    found = TRANSITIONS.get((state, action))
    if found is None:
        raise IllegalStep(action.value, state.value)
    return found


def check_may(action: Action, role: str, party: Party) -> None:
    """Supervisors grade, assign, verify, close and order; the responsible party starts,
    remediates and uploads evidence (a supervisor may upload evidence too)."""
    if role == "admin":
        return
    if action in SUPERVISOR_ACTIONS and role in SUPERVISORS:
        return
    if action in PARTY_ACTIONS and role == PARTY_ROLE[party]:
        return
    if action is Action.EVIDENCE and role in SUPERVISORS:
        return
    raise NotYourStep.step(role, action.value, party.value)


def may_report(role: str, source: Source) -> None:
    """Supervisors report any finding; a company reports its maintenance visits' findings;
    a user unit its own checks' (as a complaint or a spot check it cannot)."""
    allowed = {
        "admin": set(Source),
        "supervisor": set(Source),
        "desk": {Source.COMPLAINT},
        "company": {Source.MAINTENANCE, Source.INSPECTION},
        "user_unit": {Source.INSPECTION, Source.COMPLAINT},
    }.get(role, set())
    if source not in allowed or (source is Source.AUTOMATIC and role != "admin"):
        raise NotYourStep.report(role, source.value)


def check_category(category: str) -> str:
    if category not in CATEGORIES:
        raise InvalidHazard(
            "errors.hazards.unknown_category", category=category, known=", ".join(CATEGORIES)
        )
    return category


def grade_of(category: str, rule: Rule | None, settings: HazardSettings) -> Grade:
    """Serious (重大) by the configured categories and rules, general otherwise."""
    if category in settings.serious_categories:
        return Grade.SERIOUS
    if rule is not None and rule.value in settings.serious_rules:
        return Grade.SERIOUS
    return Grade.GENERAL


def deadline(grade: Grade, reported_at: datetime, settings: HazardSettings) -> datetime:
    days = settings.serious_days if grade is Grade.SERIOUS else settings.general_days
    return reported_at + timedelta(days=days)


def escalation_level(reported_at: datetime, due_at: datetime, now: datetime) -> int:
    """0 within the deadline; 1 once it passed; 2 at twice the allowed time."""
    if now <= due_at:
        return 0
    if now <= due_at + (due_at - reported_at):
        return 1
    return 2


# Accepted evidence by its first bytes (magic numbers), never by the file name alone.
MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"%PDF-", "application/pdf", ".pdf"),
)
EXTENSIONS = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}
EXTENSIONS[".pdf"] = "application/pdf"
EXTENSIONS[".webp"] = "image/webp"


def sniff(head: bytes) -> tuple[str, str] | None:
    """(media type, extension) of a file by its first bytes, or None if not accepted."""
    for magic, media_type, ext in MAGIC:
        if head.startswith(magic):
            return media_type, ext
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp", ".webp"
    return None


def check_evidence(filename: str, data: bytes) -> tuple[str, str]:
    """The file's media type and extension; :class:`InvalidEvidence` when it is empty, not
    a JPEG/PNG/WebP photo or a PDF, or named as another type than its content."""
    if not data:
        raise InvalidEvidence("errors.hazards.evidence_empty")
    found = sniff(data[:16])
    if found is None:
        raise InvalidEvidence("errors.hazards.evidence_type")
    dot = filename.rfind(".")
    named = EXTENSIONS.get(filename[dot:].lower()) if dot >= 0 else None
    if dot >= 0 and named != found[0]:
        raise InvalidEvidence(
            "errors.hazards.evidence_mismatch", filename=filename, media_type=found[0]
        )
    return found
