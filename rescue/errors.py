"""The rescue package's errors; the API maps them to HTTP statuses."""

from __future__ import annotations

from domain.errors import (
    ConflictError,
    InvalidRequestError,
    LiftwatchError,
    NotFoundError,
    PermissionDeniedError,
)
from i18n import MessageError, Term


class RescueError(LiftwatchError):
    """Base error of rescue cases and dispatch."""


class NotFound(RescueError, NotFoundError):
    """The case, offer, elevator or rescuer does not exist (or is not visible)."""


class InvalidTransition(RescueError, ConflictError, MessageError):
    """The case cannot go from its current state to the requested one."""

    def __init__(self, case_id: int, current: str, wanted: str) -> None:
        super().__init__(
            "errors.rescue.invalid_transition",
            case=str(case_id),
            current=Term(f"errors.rescue.state.{current}"),
            wanted=Term(f"errors.rescue.state.{wanted}"),
        )
        self.case_id = case_id
        self.current = current
        self.wanted = wanted


class OfferClosed(RescueError, ConflictError):
    """The offer is no longer open: taken by someone else, expired, withdrawn or answered."""


class RescuerBusy(RescueError, ConflictError):
    """The rescuer already holds an active case."""


class NotAssigned(RescueError, PermissionDeniedError):
    """The rescuer acts on a case that is not his."""


class InvalidCall(RescueError, InvalidRequestError):
    """A hotline call names no elevator, or an ambiguous one."""


class NotRescueAlarm(RescueError, InvalidRequestError):
    """The alarm is of a type that does not call for a rescue."""


class CaseContention(RescueError, ConflictError):
    """The elevator's open case kept changing while a case was being opened; retry."""


class WebhookExists(RescueError, ConflictError, MessageError):
    """The company has already subscribed this URL."""


class NoEndRequest(RescueError, ConflictError):
    """The desk confirms or rejects an end request, but the case has none pending."""


class RefusedWebhookUrl(RescueError, InvalidRequestError, MessageError):
    """The webhook URL is not http(s), does not resolve, or resolves to a non-public
    address (loopback, private, link-local, unique-local, CGNAT, metadata)."""


class TooManyWebhooks(RescueError, ConflictError, MessageError):
    """The company has as many webhook subscriptions as it may."""


class ActionIdReused(RescueError, ConflictError):
    """The phone sent an action id it had already used for a different action."""
