"""The hazards package's errors; the API maps their kinds to HTTP statuses."""

from __future__ import annotations

from domain.errors import (
    ConflictError,
    InvalidRequestError,
    LiftwatchError,
    NotFoundError,
    PermissionDeniedError,
)


class HazardError(LiftwatchError):
    """Base error of hazards and their evidence."""


class UnknownHazard(HazardError, NotFoundError):
    """No such hazard, or not one the caller may see."""

    def __init__(self, hazard_id: int) -> None:
        super().__init__(f"hazard {hazard_id} not found / 未找到该隐患")
        self.hazard_id = hazard_id


class UnknownElevator(HazardError, NotFoundError):
    def __init__(self, elevator_id: int) -> None:
        super().__init__(f"elevator {elevator_id} not found / 未找到该电梯")
        self.elevator_id = elevator_id


class IllegalStep(HazardError, ConflictError):
    """The step is not allowed from the hazard's current state."""

    def __init__(self, action: str, state: str) -> None:
        super().__init__(f"cannot {action} a hazard that is {state}")
        self.action = action
        self.state = state


class NotYourStep(HazardError, PermissionDeniedError):
    """The caller's role or party may not take this step."""


class EvidenceRequired(HazardError, ConflictError):
    """A remediation is reported with its evidence (a photo or a file) uploaded first."""

    def __init__(self) -> None:
        super().__init__("upload evidence of the remediation first / 请先上传整改证据")


class InvalidEvidence(HazardError, InvalidRequestError):
    """The file is empty, or its content is not an accepted type."""


class EvidenceTooLarge(HazardError, InvalidRequestError):
    """The file is larger than the configured limit."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"file of {size} bytes exceeds the limit of {limit} bytes")
        self.size = size
        self.limit = limit


class InvalidHazard(HazardError, InvalidRequestError):
    """A field breaks a rule the schema cannot express (unknown category, note missing)."""
