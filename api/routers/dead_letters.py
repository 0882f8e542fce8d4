"""Dead letters: messages ingest refused, with the reason (admin only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, field_validator

from api.deps import Db, require_roles
from api.errors import AUTHENTICATED
from api.pagination import Page, Paging, make_page
from api.params import IsoDateTime
from api.security import Principal, Role
from ingest import service as ingest

router = APIRouter(prefix="/api/v1/dead-letters", tags=["dead letters"], responses=AUTHENTICATED)

Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]
PREVIEW_BYTES = 512


class DeadLetter(BaseModel):
    id: int
    received_at: datetime
    topic: str
    reason: str
    detail: str
    payload_size: int
    payload_preview: str  # the first bytes, decoded leniently

    @field_validator("payload_preview", mode="before")
    @classmethod
    def _decode_leniently(cls, value: object) -> object:
        if isinstance(value, bytes | bytearray | memoryview):
            return bytes(value).decode("utf-8", errors="replace")
        return value


@router.get("", response_model=Page[DeadLetter])
async def list_dead_letters(
    db: Db,
    _: Admin,
    paging: Paging,
    reason: Annotated[str | None, Query(max_length=100)] = None,
    since: Annotated[IsoDateTime | None, Query()] = None,
) -> Page[DeadLetter]:
    letters = await ingest.list_dead_letters(
        db, reason, since, PREVIEW_BYTES, paging.limit + 1, paging.offset
    )
    return make_page(
        [DeadLetter.model_validate(letter, from_attributes=True) for letter in letters], paging
    )
