"""``ccc ivr``: IVR flows of an instance, from a file to a published, bound version.

Thin: each command parses its options and calls ``engine.ivr.service``. A flow is named
within its instance (``--instance DOMAIN``).
"""
from __future__ import annotations

import json
from pathlib import Path

import click

from cli_commands.common import AppState, emit, json_option

instance_option = click.option("--instance", "domain", required=True,
                               help="The instance's access domain.")


def _flow(session, domain: str, name: str):
    from engine.instances.service import get_instance
    from engine.ivr.service import get_flow
    return get_flow(session, get_instance(session, domain), name)


def _report(problems, ok_message: str = "") -> None:
    """Problems one a line, each naming its node; ``ok_message`` when there are none."""
    for problem in problems:
        click.echo(f"  {problem.code}: {problem}")
    if ok_message and not problems:
        click.echo(ok_message)


@click.group("ivr")
def ivr() -> None:
    """IVR flows: drafts, validation, published versions, numbers, simulation."""


@ivr.command("list")
@instance_option
@json_option
@click.pass_obj
def flow_list(app: AppState, domain: str, as_json: bool) -> None:
    """An instance's flows: draft or published, latest version, bound numbers."""
    from engine.instances.service import get_instance
    from engine.ivr.service import draft_of, latest_version, list_flows
    with app.transaction() as session:
        rows = []
        for flow in list_flows(session, get_instance(session, domain)):
            latest = latest_version(session, flow)
            rows.append({"name": flow.name, "published": latest.version if latest else None,
                         "draft": draft_of(session, flow) is not None})
    emit(rows, as_json, ["name", "published", "draft"])


@ivr.command("create")
@click.argument("name")
@instance_option
@click.pass_obj
def flow_create(app: AppState, name: str, domain: str) -> None:
    """A new flow whose draft holds just a start node."""
    from engine.instances.service import get_instance
    from engine.ivr.service import create_flow
    with app.transaction() as session:
        create_flow(session, get_instance(session, domain), name)
    click.echo(f"flow {name} created (draft)")


@ivr.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@instance_option
@click.option("--flow", "name", help="The flow's name (default: the file's name, no suffix).")
@click.pass_obj
def flow_import(app: AppState, path: Path, domain: str, name: str | None) -> None:
    """Save a JSON or YAML document as the flow's draft (creating the flow if needed)."""
    from engine.instances.service import get_instance
    from engine.ivr.service import create_flow, find_flow, parse_document, save_draft
    document = parse_document(path.read_text(errors="replace"))
    name = name or path.stem
    with app.transaction() as session:
        instance = get_instance(session, domain)
        flow = find_flow(session, instance, name) or create_flow(session, instance, name)
        problems = save_draft(session, flow, document)
    click.echo(f"draft of flow {name} saved" + (f", {len(problems)} problem(s):"
                                                 if problems else ", valid"))
    _report(problems)


@ivr.command("export")
@click.argument("name")
@instance_option
@click.option("--version", "number", type=int, help="A published version (default: the draft, "
              "else the latest version).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def flow_export(app: AppState, name: str, domain: str, number: int | None,
                output: Path | None) -> None:
    """Write a flow's document (the draft, or a published version) as JSON."""
    from engine.ivr.service import document_of
    from engine.ivr.documents import dump_document
    with app.transaction() as session:
        text = dump_document(document_of(session, _flow(session, domain, name), number))
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text)
        click.echo(f"flow {name} written to {output}")


@ivr.command("validate")
@click.argument("name")
@instance_option
@click.pass_obj
def flow_validate(app: AppState, name: str, domain: str) -> None:
    """Check the draft (else the latest version); exit status 1 when it has problems."""
    from engine.ivr.service import document_of, problems
    with app.transaction() as session:
        flow = _flow(session, domain, name)
        found = problems(session, flow, document_of(session, flow))
    _report(found, f"flow {name} is valid")
    if found:
        raise click.ClickException(f"flow {name} has {len(found)} problem(s)")


@ivr.command("publish")
@click.argument("name")
@instance_option
@click.pass_obj
def flow_publish(app: AppState, name: str, domain: str) -> None:
    """Publish the draft as the next version; numbers run it from their next call."""
    from engine.ivr.service import FlowInvalid, publish
    with app.transaction() as session:
        try:
            version = publish(session, _flow(session, domain, name))
        except FlowInvalid as invalid:
            _report(invalid.problems)
            raise click.ClickException(f"flow {name} not published: "
                                       f"{len(invalid.problems)} problem(s)") from None
        number = version.version
    click.echo(f"flow {name} version {number} published")


@ivr.command("versions")
@click.argument("name")
@instance_option
@json_option
@click.pass_obj
def flow_versions(app: AppState, name: str, domain: str, as_json: bool) -> None:
    """A flow's published versions."""
    from engine.ivr.service import versions
    with app.transaction() as session:
        rows = [{"version": v.version, "state": v.state.value, "created_at": v.created_at}
                for v in versions(session, _flow(session, domain, name))]
    emit(rows, as_json, ["version", "state", "created_at"])


@ivr.command("bind")
@click.argument("digits", metavar="NUMBER")
@click.argument("name", metavar="FLOW")
@instance_option
@click.pass_obj
def flow_bind(app: AppState, digits: str, name: str, domain: str) -> None:
    """Calls to NUMBER run FLOW's latest published version from the next call."""
    from engine.instances.service import get_instance
    from engine.ivr.service import bind_number, find_number, get_flow
    with app.transaction() as session:
        instance = get_instance(session, domain)
        bind_number(session, find_number(session, instance, digits),
                    get_flow(session, instance, name))
    click.echo(f"number {digits} runs flow {name}")


def _variables(pairs: tuple[str, ...]) -> dict[str, str]:
    values = {}
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not equals:
            raise click.ClickException(f"invalid --var {pair!r}: use NAME=VALUE")
        values[key] = value
    return values


@ivr.command("simulate")
@click.argument("name")
@instance_option
@click.option("--digits", default="", help="Keys per prompt, e.g. 1,2 ('' in between: silence).")
@click.option("--at", "at", help="The call's time, ISO 8601 (UTC unless an offset is given).")
@click.option("--caller", default="", help="The caller's number.")
@click.option("--var", "pairs", multiple=True, help="NAME=VALUE, repeatable.")
@click.option("--http-response", "http", multiple=True,
              help="Canned answer per HTTP call: JSON body (200), STATUS, STATUS:JSON, timeout.")
@click.option("--transfer", "transfers", multiple=True,
              help="What each transfer came to: answered, overflow, no_answer, failed, after.")
@click.option("--version", "number", type=int, help="A published version (default: the draft, "
              "else the latest version).")
@json_option
@click.pass_obj
def flow_simulate(app: AppState, name: str, domain: str, digits: str, at: str | None,
                  caller: str, pairs, http, transfers, number, as_json: bool) -> None:
    """Run a call through the flow; print the path and the actions. No HTTP is sent."""
    from engine.instances.service import get_instance
    from engine.ivr.service import document_of, get_flow, simulate
    with app.transaction() as session:
        instance = get_instance(session, domain)
        document = document_of(session, get_flow(session, instance, name), number)
        result = simulate(session, instance, document, digits, at, caller, _variables(pairs),
                          list(http), list(transfers), name)
    if as_json:
        click.echo(json.dumps(result.as_dict(), indent=2))
    else:
        _print_simulation(result)
    if result.error:
        raise click.ClickException(result.error)


def _print_simulation(result) -> None:
    click.echo("path: " + " > ".join(result.path))
    for step in result.as_dict()["steps"]:
        answer = f"  <- {step['answer']}" if step["answer"] else ""
        click.echo(f"  [{step['node']}] {step['action']}{answer}")
    if result.variables:
        click.echo("variables: " + ", ".join(f"{k}={v!r}" for k, v in result.variables.items()))
