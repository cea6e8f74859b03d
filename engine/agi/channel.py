"""One FastAGI connection with Asterisk: its agi_* headers, then commands out and
replies in, values checked.

The connection is an asyncio ``Protocol``, not a pair of streams: a session is a
handshake and a handful of one-line commands, each answered by a line, and the streams'
layers (a reader and a writer, a drain per command, a task per connection before its
headers were in) cost the server more CPU than the session's own work. Replies are
parsed here because ``200 result=-1 (hangup) endpos=N`` is a reply, not an error (a
voicemail needs to know the recording ended with a hang-up), and ``(``/``)`` inside a
variable's value are not the reply's own parentheses.
"""
from __future__ import annotations

import asyncio
import re
from collections import deque
from collections.abc import Callable
from typing import NamedTuple

REPLY = re.compile(r"^(?P<code>\d{3})[ -](?:result=(?P<result>-?\d*))?(?P<rest>.*)$")
ENDPOS = re.compile(r"endpos=(\d+)")
# Arguments reach Asterisk's command parser: a newline (or NUL) would end the command
# early and let what follows run as another one.
FORBIDDEN = re.compile(r"[\x00-\x1f\x7f]")
REPLY_TIMEOUT = 330.0  # longer than the longest bounded wait (a 300 s recording)
# The whole header block within HEADER_TIMEOUT seconds and HEADER_LIMIT bytes, or the
# connection is dropped: a port probe or a stuck peer holds nothing for long.
HEADER_TIMEOUT = 5.0
HEADER_LIMIT = 16 * 1024
# Asterisk answers with short lines, a few at a time (a usage text is the longest): a
# peer past these limits is not speaking AGI, and the session ends.
LINE_LIMIT = 16 * 1024
UNREAD_LIMIT = 1000


class AgiHangup(ConnectionError):
    """The caller hung up, or Asterisk closed the session: nothing more can be said."""


class AgiError(Exception):
    """Asterisk refused a command (unknown, bad usage) or it failed on the channel."""


class Reply(NamedTuple):
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
    result = match["result"]
    result = int(result) if result not in (None, "", "-") else None
    rest = match["rest"].strip()
    if not rest:  # most replies: "200 result=1"
        return Reply(int(match["code"]), result, None, None)
    data = None
    if rest.startswith("("):
        # The value runs to the last ")" before any " endpos=": values may hold brackets.
        body = rest[1:]
        cut = body.rfind(") endpos=") if " endpos=" in body else -1
        cut = cut if cut >= 0 else body.rfind(")")
        data, rest = (body[:cut], body[cut + 1:]) if cut >= 0 else (body, "")
    endpos = ENDPOS.search(rest)
    return Reply(int(match["code"]), result, data, int(endpos.group(1)) if endpos else None)


class AgiChannel(asyncio.Protocol):
    """One FastAGI connection: reads the headers, then sends AGI commands and reads
    their replies.

    ``on_headers(channel)`` is called once the header block is in (``headers``): it
    starts the session, whose task then calls ``command`` and finally ``close``.
    """

    def __init__(self, on_headers: Callable[[AgiChannel], None],
                 reply_timeout: float = REPLY_TIMEOUT):
        self.on_headers = on_headers
        self.headers: dict[str, str] = {}
        self.hung_up = False
        self.transport: asyncio.Transport | None = None
        self._linkedid: str | None = None
        self._started = False   # the headers are in
        self._partial = b""     # bytes received after the last complete line
        self._lines: deque[bytes] = deque()  # complete lines not read yet
        self._ended = False     # the connection is gone: what is left is all there is
        self._error: Exception | None = None  # why, when not a plain close
        self._waiter: asyncio.Future | None = None  # a read waiting for a line
        # Each reply is awaited for reply_timeout at most. One timer a session, moved
        # only when it fires early, bounds every read: a timeout armed and cancelled
        # per reply was a fifth of a session's CPU.
        self.reply_timeout = reply_timeout
        self._deadline = 0.0
        self._timer: asyncio.TimerHandle | None = None

    # ---- the protocol's side: bytes in from the event loop ---------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self._loop = asyncio.get_running_loop()
        self._timer = self._loop.call_later(HEADER_TIMEOUT, self._no_headers)

    def _no_headers(self) -> None:
        self._timer = None
        if not self._started:
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        data = self._partial + data if self._partial else data
        if not self._started:
            self._headers_received(data)
            return
        *lines, self._partial = data.split(b"\n")
        if lines:
            self._lines.extend(lines)
            if len(self._lines) > UNREAD_LIMIT:
                self._fail(AgiError(f"more than {UNREAD_LIMIT} unread lines from Asterisk"))
            waiter = self._waiter
            if waiter is not None and not waiter.done():
                waiter.set_result(None)
        if len(self._partial) > LINE_LIMIT:
            self._fail(AgiError(f"a line from Asterisk longer than {LINE_LIMIT} bytes"))

    def _headers_received(self, data: bytes) -> None:
        end = data.find(b"\n\n")
        if end < 0 or end > HEADER_LIMIT:
            if end > HEADER_LIMIT or len(data) > HEADER_LIMIT:
                self.transport.close()
            else:
                self._partial = data
            return
        self._started, self._partial = True, b""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.headers = dict(line.split(": ", 1) for line in
                            data[:end].decode("utf-8", errors="replace").splitlines()
                            if ": " in line)
        self.on_headers(self)
        if end + 2 < len(data):
            self.data_received(data[end + 2:])

    def connection_lost(self, exc: Exception | None) -> None:
        self._ended = True
        self._error = self._error or exc
        if not self._started and self._timer is not None:
            self._timer.cancel()
            self._timer = None
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _fail(self, error: Exception) -> None:
        self._error = error
        self._lines.clear()
        self.transport.close()

    # ---- the session's side ------------------------------------------------------------

    def close(self) -> None:
        """The session is over: its reply timer goes, and the connection."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.transport is not None:
            self.transport.close()

    def _expire(self) -> None:
        self._timer = None
        waiter = self._waiter
        if waiter is None or waiter.done():
            return  # no read waits: the next one arms the timer again
        if self._loop.time() < self._deadline:  # a later read moved the deadline
            self._timer = self._loop.call_at(self._deadline, self._expire)
            return
        waiter.set_exception(asyncio.TimeoutError(
            f"no AGI reply within {self.reply_timeout:g}s"))

    async def _readline(self) -> bytes | None:
        """One line from Asterisk (without its newline) within reply_timeout
        (``asyncio.TimeoutError``); None once the connection has ended."""
        while not self._lines:
            if self._error is not None:
                raise self._error
            if self._ended:
                line, self._partial = self._partial or None, b""
                return line
            loop = self._loop
            self._deadline = loop.time() + self.reply_timeout
            if self._timer is None:
                self._timer = loop.call_at(self._deadline, self._expire)
            self._waiter = loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._lines.popleft()

    async def command(self, *words: str) -> Reply:
        """Send one command (words already quoted where needed) and return its reply."""
        line = " ".join(words)
        if FORBIDDEN.search(line):
            raise ValueError(f"control character in an AGI command: {line!r}")
        if self.hung_up:
            raise AgiHangup("the caller hung up")
        if not self._ended:
            # Each command waits for its reply: at most one line is ever buffered, so
            # the transport's write buffer needs no draining.
            self.transport.write((line + "\n").encode())
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
            if raw is None:
                self.hung_up = True
                raise AgiHangup("Asterisk closed the AGI session")
            if not raw:
                continue  # a blank line is no reply
            line = raw.decode("utf-8", errors="replace").rstrip("\r")
            if line == "HANGUP":  # sent once when the channel hangs up; a reply follows
                self.hung_up = True
                continue
            reply = parse_reply(line)
            if reply.code == 100:  # "100 result=0 Trying...": the real reply comes next
                continue
            if line.startswith("520-"):  # usage text up to "520 End of proper usage."
                while not line.startswith("520 "):
                    raw = await self._readline()
                    if raw is None:
                        break
                    line = raw.decode(errors="replace")
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
