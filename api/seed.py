"""Demo users: one per role (two companies), with fresh passwords each run."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import psycopg

from accounts import service as accounts
from accounts.model import Scope
from fleet import service as fleet


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    password: str
    company_id: int | None = None
    rescuer_id: int | None = None


def _wanted(conn: psycopg.Connection[Any]) -> list[DemoUser]:
    wanted = [
        DemoUser("admin", "admin", ""),
        DemoUser("supervisor", "supervisor", ""),
        DemoUser("desk", "desk", ""),
    ]
    for company_id in fleet.existing_companies(conn, [1, 2]):
        wanted.append(DemoUser(f"company{company_id}", "company", "", company_id=company_id))
        wanted.append(DemoUser(f"technician{company_id}", "technician", "", company_id=company_id))
    rescuer_id = fleet.first_rescuer(conn)
    if rescuer_id is not None:
        wanted.append(DemoUser("rescuer", "rescuer", "", rescuer_id=rescuer_id))
    return wanted


def seed_demo_users(conn: psycopg.Connection[Any], password: str | None = None) -> list[DemoUser]:
    """Create (or reset) the demo users; returns them with their passwords to print.

    admin, supervisor, desk, company1 / technician1 (company 1), company2 / technician2
    (company 2) and rescuer (the lowest rescuer id); a company or rescuer user is skipped
    when its record is missing.
    """
    created: list[DemoUser] = []
    with conn.transaction():
        for user in _wanted(conn):
            pw = password or secrets.token_urlsafe(9)
            scope = Scope(user.role, user.company_id, user.rescuer_id)
            accounts.create_user(conn, user.username, pw, scope, replace=True)
            created.append(DemoUser(user.username, user.role, pw, user.company_id, user.rescuer_id))
    return created
