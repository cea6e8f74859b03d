"""``ccc backup`` and ``ccc restore``: the whole call center in one archive, and back."""
from __future__ import annotations

from pathlib import Path

import click

from cli_commands.common import AppState


@click.command("backup")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The archive to write (tar.gz; it holds secrets: keep it safe).")
@click.pass_obj
def backup(app: AppState, output: Path) -> None:
    """Back up the database, audio library, recordings and generated secrets."""
    from engine.backup.service import backup as make_backup
    summary = make_backup(app.settings, output)
    click.echo(f"backed up {summary.rows} rows of {summary.tables} tables and "
               f"{summary.files} files (schema revision {summary.revision}) to {output}")


@click.command("restore")
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def restore(app: AppState, archive: Path) -> None:
    """Restore a backup onto this host's empty database (SQLite or PostgreSQL)."""
    from engine.backup.service import restore as restore_backup
    summary = restore_backup(app.settings, archive)
    click.echo(f"restored {summary.rows} rows of {summary.tables} tables and "
               f"{summary.files} files (schema revision {summary.revision}); "
               "start the PBX with `ccc pbx start` or the services")
