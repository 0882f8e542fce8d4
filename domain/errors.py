"""The kinds of error the product raises on purpose.

Each package has its own base error (``RescueError``, ``AlarmError``, ...) whose
subclasses also inherit one of these kinds; ``api/errors.py`` maps a kind to an HTTP
status in one place, so no route needs a ``try`` block or a status table of its own.
An exception that is none of these kinds is a bug (HTTP 500, logged).
"""

from __future__ import annotations


class LiftwatchError(Exception):
    """Base of every error raised on purpose; ``str(error)`` is the message for the user."""


class NotFoundError(LiftwatchError):
    """The thing named does not exist, or the caller may not see it."""


class ConflictError(LiftwatchError):
    """The request clashes with the current state (a transition not allowed, taken already)."""


class InvalidRequestError(LiftwatchError):
    """The caller's input breaks a rule that the schema alone cannot express."""


class PermissionDeniedError(LiftwatchError):
    """The caller's role or scope does not allow this action."""


class UnavailableError(LiftwatchError):
    """A service the request needs is down or busy; retrying later may work."""
