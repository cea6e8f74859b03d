"""The agent's own control of its current call's recording: start, pause, resume.

The recording lives on the other party's channel (the caller's, in a queue call), where
the dialplan starts it when the policy is ``all``: one file per call, whoever the caller
is transferred to. The engine finds the agent's own call among the live channels (as
call control does), so nobody can act on another agent's call. A paused recording keeps
running with silence in place of the conversation: nothing said meanwhile (a card
number, say) is in the file.
"""
from __future__ import annotations

from dataclasses import dataclass

from engine.agents.models import Agent
from engine.ami.client import ami_session
from engine.callcontrol import pbx as live
from engine.callcontrol.service import agent_call
from engine.errors import Conflict
from engine.messages import N_
from engine.recording import pbx
from engine.recording.policy import RecordingPolicy
from engine.recording.service import LINKED_ID_RE
from engine.settings import Settings
from engine.variables import RECORDING, RECORDING_PAUSED, RECORDING_POLICY


@dataclass(frozen=True)
class RecordingState:
    """What the agent's page shows of its call's recording."""
    policy: RecordingPolicy
    recording: bool
    paused: bool

    def as_dict(self) -> dict:
        return {"policy": self.policy.value, "recording": self.recording,
                "paused": self.paused}


def _state(agent: Agent, detail: live.ChannelDetail) -> RecordingState:
    # A call that passed no skill group (straight to an agent from another agent, or a
    # click-to-dial call) follows the instance's policy.
    named = detail.variables.get(RECORDING_POLICY, "")
    policy = next((p for p in RecordingPolicy if p.value == named), agent.instance.recording)
    return RecordingState(policy, bool(detail.variables.get(RECORDING)),
                          detail.variables.get(RECORDING_PAUSED) == "1")


async def _other_party(client, agent: Agent) -> tuple[str, live.ChannelDetail]:
    call = agent_call(await live.channels(client), agent)
    if call.other is None:
        raise Conflict(N_("agent %(extension)s is not connected to anyone",
                          extension=agent.extension))
    return call.other.name, await live.detail(client, call.other.name)


def recording_state(settings: Settings, agent: Agent) -> RecordingState:
    """The recording of the agent's current call: the policy, running, paused."""
    async def work(client):
        return _state(agent, (await _other_party(client, agent))[1])
    return ami_session(settings, work)


def start_recording(settings: Settings, agent: Agent) -> RecordingState:
    """Start recording the agent's current call (when its policy is on-demand, or all
    and not yet recording); Conflict when the policy records nothing."""
    key = agent.instance.pbx_key

    async def work(client):
        channel, detail = await _other_party(client, agent)
        state = _state(agent, detail)
        if state.policy is RecordingPolicy.NONE:
            raise Conflict(N_("recording is off for this call"))
        if state.recording:
            raise Conflict(N_("this call is already being recorded"))
        if not LINKED_ID_RE.fullmatch(detail.linked_id):
            raise Conflict(N_("agent %(extension)s is not connected to anyone",
                              extension=agent.extension))
        path = settings.recordings_dir_in_pbx / key / f"{detail.linked_id}.wav"
        if not await pbx.start(client, channel, path):
            raise Conflict(N_("the call has ended"))
        return RecordingState(state.policy, True, False)
    return ami_session(settings, work)


def _set_paused(settings: Settings, agent: Agent, paused: bool) -> RecordingState:
    async def work(client):
        channel, detail = await _other_party(client, agent)
        state = _state(agent, detail)
        if not state.recording:
            raise Conflict(N_("this call is not being recorded"))
        await pbx.mute(client, channel, paused)
        return RecordingState(state.policy, True, paused)
    return ami_session(settings, work)


def pause_recording(settings: Settings, agent: Agent) -> RecordingState:
    """Pause the recording of the agent's current call: silence is written meanwhile."""
    return _set_paused(settings, agent, True)


def resume_recording(settings: Settings, agent: Agent) -> RecordingState:
    """Resume the paused recording of the agent's current call."""
    return _set_paused(settings, agent, False)


ACTIONS = {"start": start_recording, "pause": pause_recording, "resume": resume_recording}
