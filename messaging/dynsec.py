"""Credentials in mosquitto's dynamic security plugin (``$CONTROL/dynamic-security/v1``).

Pure command building (roles and clients for terminals, companies, rescuers and the
services) and :class:`DynsecClient`, a thin paho client that publishes batches of JSON
commands and waits for the matching responses.

mosquitto 2.0's plugin does not substitute ``%u``/``%c`` in role ACLs (checked on
2.0.11), so every terminal gets a role of its own, ``terminal-<id>``, allowing it to
publish only its three topics. The plugin rewrites its whole JSON file after every
change, so bulk provisioning sends many commands per message (bounded by the broker's
``max_packet_size``).
"""

from __future__ import annotations

import json
import secrets
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt

from messaging.client import connect, new_client

CONTROL_TOPIC = "$CONTROL/dynamic-security/v1"
RESPONSE_TOPIC = f"{CONTROL_TOPIC}/response"
TERMINAL_TOPICS = ("status", "event", "online")
NOTIFY_ROOT = "liftwatch/notify/v1"
SERVICES = ("ingest", "api", "dispatch", "simulator")
FORBIDDEN_IN_NAMES = frozenset("/+#\x00")

Command = dict[str, Any]


class DynsecError(RuntimeError):
    """The broker refused a command, or did not answer."""


def check_name(name: str) -> str:
    """A terminal id or account name usable as a user name and as one topic level."""
    if not name or any(ch in FORBIDDEN_IN_NAMES for ch in name) or len(name) > 200:
        raise ValueError(f"not usable as an MQTT user name and topic level: {name!r}")
    return name


def new_password() -> str:
    return secrets.token_urlsafe(24)


def acl(acltype: str, topic: str, allow: bool = True) -> dict[str, Any]:
    return {"acltype": acltype, "topic": topic, "allow": allow, "priority": 0}


def create_role(rolename: str, acls: Sequence[dict[str, Any]]) -> Command:
    return {"command": "createRole", "rolename": rolename, "acls": list(acls)}


def get_role(rolename: str) -> Command:
    return {"command": "getRole", "rolename": rolename}


def _acl_key(a: dict[str, Any]) -> tuple[str, str]:
    return str(a.get("acltype")), str(a.get("topic"))


def role_acl_changes(
    rolename: str, wanted: Sequence[dict[str, Any]], current: Sequence[dict[str, Any]]
) -> list[Command]:
    """The commands that make an existing role's ACLs exactly ``wanted`` (createRole
    leaves an existing role as it was: a changed topic root or a new permission would
    otherwise never reach it). An ACL whose allow or priority differs is replaced."""
    want = {_acl_key(a): a for a in wanted}
    have = {_acl_key(a): a for a in current}

    def same(k: tuple[str, str]) -> bool:
        a, b = want[k], have[k]
        return bool(a["allow"]) == bool(b.get("allow")) and a["priority"] == b.get("priority", 0)

    out: list[Command] = [
        {"command": "removeRoleACL", "rolename": rolename, "acltype": k[0], "topic": k[1]}
        for k in have
        if k not in want or not same(k)
    ]
    out += [
        {"command": "addRoleACL", "rolename": rolename, **a}
        for k, a in want.items()
        if k not in have or not same(k)
    ]
    return out


def create_client(username: str, password: str, roles: Sequence[str]) -> Command:
    return {
        "command": "createClient",
        "username": username,
        "password": password,
        "roles": [{"rolename": r, "priority": 0} for r in roles],
    }


def set_password(username: str, password: str) -> Command:
    return {"command": "setClientPassword", "username": username, "password": password}


def client_command(command: str, username: str) -> Command:
    """``enableClient``, ``disableClient``, ``deleteClient`` or ``getClient``."""
    return {"command": command, "username": username}


def terminal_role(topic_root: str, terminal_id: str) -> Command:
    """``terminal-<id>``: publish its own status, event and online topics; read nothing."""
    check_name(terminal_id)
    topics = [f"{topic_root}/{terminal_id}/{kind}" for kind in TERMINAL_TOPICS]
    return create_role(f"terminal-{terminal_id}", [acl("publishClientSend", t) for t in topics])


def terminal_commands(topic_root: str, terminal_id: str, password: str) -> list[Command]:
    """Create a terminal's role and client (both fail with "already exists" if present)."""
    return [
        terminal_role(topic_root, terminal_id),
        create_client(terminal_id, password, [f"terminal-{terminal_id}"]),
    ]


def subscriber_commands(account: str, password: str) -> list[Command]:
    """A company (``company-<id>``) or rescuer (``rescuer-<id>``): its notifications only."""
    check_name(account)
    topic = f"{NOTIFY_ROOT}/{account}/#"
    role = create_role(
        f"notify-{account}",
        [acl("subscribePattern", topic), acl("publishClientReceive", topic)],
    )
    return [role, create_client(account, password, [f"notify-{account}"])]


def service_roles(topic_root: str) -> list[Command]:
    """The roles of the service accounts (as in ``deploy/mosquitto/acl`` before dynsec)."""
    terminals = f"{topic_root}/#"
    notify = f"{NOTIFY_ROOT}/#"
    read = [acl("subscribePattern", terminals), acl("publishClientReceive", terminals)]
    return [
        create_role("service-ingest", [*read, acl("publishClientSend", notify)]),
        create_role("service-api", [*read, acl("publishClientSend", notify)]),
        create_role("service-dispatch", [acl("publishClientSend", notify)]),
        create_role(
            "service-simulator",
            [
                acl("publishClientSend", terminals),
                acl("subscribePattern", notify),
                acl("publishClientReceive", notify),
            ],
        ),
    ]


def batches(commands: Iterable[Command], max_bytes: int, max_count: int) -> Iterator[list[Command]]:
    """Group commands into messages of at most ``max_bytes`` encoded and ``max_count``."""
    batch: list[Command] = []
    size = len(b'{"commands":[]}')
    for command in commands:
        extra = len(json.dumps(command).encode()) + 64  # + comma and correlation data
        if batch and (size + extra > max_bytes or len(batch) >= max_count):
            yield batch
            batch, size = [], len(b'{"commands":[]}')
        batch.append(command)
        size += extra
    if batch:
        yield batch


@dataclass(frozen=True)
class Response:
    command: Command
    error: str | None
    data: Any

    @property
    def exists(self) -> bool:
        return self.error is not None and "already exists" in self.error


class DynsecClient:
    """Publishes command batches to the plugin and collects the responses."""

    def __init__(self, admin_url: str, timeout_s: float = 30.0) -> None:
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        self._done = threading.Condition(self._lock)
        self._responses: dict[str, dict[str, Any]] = {}
        self._subscribed = threading.Event()
        self._refused: str | None = None
        self._client = new_client(admin_url, f"liftwatch-admin-{uuid.uuid4().hex[:8]}")
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = lambda *_: self._subscribed.set()
        self._client.on_message = self._on_message
        connect(self._client, admin_url)
        self._client.loop_start()
        if not self._subscribed.wait(timeout_s):
            self.close()
            raise DynsecError(f"cannot subscribe to {RESPONSE_TOPIC}: {self._refused or 'timeout'}")

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            self._refused = str(reason)
            return
        client.subscribe(RESPONSE_TOPIC, qos=1)

    def _on_message(self, _c: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        body = json.loads(message.payload)
        with self._done:
            for response in body.get("responses", []):
                self._responses[str(response.get("correlationData"))] = response
            self._done.notify_all()

    def run(self, commands: Sequence[Command]) -> list[Response]:
        """Send one batch (one message) and return its responses in order."""
        ids = [uuid.uuid4().hex[:12] for _ in commands]
        payload = [{**c, "correlationData": i} for c, i in zip(commands, ids, strict=True)]
        self._client.publish(CONTROL_TOPIC, json.dumps({"commands": payload}), qos=1)
        with self._done:
            complete = self._done.wait_for(
                lambda: all(i in self._responses for i in ids), self.timeout_s
            )
            if not complete:
                raise DynsecError(f"no answer from the dynsec plugin within {self.timeout_s} s")
            answers = [self._responses.pop(i) for i in ids]
        return [
            Response(c, a.get("error"), a.get("data"))
            for c, a in zip(commands, answers, strict=True)
        ]

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def __enter__(self) -> DynsecClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def raise_errors(responses: Iterable[Response], tolerate_exists: bool = True) -> None:
    """Raise on the first error (optionally not on "already exists")."""
    for r in responses:
        if r.error is not None and not (tolerate_exists and r.exists):
            raise DynsecError(f"{r.command['command']} failed: {r.error}")
