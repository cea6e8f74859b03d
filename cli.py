"""The ``ccc`` command: a thin face over the engine services.

Each command parses its options, calls one service inside a transaction, and prints
the answer (``--json`` on every list). Operator mistakes end with one line on stderr
and exit status 1; the transaction is rolled back, so nothing is partially written.
"""
from __future__ import annotations

import json
import sys

import click

from cli_commands import register
from cli_commands.common import AppState, Group, emit, ensure_schema, json_option
from engine.settings import load_settings


@click.group(cls=Group)
@click.pass_context
def main(ctx: click.Context) -> None:
    """ccc: run a self-hosted call center on Asterisk."""
    ctx.obj = AppState(load_settings())


# ---- database -----------------------------------------------------------------------

@main.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(app: AppState) -> None:
    """Run the migrations up to the latest."""
    ensure_schema(app.settings)
    click.echo("database is at the latest schema")


# ---- instances ----------------------------------------------------------------------

@main.group()
def instance() -> None:
    """Call center instances (named by their access domain)."""


@instance.command("create")
@click.option("--account", "account_name", required=True)
@click.option("--name", required=True)
@click.option("--domain", required=True, help="Access domain, unique platform-wide, immutable.")
@click.option("--number", "digits", required=True, help="The instance's phone number.")
@click.option("--number-type", required=True,
              help="landline, 400, 95, virtual_mobile or international.")
@click.option("--admin", "admin_name", help="Administrator: an account user, or a new one.")
@click.option("--description", default="")
@json_option
@click.pass_obj
def instance_create(app: AppState, account_name, name, domain, digits, number_type,
                    admin_name, description, as_json) -> None:
    """Create an instance ready to take calls: a number, a welcome flow, a skill group."""
    from engine.accounts.service import get_account
    from engine.agents.service import agent_json
    from engine.instances.service import create_instance, instance_json
    with app.transaction() as session:
        created = create_instance(session, get_account(session, account_name), name, domain,
                                  digits, number_type, admin_name, description)
        row = instance_json(session, created.instance) | {"number": created.number.digits}
        if created.admin_agent:
            row["admin_agent"] = agent_json(created.admin_agent, secret=True)
    if as_json:
        click.echo(json.dumps(row, indent=2))
    else:
        click.echo(f"instance {row['name']} created: access address {row['access_address']}, "
                   f"number {row['number']}")


@instance.command("update")
@click.option("--instance", "domain", required=True)
@click.option("--name")
@click.option("--description")
@click.option("--domain", "new_domain", help="Refused: an access domain never changes.")
@click.option("--ringing-timeout-break/--no-ringing-timeout-break", default=None,
              help="Whether an agent who lets a queue call ring out goes on a break.")
@click.option("--recording", type=click.Choice(("all", "none", "on-demand")),
              help="Which calls are recorded (a skill group may say otherwise).")
@click.pass_obj
def instance_update(app: AppState, domain, name, description, new_domain,
                    ringing_timeout_break, recording) -> None:
    """Rename an instance, change its description or its recording policy (the domain
    cannot change)."""
    from engine.instances.service import update_instance
    with app.transaction() as session:
        updated = update_instance(session, domain, name, description, new_domain,
                                  ringing_timeout_break, recording)
        click.echo(f"instance {updated.domain} updated")


@instance.command("list")
@click.option("--account", "account_name")
@json_option
@click.pass_obj
def instance_list(app: AppState, account_name, as_json) -> None:
    """The instances, of one account or of all."""
    from engine.accounts.service import get_account
    from engine.instances.service import instance_json, list_instances
    with app.transaction() as session:
        account = get_account(session, account_name) if account_name is not None else None
        rows = [instance_json(session, i) for i in list_instances(session, account)]
    emit(rows, as_json, ["id", "account", "name", "domain", "description"])


# ---- numbers and trunks -------------------------------------------------------------

@main.group()
def number() -> None:
    """Phone numbers."""


def _number_commands() -> None:
    from cli_commands.numbers import COMMANDS
    for command in COMMANDS:
        number.add_command(command)


_number_commands()


@number.command("list")
@click.option("--instance", "domain")
@json_option
@click.pass_obj
def number_list(app: AppState, domain, as_json) -> None:
    """Phone numbers: type, instance, inbound flow, outbound skill groups."""
    from engine.instances.service import get_instance
    from engine.numbers.service import list_numbers
    with app.transaction() as session:
        instance_id = get_instance(session, domain).id if domain else None
        rows = [{"digits": n.digits, "type": n.type.value,
                 "instance": n.instance.domain if n.instance else None,
                 "inbound_flow_id": n.inbound_flow_id,
                 "outbound_skill_groups": [g.name for g in n.outbound_skill_groups],
                 "supplier": n.supplier.name if n.supplier else None}
                for n in list_numbers(session, instance_id=instance_id)]
    emit(rows, as_json, ["digits", "type", "instance", "inbound_flow_id", "outbound_skill_groups",
                         "supplier"])


@main.group()
def trunk() -> None:
    """Carrier trunks."""


@trunk.command("create")
@click.option("--name", required=True)
@click.option("--host", "host_port", required=True, help="HOST[:PORT] of the carrier.")
@click.pass_obj
def trunk_create(app: AppState, name, host_port) -> None:
    """Add a carrier trunk (HOST:PORT); the lowest-numbered one carries outbound calls."""
    from engine.trunks.service import create_trunk
    with app.transaction() as session:
        created = create_trunk(session, name, host_port)
        click.echo(f"trunk {created.name} created ({created.host}:{created.port})")


@trunk.command("list")
@json_option
@click.pass_obj
def trunk_list(app: AppState, as_json) -> None:
    """The carrier trunks."""
    from engine.trunks.service import list_trunks
    with app.transaction() as session:
        rows = [{"name": t.name, "host": t.host, "port": t.port} for t in list_trunks(session)]
    emit(rows, as_json, ["name", "host", "port"])


# ---- call records -------------------------------------------------------------------

@main.group()
def cdr() -> None:
    """Call records."""


@cdr.command("list")
@click.option("--instance", "domain")
@click.option("--limit", default=50, show_default=True)
@json_option
@click.pass_obj
def cdr_list(app: AppState, domain, limit, as_json) -> None:
    """Call records, newest first, with voicemail and survey scores."""
    from engine.calls.service import agents_of, ivr_results, list_call_records
    from engine.instances.service import get_instance
    with app.transaction() as session:
        instance = get_instance(session, domain) if domain else None
        records = list_call_records(session, instance, limit)
        extras = ivr_results(session, [r.pbx_call_id for r in records])
        agents = agents_of(session, records)
        rows = [{"id": r.pbx_call_id, "instance_id": r.instance_id, "direction": r.direction.value,
                 "number": r.number, "caller": r.caller, "callee": r.callee,
                 "start": r.started_at, "answer": r.answered_at, "end": r.ended_at,
                 "billable_seconds": r.billable_seconds, "disposition": r.disposition,
                 "agent": r.agent_extension, "agents": agents[r.id],
                 "refusal_reason": r.refusal_reason, "recorded": r.recorded,
                 **extras[r.pbx_call_id]}
                for r in records]
    if not as_json:
        for row in rows:
            row["agents"] = ",".join(row["agents"])
    emit(rows, as_json, ["start", "direction", "number", "caller", "callee", "disposition",
                         "billable_seconds", "agents", "refusal_reason", "survey_score"])


@cdr.command("ingest")
@click.pass_obj
def cdr_ingest(app: AppState) -> None:
    """Read the PBX's call journal now (``ccc serve`` does this continuously)."""
    from engine.calls.service import ingest
    with app.transaction() as session:
        click.echo(f"{ingest(session, app.settings)} calls updated")


# ---- the PBX ------------------------------------------------------------------------

@main.group()
def pbx() -> None:
    """The Asterisk PBX on this host."""


@pbx.command("install")
@click.pass_obj
def pbx_install(app: AppState) -> None:
    """Install Asterisk (a chroot built with debootstrap where the distribution has none)."""
    from provisioning.pbx_host import install
    install(app.settings, log=lambda line: click.echo(line, err=True))


@pbx.command("start")
@click.pass_obj
def pbx_start(app: AppState) -> None:
    """Render the configuration and start Asterisk; returns when AMI answers."""
    from provisioning.apply import apply
    from provisioning.pbx_host import start
    with app.transaction() as session:
        apply(session, app.settings)
    start(app.settings)
    click.echo("PBX started")


@pbx.command("prepare")
@click.pass_obj
def pbx_prepare(app: AppState) -> None:
    """Before the PBX service starts: the site, its certificate and its configuration."""
    from provisioning.services import prepare
    with app.transaction() as session:
        prepare(session, app.settings, log=lambda line: click.echo(line, err=True))
    click.echo("PBX site prepared")


@pbx.command("stop")
@click.pass_obj
def pbx_stop(app: AppState) -> None:
    """Stop the PBX (calls in progress end)."""
    from provisioning.pbx_host import stop
    stop(app.settings)
    click.echo("PBX stopped")


@pbx.command("apply")
@click.pass_obj
def pbx_apply(app: AppState) -> None:
    """Render the configuration from the database and put it in force."""
    with app.transaction() as session:
        app.apply_pbx(session)


@pbx.command("status")
@json_option
@click.pass_obj
def pbx_status(app: AppState, as_json) -> None:
    """Whether the PBX runs: its version, uptime and active channels."""
    from provisioning.pbx_host import status
    info = status(app.settings)
    if as_json:
        click.echo(json.dumps(info, indent=2, default=str))
    elif not info.get("running"):
        click.echo("PBX not running")
    else:
        click.echo(f"{info['version']}\nuptime: {info['uptime_seconds']} s\n"
                   f"active channels: {info['active_channels']}")


# ---- running --------------------------------------------------------------------------

@main.command()
@click.option("--web/--no-web", default=True, help="Also serve the web admin.")
@click.pass_obj
def serve(app: AppState, web: bool) -> None:
    """Run the FastAGI server, the AMI listener, call-record ingestion and the web admin."""
    from serve import run
    ensure_schema(app.settings)
    run(app.settings, web=web)


@main.command()
@click.pass_obj
def demo(app: AppState) -> None:
    """Create a demo account and instance when the database is empty; print how to call in."""
    from engine.demo import ensure_demo
    with app.transaction() as session:
        info = ensure_demo(session, app.settings)
    for line in info:
        click.echo(line)


register(main)

if __name__ == "__main__":
    sys.exit(main())
