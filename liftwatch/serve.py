"""Run uvicorn so that SIGINT/SIGTERM stop it cleanly (lifespan shutdown runs in full)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable, Iterator

import uvicorn
from fastapi import FastAPI


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # Signals are handled by serve_app; uvicorn re-raising SIGINT afterwards would
        # interrupt the lifespan shutdown.
        yield


async def serve_app(
    app: FastAPI,
    host: str,
    port: int,
    on_started: Callable[[], Awaitable[None]] | None = None,
) -> None:
    server = _Server(
        uvicorn.Config(app, host=host, port=port, log_config=None, timeout_graceful_shutdown=3)
    )
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, lambda: setattr(server, "should_exit", True))
    task = asyncio.create_task(server.serve())
    if on_started is not None:
        while not server.started and not task.done():
            await asyncio.sleep(0.05)
        if server.started:
            await on_started()
    await task


def run_app(app: FastAPI, host: str, port: int) -> None:
    asyncio.run(serve_app(app, host, port))
