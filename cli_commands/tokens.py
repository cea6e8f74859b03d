"""``ccc account token create``: a user's REST API token, printed once."""
from __future__ import annotations

import click

from cli_commands.common import AppState


@click.group("token")
def token() -> None:
    """REST API tokens (Authorization: Bearer <token>)."""


@token.command("create")
@click.option("--account", "account_name", required=True)
@click.option("--user", "user_name", required=True)
@click.pass_obj
def token_create(app: AppState, account_name: str, user_name: str) -> None:
    """Print a new token for the user; only its hash is kept, so it cannot be shown again."""
    from engine.accounts.tokens import create_token
    with app.transaction() as session:
        secret = create_token(session, account_name, user_name)
    click.echo(secret)


COMMANDS = {"account": [token]}
