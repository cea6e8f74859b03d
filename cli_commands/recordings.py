"""``ccc recording``: an instance's call recordings: search them, save one as a WAV;
an account's storage; the purge of those older than the retention period."""
from __future__ import annotations

import json
from pathlib import Path

import click

from cli_commands.common import AppState, emit, json_option

COLUMNS = ["id", "start", "caller", "callee", "agent", "seconds"]


@click.group()
def recording() -> None:
    """Call recordings of an instance."""


@recording.command("list")
@click.option("--instance", "domain", required=True)
@click.option("--from", "from_day", help="First day covered, YYYY-MM-DD (the site's clock).")
@click.option("--to", "to_day", help="First day not covered, YYYY-MM-DD.")
@click.option("--number", help="A caller's or dialled number, or a part of one.")
@click.option("--agent", help="The agent's extension.")
@click.option("--skill-group", "skill_group", help="A skill group's name: calls it queued.")
@json_option
@click.pass_obj
def recording_list(app: AppState, domain, from_day, to_day, number, agent, skill_group,
                   as_json) -> None:
    """The instance's recordings, newest first, narrowed by the options given."""
    from engine.instances.service import get_instance
    from engine.recording.service import list_recordings, parse_search
    with app.transaction() as session:
        instance = get_instance(session, domain)
        search = parse_search(session, instance, app.settings.billing_utc_offset_minutes,
                              from_day=from_day, to_day=to_day, number=number, agent=agent,
                              skill_group=skill_group)
        rows = [r.as_dict() for r in list_recordings(session, instance, search)]
    emit(rows, as_json, COLUMNS)


@recording.command("get")
@click.option("--instance", "domain", required=True)
@click.option("--id", "recording_id", required=True, type=int)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Save the WAV here (default: show what is known of it).")
@json_option
@click.pass_obj
def recording_get(app: AppState, domain, recording_id, output, as_json) -> None:
    """One recording: what is known of it, or its WAV saved with --output."""
    from engine.instances.service import get_instance
    from engine.recording.service import get_recording, read
    with app.transaction() as session:
        instance = get_instance(session, domain)
        row = get_recording(session, instance, recording_id)
        data = read(session, app.settings, instance, recording_id) if output else None
    if output is not None:
        output.write_bytes(data)
        click.echo(f"recording {recording_id} saved to {output} ({len(data)} bytes)")
    elif as_json:
        click.echo(json.dumps(row.as_dict(), indent=2))
    else:
        emit([row.as_dict()], False, COLUMNS)


@recording.command("storage")
@click.option("--account", "account_name", required=True)
@json_option
@click.pass_obj
def recording_storage(app: AppState, account_name, as_json) -> None:
    """What the account's recordings take up (bytes, minutes), in all and by instance,
    and how long they are kept."""
    from engine.accounts.service import get_account
    from engine.recording.retention import account_recordings
    with app.transaction() as session:
        found = account_recordings(session, get_account(session, account_name))
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    days = found["recording_retention_days"]
    click.echo(f"account {found['account']}: recordings kept "
               + (f"{days} days" if days else "until deleted"))
    total = {"domain": "(all)", **found["storage"]}
    emit(found["instances"] + [total], False,
         ["domain", "recordings", "size_bytes", "minutes"])


@recording.command("purge")
@click.option("--account", "account_name", help="Only this account's recordings.")
@click.option("--instance", "domain", help="Only this instance's recordings.")
@click.pass_obj
def recording_purge(app: AppState, account_name, domain) -> None:
    """Delete the recordings older than their account's retention period now (ccc serve
    does it hourly). Accounts without a period keep theirs."""
    from engine.accounts.service import get_account
    from engine.instances.service import get_instance
    from engine.recording.retention import purge
    with app.transaction() as session:
        account = get_account(session, account_name) if account_name else None
        instance = get_instance(session, domain) if domain else None
        if account is not None and instance is not None \
                and instance.account_id != account.id:
            raise click.ClickException(f"instance {domain} is not of account {account_name}")
        done = purge(session, app.settings, account=account, instance=instance)
    click.echo(f"{done.purged} recordings purged")
    if done.failed:
        raise click.ClickException(f"{done.failed} recording files could not be deleted "
                                   "(see the log); they are kept for the next purge")
