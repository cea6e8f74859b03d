"""A small AMI client on panoramisk: commands, actions and events of one site's Asterisk.

``AmiClient`` is the asyncio face, for long-lived use (``ccc serve`` follows events
with it). ``ami_command``, ``ami_action`` and ``ami_ping`` are synchronous
conveniences for CLI code: each opens a connection, does one thing, and closes it.

panoramisk's ``Manager`` reconnects silently forever and re-sends actions after a
reconnect; here a lost connection is reported instead (``AmiUnavailable``), so the
owner decides when to reconnect and what to replay.
"""
from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Self

from panoramisk import Manager, actions
from panoramisk.ami_protocol import AMIProtocol
from panoramisk.message import Message

from engine.settings import Settings

log = logging.getLogger(__name__)

AMI_HOST = "127.0.0.1"
AMI_USERNAME = "ccc"

EventCallback = Callable[[dict[str, Any]], Awaitable[None] | None]


class AmiError(Exception):
    """Base of every AMI failure."""


class AmiUnavailable(AmiError):
    """Asterisk cannot be reached: not running, not listening yet, or it went away."""


class AmiLoginRejected(AmiError):
    """Asterisk answered but refused the site's credentials."""


class AmiActionFailed(AmiError):
    """Asterisk answered an action with an error."""


@dataclass(frozen=True)
class AmiCredentials:
    host: str
    port: int
    username: str
    secret: str = ""

    def __repr__(self) -> str:  # never print the secret
        return f"AmiCredentials({self.username}@{self.host}:{self.port})"

    @classmethod
    def from_settings(cls, settings: Settings) -> AmiCredentials:
        """The site's AMI account; ``AmiUnavailable`` if the site has no secret yet."""
        from provisioning.secrets import read_ami_secret
        try:
            secret = read_ami_secret(settings)
        except FileNotFoundError as exc:
            raise AmiUnavailable(f"site {settings.site!r} has no AMI secret yet "
                                 f"({exc.filename}): it was never provisioned") from exc
        return cls(AMI_HOST, settings.ami_port, AMI_USERNAME, secret)


def _as_dict(message: Message) -> dict[str, Any]:
    """A panoramisk message as a plain dict with Asterisk's own header names."""
    return {key: value for key, value in message.items() if key != "content"}


class _Action(actions.Action):
    """An action that is answered by one response, or by a list when it says so.

    Asterisk marks every multi-message answer with ``EventList: start`` and ends
    it with a ``...Complete`` event. panoramisk also guesses from the message text
    (an async Originate, a QueueAdd) and then waits for events that a session
    logged in without them never receives.
    """

    @property
    def multi(self) -> bool:
        return str(self.responses[0].get("EventList", "")).lower() == "start"


class _Protocol(AMIProtocol):
    """panoramisk's protocol, minus the parsing of events nobody listens to.

    A session logged in for a class of events (``call``) receives every event of the
    class, a dozen per call, and panoramisk parses each into a message before finding
    that no callback wants it: on a busy PBX that was a fifth of ``ccc serve``'s CPU. An
    event is only parsed here when a registered pattern matches its name, when it
    answers an action (it carries an ActionID), or when it says the PBX shuts down.
    """

    _wanted: dict[str, bool]
    _patterns = -1  # how many patterns ``_wanted`` was worked out for

    def data_received(self, data: bytes) -> None:
        if self.version is None or getattr(self.factory, "save_stream", None):
            return super().data_received(data)  # the greeting, or a stream being saved
        text = data.decode(self.encoding, "ignore")
        if self.queue:
            text = self.queue.popleft() + text
        messages = text.split("\r\n\r\n")
        self.queue.append(messages.pop())
        for line in messages:
            line = line.strip()
            if line.startswith("Event: ") and "\r\nActionID: " not in line:
                name = line[7:line.find("\r")] if "\r" in line else line[7:]
                if not self._listened(name.strip()):
                    continue
            message = Message.from_line(line)
            if message is not None:
                self.handle_message(message)

    def _listened(self, name: str) -> bool:
        patterns = self.factory.patterns
        if self._patterns != len(patterns):  # a callback registered since: work out again
            self._wanted, self._patterns = {}, len(patterns)
        wanted = self._wanted.get(name)
        if wanted is None:
            wanted = self._wanted[name] = name.lower() == "shutdown" or any(
                regexp.match(name) for _pattern, regexp in patterns)
        return wanted


class _Manager(Manager):
    """panoramisk's Manager, minus the silent reconnect on a lost connection."""

    def connection_lost(self, exc: object) -> None:
        self._connected = False
        if self.pinger:
            self.pinger.cancel()
            self.pinger = None
        self.awaiting_actions.clear()
        self.on_disconnect(self, exc)


class AmiClient:
    """One AMI connection to one Asterisk.

    ``events`` is the Login ``Events`` value: ``"off"`` for command-only use,
    ``"on"`` or a class list such as ``"call,agent,cdr"`` to receive events.
    """

    def __init__(self, credentials: AmiCredentials, *, events: str = "off",
                 timeout: float = 5.0) -> None:
        self.credentials = credentials
        self.timeout = timeout
        self._events = events
        self._manager: _Manager | None = None
        self._lost: asyncio.Future[None] | None = None
        self._tasks: set[asyncio.Task] = set()
        self._callbacks: list[tuple[str, EventCallback]] = []

    @classmethod
    def for_site(cls, settings: Settings, **kwargs: Any) -> AmiClient:
        return cls(AmiCredentials.from_settings(settings), **kwargs)

    # -- connection ---------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._lost is not None and not self._lost.done()

    async def connect(self) -> None:
        """Connect and log in; raise ``AmiUnavailable`` or ``AmiLoginRejected``."""
        loop = asyncio.get_running_loop()
        creds = self.credentials
        manager = _Manager(loop=loop, host=creds.host, port=creds.port,
                           username=creds.username, secret=creds.secret,
                           events=self._events, on_disconnect=self._on_disconnect,
                           log=log)
        for pattern, callback in self._callbacks:
            manager.register_event(pattern, self._dispatcher(callback))
        connecting = loop.create_task(loop.create_connection(
            _Protocol, creds.host, creds.port))
        try:
            await asyncio.wait_for(connecting, self.timeout)
        except (TimeoutError, OSError) as exc:
            raise AmiUnavailable(f"cannot connect to AMI at {creds.host}:{creds.port}: "
                                 f"{exc or 'timed out'}") from exc
        self._manager = manager
        self._lost = loop.create_future()
        manager.connection_made(connecting)  # sends Login
        logged_in = False
        try:
            reply = await self._wait(manager.authenticated_future, "Login")
            logged_in = bool(reply.success)
        finally:
            if not logged_in:  # refused, timed out, lost or cancelled
                await self.close()
        if not logged_in:
            raise AmiLoginRejected(f"AMI login as {creds.username!r} refused: "
                                   f"{reply.message or reply.response}")

    async def close(self) -> None:
        """Close the connection (idempotent)."""
        manager, self._manager = self._manager, None
        if self._lost is not None and not self._lost.done():
            self._lost.set_result(None)
        if manager is not None:
            manager.close()
            await asyncio.sleep(0)  # let the transport finish closing its socket

    async def wait_closed(self) -> None:
        """Return when the connection is lost or closed (for a reconnecting owner)."""
        if self._lost is not None:
            await asyncio.shield(self._lost)

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def _on_disconnect(self, manager: Manager, exc: object) -> None:
        if self._lost is not None and not self._lost.done():
            self._lost.set_result(None)

    # -- actions ------------------------------------------------------------

    async def _wait(self, future: asyncio.Future, what: str) -> Any:
        """The answer to an action, or ``AmiUnavailable`` if the connection goes first."""
        # The answer's future is left alone on timeout or cancellation:
        # panoramisk's own callbacks read it, and a late answer is harmless.
        lost = self._lost
        done, _ = await asyncio.wait({future, lost}, timeout=self.timeout,
                                     return_when=asyncio.FIRST_COMPLETED)
        if future in done:
            return future.result()
        if lost in done:
            raise AmiUnavailable(f"AMI connection lost while waiting for {what}")
        raise AmiUnavailable(f"no answer to {what} within {self.timeout:g}s")

    def _require_manager(self) -> _Manager:
        if self._manager is None or not self.connected:
            raise AmiUnavailable("not connected to AMI")
        return self._manager

    async def action(self, action: dict[str, Any]) -> list[dict[str, Any]]:
        """Send an action; return the response followed by its events, if any.

        An action that answers with an event list (``EventList: start``) yields
        the response, every event, and the closing ``...Complete`` event. An
        asynchronous Originate returns once queued: its outcome is an
        ``OriginateResponse`` event, for a client logged in with events.
        """
        manager = self._require_manager()
        name = action.get("Action", "?")
        reply = await self._wait(manager.send_action(_Action(action)), f"action {name}")
        messages = reply if isinstance(reply, list) else [reply]
        first = messages[0]
        if first.get("Response") in ("Error", "Fail", "Failure"):
            raise AmiActionFailed(f"{name}: {first.get('Message', 'failed')}")
        return [_as_dict(m) for m in messages]

    async def command(self, command: str) -> str:
        """Run a CLI command; return its output text."""
        manager = self._require_manager()
        sent = manager.send_action(_Action({"Action": "Command", "Command": command}))
        reply = await self._wait(sent, f"command {command!r}")
        if reply.get("Response") not in ("Success", "Follows"):
            raise AmiActionFailed(f"{command!r}: {reply.get('Message', 'failed')}")
        output = reply.get("Output", [])
        lines = [output] if isinstance(output, str) else list(output)
        if reply.content and reply.content != "--END COMMAND--":  # AMI before 14
            lines.append(reply.content)
        return "\n".join(lines)

    async def ping(self) -> None:
        """Round-trip a Ping; raise ``AmiError`` if Asterisk does not answer."""
        await self.action({"Action": "Ping"})

    # -- events -------------------------------------------------------------

    def on_event(self, pattern: str, callback: EventCallback) -> None:
        """Call ``callback(event_dict)`` for each event whose name matches ``pattern``.

        ``pattern`` is a shell-style pattern (``"Cdr"``, ``"Queue*"``, ``"*"``). The
        callback may be a coroutine function. Register before ``connect``, or
        after: both work. An exception in a callback is logged, never fatal to
        the connection.
        """
        self._callbacks.append((pattern, callback))
        if self._manager is not None:
            self._manager.register_event(pattern, self._dispatcher(callback))

    def _dispatcher(self, callback: EventCallback) -> Callable[[Manager, Message], None]:
        def dispatch(manager: Manager, message: Message) -> None:
            try:
                result = callback(_as_dict(message))
            except Exception:
                log.exception("AMI event callback failed on %s", message.get("Event"))
                return
            if inspect.isawaitable(result):
                task = asyncio.ensure_future(result)
                self._tasks.add(task)
                task.add_done_callback(self._task_done)
        return dispatch

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("AMI event callback failed", exc_info=task.exception())


# -- synchronous conveniences for CLI code ------------------------------------

def _run(settings: Settings, timeout: float, work: Callable[[AmiClient], Awaitable[Any]]) -> Any:
    async def session() -> Any:
        async with AmiClient.for_site(settings, timeout=timeout) as client:
            return await work(client)
    return asyncio.run(session())


def ami_session(settings: Settings, work: Callable[[AmiClient], Awaitable[Any]],
                timeout: float = 10.0) -> Any:
    """Run ``work(client)`` on one AMI connection (several actions, one login)."""
    return _run(settings, timeout, work)


def ami_command(settings: Settings, command: str, timeout: float = 10.0) -> str:
    """Run one CLI command on the site's Asterisk; return its output text."""
    return _run(settings, timeout, lambda client: client.command(command))


def ami_action(settings: Settings, action: dict[str, Any],
               timeout: float = 10.0) -> list[dict[str, Any]]:
    """Send one AMI action; return the response and any listed events, as dicts."""
    return _run(settings, timeout, lambda client: client.action(action))


def ami_ping(settings: Settings, timeout: float = 2.0) -> bool:
    """Whether the site's Asterisk answers AMI (connect, log in, ping) right now."""
    try:
        _run(settings, timeout, lambda client: client.ping())
    except AmiError:
        return False
    return True
