"""The ``ccc`` command groups of each concept, beside the core ones in ``cli.py``."""
from __future__ import annotations

import click


def register(main: click.Group) -> None:
    """Add every concept's command group to ``ccc``, and commands to cli.py's groups."""
    # Imported here so ``ccc --help`` stays cheap and no group imports ``cli.py``.
    from cli_commands import agents, skillgroups, tokens
    from cli_commands.audio import audio
    from cli_commands.billing import billing
    from cli_commands.ivr import ivr
    groups: list[click.Command] = [audio, billing, ivr]
    for group in groups:
        main.add_command(group)
    # Module -> {existing group name: [commands]}: subcommands of the core groups.
    for module in (agents, skillgroups, tokens):
        for group_name, commands in module.COMMANDS.items():
            for command in commands:
                main.commands[group_name].add_command(command)
