"""``ccc security``: addresses the PBX refuses after too many failed sign-ins."""
from __future__ import annotations

import click

from cli_commands.common import AppState, emit, json_option


@click.group()
def security() -> None:
    """Bans of addresses that failed to sign in to the PBX too often."""


def ban_row(ban) -> dict:
    """One ban as ``ccc security bans`` shows it (and its --json)."""
    return {"address": ban.address, "failures": ban.failures, "reason": ban.reason,
            "created_at": ban.created_at.isoformat(timespec="seconds"),
            "expires_at": ban.expires_at.isoformat(timespec="seconds"),
            "lifted_at": ban.lifted_at.isoformat(timespec="seconds") if ban.lifted_at else None}


@security.command("bans")
@click.option("--all", "include_past", is_flag=True, help="Also expired and lifted bans.")
@json_option
@click.pass_obj
def security_bans(app: AppState, include_past, as_json) -> None:
    """The bans in force (times in UTC)."""
    from engine.security.service import list_bans
    with app.transaction() as session:
        rows = [ban_row(b) for b in list_bans(session, include_past)]
    emit(rows, as_json, ["address", "failures", "expires_at", "lifted_at", "reason"])


@security.command("unban")
@click.argument("address")
@click.pass_obj
def security_unban(app: AppState, address) -> None:
    """Lift the ban on ADDRESS: the PBX takes its requests again at once."""
    from engine.security.service import lift
    with app.transaction() as session:
        lift(session, address)
        click.echo(f"ban on {address} lifted")
