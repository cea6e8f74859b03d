"""What the IVR interpreter asks a PBX adapter to do, and what the adapter answers.

Frozen dataclasses: the contract between ``engine.ivr.interpreter`` and the adapters
(``engine.agi``, later ``engine.esl``) and the simulator; see FORMAT.md beside this file.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Prompt:
    """An audio file of the instance's library (or a product sound), or text for espeak-ng."""

    audio: str | None = None
    text: str | None = None


# ---- actions that need no answer ------------------------------------------------------

@dataclass(frozen=True)
class Play:
    prompt: Prompt


@dataclass(frozen=True)
class SaveSurvey:
    """Store the caller's 1-5 score with the call record."""

    score: int


@dataclass(frozen=True)
class SetVariables:
    """Variables changed by the flow, for adapters that mirror them on the channel."""

    values: dict[str, str] = field(default_factory=dict)


# ---- actions that wait for an answer (give it with ``Interpreter.give``) ---------------

@dataclass(frozen=True)
class GetDigits:
    """Play the prompt (if any) and collect up to ``max_digits`` keys; answer DigitsResult."""

    prompt: Prompt | None
    max_digits: int
    timeout: float
    terminator: str = ""


@dataclass(frozen=True)
class Record:
    """Voicemail: play the greeting, record at most ``max_seconds``; answer RecordResult."""

    prompt: Prompt | None
    max_seconds: int


@dataclass(frozen=True)
class HttpRequest:
    """POST ``body`` as JSON to ``url``; answer HttpResult. The adapter does the I/O."""

    url: str
    body: dict
    timeout: float


# ---- terminal actions: the session ends, the dialplan does the waiting -----------------

@dataclass(frozen=True)
class Queue:
    skill_group: str
    timeout: int | None = None       # None: the skill group's own wait timeout
    on_overflow: str | None = None   # node ids to resume at; None: no such outlet
    on_after: str | None = None


@dataclass(frozen=True)
class DialAgent:
    extension: str
    timeout: int = 30
    on_no_answer: str | None = None
    on_after: str | None = None


@dataclass(frozen=True)
class DialExternal:
    number: str
    timeout: int = 60
    on_failed: str | None = None


@dataclass(frozen=True)
class Hangup:
    reason: str = ""


Action = Play | SaveSurvey | SetVariables | GetDigits | Record | HttpRequest | \
    Queue | DialAgent | DialExternal | Hangup
TERMINAL = (Queue, DialAgent, DialExternal, Hangup)


# ---- answers --------------------------------------------------------------------------

@dataclass(frozen=True)
class DigitsResult:
    digits: str  # "" when the caller pressed nothing before the timeout


@dataclass(frozen=True)
class RecordResult:
    seconds: int


@dataclass(frozen=True)
class HttpResult:
    status: int | None        # None: no answer (timeout, refused, ...)
    body: dict | None = None  # None: not a JSON object


Result = DigitsResult | RecordResult | HttpResult
# Which answer each waiting action expects.
EXPECTS: dict[type, type] = {GetDigits: DigitsResult, Record: RecordResult,
                             HttpRequest: HttpResult}
