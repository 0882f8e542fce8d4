"""Limit/offset pagination with a maximum page size from ApiSettings.page_size_max."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Depends, HTTPException, Query, Request, status
from pydantic import BaseModel

T = TypeVar("T")


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
    limit: Annotated[int, Query(ge=1, description="page size (max: page_size_max)")] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> PageParams:
    maximum: int = request.app.state.config.api.page_size_max
    if limit > maximum:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"limit must be at most {maximum}"
        )
    return PageParams(limit=limit, offset=offset)


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
