"""Limit/offset pagination. A page holds at most ``PAGE_SIZE_LIMIT`` items (the
documented bound); ``ApiSettings.page_size_max`` may lower it, and a larger ``limit``
is then served as that many (the page says which ``limit`` it used)."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query, Request
from pydantic import BaseModel

T = TypeVar("T")
PAGE_SIZE_LIMIT = 500


class PageParams(BaseModel):
    limit: int
    offset: int


class Page(BaseModel, Generic[T]):
    items: list[T]
    limit: int
    offset: int
    total: int | None = None  # None where counting would be expensive
    next_offset: int | None = None


def page_params(
    request: Request,
    limit: Annotated[
        int, Query(ge=1, le=PAGE_SIZE_LIMIT, description="page size (the server may cap it)")
    ] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> PageParams:
    maximum: int = request.app.state.config.api.page_size_max
    return PageParams(limit=min(limit, maximum), offset=offset)


Paging = Annotated[PageParams, Depends(page_params)]


def make_page(items: list[T], params: PageParams, total: int | None = None) -> Page[T]:
    """A page from up to ``limit + 1`` fetched rows (the extra one says there is more)."""
    more = len(items) > params.limit
    return Page[T](
        items=items[: params.limit],
        limit=params.limit,
        offset=params.offset,
        total=total,
        next_offset=params.offset + params.limit if more else None,
    )
