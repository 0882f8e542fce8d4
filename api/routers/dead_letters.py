"""Dead letters: messages ingest refused, with the reason (admin only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from api.deps import Db, require_roles
from api.pagination import Page, Paging, make_page
from api.security import Principal, Role

router = APIRouter(prefix="/api/v1/dead-letters", tags=["dead letters"])

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


@router.get("", response_model=Page[DeadLetter])
async def list_dead_letters(
    db: Db,
    _: Admin,
    paging: Paging,
    reason: Annotated[str | None, Query(max_length=100)] = None,
    since: Annotated[datetime | None, Query()] = None,
) -> Page[DeadLetter]:
    cur = await db.execute(
        """SELECT id, received_at, topic, reason, detail, payload_size,
                  substring(payload FROM 1 FOR %(preview)s)
           FROM dead_letters
           WHERE (%(reason)s::text IS NULL OR reason = %(reason)s)
             AND (%(since)s::timestamptz IS NULL OR received_at >= %(since)s)
           ORDER BY received_at DESC, id DESC LIMIT %(limit)s OFFSET %(offset)s""",
        {
            "preview": PREVIEW_BYTES,
            "reason": reason,
            "since": since,
            "limit": paging.limit + 1,
            "offset": paging.offset,
        },
    )
    items = [
        DeadLetter(
            id=r[0],
            received_at=r[1],
            topic=r[2],
            reason=r[3],
            detail=r[4],
            payload_size=r[5],
            payload_preview=bytes(r[6]).decode("utf-8", errors="replace"),
        )
        for r in await cur.fetchall()
    ]
    return make_page(items, paging)
