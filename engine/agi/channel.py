"""One FastAGI conversation with Asterisk: commands out, replies in, values checked.

panoramisk's ``Request`` does the handshake; the replies are read here because its
parser turns ``200 result=-1 (hangup) endpos=N`` into a bare error (a voicemail needs to
know the recording ended with a hang-up) and cannot tell ``(``/``)`` inside a
variable's value from the reply's own parentheses.
"""
from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

REPLY = re.compile(r"^(?P<code>\d{3})[ -](?:result=(?P<result>-?\d*))?(?P<rest>.*)$")
ENDPOS = re.compile(r"endpos=(\d+)")
# Arguments reach Asterisk's command parser: a newline (or NUL) would end the command
# early and let what follows run as another one.
FORBIDDEN = re.compile(r"[\x00-\x1f\x7f]")
REPLY_TIMEOUT = 330.0  # longer than the longest bounded wait (a 300 s recording)


class AgiHangup(ConnectionError):
    """The caller hung up, or Asterisk closed the session: nothing more can be said."""


class AgiError(Exception):
    """Asterisk refused a command (unknown, bad usage) or it failed on the channel."""


@dataclass(frozen=True)
class Reply:
    code: int
    result: int | None
    data: str | None  # the text in parentheses: a variable's value, "timeout", "hangup"...
    endpos: int | None


def quote(value: str) -> str:
    """One AGI argument: double-quoted, backslash and quote escaped (res_agi parse_args)."""
    text = str(value)
    if FORBIDDEN.search(text):
        raise ValueError(f"control character in an AGI argument: {text!r}")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse_reply(line: str) -> Reply:
    match = REPLY.match(line)
    if match is None:
        raise AgiError(f"unreadable AGI reply {line!r}")
    rest = match["rest"].strip()
    data = None
    if rest.startswith("("):
        # The value runs to the last ")" before any " endpos=": values may hold brackets.
        body = rest[1:]
        cut = body.rfind(") endpos=") if " endpos=" in body else -1
        cut = cut if cut >= 0 else body.rfind(")")
        data, rest = (body[:cut], body[cut + 1:]) if cut >= 0 else (body, "")
    endpos = ENDPOS.search(rest)
    result = match["result"]
    return Reply(int(match["code"]), int(result) if result not in (None, "", "-") else None,
                 data, int(endpos.group(1)) if endpos else None)


class AgiChannel:
    """Sends AGI commands over the session's stream and reads their replies."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 headers: dict[str, str], reply_timeout: float = REPLY_TIMEOUT):
        self.reader, self.writer, self.headers = reader, writer, headers
        self.hung_up = False
        self._linkedid: str | None = None
        # Each reply is awaited for reply_timeout at most. One timer a session, moved
        # only when it fires early, bounds every read: a timeout armed and cancelled
        # per reply (asyncio.timeout) was a fifth of a session's CPU.
        self.reply_timeout = reply_timeout
        self._deadline = 0.0       # loop time by which the reply being read must come
        self._reading: asyncio.Task | None = None  # the task reading it (None: none)
        self._timer: asyncio.TimerHandle | None = None
        self._expired = False

    def close(self) -> None:
        """The session is over: its reply timer goes."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expire(self) -> None:
        self._timer = None
        if self._reading is None:
            return  # no read waits: the next one arms the timer again
        loop = asyncio.get_running_loop()
        if loop.time() < self._deadline:  # a later read moved the deadline
            self._timer = loop.call_at(self._deadline, self._expire)
            return
        self._expired = True
        self._reading.cancel()

    async def _readline(self) -> bytes:
        """One line from Asterisk within reply_timeout (``asyncio.TimeoutError``)."""
        loop = asyncio.get_running_loop()
        self._deadline = loop.time() + self.reply_timeout
        if self._timer is None:
            self._timer = loop.call_at(self._deadline, self._expire)
        self._reading = asyncio.current_task()
        try:
            return await self.reader.readline()
        except asyncio.CancelledError:
            if self._expired and self._reading.uncancel() == 0:
                self._expired = False
                raise asyncio.TimeoutError(
                    f"no AGI reply within {self.reply_timeout:g}s") from None
            raise
        finally:
            self._reading = None

    async def command(self, *words: str) -> Reply:
        """Send one command (words already quoted where needed) and return its reply."""
        line = " ".join(words)
        if FORBIDDEN.search(line):
            raise ValueError(f"control character in an AGI command: {line!r}")
        if self.hung_up:
            raise AgiHangup("the caller hung up")
        self.writer.write(line.encode() + b"\n")
        await self.writer.drain()
        reply = await self._read_reply()
        if reply.code in (510, 520):
            raise AgiError(f"{words[0]}: Asterisk refused the command ({reply.code})")
        if reply.code == 511:  # "Command Not Permitted on a dead channel"
            self.hung_up = True
            raise AgiHangup("the caller hung up")
        if reply.code != 200:
            raise AgiError(f"{words[0]}: unexpected reply {reply}")
        return reply

    async def _read_reply(self) -> Reply:
        while True:
            raw = await self._readline()
            if not raw:
                self.hung_up = True
                raise AgiHangup("Asterisk closed the AGI session")
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            if line == "HANGUP":  # sent once when the channel hangs up; a reply follows
                self.hung_up = True
                continue
            reply = parse_reply(line)
            if reply.code == 100:  # "100 result=0 Trying...": the real reply comes next
                continue
            if line.startswith("520-"):  # usage text up to "520 End of proper usage."
                while not line.startswith("520 "):
                    line = (await self._readline()).decode(errors="replace")
                    if not line:
                        break
            return reply

    # ---- the commands the adapter uses ------------------------------------------------

    async def get_variable(self, name: str) -> str | None:
        reply = await self.command("GET", "VARIABLE", name)
        return reply.data if reply.result == 1 else None

    async def set_variable(self, name: str, value: str) -> None:
        await self.command("SET", "VARIABLE", name, quote(value))

    async def channel_value(self, item: str) -> str | None:
        """A CHANNEL() item such as ``linkedid`` or ``accountcode``."""
        if not item.isalnum():
            raise ValueError(f"invalid CHANNEL item {item!r}")
        reply = await self.command("GET", "FULL", "VARIABLE", "${CHANNEL(%s)}" % item)
        return reply.data if reply.result == 1 else None

    async def linkedid(self) -> str:
        """The call's linked id (agi_uniqueid is this channel's id, not the call's)."""
        if self._linkedid is None:
            value = await self.channel_value("linkedid")
            if not value:
                raise AgiError("no linked id on the channel")
            self._linkedid = value
        return self._linkedid
