"""Terminal credentials on the broker (mosquitto's dynamic security plugin).

:func:`provision_terminal` creates a terminal's credentials or rotates them (new
password, enabled again); :func:`revoke_terminal` disables them; :func:`provision_terminals`
creates the missing ones of many terminals in batches and leaves existing ones alone
(the call for a fleet import); :func:`provision_registered` does that for every
terminal in the registry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import psycopg

from fleet.terminal_repository import terminal_ids_after
from messaging import dynsec
from messaging.dynsec import DynsecClient, DynsecError

# A batch is one PUBLISH: keep it under the broker's max_packet_size (docs/mqtt.md).
BATCH_BYTES = 15_000
BATCH_COMMANDS = 200


@dataclass
class ProvisionReport:
    created: dict[str, str] = field(default_factory=dict)  # terminal id -> new password
    existing: list[str] = field(default_factory=list)


def _run_all(client: DynsecClient, commands: Iterable[dynsec.Command]) -> list[dynsec.Response]:
    out: list[dynsec.Response] = []
    for batch in dynsec.batches(commands, BATCH_BYTES, BATCH_COMMANDS):
        out.extend(client.run(batch))
    return out


def provision_terminal(
    client: DynsecClient, topic_root: str, terminal_id: str, password: str
) -> bool:
    """Create or rotate one terminal's credentials; True when it was created."""
    responses = client.run(dynsec.terminal_commands(topic_root, terminal_id, password))
    dynsec.raise_errors(responses)
    if not responses[-1].exists:
        return True
    rotate = [
        dynsec.set_password(terminal_id, password),
        dynsec.client_command("enableClient", terminal_id),
        {"command": "addClientRole", "username": terminal_id,
         "rolename": f"terminal-{terminal_id}", "priority": 0},
    ]  # fmt: skip
    responses = client.run(rotate)
    dynsec.raise_errors(responses[:2], tolerate_exists=False)
    return False


def revoke_terminal(client: DynsecClient, terminal_id: str) -> None:
    """Disable a terminal's client: it can no longer connect (connected ones are dropped)."""
    dynsec.check_name(terminal_id)
    responses = client.run([dynsec.client_command("disableClient", terminal_id)])
    dynsec.raise_errors(responses, tolerate_exists=False)


def provision_terminals(
    client: DynsecClient,
    topic_root: str,
    terminal_ids: Iterable[str],
    make_password: Callable[[], str] = dynsec.new_password,
) -> ProvisionReport:
    """Create credentials for the terminals that have none; existing ones are untouched."""
    passwords = {tid: make_password() for tid in terminal_ids}
    commands = [
        c for tid, pw in passwords.items() for c in dynsec.terminal_commands(topic_root, tid, pw)
    ]
    report = ProvisionReport()
    for response in _run_all(client, commands):
        if response.command["command"] != "createClient":
            dynsec.raise_errors([response])
            continue
        username = response.command["username"]
        if response.exists:
            report.existing.append(username)
        elif response.error is not None:
            raise DynsecError(f"createClient {username} failed: {response.error}")
        else:
            report.created[username] = passwords[username]
    return report


def registered_terminals(conn: psycopg.Connection[Any], page: int) -> Iterator[list[str]]:
    """The registry's terminal ids, ``page`` at a time."""
    after = ""
    while ids := terminal_ids_after(conn, after, page):
        yield ids
        after = ids[-1]


def provision_registered(
    conn: psycopg.Connection[Any],
    client: DynsecClient,
    topic_root: str,
    page: int = 1000,
    on_page: Callable[[ProvisionReport], None] | None = None,
) -> ProvisionReport:
    """Provision every registered terminal that has no credentials yet."""
    total = ProvisionReport()
    for ids in registered_terminals(conn, page):
        report = provision_terminals(client, topic_root, ids)
        total.created.update(report.created)
        total.existing.extend(report.existing)
        if on_page is not None:
            on_page(report)
    return total


def ensure_roles(client: DynsecClient, roles: list[dynsec.Command]) -> int:
    """Create these roles (``createRole`` commands), or bring existing ones to exactly
    their ACLs; returns how many ACL changes existing roles needed."""
    responses = client.run(roles)
    dynsec.raise_errors(responses)
    existing = [r.command for r in responses if r.exists]
    if not existing:
        return 0
    got = client.run([dynsec.get_role(c["rolename"]) for c in existing])
    dynsec.raise_errors(got, tolerate_exists=False)
    fixes = [
        change
        for c, g in zip(existing, got, strict=True)
        for change in dynsec.role_acl_changes(
            c["rolename"], c["acls"], ((g.data or {}).get("role") or {}).get("acls") or []
        )
    ]
    if fixes:
        dynsec.raise_errors(client.run(fixes), tolerate_exists=False)
    return len(fixes)


def ensure_accounts(client: DynsecClient, topic_root: str, passwords: Mapping[str, str]) -> None:
    """The service roles (created, or their ACLs brought up to date: a changed topic
    root reaches them), and a client per service account (password set every time)."""
    ensure_roles(client, dynsec.service_roles(topic_root))
    for name, password in passwords.items():
        dynsec.raise_errors(client.run([dynsec.create_client(name, password, [f"service-{name}"])]))
        dynsec.raise_errors(client.run([dynsec.set_password(name, password)]), False)


def provision_subscriber(client: DynsecClient, account: str, password: str) -> None:
    """A company or rescuer account (``company-<id>``, ``rescuer-<id>``): create or rotate."""
    responses = client.run(dynsec.subscriber_commands(account, password))
    dynsec.raise_errors(responses)
    if responses[-1].exists:
        rotate = [dynsec.set_password(account, password),
                  dynsec.client_command("enableClient", account)]  # fmt: skip
        dynsec.raise_errors(client.run(rotate), tolerate_exists=False)
