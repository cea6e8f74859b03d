"""The ``ccc`` command groups of each concept, beside the core ones in ``cli.py``."""
from __future__ import annotations

import click


def register(main: click.Group) -> None:
    """Add every concept's command group to ``ccc``: the one table of them."""
    # Imported here so no module of this package imports ``cli.py``.
    from cli_commands.accounts import account
    from cli_commands.agents import agent
    from cli_commands.audio import audio
    from cli_commands.backup import backup, restore
    from cli_commands.billing import billing
    from cli_commands.breakcodes import breakcode
    from cli_commands.calls import call
    from cli_commands.install import install
    from cli_commands.ivr import ivr
    from cli_commands.qualifications import application, platform_user, qualification
    from cli_commands.recordings import recording
    from cli_commands.reports import report
    from cli_commands.security import security
    from cli_commands.skillgroups import skillgroup
    from cli_commands.suppliers import supplier
    from cli_commands.supervision import supervise
    from cli_commands.users import user
    from cli_commands.wallboard import wallboard
    groups: list[click.Command] = [account, agent, application, audio, backup, billing,
                                   breakcode, call, install, ivr, platform_user,
                                   qualification, recording, report, restore,
                                   security, skillgroup, supervise, supplier, user, wallboard]
    for group in groups:
        main.add_command(group)
