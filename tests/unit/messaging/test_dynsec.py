"""Dynamic security commands, batching, and the broker's packet limit."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from fleet.provisioning import BATCH_BYTES
from ingest.config import MQTT_PACKET_OVERHEAD, IngestSettings
from messaging import dynsec

REPO = Path(__file__).resolve().parents[3]


def test_terminal_role_allows_only_its_own_three_topics() -> None:
    role, client = dynsec.terminal_commands("liftwatch/v1", "T42", "secret")
    assert role["rolename"] == "terminal-T42"
    assert [a["topic"] for a in role["acls"]] == [
        "liftwatch/v1/T42/status", "liftwatch/v1/T42/event", "liftwatch/v1/T42/online"
    ]  # fmt: skip
    assert {a["acltype"] for a in role["acls"]} == {"publishClientSend"}
    assert client["roles"] == [{"rolename": "terminal-T42", "priority": 0}]


@pytest.mark.parametrize("bad", ["", "a/b", "T+", "T#", "x\x00"])
def test_names_that_would_widen_a_topic_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        dynsec.terminal_commands("liftwatch/v1", bad, "pw")


def test_subscriber_reads_only_its_notifications() -> None:
    role, _ = dynsec.subscriber_commands("rescuer-7", "pw")
    assert {a["topic"] for a in role["acls"]} == {"liftwatch/notify/v1/rescuer-7/#"}


def test_batches_stay_under_the_byte_and_count_limits() -> None:
    commands = [c for i in range(1000) for c in dynsec.terminal_commands("r", f"T{i}", "p" * 32)]
    out = list(dynsec.batches(commands, 4000, 50))
    assert sum(len(b) for b in out) == len(commands)
    for batch in out:
        assert len(batch) <= 50
        with_ids = [{**c, "correlationData": "x" * 12} for c in batch]
        assert len(json.dumps({"commands": with_ids}).encode()) <= 4000


def _max_packet_sizes() -> dict[str, int]:
    files = [REPO / "scripts" / "services", REPO / "deploy" / "mosquitto" / "mosquitto.conf"]
    found = {}
    for path in files:
        values = re.findall(r"^max_packet_size (\d+)$", path.read_text(), re.MULTILINE)
        assert values, f"no max_packet_size in {path}"
        found.update({f"{path}:{i}": int(v) for i, v in enumerate(values)})
    return found


def test_broker_packet_limit_agrees_with_ingest() -> None:
    limit = IngestSettings().max_packet_bytes
    assert limit == IngestSettings().max_payload_bytes + MQTT_PACKET_OVERHEAD
    assert set(_max_packet_sizes().values()) == {limit}
    assert limit >= BATCH_BYTES + MQTT_PACKET_OVERHEAD  # provisioning batches fit too


def test_an_existing_role_is_brought_to_exactly_its_acls() -> None:
    wanted = [dynsec.acl("subscribePattern", "new/#"), dynsec.acl("publishClientSend", "n/#")]
    current = [
        {"acltype": "subscribePattern", "topic": "old/#", "allow": True, "priority": 0},
        {"acltype": "publishClientSend", "topic": "n/#", "allow": False, "priority": 0},
    ]
    changes = dynsec.role_acl_changes("service-api", wanted, current)
    removed = [(c["acltype"], c["topic"]) for c in changes if c["command"] == "removeRoleACL"]
    added = [
        (c["acltype"], c["topic"], c["allow"]) for c in changes if c["command"] == "addRoleACL"
    ]
    assert removed == [("subscribePattern", "old/#"), ("publishClientSend", "n/#")]
    assert added == [("subscribePattern", "new/#", True), ("publishClientSend", "n/#", True)]
    assert all(c["rolename"] == "service-api" for c in changes)
    assert dynsec.role_acl_changes("service-api", wanted, [dict(a) for a in wanted]) == []
