"""`liftwatch users`: create users and API keys from the command line."""

from __future__ import annotations

import sys

import psycopg
import typer
from rich.console import Console

from accounts import service as accounts
from accounts.errors import InvalidAccount
from accounts.model import Role, Scope
from liftwatch.settings import load_settings

console = Console(stderr=True)
users_app = typer.Typer(help="Users and API keys.", no_args_is_help=True)


def _role(value: str) -> str:
    try:
        return Role(value).value
    except ValueError:
        raise typer.BadParameter(f"one of {', '.join(r.value for r in Role)}") from None


@users_app.command("create")
def create_cmd(
    username: str = typer.Option(..., help="Login name."),
    role: str = typer.Option(..., help="admin, supervisor, desk, company, rescuer or user_unit."),
    company_id: int | None = typer.Option(None, help="The company of a company user."),
    rescuer_id: int | None = typer.Option(None, help="The rescuer of a rescuer user."),
    user_unit_id: int | None = typer.Option(None, help="The unit of a user_unit user."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input."
    ),
) -> None:
    """Create a user (the password is read from stdin, never from the command line)."""
    if not password_stdin:
        raise typer.BadParameter("pass the password on stdin with --password-stdin")
    password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < 8:
        raise typer.BadParameter("the password must have at least 8 characters")
    settings = load_settings()
    with psycopg.connect(settings.require_database_url(), autocommit=True) as conn:
        try:
            scope = Scope(_role(role), company_id, rescuer_id, user_unit_id)
            user = accounts.create_user(conn, username, password, scope)
        except InvalidAccount as exc:
            raise typer.BadParameter(str(exc)) from None
        except psycopg.errors.UniqueViolation:
            raise typer.BadParameter(f"user {username!r} exists") from None
        except psycopg.errors.ForeignKeyViolation as exc:
            raise typer.BadParameter(
                f"unknown company or rescuer: {exc.diag.message_detail}"
            ) from None
    console.print(f"created user [bold]{user.username}[/] ({user.role}), id {user.id}")


@users_app.command("api-key")
def api_key_cmd(
    name: str = typer.Option(..., help="What the key is for (e.g. the integration's name)."),
    role: str = typer.Option(..., help="admin, supervisor, desk, company or rescuer."),
    company_id: int | None = typer.Option(None, help="The company of a company key."),
    rescuer_id: int | None = typer.Option(None, help="The rescuer of a rescuer key."),
) -> None:
    """Create an API key; it is printed once on stdout (send it as X-API-Key)."""
    settings = load_settings()
    with psycopg.connect(settings.require_database_url(), autocommit=True) as conn:
        try:
            issued = accounts.create_api_key(conn, name, Scope(_role(role), company_id, rescuer_id))
        except InvalidAccount as exc:
            raise typer.BadParameter(str(exc)) from None
        except psycopg.errors.ForeignKeyViolation as exc:
            raise typer.BadParameter(
                f"unknown company or rescuer: {exc.diag.message_detail}"
            ) from None
    record = issued.record
    console.print(f"created API key [bold]{record.name}[/] ({record.role}), id {record.id}")
    print(issued.key)


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    app.add_typer(users_app, name="users")
