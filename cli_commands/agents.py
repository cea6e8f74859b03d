"""``ccc agent``: seats, their SIP credentials and skill groups; CSV import."""
from __future__ import annotations

import json
from pathlib import Path

import click

from cli_commands.common import AppState, emit, json_option


@click.group()
def agent() -> None:
    """Agents (seats) and their SIP credentials."""


@agent.command("create")
@click.option("--instance", "domain", required=True)
@click.option("--name", required=True)
@click.option("--extension", help="3-6 digits; the next free one from 1001 if omitted.")
@click.option("--skill-group", "groups", multiple=True, help="NAME[:LEVEL], repeatable.")
@click.option("--user", "user_name",
              help="The account's user whose seat this is (an administrator or a "
                   "supervisor is given the instance by it).")
@json_option
@click.pass_obj
def agent_create(app: AppState, domain, name, extension, groups, user_name, as_json) -> None:
    """Add a seat; prints its SIP user and generated password."""
    from engine.accounts.service import get_user
    from engine.agents.service import agent_json, create_agent, parse_levels
    from engine.instances.service import get_instance
    with app.transaction() as session:
        instance = get_instance(session, domain)
        user = get_user(session, instance.account, user_name) if user_name else None
        created = create_agent(session, instance, name, extension,
                               parse_levels(";".join(groups)) or None,
                               user_id=user.id if user else None)
        row = agent_json(created, secret=True)
    if as_json:
        click.echo(json.dumps(row, indent=2))
    else:
        click.echo(f"agent {row['extension']} created: SIP user {row['sip_username']}, "
                   f"password {row['sip_password']}")


@agent.command("list")
@click.option("--instance", "domain", required=True)
@click.option("--show-secrets", is_flag=True, help="Include SIP passwords.")
@json_option
@click.pass_obj
def agent_list(app: AppState, domain, show_secrets, as_json) -> None:
    """An instance's agents and their skill groups."""
    from engine.agents.service import agent_json, list_agents
    from engine.instances.service import get_instance
    with app.transaction() as session:
        agents = list_agents(session, get_instance(session, domain))
        rows = [agent_json(a, show_secrets) for a in agents]
    columns = ["extension", "name", "sip_username", "skill_groups"]
    emit(rows, as_json, columns + (["sip_password"] if show_secrets else []))


@agent.command("delete")
@click.option("--instance", "domain", required=True)
@click.option("--extension", required=True)
@click.pass_obj
def agent_delete(app: AppState, domain, extension) -> None:
    """Remove a seat (refused while a published flow transfers to it)."""
    from engine.agents.service import delete_agent
    from engine.instances.service import get_instance
    with app.transaction() as session:
        delete_agent(session, get_instance(session, domain), extension)
        click.echo(f"agent {extension} deleted")


@agent.command("import")
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


@agent.command("update")
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


@agent.command("password")
@click.option("--instance", "domain", required=True)
@click.option("--extension", required=True)
@click.option("--password", help="8-128 characters; a generated one is printed if omitted.")
@click.pass_obj
def agent_password(app: AppState, domain, extension, password) -> None:
    """Set the agent's workbench sign-in password."""
    from engine.agents.passwords import generate_password, set_password
    from engine.agents.service import get_agent
    from engine.instances.service import get_instance
    chosen = password if password is not None else generate_password()
    with app.transaction() as session:
        set_password(get_agent(session, get_instance(session, domain), extension), chosen)
    click.echo(f"agent {extension} signs in at {app.settings.public_web_url}/w/{domain}/"
               + ("" if password is not None else f" with password {chosen}"))


@agent.command("invite")
@click.option("--instance", "domain", required=True)
@click.option("--extension", required=True)
@click.pass_obj
def agent_invite(app: AppState, domain, extension) -> None:
    """Print a one-time link (valid 7 days) with which the agent chooses a password."""
    from engine.agents.passwords import invite
    from engine.agents.service import get_agent
    from engine.instances.service import get_instance
    with app.transaction() as session:
        token = invite(session, get_agent(session, get_instance(session, domain), extension))
    click.echo(f"{app.settings.public_web_url}/w/{domain}/invitation/{token}")


STATE_ACTIONS = ("show", "ready", "break", "offline")


@agent.command("state")
@click.argument("action", type=click.Choice(STATE_ACTIONS), default="show")
@click.option("--instance", "domain", required=True)
@click.option("--extension", required=True)
@click.option("--skill-group", "groups", multiple=True,
              help="ready: sign in to these groups (repeatable; all the agent's by default).")
@click.option("--device", type=click.Choice(("sip", "web")),
              help="ready: the SIP phone (default) or the workbench's phone.")
@click.option("--code", help="break: one of the instance's break codes.")
@json_option
@click.pass_obj
def agent_state(app: AppState, action, domain, extension, groups, device, code,
                as_json) -> None:
    """Show or change an agent's state: ready (signing in if needed), break, offline."""
    from engine.agents.service import get_agent
    from engine.agentstate import service
    from engine.instances.service import get_instance
    if action == "break" and not code:
        raise click.ClickException("break needs --code (one of the instance's break codes)")
    with app.transaction() as session:
        agent = get_agent(session, get_instance(session, domain), extension)
        if action == "ready":
            now = service.get_ready(app.settings, agent, list(groups) or None, device)
        elif action == "break":
            now = service.take_break(session, app.settings, agent, code)
        elif action == "offline":
            now = service.sign_out(app.settings, agent)
        else:
            now = service.presence(app.settings, agent)
    if as_json:
        click.echo(json.dumps({"extension": extension, **now.as_dict()}, indent=2))
    else:
        detail = f" ({now.break_code})" if now.break_code else ""
        where = f" in {', '.join(now.queues)} on {now.interface}" if now.queues else ""
        click.echo(f"agent {extension}: {now.state.value}{detail}{where}")


# ---- dedicated agents ---------------------------------------------------------------------

@agent.command("dedicate")
@click.option("--instance", "domain", required=True)
@click.option("--customer", required=True,
              help="The customer's number as the carrier presents it (3-20 digits, optional +).")
@click.option("--extension", required=True, help="The agent rung first for that customer.")
@click.pass_obj
def agent_dedicate(app: AppState, domain, customer, extension) -> None:
    """Tie a customer's number to an agent: its calls ring that agent first when READY."""
    from engine.agents.dedicated import tie
    from engine.agents.service import get_agent
    from engine.instances.service import get_instance
    with app.transaction() as session:
        instance = get_instance(session, domain)
        tie(session, instance, customer, get_agent(session, instance, extension).id)
    click.echo(f"customer {customer}: dedicated agent {extension}")


@agent.command("undedicate")
@click.option("--instance", "domain", required=True)
@click.option("--customer", required=True)
@click.pass_obj
def agent_undedicate(app: AppState, domain, customer) -> None:
    """Remove a customer's dedicated agent: its calls go straight through the flow."""
    from engine.agents.dedicated import untie
    from engine.instances.service import get_instance
    with app.transaction() as session:
        untie(session, get_instance(session, domain), customer)
    click.echo(f"customer {customer}: no dedicated agent")


@agent.command("dedicated")
@click.option("--instance", "domain", required=True)
@json_option
@click.pass_obj
def agent_dedicated(app: AppState, domain, as_json) -> None:
    """The instance's customers with a dedicated agent."""
    from engine.agents.dedicated import as_dict, list_ties
    from engine.instances.service import get_instance
    with app.transaction() as session:
        rows = [as_dict(t) for t in list_ties(session, get_instance(session, domain))]
    emit(rows, as_json, ["customer_number", "extension", "agent_name"])
