"""Errors of the accounts package: a base error and its specific kinds."""

from __future__ import annotations

from domain.errors import InvalidRequestError, LiftwatchError, NotFoundError
from i18n import MessageError


class AccountError(LiftwatchError):
    """Base of the errors about users and API keys."""


class InvalidAccount(AccountError, InvalidRequestError):
    """The role and its scope (company / rescuer) do not fit together."""


class UserNotFound(AccountError, NotFoundError, MessageError):
    def __init__(self, user_id: int) -> None:
        super().__init__("errors.accounts.user_not_found", user=str(user_id))
        self.user_id = user_id


class ApiKeyNotFound(AccountError, NotFoundError, MessageError):
    def __init__(self, key_id: int) -> None:
        super().__init__("errors.accounts.api_key_not_found", api_key=str(key_id))
        self.key_id = key_id


class InvalidCredentials(AccountError):
    """Who is calling cannot be established (a bad token or key). Deliberately of no
    kind: the API answers it with a 401 of its own, never through the kind mapping."""
