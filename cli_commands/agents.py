"""``ccc agent import`` and ``ccc agent update``: added to the ``agent`` group of cli.py."""
from __future__ import annotations

from pathlib import Path

import click

from cli_commands.common import AppState


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--instance", "domain", required=True)
@click.pass_obj
def agent_import(app: AppState, file: Path, domain: str) -> None:
    """Create the agents of a CSV file (name[,extension][,skill_groups]); all or none."""
    from engine.agents.importing import ImportRejected, import_agents
    from engine.instances.service import get_instance
    try:
        with app.transaction() as session:
            created = import_agents(session, get_instance(session, domain), file.read_bytes())
            lines = [f"{a.extension}  {a.name}  {a.sip_username}  {a.sip_secret}" for a in created]
    except ImportRejected as rejected:
        for row in rejected.errors:
            click.echo(f"{file.name}:{row.line}: {row.field}: {row.message}", err=True)
        raise click.ClickException("nothing imported: correct the rows above") from None
    click.echo(f"{len(lines)} agents imported (extension, name, SIP user, SIP password):")
    for line in lines:
        click.echo(line)


@click.command("update")
@click.option("--instance", "domain", required=True)
@click.option("--extension", required=True)
@click.option("--name")
@click.option("--skill-groups", "groups", help="The whole set: 'default:1;vip:2' ('' for none).")
@click.pass_obj
def agent_update(app: AppState, domain, extension, name, groups) -> None:
    """Rename an agent or replace its skill groups."""
    from engine.agents.service import find_agent, parse_levels, update_agent
    from engine.errors import NotFound
    from engine.instances.service import get_instance
    with app.transaction() as session:
        instance = get_instance(session, domain)
        agent = find_agent(session, instance, extension)
        if agent is None:
            raise NotFound(f"no agent with extension {extension} in {domain}")
        levels = parse_levels(groups) if groups is not None else {
            m.skill_group.name: m.level for m in agent.memberships}
        update_agent(session, agent, name or agent.name, levels)
        click.echo(f"agent {extension} updated")


COMMANDS = {"agent": [agent_import, agent_update]}
