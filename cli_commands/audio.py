"""``ccc audio``: the audio library. Rules live in ``engine.audio.service``."""
from __future__ import annotations

from pathlib import Path

import click

from cli_commands.common import AppState, emit, json_option

instance_option = click.option("--instance", "domain", required=True,
                               help="The instance's access domain.")


def _row(audio) -> dict:
    from engine.audio.storage import pbx_sound
    from engine.instances.models import Instance
    return {"name": audio.name, "size_bytes": audio.size_bytes, "duration_ms": audio.duration_ms,
            "sha256": audio.sha256, "created_at": audio.created_at,
            "pbx_sound": pbx_sound(Instance.pbx_key_for(audio.instance_id), audio.name)}


@click.group()
def audio() -> None:
    """The audio library: WAV prompts that IVR flows play."""


@audio.command("upload")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@instance_option
@click.option("--name", help="Library name (default: from the file name).")
@click.option("--replace", is_flag=True, help="Put the file under an existing name.")
@click.pass_obj
def audio_upload(app: AppState, file: Path, domain: str, name: str | None, replace: bool) -> None:
    """Add a WAV file (at most 5 MB); the PBX gets an 8 kHz mono copy."""
    from engine.audio.service import find_audio, name_from_filename, upload
    from engine.instances.service import get_instance
    name = name or name_from_filename(file.name)
    with app.transaction() as session, file.open("rb") as source:
        instance = get_instance(session, domain)
        existed = find_audio(session, instance, name) is not None
        saved = upload(session, app.settings, instance, name, source, replace)
        click.echo(f"audio {saved.name} {'replaced' if existed else 'uploaded'} "
                   f"({saved.size_bytes} bytes, {saved.duration_ms / 1000:.1f} s)")


@audio.command("list")
@instance_option
@json_option
@click.pass_obj
def audio_list(app: AppState, domain: str, as_json: bool) -> None:
    """The instance's audio files, by name."""
    from engine.audio.service import list_audio
    from engine.instances.service import get_instance
    with app.transaction() as session:
        rows = [_row(a) for a in list_audio(session, get_instance(session, domain))]
    emit(rows, as_json, ["name", "size_bytes", "duration_ms", "created_at"])


@audio.command("download")
@click.argument("name")
@instance_option
@click.option("-o", "--output", required=True, help="File to write ('-' for stdout).")
@click.pass_obj
def audio_download(app: AppState, name: str, domain: str, output: str) -> None:
    """Write the original file as it was uploaded."""
    from engine.audio.service import read
    from engine.instances.service import get_instance
    with app.transaction() as session:
        data = read(session, app.settings, get_instance(session, domain), name)
    with click.open_file(output, "wb", atomic=output != "-") as target:
        target.write(data)


@audio.command("rename")
@click.argument("old")
@click.argument("new")
@instance_option
@click.pass_obj
def audio_rename(app: AppState, old: str, new: str, domain: str) -> None:
    """Rename an audio file (refused while a published flow plays it)."""
    from engine.audio.service import rename
    from engine.instances.service import get_instance
    with app.transaction() as session:
        rename(session, app.settings, get_instance(session, domain), old, new)
    click.echo(f"audio {old} renamed to {new}")


@audio.command("delete")
@click.argument("name")
@instance_option
@click.pass_obj
def audio_delete(app: AppState, name: str, domain: str) -> None:
    """Delete an audio file (refused while a published flow plays it)."""
    from engine.audio.service import delete
    from engine.instances.service import get_instance
    with app.transaction() as session:
        delete(session, app.settings, get_instance(session, domain), name)
    click.echo(f"audio {name} deleted")


@audio.command("sync")
@click.pass_obj
def audio_sync(app: AppState) -> None:
    """Remake the PBX's copies from the originals (after the PBX site was created)."""
    from engine.audio.service import sync_pbx_copies
    with app.transaction() as session:
        made = sync_pbx_copies(session, app.settings)
    click.echo(f"{made} PBX copies made")
