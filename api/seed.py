"""Demo users: one per role (two companies), with fresh passwords each run."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import psycopg

from accounts.repository import Scope, create_user
from api.security import hash_password


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    password: str
    company_id: int | None = None
    rescuer_id: int | None = None


def _exists(conn: psycopg.Connection[Any], sql: str, value: int) -> bool:
    return conn.execute(sql, (value,)).fetchone() is not None


def seed_demo_users(conn: psycopg.Connection[Any], password: str | None = None) -> list[DemoUser]:
    """Create (or reset) the demo users; returns them with their passwords to print.

    admin, supervisor, desk, company1 (company 1), company2 (company 2) and rescuer (the
    lowest rescuer id); a company or rescuer user is skipped when its record is missing.
    """
    wanted = [
        DemoUser("admin", "admin", ""),
        DemoUser("supervisor", "supervisor", ""),
        DemoUser("desk", "desk", ""),
    ]
    for company_id in (1, 2):
        if _exists(conn, "SELECT 1 FROM maintenance_companies WHERE id = %s", company_id):
            wanted.append(DemoUser(f"company{company_id}", "company", "", company_id=company_id))
    row = conn.execute("SELECT min(id) FROM rescuers").fetchone()
    if row is not None and row[0] is not None:
        wanted.append(DemoUser("rescuer", "rescuer", "", rescuer_id=int(row[0])))
    created: list[DemoUser] = []
    with conn.transaction():
        for user in wanted:
            pw = password or secrets.token_urlsafe(9)
            scope = Scope(user.role, user.company_id, user.rescuer_id)
            create_user(conn, user.username, hash_password(pw), scope, replace=True)
            created.append(DemoUser(user.username, user.role, pw, user.company_id, user.rescuer_id))
    return created
