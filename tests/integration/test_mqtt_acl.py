"""The broker ACL of deploy/mosquitto: a terminal publishes only under its own topics,
companies read only their own notification topics (a private mosquitto with a
generated password file)."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from messaging.client import connect, new_client
from tests.fixtures.services import require
from tests.integration.test_ingest_support import Mosquitto, RawPublisher, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.mosquitto]
REPO = Path(__file__).resolve().parents[2]
USERS = ["ingest", "T1", "T2", "company-1", "company-2"]
PASSWORD = "pw-" + uuid.uuid4().hex[:8]


@pytest.fixture
def broker(mosquitto_bin: str, tmp_path: Path) -> Iterator[Mosquitto]:
    passwd_bin = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
    require(Path(passwd_bin).exists(), "mosquitto_passwd is not installed")
    passwd = tmp_path / "passwd"
    passwd.touch()
    for user in USERS:
        subprocess.run([passwd_bin, "-b", str(passwd), user, PASSWORD], check=True, timeout=10)
    acl = REPO / "deploy" / "mosquitto" / "acl"
    broker = Mosquitto(
        mosquitto_bin, tmp_path,
        f"allow_anonymous false\npassword_file {passwd}\nacl_file {acl}\n",
    )  # fmt: skip
    broker.start()
    yield broker
    broker.stop()


class Collector:
    def __init__(self, broker: Mosquitto, user: str, topic: str) -> None:
        self.got: list[str] = []
        self.subscribed = threading.Event()
        self.client = new_client(broker.url, f"acl-{user}-{uuid.uuid4().hex[:6]}")
        self.client.username_pw_set(user, PASSWORD)
        self.client.on_message = lambda c, u, m: self.got.append(m.topic)
        self.client.on_subscribe = lambda *a: self.subscribed.set()
        connect(self.client, broker.url)
        self.client.subscribe(topic, qos=1)
        self.client.loop_start()
        assert self.subscribed.wait(60)

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def _as(broker: Mosquitto, user: str) -> RawPublisher:
    return RawPublisher(broker.url.replace("mqtt://", f"mqtt://{user}:{PASSWORD}@"))


def test_wrong_password_is_refused(broker: Mosquitto) -> None:
    with pytest.raises(ConnectionError):
        RawPublisher(broker.url.replace("mqtt://", "mqtt://T1:wrong@"))


def test_a_terminal_publishes_only_under_its_own_topics(broker: Mosquitto) -> None:
    ingest = Collector(broker, "ingest", "liftwatch/v1/#")
    snoop = Collector(broker, "T2", "liftwatch/v1/#")  # terminals read nothing
    t1 = _as(broker, "T1")
    t1.publish("liftwatch/v1/T2/status", b'{"forged":true}')  # another terminal's topic
    t1.publish("liftwatch/notify/v1/company-1/x", b"{}")  # not a terminal topic at all
    t1.publish("liftwatch/v1/T1/status", b'{"own":true}')
    t1.publish("liftwatch/v1/T1/event", b'{"own":true}')
    wait_for(lambda: len(ingest.got) >= 2, 10, "the terminal's own messages")
    time.sleep(0.5)
    assert sorted(ingest.got) == ["liftwatch/v1/T1/event", "liftwatch/v1/T1/status"]
    assert snoop.got == []
    t1.close()
    ingest.stop()
    snoop.stop()


def test_companies_read_only_their_own_notifications(broker: Mosquitto) -> None:
    own = Collector(broker, "company-1", "liftwatch/notify/v1/company-1/#")
    wide = Collector(broker, "company-1", "liftwatch/notify/v1/#")
    terminals = Collector(broker, "company-1", "liftwatch/v1/#")
    other = Collector(broker, "company-2", "liftwatch/notify/v1/#")
    publisher = _as(broker, "ingest")
    publisher.publish("liftwatch/notify/v1/company-2/alarm", b"{}")
    publisher.publish("liftwatch/notify/v1/company-1/alarm", b"{}")
    _as(broker, "T1").publish("liftwatch/v1/T1/status", b"{}")
    wait_for(lambda: all(c.got for c in (own, wide, other)), 10, "the notifications")
    time.sleep(0.5)
    assert own.got == ["liftwatch/notify/v1/company-1/alarm"]
    assert wide.got == ["liftwatch/notify/v1/company-1/alarm"]
    assert other.got == ["liftwatch/notify/v1/company-2/alarm"]
    assert terminals.got == []
    publisher.close()
    for c in (own, wide, terminals, other):
        c.stop()
