"""``ccc supervise``: listen to, whisper to, barge into or take over an agent's live call,
from a supervisor's seat of the same instance; the live calls; the supervision log."""
from __future__ import annotations

import json

import click

from cli_commands.common import AppState, emit, json_option

instance_option = click.option("--instance", "domain", required=True,
                               help="The instance's access domain.")


@click.group()
def supervise() -> None:
    """Supervise agents' live calls (every act is logged)."""


def _act(mode: str, summary: str):
    @supervise.command(mode, help=summary)
    @instance_option
    @click.option("--extension", required=True, help="The agent whose call is supervised.")
    @click.option("--supervisor", required=True,
                  help="The supervisor's seat (extension) in the same instance.")
    @click.option("--device", type=click.Choice(("sip", "web")), default="sip",
                  show_default=True, help="Which of the supervisor's phones rings.")
    @json_option
    @click.pass_obj
    def act(app: AppState, domain, extension, supervisor, device, as_json) -> None:
        from engine.callcontrol.supervision import log_as_dict, supervise as run
        from engine.instances.service import get_instance
        with app.transaction() as session:
            row = run(session, app.settings, None, get_instance(session, domain), mode,
                      extension, supervisor, device)
            shown = log_as_dict(row)
        if as_json:
            click.echo(json.dumps(shown, indent=2))
        elif mode == "takeover":
            click.echo(f"agent {extension}'s caller goes to {supervisor}'s phones "
                       f"(log {shown['id']})")
        else:
            click.echo(f"{supervisor}'s phone rings to {mode} on agent {extension}'s call "
                       f"(log {shown['id']})")
    return act


_act("listen", "Listen: the supervisor hears the call; nobody hears the supervisor.")
_act("whisper", "Whisper (coach): only the agent hears the supervisor.")
_act("barge", "Barge in: the caller and the agent both hear the supervisor.")
_act("takeover", "Take over: the caller goes to the supervisor; the agent is dropped.")


@supervise.command("calls")
@instance_option
@json_option
@click.pass_obj
def supervise_calls(app: AppState, domain, as_json) -> None:
    """The instance's live agent calls that may be supervised."""
    from engine.callcontrol.supervision import live_call_as_dict, live_calls
    from engine.instances.service import get_instance
    with app.transaction() as session:
        rows = [live_call_as_dict(c) for c in live_calls(session, app.settings, None,
                                                         get_instance(session, domain))]
    emit(rows, as_json, ["agent", "agent_name", "caller", "seconds", "device"])


@supervise.command("log")
@instance_option
@json_option
@click.pass_obj
def supervise_log(app: AppState, domain, as_json) -> None:
    """Who supervised which agent's call, how, and for how long (newest first)."""
    from engine.callcontrol.supervision import log_as_dict, supervision_log
    from engine.instances.service import get_instance
    with app.transaction() as session:
        rows = [log_as_dict(r) for r in supervision_log(session, None,
                                                        get_instance(session, domain))]
    emit(rows, as_json, ["id", "user", "supervisor", "agent", "mode", "started_at",
                         "ended_at", "duration_seconds", "end_found"])
