"""``ccc call``: an agent's calls on the live PBX: dial, hang up, transfer, history."""
from __future__ import annotations

import json

import click

from cli_commands.common import AppState, emit, json_option


def _agent(session, domain: str, extension: str):
    from engine.agents.service import get_agent
    from engine.instances.service import get_instance
    return get_agent(session, get_instance(session, domain), extension)


def agent_options(command):
    command = click.option("--extension", required=True, help="The acting agent.")(command)
    return click.option("--instance", "domain", required=True)(command)


@click.group()
def call() -> None:
    """Control an agent's calls (the same operations as the workbench)."""


@call.command("dial")
@agent_options
@click.option("--number", required=True, help="The number to call.")
@click.option("--caller-id", help="One of the agent's outbound numbers (the first if omitted).")
@click.option("--device", type=click.Choice(("sip", "web")), default="sip", show_default=True,
              help="Which of the agent's phones rings first.")
@click.pass_obj
def call_dial(app: AppState, domain, extension, number, caller_id, device) -> None:
    """MakeCall: ring the agent's phone, then call the number."""
    from engine.callcontrol.service import make_call
    with app.transaction() as session:
        shown = make_call(session, app.settings, _agent(session, domain, extension), number,
                          caller_id, device)
    click.echo(f"agent {extension}'s phone rings; then {number} is called from {shown}")


@call.command("answer")
@agent_options
@click.pass_obj
def call_answer(app: AppState, domain, extension) -> None:
    """AnswerCall: the agent's ringing phone answers (the workbench's phone; a SIP phone
    that allows remote answer)."""
    from engine.callcontrol.service import answer_call
    with app.transaction() as session:
        answer_call(app.settings, _agent(session, domain, extension))
    click.echo(f"agent {extension}'s phone was asked to answer")


@call.command("hangup")
@agent_options
@click.pass_obj
def call_hangup(app: AppState, domain, extension) -> None:
    """ReleaseCall: hang up the agent's call."""
    from engine.callcontrol.service import release_call
    with app.transaction() as session:
        release_call(app.settings, _agent(session, domain, extension))
    click.echo(f"agent {extension}'s call hung up")


@call.command("transfer")
@agent_options
@click.option("--to-agent", help="An extension of the same instance.")
@click.option("--to-skill-group", help="A skill group of the same instance (its name).")
@click.option("--to-number", help="An outside number.")
@click.option("--attended", is_flag=True,
              help="Talk to the target first (then `ccc call complete` or `ccc call cancel`).")
@click.pass_obj
def call_transfer(app: AppState, domain, extension, to_agent, to_skill_group,
                  to_number, attended) -> None:
    """BlindTransfer (or InitiateAttendedTransfer with --attended)."""
    from engine.callcontrol.service import blind_transfer, start_attended_transfer
    with app.transaction() as session:
        agent = _agent(session, domain, extension)
        kind, target = _target(session, agent, to_agent, to_skill_group, to_number)
        if attended:
            start_attended_transfer(session, app.settings, agent, kind, target)
        else:
            blind_transfer(session, app.settings, agent, kind, target)
    click.echo(f"agent {extension} is consulting the target" if attended
               else f"agent {extension}'s call transferred")


def _target(session, agent, to_agent, to_skill_group, to_number):
    from engine.skillgroups.service import get_skill_group
    chosen = [(k, v) for k, v in (("agent", to_agent), ("skill_group", to_skill_group),
                                  ("number", to_number)) if v is not None]
    if len(chosen) != 1:
        raise click.ClickException("give exactly one of --to-agent, --to-skill-group, "
                                   "--to-number")
    kind, target = chosen[0]
    if kind == "skill_group":
        target = get_skill_group(session, agent.instance, target).id
    return kind, target


@call.command("hold")
@agent_options
@click.pass_obj
def call_hold(app: AppState, domain, extension) -> None:
    """HoldCall: the other party hears music on hold."""
    from engine.callcontrol.service import hold_call
    with app.transaction() as session:
        hold_call(app.settings, _agent(session, domain, extension))
    click.echo(f"agent {extension}'s caller is on hold")


@call.command("retrieve")
@agent_options
@click.pass_obj
def call_retrieve(app: AppState, domain, extension) -> None:
    """RetrieveCall: back to the party on hold."""
    from engine.callcontrol.service import retrieve_call
    with app.transaction() as session:
        retrieve_call(app.settings, _agent(session, domain, extension))
    click.echo(f"agent {extension} is back with the caller")


@call.command("complete")
@agent_options
@click.pass_obj
def call_complete(app: AppState, domain, extension) -> None:
    """CompleteAttendedTransfer: the caller and the consulted target talk; the agent leaves."""
    from engine.callcontrol.service import complete_attended_transfer
    with app.transaction() as session:
        complete_attended_transfer(app.settings, _agent(session, domain, extension))
    click.echo(f"agent {extension}'s transfer completed")


@call.command("cancel")
@agent_options
@click.pass_obj
def call_cancel(app: AppState, domain, extension) -> None:
    """CancelAttendedTransfer: the target's leg ends; the agent is back with the caller."""
    from engine.callcontrol.service import cancel_attended_transfer
    with app.transaction() as session:
        cancel_attended_transfer(app.settings, _agent(session, domain, extension))
    click.echo(f"agent {extension}'s transfer cancelled")


@call.command("conference")
@agent_options
@click.option("--to-agent", help="An extension of the same instance.")
@click.option("--to-skill-group", help="A skill group of the same instance (its name).")
@click.option("--to-number", help="An outside number.")
@click.pass_obj
def call_conference(app: AppState, domain, extension, to_agent, to_skill_group,
                    to_number) -> None:
    """StartConference: add a third party to the agent's call."""
    from engine.callcontrol.service import start_conference
    with app.transaction() as session:
        agent = _agent(session, domain, extension)
        kind, target = _target(session, agent, to_agent, to_skill_group, to_number)
        start_conference(session, app.settings, agent, kind, target)
    click.echo(f"agent {extension}'s call is a conference")


@call.command("record")
@click.argument("action", type=click.Choice(("start", "pause", "resume", "show")))
@agent_options
@json_option
@click.pass_obj
def call_record(app: AppState, action, domain, extension, as_json) -> None:
    """Start, pause or resume the recording of the agent's current call (or show it).
    While paused, silence is recorded in place of the conversation."""
    from engine.recording.control import ACTIONS, recording_state
    with app.transaction() as session:
        agent = _agent(session, domain, extension)
        state = (recording_state if action == "show" else ACTIONS[action])(app.settings, agent)
    if as_json:
        click.echo(json.dumps(state.as_dict()))
    else:
        running = "paused" if state.paused else "recording" if state.recording else "not recording"
        click.echo(f"agent {extension}'s call: {running} (policy {state.policy.value})")


@call.command("history")
@agent_options
@json_option
@click.pass_obj
def call_history(app: AppState, domain, extension, as_json) -> None:
    """The agent's own calls, newest first."""
    from engine.callcontrol.service import history
    with app.transaction() as session:
        rows = [{"start": r.started_at.isoformat(), "direction": r.direction.value,
                 "caller": r.caller, "callee": r.callee, "disposition": r.disposition,
                 "billable_seconds": r.billable_seconds}
                for r in history(session, _agent(session, domain, extension))]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    else:
        emit(rows, False, ["start", "direction", "caller", "callee", "disposition",
                           "billable_seconds"])
