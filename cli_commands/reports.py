"""``ccc report``: historical figures by skill group, agent, IVR flow and number, and
reading the queue log."""
from __future__ import annotations

import json

import click

from cli_commands.common import AppState, emit

INTERVAL_HELP = "15m, hour, day or month (on the site's clock)."


def report_options(command):
    command = click.option("--csv", "as_csv", is_flag=True, help="Print CSV.")(command)
    command = click.option("--json", "as_json", is_flag=True,
                           help="Print JSON for scripts.")(command)
    command = click.option("--interval", default="day", show_default=True,
                           help=INTERVAL_HELP)(command)
    command = click.option("--to", "to_text", required=True,
                           help="First day not covered, YYYY-MM-DD.")(command)
    command = click.option("--from", "from_text", required=True,
                           help="First day covered, YYYY-MM-DD.")(command)
    return click.option("--instance", "domain", required=True)(command)


@click.group()
def report() -> None:
    """Historical reports from the ingested queue log and agent state log."""


def _report(app: AppState, build, to_csv, summary, domain, from_text, to_text, interval,
            as_json, as_csv) -> None:
    """Build one report of the instance for the days asked and print it: a table of the
    ``summary`` columns, JSON, or ``to_csv``'s CSV."""
    from engine.instances.service import get_instance
    from engine.reports.intervals import parse_day
    if as_json and as_csv:
        raise click.ClickException("choose one of --json and --csv")
    start, end = parse_day(from_text, "from"), parse_day(to_text, "to")
    with app.transaction() as session:
        rows = build(session, get_instance(session, domain), start, end, interval,
                     app.settings.billing_utc_offset_minutes)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    elif as_csv:
        click.echo(to_csv(rows), nl=False)
    else:
        emit(rows, False, list(summary))


@report.command("skillgroup")
@report_options
@click.pass_obj
def report_skillgroup(app: AppState, **options) -> None:
    """Calls offered, handled, abandoned, service level, waits... per skill group."""
    from engine.reports.export import SKILL_GROUP_SUMMARY, skill_group_csv
    from engine.reports.service import skill_group_report
    _report(app, skill_group_report, skill_group_csv, SKILL_GROUP_SUMMARY, **options)


@report.command("agent")
@report_options
@click.pass_obj
def report_agent(app: AppState, **options) -> None:
    """Calls handled, talk, work, occupancy and time in each state, per agent."""
    from engine.reports.export import AGENT_SUMMARY, agent_csv
    from engine.reports.service import agent_report
    _report(app, agent_report, agent_csv, AGENT_SUMMARY, **options)


@report.command("ivr")
@report_options
@click.pass_obj
def report_ivr(app: AppState, **options) -> None:
    """Per IVR flow and node: callers who reached it, dropped there, keys pressed."""
    from engine.reports.export import IVR_SUMMARY, ivr_csv
    from engine.reports.ivr import ivr_report
    _report(app, ivr_report, ivr_csv, IVR_SUMMARY, **options)


@report.command("number")
@report_options
@click.pass_obj
def report_number(app: AppState, **options) -> None:
    """Per number: calls, answered, abandoned, completed in the IVR, durations."""
    from engine.reports.export import NUMBER_SUMMARY, number_csv
    from engine.reports.numbers import number_report
    _report(app, number_report, number_csv, NUMBER_SUMMARY, **options)


@report.command("ingest")
@click.pass_obj
def report_ingest(app: AppState) -> None:
    """Read the PBX's queue log now (``ccc serve`` does this continuously)."""
    from engine.reports.ingest import ingest_queue_log
    with app.transaction() as session:
        click.echo(f"{ingest_queue_log(session, app.settings)} queue events added")
