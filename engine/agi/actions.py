"""Each interpreter action as AGI commands (the adapter only
translates). Terminal actions leave their target on the channel and end the session;
the dialplan does the waiting and calls the ``resume`` route when it comes back.
"""
from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import wave
from collections.abc import Callable
from pathlib import Path

from engine import variables as var
from engine.agi import http
from engine.agents.dedicated import DEVICE_RE, ready_device
from engine.agi.channel import AgiChannel, AgiHangup, quote
from engine.agi.lookups import DatabaseUnavailable
from engine.pools import SPEECH
from engine.audio.tts import spoken_prompt
from engine.calls.service import save_survey, save_voicemail
from engine.ivr.actions import (DialAgent, DialExternal, DigitsResult, GetDigits, Hangup,
                                HttpRequest, Play, Prompt, Queue, Record, RecordResult,
                                SaveSurvey, SetVariables)
from engine.ivr.interpreter import FlowError
from engine.ivr.runtime import CallPlan, agent_endpoint, queue_for
from engine.ivr.spec import PRODUCT_SOUNDS
from engine.settings import Settings
from engine.validation import (AUDIO_NAME_RE, DIAL_NUMBER_RE, IVR_NODE_ID_RE, IVR_STEP_RE,
                               IVR_VARIABLE_RE)

log = logging.getLogger(__name__)
KEYS = "0123456789*#"
SOUND_PATH = re.compile(r"^[a-z0-9_-]+(/[a-z0-9_-]+)*$")  # what spoken_prompt returns
LINKEDID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
MAX_VARIABLES_JSON = 3000  # Asterisk reads a variable back into a 4 KiB buffer


def encode_variables(values: dict[str, str]) -> str:
    """The flow's variables as one channel value: JSON, ASCII only, names checked.

    ``ensure_ascii`` escapes every control character, so the value has no newline to
    end an AGI command; ``quote`` then escapes quotes and backslashes.
    """
    for name, value in values.items():
        if not IVR_VARIABLE_RE.fullmatch(name) or not isinstance(value, str):
            raise FlowError(f"invalid flow variable {name!r}")
    text = json.dumps(values, ensure_ascii=True, sort_keys=True, separators=(",", ":"))
    if len(text) > MAX_VARIABLES_JSON:
        raise FlowError("the flow's variables are too large to keep on the channel")
    return text


def decode_variables(text: str | None) -> dict[str, str]:
    """What ``encode_variables`` wrote; anything else is refused, not half-read."""
    if not text:
        return {}
    try:
        values = json.loads(text)
    except ValueError:
        raise FlowError("unreadable flow variables on the channel") from None
    if not isinstance(values, dict) or not all(
            isinstance(k, str) and IVR_VARIABLE_RE.fullmatch(k) and isinstance(v, str)
            for k, v in values.items()):
        raise FlowError("invalid flow variables on the channel")
    return values


def node_id(value: str | None) -> str:
    """A resume node id as the channel keeps it: "" for none, else a valid id."""
    if value is None:
        return ""
    if not IVR_NODE_ID_RE.fullmatch(value):
        raise FlowError(f"invalid node id {value!r}")
    return value


class ActionRunner:
    """Runs one AGI session's actions on its channel, for one call plan."""

    def __init__(self, settings: Settings, channel: AgiChannel, plan: CallPlan,
                 db: Callable):
        self.settings, self.channel, self.plan, self.db = settings, channel, plan, db

    # ---- prompts --------------------------------------------------------------------

    async def sound(self, prompt: Prompt) -> str:
        """The file the PBX plays for a prompt, as the PBX sees it (no extension)."""
        sounds = self.settings.site_dir_in_pbx / "sounds"
        if prompt.audio is not None:
            if not AUDIO_NAME_RE.fullmatch(prompt.audio):
                raise FlowError(f"invalid prompt name {prompt.audio!r}")
            if prompt.audio in PRODUCT_SOUNDS:
                return str(sounds / prompt.audio)
            return str(sounds / self.plan.pbx_key / prompt.audio)
        if prompt.text:
            loop = asyncio.get_running_loop()  # espeak-ng runs in a thread, once per text
            name = await loop.run_in_executor(SPEECH, spoken_prompt, self.settings, prompt.text)
            if not SOUND_PATH.fullmatch(name):
                raise FlowError(f"invalid spoken prompt {name!r}")
            return str(sounds / name)
        raise FlowError("a prompt with neither audio nor text")

    async def stream(self, prompt: Prompt, escape: str = "") -> str:
        """Play a prompt; return the key that interrupted it ("" when none did)."""
        reply = await self.channel.command("STREAM", "FILE", await self.sound(prompt),
                                           quote(escape))
        if reply.result is None or reply.result < 0:
            # -1: the file could not be played, or the caller hung up; either way the
            # session ends and the dialplan takes over (never silence).
            raise AgiHangup("STREAM FILE failed") if self.channel.hung_up else \
                FlowError("a prompt could not be played")
        return chr(reply.result) if reply.result > 0 else ""

    # ---- actions that wait for an answer -----------------------------------------------

    async def play(self, action: Play) -> None:
        await self.stream(action.prompt)

    async def get_digits(self, action: GetDigits) -> DigitsResult:
        """Keys pressed during the prompt count; then each key may take ``timeout``."""
        digits = await self.stream(action.prompt, KEYS) if action.prompt else ""
        wait_ms = str(int(action.timeout * 1000))
        while len(digits) < action.max_digits and not _ended(digits, action.terminator):
            reply = await self.channel.command("WAIT", "FOR", "DIGIT", wait_ms)
            if reply.result is None or reply.result < 0:
                raise AgiHangup("WAIT FOR DIGIT failed")
            if reply.result == 0:
                break
            digits += chr(reply.result)
        if _ended(digits, action.terminator):
            digits = digits[:-len(action.terminator)]
        return DigitsResult(digits)

    async def record(self, action: Record) -> RecordResult:
        """Voicemail: greeting, then up to ``max_seconds`` of message ("#" ends it).

        The message is stored even when the caller hangs up while speaking: that is
        how most messages end.
        """
        if action.prompt is not None:
            await self.stream(action.prompt)
        linkedid = await self.channel.linkedid()
        if not LINKEDID.fullmatch(linkedid):
            raise FlowError(f"unexpected linked id {linkedid!r}")
        name = f"{linkedid}-{time.time_ns() // 1_000_000}"
        folder = Path("voicemail") / self.plan.pbx_key
        await asyncio.get_running_loop().run_in_executor(
            None, lambda: (self.settings.site_dir / folder).mkdir(parents=True, exist_ok=True))
        target = self.settings.site_dir_in_pbx / folder / name
        try:
            await self.channel.command("RECORD", "FILE", str(target), "wav", quote("#"),
                                       str(action.max_seconds * 1000))
        finally:
            seconds = await self._store_message(self.settings.site_dir / folder / f"{name}.wav",
                                                linkedid)
        return RecordResult(seconds)

    async def _store_message(self, path: Path, linkedid: str) -> int:
        seconds = await asyncio.get_running_loop().run_in_executor(None, _wav_seconds, path)
        if seconds is not None:
            await self.db(save_voicemail, linkedid, self.plan.instance_id, str(path), seconds)
        return seconds or 0

    async def save_survey(self, action: SaveSurvey) -> None:
        await self.db(save_survey, await self.channel.linkedid(), self.plan.instance_id,
                      action.score)

    async def http(self, action: HttpRequest):
        return await http.perform(action, self.settings.ivr_http_allow)

    async def set_variables(self, action: SetVariables) -> None:
        """Nothing to do now: the variables go on the channel when the session ends."""

    # ---- terminal actions: leave the target on the channel ----------------------------

    async def finish(self, action, flow_ref: str, values: dict[str, str],
                     path: list[str] = ()) -> None:
        """Hand the call to the dialplan: everything a resume needs, then the decision
        (set last, so a session cut short leaves no half-made decision)."""
        settings = await self._target(action)
        if not isinstance(action, Hangup):
            if not str(flow_ref).isdigit():
                raise FlowError(f"invalid flow version {flow_ref!r}")
            settings += [(var.FLOW_VERSION, str(flow_ref)),
                         (var.FLOW_VARIABLES, encode_variables(values)),
                         (var.ON_FAILED, node_id(_on_failed(action))),
                         (var.ON_AFTER, node_id(getattr(action, "on_after", None))),
                         # Node ids are identifiers (validated with the flow), keys are
                         # 0-9*#: the agent's pop-up shows where the caller went.
                         (var.IVR_PATH, "/".join(
                             n for n in path if IVR_STEP_RE.fullmatch(n))[-512:])]
        for name, value in settings:
            await self.channel.set_variable(name, value)
        await self.channel.set_variable(var.ACTION, _ACTIONS[type(action)])

    async def dedicated_agent(self) -> list[tuple[str, str]]:
        """The caller's dedicated agent's device, to ring before the queue, when the agent
        is READY (nothing otherwise: the dialplan then goes straight to the queue)."""
        try:
            device = await dedicated_device(self.db, self.plan.instance_id, self.plan.pbx_key,
                                            self.channel.headers.get("agi_callerid", ""))
        except DatabaseUnavailable as error:
            # Who is READY now cannot be remembered: the queue alone takes the caller.
            log.warning("dedicated agent not looked up: %s", error)
            return []
        return [(var.DEDICATED_AGENT, device)] if device else []

    async def _target(self, action) -> list[tuple[str, str]]:
        instance_id = self.plan.instance_id
        if isinstance(action, Queue):
            target = await self.db(queue_for, instance_id, action.skill_group)
            if target is None:
                raise FlowError(f"unknown skill group {action.skill_group!r}")
            timeout = action.timeout if action.timeout is not None else target.timeout
            return [(var.QUEUE, target.queue), (var.QUEUE_TIMEOUT, str(int(timeout))),
                    *await self.dedicated_agent()]
        if isinstance(action, DialAgent):
            endpoint = await self.db(agent_endpoint, instance_id, action.extension)
            if endpoint is None:
                raise FlowError(f"unknown agent {action.extension!r}")
            return [(var.DIAL_AGENT, endpoint), (var.DIAL_TIMEOUT, str(int(action.timeout)))]
        if isinstance(action, DialExternal):
            if not DIAL_NUMBER_RE.fullmatch(action.number):
                raise FlowError(f"invalid number to dial {action.number!r}")
            return [(var.DIAL_NUMBER, action.number),
                    (var.DIAL_TIMEOUT, str(int(action.timeout)))]
        # A hang-up needs nothing but the decision: its reason is the flow's own label,
        # kept in the session's debug line, not a channel variable nobody reads (one
        # AGI round trip less on every call a flow ends).
        return []


_ACTIONS = {Queue: var.ACTION_QUEUE, DialAgent: var.ACTION_AGENT,
            DialExternal: var.ACTION_EXTERNAL, Hangup: var.ACTION_HANGUP}


_FAILED_OUTLET = {Queue: "on_overflow", DialAgent: "on_no_answer", DialExternal: "on_failed"}


def _on_failed(action) -> str | None:
    """The node for "it did not work out": overflow, no answer, the number failed."""
    attribute = _FAILED_OUTLET.get(type(action))
    return getattr(action, attribute) if attribute else None


async def dedicated_device(db: Callable, instance_id: int, pbx_key: str,
                           caller: str) -> str | None:
    """``ready_device`` for a caller of the instance, its shape checked once more: only an
    agent device of this very instance is handed to the dialplan."""
    if not DIAL_NUMBER_RE.fullmatch(caller):
        return None  # anonymous or not a number: nobody's customer, no query
    device = await db(ready_device, instance_id, caller)
    if device is None:
        return None
    if not (DEVICE_RE.fullmatch(device) and device.startswith(f"PJSIP/{pbx_key}-")):
        log.error("dedicated agent device %r is not of instance %s: not rung", device, pbx_key)
        return None
    return device


def _ended(digits: str, terminator: str) -> bool:
    return bool(terminator) and digits.endswith(terminator)


def _wav_seconds(path: Path) -> int | None:
    """Whole seconds of a recorded WAV (None: no file was written)."""
    try:
        with wave.open(str(path), "rb") as recording:
            return round(recording.getnframes() / recording.getframerate())
    except (FileNotFoundError, wave.Error, EOFError, ZeroDivisionError):
        return None
