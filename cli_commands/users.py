"""``ccc user``: an account's web admin users, managed by the operator on the host (with
the same rules as the owner in the web admin: no weak password, the last owner stays)."""
from __future__ import annotations

import click

from cli_commands.common import AppState, emit, json_option

account_option = click.option("--account", "account_name", required=True)
name_option = click.option("--name", "user_name", required=True)
password_option = click.option("--password", required=True, prompt=True, hide_input=True,
                               help="At least 10 characters, not a common one, no name in it.")


@click.group()
def user() -> None:
    """An account's users: who signs in to the web admin, with which role."""


def _user(session, account_name: str, user_name: str):
    from engine.accounts.service import get_account, get_user
    return get_user(session, get_account(session, account_name), user_name)


@user.command("list")
@account_option
@json_option
@click.pass_obj
def user_list(app: AppState, account_name: str, as_json: bool) -> None:
    """The account's users, their roles and whether they are disabled."""
    from engine.accounts.service import get_account
    from engine.accounts.users import list_users, user_as_dict
    with app.transaction() as session:
        rows = [user_as_dict(u) for u in list_users(session, None,
                                                    get_account(session, account_name))]
    emit(rows, as_json, ["id", "name", "role", "disabled"])


@user.command("create")
@account_option
@name_option
@click.option("--role", required=True, help="owner, instance_admin or supervisor")
@password_option
@click.pass_obj
def user_create(app: AppState, account_name: str, user_name: str, role: str,
                password: str) -> None:
    """Add a user who signs in to the web admin."""
    from engine.accounts.service import get_account
    from engine.accounts.users import create_user
    with app.transaction() as session:
        created = create_user(session, None, get_account(session, account_name), user_name,
                              role, password)
        click.echo(f"user {created.name} of {account_name} created ({created.role.value})")


@user.command("password")
@account_option
@name_option
@password_option
@click.pass_obj
def user_password(app: AppState, account_name: str, user_name: str, password: str) -> None:
    """Set a user's password; every web session of the user ends."""
    from engine.accounts.users import set_password
    with app.transaction() as session:
        set_password(session, None, _user(session, account_name, user_name), password)
    click.echo(f"password of {user_name} changed; its sessions have ended")


@user.command("role")
@account_option
@name_option
@click.option("--role", required=True, help="owner, instance_admin or supervisor")
@click.pass_obj
def user_role(app: AppState, account_name: str, user_name: str, role: str) -> None:
    """Change a user's role (the account keeps at least one owner)."""
    from engine.accounts.users import set_role
    with app.transaction() as session:
        set_role(session, None, _user(session, account_name, user_name), role)
    click.echo(f"{user_name} is now {role}")


@user.command("disable")
@account_option
@name_option
@click.pass_obj
def user_disable(app: AppState, account_name: str, user_name: str) -> None:
    """No sign-in, no API token, every session ended (the last owner stays enabled)."""
    from engine.accounts.users import set_disabled
    with app.transaction() as session:
        set_disabled(session, None, _user(session, account_name, user_name), True)
    click.echo(f"{user_name} disabled")


@user.command("enable")
@account_option
@name_option
@click.pass_obj
def user_enable(app: AppState, account_name: str, user_name: str) -> None:
    """Let a disabled user sign in again (its old sessions stay ended)."""
    from engine.accounts.users import set_disabled
    with app.transaction() as session:
        set_disabled(session, None, _user(session, account_name, user_name), False)
    click.echo(f"{user_name} enabled")


@user.command("delete")
@account_option
@name_option
@click.pass_obj
def user_delete(app: AppState, account_name: str, user_name: str) -> None:
    """Remove the user and its API tokens (never the last owner)."""
    from engine.accounts.users import delete_user
    with app.transaction() as session:
        delete_user(session, None, _user(session, account_name, user_name))
    click.echo(f"{user_name} deleted")
