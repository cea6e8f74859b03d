"""``ccc breakcode``: the reasons an instance's agents may give for a break."""
from __future__ import annotations

import json

import click

from cli_commands.common import AppState, emit, json_option


@click.group()
def breakcode() -> None:
    """An instance's break codes (Rest, Meal...): the code reaches the PBX, the name is shown."""


@breakcode.command("list")
@click.option("--instance", "domain", required=True)
@json_option
@click.pass_obj
def breakcode_list(app: AppState, domain, as_json) -> None:
    """The instance's break codes, in the order agents are offered them."""
    from engine.agentstate.breakcodes import as_dict, break_codes
    from engine.instances.service import get_instance
    with app.transaction() as session:
        rows = [as_dict(b) for b in break_codes(session, get_instance(session, domain))]
    emit(rows, as_json, ["code", "name"])


@breakcode.command("create")
@click.option("--instance", "domain", required=True)
@click.option("--code", required=True,
              help="1-32 letters, digits, '_' or '-', starting with a letter.")
@click.option("--name", required=True, help="What agents and reports show.")
@json_option
@click.pass_obj
def breakcode_create(app: AppState, domain, code, name, as_json) -> None:
    """Add a break code agents may take a break with."""
    from engine.agentstate.breakcodes import add_break_code, as_dict
    from engine.instances.service import get_instance
    with app.transaction() as session:
        row = as_dict(add_break_code(session, get_instance(session, domain), code, name))
    if as_json:
        click.echo(json.dumps(row, indent=2))
    else:
        click.echo(f"break code {row['code']} ({row['name']}) created")


@breakcode.command("delete")
@click.option("--instance", "domain", required=True)
@click.option("--code", required=True)
@click.pass_obj
def breakcode_delete(app: AppState, domain, code) -> None:
    """Remove a break code: agents may no longer take a break with it."""
    from engine.agentstate.breakcodes import remove_break_code
    from engine.instances.service import get_instance
    with app.transaction() as session:
        remove_break_code(session, get_instance(session, domain), code)
    click.echo(f"break code {code} deleted")
