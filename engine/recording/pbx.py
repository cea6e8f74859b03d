"""The PBX side of an agent's recording controls: start, mute (pause) and unmute.

Only a channel name read back from the PBX (the other party of the agent's own call), a
file path the engine built from the instance's key and the call's linked id, and fixed
words reach a command.

Privileges: MixMonitor's AMI action needs the ``system`` write class (which also loads
modules and restarts the PBX), so the recording starts through the ``mixmonitor start``
CLI command under the ``command`` class ccc's account already has. MixMonitorMute and
Setvar need only the ``call`` class, which it has too: manager.conf grants nothing new.
"""
from __future__ import annotations

import re
from pathlib import PurePosixPath

from engine.ami.client import AmiClient
from engine.variables import RECORDING, RECORDING_PAUSED

_CHANNEL = re.compile(r"^[A-Za-z]+/[A-Za-z0-9_.@;:+-]{1,120}$")
_PATH = re.compile(r"^(/[A-Za-z0-9_.-]+)+\.wav$")


def _channel(name: str) -> str:
    if not _CHANNEL.fullmatch(name):
        raise ValueError(f"not a channel name: {name!r}")
    return name


async def start(client: AmiClient, channel: str, path: PurePosixPath) -> bool:
    """Record ``channel`` into ``path`` while it is bridged (b), both directions, its
    MixMonitor id in the recording variable (i). False when the channel is gone."""
    text = str(path)
    if not _PATH.fullmatch(text) or ".." in text:
        raise ValueError(f"not a recording path: {text!r}")
    output = await client.command(f"mixmonitor start {_channel(channel)} {text},bi({RECORDING})")
    return "No channel" not in output


async def mute(client: AmiClient, channel: str, muted: bool) -> None:
    """Pause (silence written in place of both directions) or resume the recording."""
    await client.action({"Action": "MixMonitorMute", "Channel": _channel(channel),
                         "Direction": "both", "State": "1" if muted else "0"})
    await client.action({"Action": "Setvar", "Channel": channel,
                         "Variable": RECORDING_PAUSED, "Value": "1" if muted else ""})
