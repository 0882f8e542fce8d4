"""The public package's errors; the API maps their kinds to HTTP statuses."""

from __future__ import annotations

from domain.errors import (
    ConflictError,
    InvalidRequestError,
    LiftwatchError,
    NotFoundError,
    PermissionDeniedError,
    UnavailableError,
)


class PublicError(LiftwatchError):
    """Base error of public pages, codes and passengers' reports."""


class UnknownCode(PublicError, NotFoundError):
    """No elevator carries this public code."""

    def __init__(self) -> None:
        super().__init__("unknown elevator code")


class UnknownReport(PublicError, NotFoundError):
    """No report has this link, or the ticket/report is not the caller's to see."""


class SourceBlocked(PublicError, PermissionDeniedError):
    """The desk blocked this client address after prank reports."""

    def __init__(self) -> None:
        super().__init__("reports from this address are blocked; call 96333")


class TicketClosed(PublicError, ConflictError):
    """The ticket was answered or dismissed already."""


class InvalidReport(PublicError, InvalidRequestError):
    """The report's kind, category or text breaks a rule."""


class NoFont(PublicError, UnavailableError):
    """No CJK font was found to print the stickers' Chinese text."""
