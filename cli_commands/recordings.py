"""``ccc recording``: an instance's call recordings: list them, save one as a WAV."""
from __future__ import annotations

import json
from pathlib import Path

import click

from cli_commands.common import AppState, emit, json_option


@click.group()
def recording() -> None:
    """Call recordings of an instance."""


@recording.command("list")
@click.option("--instance", "domain", required=True)
@json_option
@click.pass_obj
def recording_list(app: AppState, domain, as_json) -> None:
    """The instance's recordings, newest first."""
    from engine.instances.service import get_instance
    from engine.recording.service import list_recordings
    with app.transaction() as session:
        rows = [r.as_dict() for r in list_recordings(session, get_instance(session, domain))]
    emit(rows, as_json, ["id", "start", "caller", "callee", "agent", "seconds"])


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
        emit([row.as_dict()], False, ["id", "start", "caller", "callee", "agent", "seconds"])
