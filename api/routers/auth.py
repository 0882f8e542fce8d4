"""Login (OAuth2 password flow) and the caller's identity."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from api.deps import CurrentPrincipal, Db
from api.security import Principal, Role, create_token, verify_password

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


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
    cur = await db.execute(
        "SELECT password_hash, role, company_id, rescuer_id FROM users"
        " WHERE username = %s AND active",
        (form.username,),
    )
    row = await cur.fetchone()
    if row is None or not verify_password(row[0], form.password):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong username or password")
    principal = Principal(
        subject=form.username, role=Role(row[1]), company_id=row[2], rescuer_id=row[3]
    )
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
