"""What every ``ccc`` command shares: the app state, the error face, the output.

Commands live in ``cli.py`` and, one module per concept, in this package; each
registers a click group on the ``main`` group of ``cli.py`` (see ``register``).
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import click

from engine.ami.client import AmiError
from engine.errors import DomainError
from engine.settings import Settings


@dataclass
class AppState:
    settings: Settings
    schema_ready: bool = False

    def transaction(self):
        """A unit of work whose PBX changes are applied after it commits."""
        from engine.uow import transaction
        if not self.schema_ready:
            ensure_schema(self.settings)
            self.schema_ready = True
        return transaction(self.settings, after_pbx_change=self.apply_pbx)

    def apply_pbx(self, session) -> None:
        from provisioning.apply import ApplyError, apply
        try:
            result = apply(session, self.settings)
        except ApplyError as error:
            raise click.ClickException(f"saved, but {error}") from None
        click.echo(result.message, err=True)


def ensure_schema(settings: Settings) -> None:
    """Bring the database to the latest migration (cheap when it already is)."""
    from engine.migrate import upgrade_if_behind
    if settings.database_url.startswith("sqlite:///"):
        settings.var_dir.mkdir(parents=True, exist_ok=True)
    upgrade_if_behind(settings.database_url)


class Group(click.Group):
    """Turns domain errors into the one-line message operators expect."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except DomainError as error:
            raise click.ClickException(str(error)) from None
        except AmiError as error:  # a command that acts on the live PBX
            raise click.ClickException(f"the PBX did not answer: {error}") from None


def emit(rows: list[dict], as_json: bool, columns: list[str]) -> None:
    if as_json:
        click.echo(json.dumps(rows, indent=2, default=str))
        return
    widths = {c: max([len(c)] + [len(str(r.get(c, ""))) for r in rows]) for c in columns}
    click.echo("  ".join(c.upper().ljust(widths[c]) for c in columns).rstrip())
    for row in rows:
        click.echo("  ".join(str(row.get(c, "") if row.get(c) is not None else "")
                             .ljust(widths[c]) for c in columns).rstrip())


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
