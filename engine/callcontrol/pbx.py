"""The PBX side of call control: the live channels, and the few CLI commands that act
on them. Only names read back from the PBX and matched against the acting agent's own
devices, and contexts and extensions the engine derived, ever reach a command."""
from __future__ import annotations

import re
from dataclasses import dataclass

from engine.ami.client import AmiClient
from engine.validation import DIAL_NUMBER_RE, PBX_NAME_RE
from engine.variables import SPY_CHANNEL, SUPERVISE_EXTENSIONS, SUPERVISION

# PJSIP/<endpoint>-<8 hex digits>: a channel Asterisk named.
CHANNEL_RE = re.compile(r"^PJSIP/([a-z0-9][a-z0-9_-]{0,70})-[0-9a-f]{8}$")
# The consultation leg of an attended transfer, or a conference's dialling leg: a Local
# channel into one of our transfer contexts.
LOCAL_RE = re.compile(r"^Local/(q[0-9]{1,9}|\+?[0-9]{3,20})@ccc-i[0-9]{1,9}-transfer"
                      r"-[0-9a-f]{8};[12]$")
EXTEN_RE = re.compile(r"^(q[0-9]{1,9}|\+?[0-9]{3,20})$")


@dataclass(frozen=True)
class LiveChannel:
    name: str
    context: str
    exten: str
    state: str
    application: str
    caller_id: str
    bridge: str
    unique_id: str = ""
    seconds: int = 0
    # The call's first channel's id: not in the concise list, read with ``detail`` where
    # needed (a ringing agent's channel, to find its caller).
    linked_id: str = ""

    @property
    def endpoint(self) -> str | None:
        match = CHANNEL_RE.fullmatch(self.name)
        return match.group(1) if match else None


def parse_concise(text: str) -> list[LiveChannel]:
    """``core show channels concise``: one channel per line, fields split by '!'."""
    found = []
    for line in text.splitlines():
        fields = line.split("!")
        if len(fields) < 13 or "/" not in fields[0]:
            continue
        found.append(LiveChannel(name=fields[0], context=fields[1], exten=fields[2],
                                 state=fields[4], application=fields[5],
                                 caller_id=fields[7], bridge=fields[12],
                                 unique_id=fields[13] if len(fields) > 13 else "",
                                 seconds=int(fields[11]) if fields[11].isdigit() else 0))
    return found


@dataclass(frozen=True)
class ChannelDetail:
    """What ``core show channel`` tells of one channel: a few fields and its variables."""
    linked_id: str
    dnid: str
    variables: dict[str, str]


_FIELD = re.compile(r"^\s*(LinkedID|DNID Digits)\s*:\s*(\S*)\s*$", re.M)


def parse_detail(text: str) -> ChannelDetail:
    fields = dict(_FIELD.findall(text))
    variables = {}
    if "Variables:" in text:
        for line in text.split("Variables:", 1)[1].splitlines():
            name, sep, value = line.strip().partition("=")
            if sep and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                variables[name] = value
    return ChannelDetail(fields.get("LinkedID", ""), fields.get("DNID Digits", ""), variables)


async def detail(client: AmiClient, channel: str) -> ChannelDetail:
    return parse_detail(await client.command(f"core show channel {_channel_any(channel)}"))


def _channel_any(name: str) -> str:
    """A channel name read back from the PBX (a carrier's or an agent's), checked for
    shape before it goes back into a command."""
    if not re.fullmatch(r"[A-Za-z]+/[A-Za-z0-9_.@;:+-]{1,120}", name):
        raise ValueError(f"not a channel name: {name!r}")
    return name


async def channels(client: AmiClient) -> list[LiveChannel]:
    return parse_concise(await client.command("core show channels concise"))


def _channel(name: str) -> str:
    if not CHANNEL_RE.fullmatch(name):
        raise ValueError(f"not a channel of ours: {name!r}")
    return name


def _context(name: str) -> str:
    if not PBX_NAME_RE.fullmatch(name):
        raise ValueError(f"not a context of ours: {name!r}")
    return name


def _exten(value: str) -> str:
    if not EXTEN_RE.fullmatch(value):
        raise ValueError(f"not an extension: {value!r}")
    return value


async def hang_up(client: AmiClient, channel: str) -> None:
    if not LOCAL_RE.fullmatch(channel):
        _channel(channel)
    await client.command(f"channel request hangup {channel}")


# pjsip_notify.conf's NOTIFY with "Event: talk": a ringing phone that takes it answers.
REMOTE_ANSWER = "ccc-answer"


async def remote_answer(client: AmiClient, endpoint: str) -> None:
    """Ask the endpoint's phones to answer the call that rings them: the workbench's
    browser phone does, and so do desk phones that allow remote answer."""
    if not CHANNEL_RE.fullmatch(f"PJSIP/{endpoint}-00000000"):
        raise ValueError(f"not an endpoint of ours: {endpoint!r}")
    await client.command(f"pjsip send notify {REMOTE_ANSWER} endpoint {endpoint}")


async def attended_transfer(client: AmiClient, channel: str, context: str, exten: str) -> None:
    """The agent's leg consults the target; the other party hears music on hold."""
    await client.action({"Action": "Atxfer", "Channel": _channel(channel),
                         "Context": _context(context), "Exten": _exten(exten)})


async def move_both(client: AmiClient, first: str, first_exten: str, second: str,
                    second_exten: str, context: str) -> None:
    """Move two channels of one call together (neither is left alone to hang up)."""
    for name in (first, second):
        _channel_any(name)
    await client.action({"Action": "Redirect", "Channel": first, "ExtraChannel": second,
                         "Context": _context(context), "ExtraContext": _context(context),
                         "Exten": _conference_exten(first_exten),
                         "ExtraExten": _conference_exten(second_exten),
                         "Priority": "1", "ExtraPriority": "1"})


async def redirect_aside(client: AmiClient, channel: str, context: str, exten: str) -> None:
    """Send one channel, out of its bridge, to an extension of the conference context
    (the others in that bridge stay)."""
    await client.action({"Action": "Redirect", "Channel": _channel_any(channel),
                         "Context": _context(context), "Exten": _conference_exten(exten),
                         "Priority": "1"})


def _conference_exten(value: str) -> str:
    if not re.fullmatch(r"[amhw][1-9][0-9]{2,5}", value):
        raise ValueError(f"not a conference extension: {value!r}")
    return value


async def originate_into(client: AmiClient, target_context: str, target: str,
                         context: str, exten: str) -> None:
    """Call ``target`` (through ``target_context``) and put it in ``exten@context``."""
    await client.command(f"channel originate Local/{_exten(target)}@{_context(target_context)}"
                         f" extension {_conference_exten(exten)}@{_context(context)}")


async def redirect(client: AmiClient, channel: str, context: str, exten: str) -> None:
    await client.command(f"channel redirect {_channel(channel)} "
                         f"{_context(context)},{_exten(exten)},1")


async def originate(client: AmiClient, device: str, context: str, number: str) -> None:
    """Ring the agent's device; once answered it calls ``number`` from ``context``."""
    if not (device.startswith("PJSIP/") and PBX_NAME_RE.fullmatch(device[6:])):
        raise ValueError(f"not a device of ours: {device!r}")
    if not DIAL_NUMBER_RE.fullmatch(number):
        raise ValueError(f"not a number: {number!r}")
    await client.command(f"channel originate {device} extension "
                         f"{number}@{_context(context)}")


async def bridge(client: AmiClient, first: str, second: str) -> None:
    """Connect two channels of ours directly (out of a hold or a conference room)."""
    await client.action({"Action": "Bridge", "Channel1": _channel_any(first),
                         "Channel2": _channel_any(second), "Tone": "no"})


async def originate_bridged(client: AmiClient, target_context: str, target: str,
                            channel: str) -> None:
    """Call ``target``; once it answers, bridge it with ``channel`` (the agent's)."""
    await client.command(f"channel originate Local/{_exten(target)}@{_context(target_context)}"
                         f" application Bridge {_channel(channel)}")


async def originate_spy(client: AmiClient, device: str, context: str, mode: str,
                        spied: str, log_id: int) -> None:
    """Ring the supervisor's device; once answered it spies on ``spied`` (an agent's
    channel read back from the PBX) in ``mode`` (an extension of the supervise context),
    reporting to supervision log row ``log_id``."""
    if not (device.startswith("PJSIP/") and PBX_NAME_RE.fullmatch(device[6:])):
        raise ValueError(f"not a device of ours: {device!r}")
    if mode not in SUPERVISE_EXTENSIONS:
        raise ValueError(f"not a supervision mode: {mode!r}")
    if not isinstance(log_id, int) or isinstance(log_id, bool) or log_id <= 0:
        raise ValueError(f"not a supervision log id: {log_id!r}")
    await client.action({"Action": "Originate", "Channel": device,
                         "Context": _context(context), "Exten": mode, "Priority": "1",
                         "Async": "true", "Timeout": "30000",
                         "Variable": f"{SPY_CHANNEL}={_channel(spied)},{SUPERVISION}={log_id}"})
