"""The dispatch engine behind the rescue routes: its connection pool, running one engine
operation, and what a caller may see (:func:`case_scope`).

The engine is synchronous (the same code runs the background service and the simulated
day), so the API runs each operation in a worker thread on a connection of a small
synchronous pool, opened and closed with the application (:func:`dispatch_lifespan`,
attached to the cases router). The API's reads use the asynchronous pool (``api.deps``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, TypeVar

from fastapi import Depends, FastAPI, Request
from psycopg_pool import ConnectionPool

from api.deps import company_scope
from api.security import Principal, Role
from rescue.engine import DispatchEngine
from rescue.model import CaseScope
from rescue.notifications import Notifier

T = TypeVar("T")

ENGINE_POOL_SIZE = 4
NO_RESCUER = -1  # matches no case: a rescuer account without a rescuer sees nothing


@asynccontextmanager
async def dispatch_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the engine's connection pool with the application; close it at shutdown."""
    pool = ConnectionPool(
        app.state.config.database_url,
        min_size=1,
        max_size=ENGINE_POOL_SIZE,
        open=False,
        kwargs={"autocommit": True},
        name="dispatch",
    )
    pool.open(wait=False)
    app.state.dispatch_pool = pool
    try:
        yield
    finally:
        await asyncio.to_thread(pool.close)


class EngineRunner:
    """Runs engine operations for one request."""

    def __init__(self, request: Request) -> None:
        self.pool: ConnectionPool = request.app.state.dispatch_pool
        self.publisher = request.app.state.publisher
        self.settings = request.app.state.config.dispatch

    async def __call__(self, action: Callable[[DispatchEngine], T]) -> T:
        """Run one engine operation in a worker thread on a pooled connection."""

        def work() -> T:
            with self.pool.connection() as conn:
                notifier = Notifier(self.publisher, self.settings.notify_topic_root)
                return action(DispatchEngine(conn, self.settings, notifier=notifier))

        return await asyncio.to_thread(work)


RunEngine = Annotated[EngineRunner, Depends(EngineRunner)]


def case_scope(principal: Principal) -> CaseScope:
    """A company sees its own elevators' cases, a rescuer those offered to him or his."""
    rescuer = principal.rescuer_id if principal.role is Role.RESCUER else None
    if principal.role is Role.RESCUER and rescuer is None:
        rescuer = NO_RESCUER
    return CaseScope(company_id=company_scope(principal), rescuer_id=rescuer)
