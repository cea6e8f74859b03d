"""``ccc skillgroup``: the queues agents answer, their strategy, timeouts and overflow."""
from __future__ import annotations

import click

from cli_commands.common import AppState, emit, json_option


@click.group()
def skillgroup() -> None:
    """Skill groups (queues)."""


@skillgroup.command("list")
@click.option("--instance", "domain", required=True)
@json_option
@click.pass_obj
def skillgroup_list(app: AppState, domain, as_json) -> None:
    """An instance's skill groups, queues and outbound numbers."""
    from engine.instances.service import get_instance
    from engine.numbers.service import outbound_numbers
    from engine.skillgroups.service import list_skill_groups
    with app.transaction() as session:
        rows = [{"name": g.name, "queue": g.queue_name, "strategy": g.strategy,
                 "wait_timeout": g.wait_timeout, "wrap_up": g.wrap_up_seconds,
                 "recording": g.recording.value, "service_level": g.service_level_seconds,
                 "overflow": g.overflow.name if g.overflow else None,
                 "outbound_numbers": [n.digits for n in outbound_numbers(session, g.id)]}
                for g in list_skill_groups(session, get_instance(session, domain))]
    emit(rows, as_json, ["name", "queue", "strategy", "wait_timeout", "wrap_up", "overflow",
                         "recording", "service_level", "outbound_numbers"])


STRATEGY_HELP = "ringall, leastrecent, fewestcalls, random, rrmemory or linear."


@skillgroup.command("create")
@click.option("--instance", "domain", required=True)
@click.option("--name", required=True)
@click.option("--strategy", default="rrmemory", show_default=True, help=STRATEGY_HELP)
@click.option("--wait-timeout", default=300, show_default=True, type=int, help="Seconds.")
@click.pass_obj
def skillgroup_create(app: AppState, domain, name, strategy, wait_timeout) -> None:
    """Add a skill group (a queue) to an instance."""
    from engine.instances.service import get_instance
    from engine.skillgroups.service import create_skill_group
    with app.transaction() as session:
        group = create_skill_group(session, get_instance(session, domain), name, strategy,
                                   wait_timeout)
        click.echo(f"skill group {group.name} created (queue {group.queue_name})")


@skillgroup.command("update")
@click.option("--instance", "domain", required=True)
@click.option("--name", required=True)
@click.option("--new-name")
@click.option("--strategy", help=STRATEGY_HELP)
@click.option("--wait-timeout", type=int, help="Seconds.")
@click.option("--overflow", help="The group callers go to after the wait timeout ('' for none).")
@click.option("--wrap-up", "wrap_up", type=int,
              help="Seconds of after-call work after each call (0: none).")
@click.option("--recording", type=click.Choice(("inherit", "all", "none", "on-demand")),
              help="Which of the group's calls are recorded (inherit: the instance's policy).")
@click.option("--service-level", "service_level", type=int,
              help="Seconds within which an answered call counts in the service level.")
@click.pass_obj
def skillgroup_update(app: AppState, domain, name, new_name, strategy, wait_timeout,
                      overflow, wrap_up, recording, service_level) -> None:
    """Rename a group or change its strategy, wait timeout, overflow, recording or
    service-level threshold."""
    from engine.instances.service import get_instance
    from engine.skillgroups.service import get_skill_group, update_skill_group
    with app.transaction() as session:
        group = get_skill_group(session, get_instance(session, domain), name)
        overflow_id = group.overflow_id
        if overflow is not None:
            overflow_id = get_skill_group(session, group.instance, overflow).id if overflow \
                else None
        update_skill_group(session, group, new_name or group.name, strategy or group.strategy,
                           wait_timeout if wait_timeout is not None else group.wait_timeout,
                           overflow_id, wrap_up, recording,
                           service_level_seconds=service_level)
        click.echo(f"skill group {group.name} updated")


@skillgroup.command("delete")
@click.option("--instance", "domain", required=True)
@click.option("--name", required=True)
@click.pass_obj
def skillgroup_delete(app: AppState, domain, name) -> None:
    """Remove a group (not default, not one a published flow uses)."""
    from engine.instances.service import get_instance
    from engine.skillgroups.service import delete_skill_group, get_skill_group
    with app.transaction() as session:
        delete_skill_group(session, get_skill_group(session, get_instance(session, domain), name))
        click.echo(f"skill group {name} deleted")
