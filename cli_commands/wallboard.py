"""``ccc wallboard``: what is happening now in an instance (or one skill group), with
today's figures; the same snapshot as the web page and the API."""
from __future__ import annotations

import json

import click

from cli_commands.common import AppState, emit


def _ratio(value) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def _show(board: dict) -> None:
    summary = board["Summary"]
    states = ", ".join(f"{state} {count}" for state, count in summary["AgentsByState"].items())
    breaks = ", ".join(f"{code or '-'} {n}" for code, n in summary["BreakingAgentsByCode"].items())
    click.echo(f"{board['Domain']} at {board['At']} (today: {board['Day']})")
    click.echo(f"calls waiting {summary['WaitingCalls']}, longest wait "
               f"{summary['LongestWaitingTime']} s")
    click.echo(f"agents: {states}" + (f" (breaks: {breaks})" if breaks else ""))
    click.echo(f"today: offered {summary['CallsOffered']}, handled {summary['CallsHandled']}, "
               f"abandoned {summary['CallsAbandoned']}, service level "
               f"{_ratio(summary['ServiceLevel']) or '-'}")
    click.echo()
    emit([{**g, "ServiceLevel": _ratio(g["ServiceLevel"]),
           **{s: g["AgentsByState"][s] for s in ("READY", "TALKING", "RINGING", "WORKING",
                                                  "BREAK", "OFFLINE")}}
          for g in board["SkillGroups"]], False,
         ["SkillGroupName", "WaitingCalls", "LongestWaitingTime", "READY", "TALKING",
          "RINGING", "WORKING", "BREAK", "OFFLINE", "CallsOffered", "CallsHandled",
          "CallsAbandoned", "ServiceLevel"])
    click.echo()
    emit([{**a, "State": a["State"] + (f" ({a['BreakCode']})" if a["BreakCode"] else ""),
           "Caller": (a["Call"] or {}).get("Caller", ""),
           "CallSeconds": (a["Call"] or {}).get("Seconds", "")} for a in board["Agents"]],
         False, ["Extension", "Name", "State", "StateDuration", "Caller", "CallSeconds"])
    if board["WaitingCallers"]:
        click.echo()
        emit(board["WaitingCallers"], False,
             ["SkillGroupName", "Position", "Caller", "WaitingTime"])


@click.command("wallboard")
@click.option("--instance", "domain", required=True)
@click.option("--skill-group", "group_name", help="One skill group's board (its name).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.pass_obj
def wallboard(app: AppState, domain: str, group_name: str | None, as_json: bool) -> None:
    """Calls waiting, longest wait, agents by state and their calls now; today's
    calls offered, handled, abandoned and service level."""
    from engine.instances.service import get_instance
    from engine.skillgroups.service import get_skill_group
    from engine.wallboard.service import snapshot
    with app.transaction() as session:
        instance = get_instance(session, domain)
        group = get_skill_group(session, instance, group_name) if group_name else None
        board = snapshot(session, app.settings, instance, group)
    if as_json:
        click.echo(json.dumps(board, indent=2))
    else:
        _show(board)
