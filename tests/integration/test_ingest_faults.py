"""Nothing acknowledged is lost, nothing is stored twice: kill -9 of the ingest process
and a 20 s database outage in the middle of a run."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
import pytest

from ingest.config import IngestSettings
from ingest.seed import seed_elevators
from ingest.service import IngestService
from tests.integration.test_ingest_support import (
    IngestProcess,
    RawPublisher,
    mosquitto,
    now_ms,
    scalar,
    status_payload,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _messages(root: str, terminals: list[str], count: int) -> list[tuple[str, bytes]]:
    base = now_ms() - 60_000
    out = []
    for i in range(count):
        terminal = terminals[i % len(terminals)]
        seq = i // len(terminals)
        out.append((f"{root}/{terminal}/status", status_payload(seq, base + seq, 1 + seq % 20)))
    return out


def _stored(db_url: str) -> int:
    return int(scalar(db_url, "SELECT count(*) FROM telemetry"))


def _distinct(db_url: str) -> int:
    return int(scalar(db_url, "SELECT count(DISTINCT (elevator_id, seq)) FROM telemetry"))


@pytest.mark.mosquitto
def test_kill_9_mid_run_loses_and_duplicates_nothing(
    mosquitto_bin: str, fresh_database_url: str, tmp_path: Path, topic_root: str
) -> None:
    total = 100_000
    with psycopg.connect(fresh_database_url) as conn:
        terminals = seed_elevators(conn, 200)
    messages = _messages(topic_root, terminals, total)
    with mosquitto(mosquitto_bin, tmp_path) as broker:
        ingest = IngestProcess(
            fresh_database_url, broker.url, topic_root, f"ingest-{uuid.uuid4().hex[:8]}"
        )
        try:
            ingest.start()
            publisher = RawPublisher(broker.url)
            done = threading.Event()

            def publish() -> None:
                publisher.publish_many(messages, window=500)
                done.set()

            thread = threading.Thread(target=publish, daemon=True)
            thread.start()
            wait_for(lambda: _stored(fresh_database_url) >= 20_000, 300, "20,000 stored")
            ingest.kill()  # SIGKILL: no clean shutdown, batches in flight are lost in memory
            at_kill = _stored(fresh_database_url)
            assert at_kill < total, "the kill must land mid-run"
            ingest.start()  # same client id: the persistent session delivers the rest
            thread.join(60)
            assert done.is_set()
            publisher.close()
            wait_for(lambda: _stored(fresh_database_url) >= total, 300, "all messages stored", 0.5)
            time.sleep(1.0)  # a duplicate would show up now
            assert _stored(fresh_database_url) == total
            assert _distinct(fresh_database_url) == total
            assert ingest.terminate() == 0  # SIGTERM stops it cleanly
        finally:
            ingest.stop()


class TcpProxy:
    """A TCP proxy on 127.0.0.1 in front of PostgreSQL that can cut every connection
    (and refuse new ones) to simulate the database going away."""

    def __init__(self, database_url: str) -> None:
        parts = urlsplit(database_url)
        query = dict(parse_qsl(parts.query))
        port = parts.port or int(query.get("port", 5432))
        # A TCP server, or (embedded PostgreSQL) a Unix socket directory in ?host=
        self.unix = None if parts.hostname else f"{query['host']}/.s.PGSQL.{port}"
        self.target = (parts.hostname or "", port)
        self.loop = asyncio.new_event_loop()
        self.cut_off = False
        self.writers: set[asyncio.StreamWriter] = set()
        ready = threading.Event()
        self.port = 0

        async def serve() -> None:
            server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
            self.port = server.sockets[0].getsockname()[1]
            ready.set()
            async with server:
                await server.serve_forever()

        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(serve(),))
        self.thread.daemon = True
        self.thread.start()
        assert ready.wait(60)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.cut_off:
            writer.close()
            return
        try:
            if self.unix:
                up_reader, up_writer = await asyncio.open_unix_connection(self.unix)
            else:
                up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self.writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (OSError, asyncio.CancelledError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self.writers -= {writer, up_writer}

    def cut(self) -> None:
        def close_all() -> None:
            self.cut_off = True
            for w in list(self.writers):
                w.transport.abort()

        self.loop.call_soon_threadsafe(close_all)

    def restore(self) -> None:
        self.cut_off = False


def _via(url: str, port: int) -> str:
    """The same database, reached through the proxy."""
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{port}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k not in ("host", "port")])
    return urlunsplit(
        parts._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) == 2 else host, query=query)
    )


def test_database_outage_of_20_s_loses_and_duplicates_nothing(
    fresh_database_url: str, mqtt_url: str, topic_root: str
) -> None:
    total = 30_000
    with psycopg.connect(fresh_database_url) as conn:
        terminals = seed_elevators(conn, 100)
    proxy = TcpProxy(fresh_database_url)
    settings = IngestSettings(
        client_id=f"ingest-{uuid.uuid4().hex[:8]}", metrics_port=0, max_buffer=5_000,
        max_buffer_bytes=400_000, retry_max_s=1.0,
    )  # fmt: skip
    service = IngestService(settings, _via(fresh_database_url, proxy.port), mqtt_url, topic_root)
    service.start()
    try:
        assert service.ready.wait(60)
        assert service.receiver.subscribed.wait(60)
        messages = _messages(topic_root, terminals, total)
        publisher = RawPublisher(mqtt_url)
        done = threading.Event()

        def publish() -> None:
            publisher.publish_many(messages, window=500, rate=1_500)  # ~20 s of traffic
            done.set()

        threading.Thread(target=publish, daemon=True).start()
        wait_for(lambda: _stored(fresh_database_url) >= 3_000, 30, "3,000 stored")
        proxy.cut()
        time.sleep(1.0)
        during = _stored(fresh_database_url)
        max_depth = max_bytes = 0
        for _ in range(19):
            time.sleep(1.0)
            max_depth = max(max_depth, len(service.receiver.buffer))
            max_bytes = max(max_bytes, service.receiver.buffered_bytes)
        assert _stored(fresh_database_url) == during, "nothing commits while the database is away"
        assert max_depth <= settings.max_buffer
        # ~150-byte messages: the byte bound (~2,700 of them) binds before the count.
        assert 0 < max_bytes <= settings.max_buffer_bytes
        assert service.metrics.db_errors._value.get() > 0
        proxy.restore()
        wait_for(done.is_set, 300, "the publisher to finish")
        wait_for(lambda: _stored(fresh_database_url) >= total, 300, "all stored", 0.5)
        time.sleep(1.0)
        assert _stored(fresh_database_url) == total
        assert _distinct(fresh_database_url) == total
        assert not service.failed
        # The terminals kept talking; the silence was the database's: no offline alarm.
        offline = "SELECT count(*) FROM alarms WHERE type = 'terminal_offline'"
        assert scalar(fresh_database_url, offline) == 0
        publisher.close()
    finally:
        service.stop()
        proxy.cut()


@pytest.mark.mosquitto
def test_broker_restart_reconnects_and_resumes_the_persistent_session(
    mosquitto_bin: str, fresh_database_url: str, tmp_path: Path, topic_root: str
) -> None:
    with psycopg.connect(fresh_database_url) as conn:
        terminals = seed_elevators(conn, 50)
    messages = _messages(topic_root, terminals, 15_000)
    db = fresh_database_url
    with mosquitto(mosquitto_bin, tmp_path) as broker:
        settings = IngestSettings(client_id=f"ingest-{uuid.uuid4().hex[:8]}", metrics_port=0)

        def start() -> IngestService:
            service = IngestService(settings, db, broker.url, topic_root)
            service.start()
            assert service.ready.wait(60)
            assert service.receiver.subscribed.wait(60)
            return service

        service = start()
        RawPublisher(broker.url).publish_many(messages[:5_000])
        wait_for(lambda: _stored(db) == 5_000, 30, "the first 5,000")
        # Broker restart under a running ingest: it reconnects by itself.
        broker.stop()
        wait_for(lambda: not service.receiver.connected.is_set(), 10, "the disconnect")
        broker.start()
        wait_for(service.receiver.connected.is_set, 30, "the reconnect")
        RawPublisher(broker.url).publish_many(messages[5_000:10_000])
        wait_for(lambda: _stored(db) == 10_000, 30, "5,000 more after the restart")
        # Ingest away, messages queue in its session, the broker restarts (persistence),
        # ingest comes back: the session and its queue survived.
        service.stop()
        RawPublisher(broker.url).publish_many(messages[10_000:])
        broker.stop()
        broker.start()
        service = start()
        try:
            wait_for(lambda: _stored(db) >= 15_000, 30, "the queued 5,000")
            time.sleep(0.5)
            assert _stored(db) == 15_000
            assert _distinct(db) == 15_000
        finally:
            service.stop()
