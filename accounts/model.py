"""Who may call the product: roles, the calling principal, accounts and API keys."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from accounts.errors import InvalidAccount


class Role(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    DESK = "desk"
    COMPANY = "company"
    RESCUER = "rescuer"
    USER_UNIT = "user_unit"  # a user unit (使用单位): its own elevators only


ROLES = tuple(role.value for role in Role)


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user (JWT) or a machine client (API key)."""

    subject: str
    role: Role
    company_id: int | None = None
    rescuer_id: int | None = None
    user_unit_id: int | None = None
    user_id: int | None = None  # the user's row (None: an API key)

    def sees_company(self, company_id: int) -> bool:
        """Whether this caller may see data of ``company_id``'s elevators."""
        if self.role is Role.COMPANY:
            return self.company_id == company_id
        return self.role in (Role.ADMIN, Role.SUPERVISOR, Role.DESK)


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    role: str
    company_id: int | None
    rescuer_id: int | None
    active: bool
    token_version: int = 0  # bumped when the user's tokens are revoked
    user_unit_id: int | None = None


@dataclass(frozen=True)
class ApiKeyRecord:
    id: int
    name: str
    role: str
    company_id: int | None
    rescuer_id: int | None
    revoked: bool


@dataclass(frozen=True)
class Credentials:
    """What a login is checked against: the stored hash and whom the user acts as."""

    id: int
    password_hash: str
    role: str
    company_id: int | None
    rescuer_id: int | None
    token_version: int
    user_unit_id: int | None = None


@dataclass(frozen=True)
class TokenUser:
    """The user row a token is checked against on every request: still active, and the
    token issued under the current ``token_version`` (bumped on deactivation and on a
    password change, which revokes every earlier token)."""

    id: int
    username: str
    role: str
    company_id: int | None
    rescuer_id: int | None
    active: bool
    token_version: int
    user_unit_id: int | None = None

    def principal(self) -> Principal:
        return Principal(
            self.username, Role(self.role), self.company_id, self.rescuer_id,
            self.user_unit_id, user_id=self.id,
        )  # fmt: skip


@dataclass(frozen=True)
class Authenticated:
    """A successful login: who, and the token version to issue the token under."""

    principal: Principal
    token_version: int


def check_scope(
    role: str, company_id: int | None, rescuer_id: int | None, user_unit_id: int | None = None
) -> None:
    if role not in ROLES:
        raise InvalidAccount(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    if role == "company" and company_id is None:
        raise InvalidAccount("a company account needs a company id")
    if role == "rescuer" and rescuer_id is None:
        raise InvalidAccount("a rescuer account needs a rescuer id")
    if role != "company" and company_id is not None:
        raise InvalidAccount("only a company account has a company id")
    if role != "rescuer" and rescuer_id is not None:
        raise InvalidAccount("only a rescuer account has a rescuer id")
    if (role == "user_unit") != (user_unit_id is not None):
        raise InvalidAccount("a user-unit account, and only it, has a user unit id")


@dataclass(frozen=True)
class Scope:
    """Whom an account or API key acts as: a role, and the company or rescuer it is tied to
    (checked on creation: :func:`check_scope`)."""

    role: str
    company_id: int | None = None
    rescuer_id: int | None = None
    user_unit_id: int | None = None

    def __post_init__(self) -> None:
        check_scope(self.role, self.company_id, self.rescuer_id, self.user_unit_id)
