"""Login (OAuth2 password flow), SSE tickets and the caller's identity.

Logins are throttled per user name and per client address (``api.login_guard``): an
attempt over the limit, or for a locked name, gets 429 with ``Retry-After`` before any
password is checked.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from accounts import service as accounts
from api.deps import CurrentPrincipal, Db
from api.errors import problem_responses
from api.login_guard import LoginGuard
from api.public_guard import client_address
from api.security import SSE_TICKET, Role, create_token, issue_token

router = APIRouter(
    prefix="/api/v1/auth", tags=["auth"], responses=problem_responses(400, 401, 422, 429, 500, 503)
)

# User-facing messages of this module: keys of the server catalogues (i18n/messages),
# answered in the caller's language by api/errors.py.
MESSAGES = {
    "wrong_login": "errors.auth.wrong_login",
    "throttled": "errors.auth.throttled",
    "not_a_user": "errors.auth.not_a_user",
}


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    role: Role


class Ticket(BaseModel):
    ticket: str
    expires_in: int


class Me(BaseModel):
    subject: str
    role: Role
    company_id: int | None
    rescuer_id: int | None


def login_guard(request: Request) -> LoginGuard:
    guard = getattr(request.app.state, "login_guard", None)
    if not isinstance(guard, LoginGuard):
        guard = LoginGuard(request.app.state.config.api.login)
        request.app.state.login_guard = guard
    return guard


@router.post(
    "/token",
    response_model=Token,
)
async def login(
    request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()], db: Db
) -> Token:
    guard = login_guard(request)
    wait = guard.retry_after(form.username, client_address(request))
    if wait > 0:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS, MESSAGES["throttled"], {"Retry-After": str(wait)}
        )
    found = await accounts.authenticate(db, form.username, form.password)
    if found is None:
        guard.failed(form.username)
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, MESSAGES["wrong_login"])
    guard.succeeded(form.username)
    minutes = request.app.state.config.api.token_minutes
    secret = request.app.state.jwt_secret
    return Token(
        access_token=create_token(secret, found.principal, minutes, found.token_version),
        role=found.principal.role,
    )


@router.post(
    "/sse-ticket",
    response_model=Ticket,
    responses=problem_responses(403),  # an API key: send it as X-API-Key to the stream
)
async def sse_ticket(request: Request, principal: CurrentPrincipal, db: Db) -> Ticket:
    """A ticket for one live-event stream (``GET /api/v1/events?ticket=…``): single use,
    valid for ``sse_ticket_s`` seconds, revoked with the user's tokens."""
    if principal.user_id is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, MESSAGES["not_a_user"])
    version = await accounts.token_version(db, principal.user_id)
    lifetime = request.app.state.config.api.sse_ticket_s
    ticket = issue_token(
        request.app.state.jwt_secret, principal, lifetime, version=version, kind=SSE_TICKET
    )
    return Ticket(ticket=ticket, expires_in=lifetime)


@router.get("/me", response_model=Me)
async def me(principal: CurrentPrincipal) -> Me:
    return Me(
        subject=principal.subject,
        role=principal.role,
        company_id=principal.company_id,
        rescuer_id=principal.rescuer_id,
    )
