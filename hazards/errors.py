"""The hazards package's errors; the API maps their kinds to HTTP statuses.

Every message is a key of the server catalogues (``i18n/messages/<lang>/errors.json``,
``errors.hazards.*``) with its values; the API answers it in the caller's language."""

from __future__ import annotations

from domain.errors import (
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
)
from i18n import MessageError, Term


def _term(group: str, value: str) -> Term:
    """The name of a role, step, state, party or source, in the reader's language."""
    return Term(f"errors.hazards.{group}.{value}")


class HazardError(MessageError):
    """Base error of hazards and their evidence."""


class UnknownHazard(HazardError, NotFoundError):
    """No such hazard, or not one the caller may see."""

    def __init__(self, hazard_id: int) -> None:
        super().__init__("errors.hazards.unknown_hazard", hazard=str(hazard_id))
        self.hazard_id = hazard_id


class UnknownElevator(HazardError, NotFoundError):
    def __init__(self, elevator_id: int) -> None:
        super().__init__("errors.hazards.unknown_elevator", elevator=str(elevator_id))
        self.elevator_id = elevator_id


class IllegalStep(HazardError, ConflictError):
    """The step is not allowed from the hazard's current state."""

    def __init__(self, action: str, state: str) -> None:
        super().__init__(
            "errors.hazards.illegal_step",
            action=_term("action", action),
            state=_term("state", state),
        )
        self.action = action
        self.state = state


class NotYourStep(HazardError, PermissionDeniedError):
    """The caller's role or party may not take this step."""

    @classmethod
    def step(cls, role: str, action: str, party: str) -> NotYourStep:
        return cls(
            "errors.hazards.not_your_step",
            role=_term("role", role),
            action=_term("action", action),
            party=_term("party", party),
        )

    @classmethod
    def report(cls, role: str, source: str) -> NotYourStep:
        return cls(
            "errors.hazards.not_your_report",
            role=_term("role", role),
            source=_term("source", source),
        )


class EvidenceRequired(HazardError, ConflictError):
    """A remediation is reported with its evidence (a photo or a file) uploaded first."""

    def __init__(self) -> None:
        super().__init__("errors.hazards.evidence_required")


class InvalidEvidence(HazardError, InvalidRequestError):
    """The file is empty, or its content is not an accepted type."""


class EvidenceTooLarge(HazardError, InvalidRequestError):
    """The file is larger than the configured limit."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__("errors.hazards.evidence_too_large", size=size, limit=limit)
        self.size = size
        self.limit = limit


class InvalidHazard(HazardError, InvalidRequestError):
    """A field breaks a rule the schema cannot express (unknown category, note missing)."""
