"""``ccc account``: the paying tenants, and their users' REST API tokens."""
from __future__ import annotations

import click

from cli_commands.common import AppState, emit, json_option


@click.group()
def account() -> None:
    """Accounts: the paying tenants."""


@account.command("create")
@click.argument("name")
@click.option("--plan", required=True, help="payg (pay-as-you-go) or seat (per-seat monthly).")
@click.pass_obj
def account_create(app: AppState, name: str, plan: str) -> None:
    """Open an account on a billing plan."""
    from engine.accounts.service import create_account
    with app.transaction() as session:
        created = create_account(session, name, plan)
        click.echo(f"account {created.name} created ({created.plan.value})")


@account.command("update")
@click.argument("name")
@click.option("--recording-retention-days", "retention_days", type=click.IntRange(0),
              help="Days a call's recording is kept (0: until deleted).")
@click.pass_obj
def account_update(app: AppState, name: str, retention_days) -> None:
    """Change an account's settings."""
    from engine.accounts.service import get_account
    from engine.recording.retention import set_retention
    if retention_days is None:
        raise click.ClickException("nothing to change: give --recording-retention-days")
    with app.transaction() as session:
        account = set_retention(session, get_account(session, name), retention_days)
        days = account.recording_retention_days
    click.echo(f"account {name}: recordings kept "
               + (f"{days} days" if days else "until deleted"))


@account.command("list")
@json_option
@click.pass_obj
def account_list(app: AppState, as_json: bool) -> None:
    """The accounts and their plans."""
    from engine.accounts.service import list_accounts
    with app.transaction() as session:
        rows = [{"id": a.id, "name": a.name, "plan": a.plan.value, "industry": a.industry}
                for a in list_accounts(session)]
    emit(rows, as_json, ["id", "name", "plan", "industry"])


@account.command("industry")
@click.option("--account", "account_name", required=True)
@click.argument("industry", metavar="INDUSTRY|''")
@click.pass_obj
def account_industry(app: AppState, account_name: str, industry: str) -> None:
    """Declare the account's industry ('' for none): suppliers may refuse some on
    marketing numbers (finance, insurance, health_beauty, value_added_services, ...)."""
    from engine.accounts.industry import set_industry
    from engine.accounts.service import get_account
    with app.transaction() as session:
        set_industry(session, get_account(session, account_name), industry)
    click.echo(f"account {account_name}: industry {industry or 'not declared'}")


@account.command("language")
@click.option("--account", "account_name", required=True)
@click.option("--user", "user_name", required=True)
@click.argument("language", metavar="zh_CN|en|''")
@click.pass_obj
def account_language(app: AppState, account_name: str, user_name: str, language: str) -> None:
    """Set a web user's page language ('' follows their browser)."""
    from engine.accounts.service import get_account, get_user, set_language
    with app.transaction() as session:
        user = get_user(session, get_account(session, account_name), user_name)
        set_language(session, user, language)
    shown = language or "the browser's choice"
    click.echo(f"user {user_name} of {account_name}: pages in {shown}")


@click.group("token")
def token() -> None:
    """REST API tokens (Authorization: Bearer <token>)."""


@token.command("create")
@click.option("--account", "account_name", required=True)
@click.option("--user", "user_name", required=True)
@click.pass_obj
def token_create(app: AppState, account_name: str, user_name: str) -> None:
    """Print a new token for the user; only its hash is kept, so it cannot be shown again."""
    from engine.accounts.service import get_account, get_user
    from engine.accounts.tokens import create_token
    with app.transaction() as session:
        secret = create_token(session, get_user(session, get_account(session, account_name),
                                                user_name))
    click.echo(secret)


@token.command("list")
@click.option("--account", "account_name", required=True)
@json_option
@click.pass_obj
def token_list(app: AppState, account_name: str, as_json: bool) -> None:
    """The account's tokens: id, user, the secret's first characters, when made."""
    from engine.accounts.service import get_account
    from engine.accounts.users import list_tokens, token_as_dict
    with app.transaction() as session:
        rows = [token_as_dict(t) for t in list_tokens(session, None,
                                                      get_account(session, account_name))]
    emit(rows, as_json, ["id", "user", "hint", "created_at"])


@token.command("revoke")
@click.option("--account", "account_name", required=True)
@click.argument("token_id", type=int)
@click.pass_obj
def token_revoke(app: AppState, account_name: str, token_id: int) -> None:
    """Revoke a token at once: requests carrying it get 401."""
    from engine.accounts.service import get_account
    from engine.accounts.users import revoke_token
    with app.transaction() as session:
        revoke_token(session, None, get_account(session, account_name), token_id)
    click.echo(f"token {token_id} revoked")


account.add_command(token)
