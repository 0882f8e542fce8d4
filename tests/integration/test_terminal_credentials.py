"""Terminal credentials in mosquitto's dynamic security plugin, on a real mosquitto.

``LIFTWATCH_MQTT_DYNSEC_URL`` (the admin URL printed by ``scripts/services``) names a
running broker with the plugin; without it the test starts its own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest

from fleet import provisioning
from fleet.terminal_repository import fleet_is_simulated
from ingest.seed import seed_elevators
from messaging import dynsec
from messaging.client import connect, new_client
from messaging.dynsec import DynsecClient
from tests.fixtures.services import require
from tests.integration.test_ingest_support import Mosquitto, RawPublisher, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.mosquitto]
PLUGIN = "/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so"
MAX_PACKET = 17_408


@pytest.fixture(scope="module")
def admin_url(mosquitto_bin: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    configured = os.environ.get("LIFTWATCH_MQTT_DYNSEC_URL")
    if configured:
        yield configured
        return
    ctrl = shutil.which("mosquitto_ctrl") or "/usr/bin/mosquitto_ctrl"
    require(
        Path(ctrl).exists(), "mosquitto_ctrl is not installed (apt-get install mosquitto-clients)"
    )
    require(Path(PLUGIN).exists(), f"the dynamic security plugin is missing ({PLUGIN})")
    work = tmp_path_factory.mktemp("dynsec")
    password = uuid.uuid4().hex
    subprocess.run(
        [ctrl, "dynsec", "init", str(work / "dynsec.json"), "admin", password],
        check=True, capture_output=True, timeout=10,
    )  # fmt: skip
    broker = Mosquitto(
        mosquitto_bin, work,
        f"allow_anonymous false\nplugin {PLUGIN}\nplugin_opt_config_file {work}/dynsec.json\n"
        f"max_packet_size {MAX_PACKET}\n",
    )  # fmt: skip
    broker.start()
    yield broker.url.replace("mqtt://", f"mqtt://admin:{password}@")
    broker.stop()


@pytest.fixture
def admin(admin_url: str) -> Iterator[DynsecClient]:
    # The shared development broker rewrites its whole JSON file after every change, and
    # other test runs provision on it too: a generous deadline for its answers.
    with DynsecClient(admin_url, timeout_s=300) as client:
        yield client


def _url(admin_url: str, user: str, password: str) -> str:
    parts = urlsplit(admin_url)
    return f"mqtt://{user}:{password}@{parts.hostname}:{parts.port}"


class Listener:
    """A service account (ingest's role) subscribed to every terminal topic."""

    def __init__(self, admin_url: str, admin: DynsecClient, root: str) -> None:
        name = "ingest"
        password = uuid.uuid4().hex
        # On a broker shared by the module's tests, "service-ingest" already exists with
        # an earlier test's topic root: ensure_accounts moves it to this test's root.
        provisioning.ensure_accounts(admin, root, {name: password})
        self.got: list[str] = []
        self.subscribed = threading.Event()
        url = _url(admin_url, name, password)
        self.client = new_client(url, f"listener-{uuid.uuid4().hex[:6]}")
        self.client.on_message = lambda c, u, m: self.got.append(m.topic)
        self.client.on_subscribe = lambda *a: self.subscribed.set()
        self.client.on_connect = lambda c, *a: c.subscribe(f"{root}/#", qos=1)
        connect(self.client, url)
        self.client.loop_start()
        assert self.subscribed.wait(180)

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def listener(admin_url: str, admin: DynsecClient, topic_root: str) -> Iterator[Listener]:
    # ensure_accounts rotates the shared "ingest" account: one listener per test
    listener = Listener(admin_url, admin, topic_root)
    yield listener
    listener.stop()


def _terminal() -> str:
    return f"T-{uuid.uuid4().hex[:10]}"


def test_a_terminal_publishes_only_under_its_own_topics(
    admin_url: str, admin: DynsecClient, listener: Listener, topic_root: str
) -> None:
    own, other = _terminal(), _terminal()
    assert provisioning.provision_terminal(admin, topic_root, own, "pw-own-" + own)
    provisioning.provision_terminal(admin, topic_root, other, "pw-other-" + other)
    publisher = RawPublisher(_url(admin_url, own, "pw-own-" + own))
    publisher.publish(f"{topic_root}/{other}/status", b'{"forged":true}')
    publisher.publish(f"{topic_root}/{own}/debug", b"{}")  # not one of its topics
    publisher.publish(f"{topic_root}/{own}/status", b'{"own":true}')
    publisher.publish(f"{topic_root}/{own}/event", b'{"own":true}')
    wait_for(lambda: len(listener.got) >= 2, 10, "the terminal's own messages")
    time.sleep(1.0)  # a forged message would have arrived by now
    assert sorted(listener.got) == [f"{topic_root}/{own}/event", f"{topic_root}/{own}/status"]


def test_revoked_terminal_cannot_connect_and_provision_enables_it(
    admin_url: str, admin: DynsecClient, topic_root: str
) -> None:
    terminal = _terminal()
    provisioning.provision_terminal(admin, topic_root, terminal, "first-password")
    RawPublisher(_url(admin_url, terminal, "first-password"))  # connects
    provisioning.revoke_terminal(admin, terminal)
    with pytest.raises(ConnectionError):
        RawPublisher(_url(admin_url, terminal, "first-password"))
    assert not provisioning.provision_terminal(admin, topic_root, terminal, "second-password")
    RawPublisher(_url(admin_url, terminal, "second-password"))


def test_rotation_stops_the_old_password(
    admin_url: str, admin: DynsecClient, topic_root: str
) -> None:
    terminal = _terminal()
    provisioning.provision_terminal(admin, topic_root, terminal, "old-password")
    provisioning.provision_terminal(admin, topic_root, terminal, "new-password")
    with pytest.raises(ConnectionError):
        RawPublisher(_url(admin_url, terminal, "old-password"))
    RawPublisher(_url(admin_url, terminal, "new-password"))


def test_subscriber_reads_only_its_notifications(admin_url: str, admin: DynsecClient) -> None:
    company = f"company-{uuid.uuid4().hex[:8]}"
    provisioning.provision_subscriber(admin, company, "company-password")
    got: list[str] = []
    subscribed = threading.Event()
    url = _url(admin_url, company, "company-password")
    client = new_client(url, f"sub-{uuid.uuid4().hex[:6]}")
    client.on_message = lambda c, u, m: got.append(m.topic)
    codes: list[int] = []

    def on_subscribe(_c: object, _u: object, _mid: int, reasons: list[Any], _p: object) -> None:
        codes.extend(int(r.value) for r in reasons)
        subscribed.set()

    client.on_subscribe = on_subscribe
    connect(client, url)
    client.loop_start()
    try:
        client.subscribe([(f"liftwatch/notify/v1/{company}/#", 1), ("liftwatch/notify/v1/#", 1)])
        assert subscribed.wait(180)
        assert codes[0] == 1
        assert codes[1] >= 0x80
    finally:
        client.disconnect()
        client.loop_stop()


def test_service_roles_follow_a_changed_topic_root(admin: DynsecClient) -> None:
    """createRole leaves an existing role as it was; ensure_accounts brings it to the
    deployment's topic root (and drops the old one)."""
    old, new = f"old-{uuid.uuid4().hex[:6]}", f"new-{uuid.uuid4().hex[:6]}"
    provisioning.ensure_accounts(admin, old, {"api": uuid.uuid4().hex})
    provisioning.ensure_accounts(admin, new, {"api": uuid.uuid4().hex})
    [got] = admin.run([{"command": "getRole", "rolename": "service-api"}])
    topics = {a["topic"] for a in got.data["role"]["acls"]}
    assert f"{new}/#" in topics
    assert f"{old}/#" not in topics
    assert provisioning.ensure_roles(admin, dynsec.service_roles(new)) == 0  # up to date


def test_bulk_provisioning_from_the_registry(
    admin_url: str, admin: DynsecClient, fresh_database_url: str, topic_root: str
) -> None:
    with psycopg.connect(fresh_database_url) as conn:
        prefix = f"B{uuid.uuid4().hex[:6]}-"  # the broker may be shared with other runs
        terminals = seed_elevators(conn, 2000, prefix=prefix, floors=10, lowest_floor=0)
        assert not fleet_is_simulated(conn)  # seeded without the simulator's marker
        started = time.perf_counter()
        report = provisioning.provision_registered(conn, admin, topic_root, page=1000)
        elapsed = time.perf_counter() - started
        print(f"bulk provisioning: {len(report.created)} terminals in {elapsed:.1f} s")
        again = provisioning.provision_registered(conn, admin, topic_root, page=1000)
    assert len(report.created) == 2000
    assert not report.existing
    assert not again.created
    assert len(again.existing) == 2000
    terminal = terminals[1234]
    RawPublisher(_url(admin_url, terminal, report.created[terminal]))
