"""The ``ccc`` command groups of each concept, beside the core ones in ``cli.py``."""
from __future__ import annotations

import click


def register(main: click.Group) -> None:
    """Add every concept's command group to ``ccc``."""
    # Imported here so ``ccc --help`` stays cheap and no group imports ``cli.py``.
    from cli_commands.audio import audio
    from cli_commands.ivr import ivr
    groups: list[click.Command] = [audio, ivr]
    for group in groups:
        main.add_command(group)
