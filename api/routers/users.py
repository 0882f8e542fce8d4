"""Users and API keys (admin only). A new API key is shown once, at creation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, status
from pydantic import BaseModel, Field, SecretStr

from accounts.repository import (
    LIST_KEYS,
    LIST_USERS,
    InvalidAccount,
    Scope,
    account,
    acreate_api_key,
    acreate_user,
    key_record,
)
from api.deps import Db, require_roles
from api.pagination import Page, Paging, make_page
from api.security import Principal, Role, hash_api_key, hash_password, new_api_key

router = APIRouter(prefix="/api/v1", tags=["users"])

Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]
RowId = Annotated[int, Path(ge=1, le=2_147_483_647)]


class UserOut(BaseModel):
    id: int
    username: str
    role: Role
    company_id: int | None
    rescuer_id: int | None
    active: bool


class ScopeIn(BaseModel):
    """Whom a new account or key acts as (checked by :class:`accounts.repository.Scope`)."""

    role: Role
    company_id: int | None = Field(None, ge=1, le=2_147_483_647)
    rescuer_id: int | None = Field(None, ge=1, le=2_147_483_647)

    def scope(self) -> Scope:
        return Scope(self.role.value, self.company_id, self.rescuer_id)


class UserIn(ScopeIn):
    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: SecretStr = Field(min_length=8, max_length=256)


class UserPatch(BaseModel):
    active: bool | None = None
    password: SecretStr | None = Field(None, min_length=8, max_length=256)


class ApiKeyOut(BaseModel):
    id: int
    name: str
    role: Role
    company_id: int | None
    rescuer_id: int | None
    revoked: bool


class ApiKeyIn(ScopeIn):
    name: str = Field(min_length=1, max_length=100)


class NewApiKey(ApiKeyOut):
    key: str = Field(description="shown only now; store it, it cannot be recovered")


def _invalid(exc: InvalidAccount) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc))


@router.get("/users", response_model=Page[UserOut])
async def list_users(db: Db, _: Admin, paging: Paging) -> Page[UserOut]:
    cur = await db.execute(LIST_USERS, (paging.limit + 1, paging.offset))
    items = [UserOut(**vars(account(r))) for r in await cur.fetchall()]
    return make_page(items, paging)


@router.post("/users", response_model=UserOut, status_code=status.HTTP_201_CREATED)
async def create_user(db: Db, _: Admin, body: UserIn) -> UserOut:
    try:
        created = await acreate_user(
            db, body.username, hash_password(body.password.get_secret_value()), body.scope()
        )
    except InvalidAccount as exc:
        raise _invalid(exc) from None
    return UserOut(**vars(created))


@router.patch("/users/{user_id}", response_model=UserOut)
async def update_user(db: Db, _: Admin, user_id: RowId, body: UserPatch) -> UserOut:
    cur = await db.execute(
        """UPDATE users SET active = COALESCE(%s, active),
                  password_hash = COALESCE(%s, password_hash)
           WHERE id = %s RETURNING id, username, role, company_id, rescuer_id, active""",
        (
            body.active,
            hash_password(body.password.get_secret_value()) if body.password else None,
            user_id,
        ),
    )
    row = await cur.fetchone()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"user {user_id} not found")
    return UserOut(**vars(account(row)))


@router.get("/api-keys", response_model=Page[ApiKeyOut])
async def list_api_keys(db: Db, _: Admin, paging: Paging) -> Page[ApiKeyOut]:
    cur = await db.execute(LIST_KEYS, (paging.limit + 1, paging.offset))
    items = [ApiKeyOut(**vars(key_record(r))) for r in await cur.fetchall()]
    return make_page(items, paging)


@router.post("/api-keys", response_model=NewApiKey, status_code=status.HTTP_201_CREATED)
async def create_api_key(db: Db, _: Admin, body: ApiKeyIn) -> NewApiKey:
    key = new_api_key()
    try:
        record = await acreate_api_key(db, body.name, hash_api_key(key), body.scope())
    except InvalidAccount as exc:
        raise _invalid(exc) from None
    return NewApiKey(**vars(record), key=key)


@router.delete("/api-keys/{key_id}", response_model=ApiKeyOut)
async def revoke_api_key(db: Db, _: Admin, key_id: RowId) -> ApiKeyOut:
    cur = await db.execute(
        """UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = %s
           RETURNING id, name, role, company_id, rescuer_id, revoked_at IS NOT NULL""",
        (key_id,),
    )
    row = await cur.fetchone()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"API key {key_id} not found")
    return ApiKeyOut(**vars(key_record(row)))
