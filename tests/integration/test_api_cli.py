"""`liftwatch users create|api-key` and the demo users."""

from __future__ import annotations

import psycopg
import pytest
from typer.testing import CliRunner

from api.security import hash_api_key, verify_password
from api.seed import seed_demo_users
from liftwatch.cli import app
from tests.browser.seed import seed_fleet

pytestmark = pytest.mark.integration


def test_users_cli_creates_users_and_keys(
    fresh_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_fleet(fresh_database_url, per_district=1)
    monkeypatch.setenv("LIFTWATCH_DATABASE_URL", fresh_database_url)
    runner = CliRunner()
    ok = runner.invoke(
        app,
        [
            "users",
            "create",
            "--username",
            "ops",
            "--role",
            "company",
            "--company-id",
            "2",
            "--password-stdin",
        ],
        input="s3cret-password\n",
    )
    assert ok.exit_code == 0, ok.output
    no_company = runner.invoke(
        app,
        ["users", "create", "--username", "x1", "--role", "company", "--password-stdin"],
        input="s3cret-password\n",
    )
    assert no_company.exit_code != 0
    assert "company id" in no_company.output
    short = runner.invoke(
        app,
        ["users", "create", "--username", "x2", "--role", "desk", "--password-stdin"],
        input="short\n",
    )
    assert short.exit_code != 0
    bad_role = runner.invoke(
        app,
        ["users", "create", "--username", "x3", "--role", "god", "--password-stdin"],
        input="s3cret-password\n",
    )
    assert bad_role.exit_code != 0
    key = runner.invoke(app, ["users", "api-key", "--name", "erp", "--role", "supervisor"])
    assert key.exit_code == 0, key.output
    printed = key.stdout.strip().splitlines()[-1]
    assert printed.startswith("lw_")
    with psycopg.connect(fresh_database_url) as conn:
        row = conn.execute(
            "SELECT password_hash, role, company_id FROM users WHERE username = 'ops'"
        ).fetchone()
        assert row is not None
        assert row[1:] == ("company", 2)
        assert verify_password(row[0], "s3cret-password")
        stored = conn.execute(
            "SELECT role FROM api_keys WHERE key_hash = %s", (hash_api_key(printed),)
        ).fetchone()
        assert stored == ("supervisor",)
        assert conn.execute("SELECT count(*) FROM users WHERE username LIKE 'x%'").fetchone() == (
            0,
        )


def test_demo_users_are_created_and_reset(fresh_database_url: str) -> None:
    seed_fleet(fresh_database_url, per_district=1)
    with psycopg.connect(fresh_database_url) as conn:
        first = seed_demo_users(conn)
        names = {u.username: u for u in first}
        assert set(names) == {
            "admin",
            "supervisor",
            "desk",
            "company1",
            "company2",
            "technician1",
            "technician2",
            "rescuer",
        }
        assert names["company2"].company_id == 2
        assert names["rescuer"].rescuer_id == 1
        assert names["technician2"].role == "technician"
        assert names["technician2"].company_id == 2
        again = {u.username: u.password for u in seed_demo_users(conn)}
        conn.commit()
        row = conn.execute("SELECT password_hash FROM users WHERE username = 'desk'").fetchone()
        assert row is not None
        assert verify_password(row[0], again["desk"])
        assert conn.execute("SELECT count(*) FROM users").fetchone() == (8,)
