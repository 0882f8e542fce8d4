"""Users and API keys (admin only). A new API key is shown once, at creation."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import APIRouter, Depends, Path, status
from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic.config import JsonDict

from accounts import service as accounts
from accounts.model import Scope
from api.deps import Db, require_roles
from api.errors import AUTHENTICATED, NOT_FOUND, NOT_FOUND_OR_CONFLICT
from api.pagination import Page, Paging, make_page
from api.security import Principal, Role

router = APIRouter(prefix="/api/v1", tags=["users"], responses=AUTHENTICATED)

Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]
RowId = Annotated[int, Path(ge=1, le=2_147_483_647)]


class UserOut(BaseModel):
    """An account (built from :class:`accounts.model.Account`)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    role: Role
    company_id: int | None
    rescuer_id: int | None
    user_unit_id: int | None = None
    active: bool


_ID = {"type": "integer"}
_NONE = {"type": "null"}
_OTHER_ROLES = [r.value for r in Role if r not in (Role.COMPANY, Role.RESCUER)]
# accounts.model.check_scope, said in JSON Schema: a company account names its company,
# a rescuer account its rescuer, any other role neither.
_SCOPE_RULE = {
    "oneOf": [
        {
            "properties": {"role": {"const": "company"}, "company_id": _ID, "rescuer_id": _NONE},
            "required": ["company_id"],
        },
        {
            "properties": {"role": {"const": "rescuer"}, "rescuer_id": _ID, "company_id": _NONE},
            "required": ["rescuer_id"],
        },
        {"properties": {"role": {"enum": _OTHER_ROLES}, "company_id": _NONE, "rescuer_id": _NONE}},
    ]
}


class ScopeIn(BaseModel):
    """Whom a new account or key acts as (checked by :class:`accounts.model.Scope`)."""

    model_config = ConfigDict(json_schema_extra=cast("JsonDict", _SCOPE_RULE))

    role: Role
    company_id: int | None = Field(None, ge=1, le=2_147_483_647)
    rescuer_id: int | None = Field(None, ge=1, le=2_147_483_647)
    user_unit_id: int | None = Field(None, ge=1, le=2_147_483_647)

    def scope(self) -> Scope:
        return Scope(self.role.value, self.company_id, self.rescuer_id, self.user_unit_id)


class UserIn(ScopeIn):
    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: SecretStr = Field(min_length=8, max_length=256)


class UserPatch(BaseModel):
    active: bool | None = Field(None, strict=True)
    password: SecretStr | None = Field(None, min_length=8, max_length=256)


class ApiKeyOut(BaseModel):
    """An API key's record (built from :class:`accounts.model.ApiKeyRecord`)."""

    model_config = ConfigDict(from_attributes=True)

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


@router.get("/users", response_model=Page[UserOut])
async def list_users(db: Db, _: Admin, paging: Paging) -> Page[UserOut]:
    found = await accounts.list_users(db, paging.limit + 1, paging.offset)
    return make_page([UserOut.model_validate(a) for a in found], paging)


@router.post(
    "/users",
    response_model=UserOut,
    status_code=status.HTTP_201_CREATED,
    responses=NOT_FOUND_OR_CONFLICT,
)
async def create_user(db: Db, _: Admin, body: UserIn) -> UserOut:
    password = body.password.get_secret_value()
    created = await accounts.add_user(db, body.username, password, body.scope())
    return UserOut.model_validate(created)


@router.patch("/users/{user_id}", response_model=UserOut, responses=NOT_FOUND_OR_CONFLICT)
async def update_user(db: Db, _: Admin, user_id: RowId, body: UserPatch) -> UserOut:
    password = body.password.get_secret_value() if body.password else None
    return UserOut.model_validate(await accounts.change_user(db, user_id, body.active, password))


@router.get("/api-keys", response_model=Page[ApiKeyOut])
async def list_api_keys(db: Db, _: Admin, paging: Paging) -> Page[ApiKeyOut]:
    found = await accounts.list_api_keys(db, paging.limit + 1, paging.offset)
    return make_page([ApiKeyOut.model_validate(k) for k in found], paging)


@router.post(
    "/api-keys",
    response_model=NewApiKey,
    status_code=status.HTTP_201_CREATED,
    responses=NOT_FOUND_OR_CONFLICT,
)
async def create_api_key(db: Db, _: Admin, body: ApiKeyIn) -> NewApiKey:
    issued = await accounts.issue_api_key(db, body.name, body.scope())
    return NewApiKey(**ApiKeyOut.model_validate(issued.record).model_dump(), key=issued.key)


@router.delete("/api-keys/{key_id}", response_model=ApiKeyOut, responses=NOT_FOUND)
async def revoke_api_key(db: Db, _: Admin, key_id: RowId) -> ApiKeyOut:
    return ApiKeyOut.model_validate(await accounts.revoke_api_key(db, key_id))
