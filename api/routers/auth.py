"""Login (OAuth2 password flow) and the caller's identity."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from accounts import service as accounts
from api.deps import CurrentPrincipal, Db
from api.errors import problem_responses
from api.security import Role, create_token

router = APIRouter(
    prefix="/api/v1/auth", tags=["auth"], responses=problem_responses(400, 401, 422, 429, 500, 503)
)


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    role: Role


class Me(BaseModel):
    subject: str
    role: Role
    company_id: int | None
    rescuer_id: int | None


@router.post("/token", response_model=Token)
async def login(
    request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()], db: Db
) -> Token:
    principal = await accounts.authenticate(db, form.username, form.password)
    if principal is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong username or password")
    minutes = request.app.state.config.api.token_minutes
    return Token(
        access_token=create_token(request.app.state.jwt_secret, principal, minutes),
        role=principal.role,
    )


@router.get("/me", response_model=Me)
async def me(principal: CurrentPrincipal) -> Me:
    return Me(
        subject=principal.subject,
        role=principal.role,
        company_id=principal.company_id,
        rescuer_id=principal.rescuer_id,
    )
