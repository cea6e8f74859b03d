"""FastAGI server (panoramisk): adapts the pure IVR interpreter to Asterisk.

The session ends as soon as the flow names a queue or a hang-up (ARCHITECTURE
decision 2); the dialplan then does the waiting. Any failure leaves CCC_ACTION unset,
which sends the caller to the dialplan's fallback, never to silence.
"""
from __future__ import annotations

import asyncio
import logging
import re

from collections import OrderedDict

from panoramisk.fast_agi import Application, Request

from engine import variables
from engine.db import session_factory
from engine.ivr.interpreter import FlowError, Hangup, Interpreter, Play, Queue
from engine.ivr.runtime import CallPlan, plan_for_number, queue_for
from engine.settings import Settings

log = logging.getLogger(__name__)
PROMPT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def _quote(value: str) -> str:
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


class InboundRoute:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.sessions = session_factory(settings.database_url)

    async def _db(self, function, *args):
        # Database work runs in the default thread pool: the loop never blocks on it.
        def work():
            with self.sessions() as session:
                return function(session, *args)
        return await asyncio.get_running_loop().run_in_executor(None, work)

    async def __call__(self, request) -> None:
        digits = request.headers.get("agi_extension", "")
        try:
            plan = await self._db(plan_for_number, digits)
            if plan is None:
                log.warning("no published flow for number %r: dialplan fallback", digits)
                return
            await self._set(request, variables.FLOW_VERSION, str(plan.flow_version_id))
            await self._run(request, plan)
        except (FlowError, ConnectionError, OSError) as error:
            log.error("IVR failed for %r: %s; dialplan fallback", digits, error)

    async def _run(self, request, plan: CallPlan) -> None:
        interpreter = Interpreter(plan.document)
        while True:
            action = interpreter.next_action()
            if isinstance(action, Play):
                await self._play(request, action.prompt)
            elif isinstance(action, Queue):
                target = await self._db(queue_for, plan.instance_id, action.skill_group)
                if target is None:
                    raise FlowError(f"unknown skill group {action.skill_group!r}")
                await self._set(request, variables.QUEUE, target.queue)
                await self._set(request, variables.QUEUE_TIMEOUT, str(target.timeout))
                await self._set(request, variables.ACTION, variables.ACTION_QUEUE)
                return
            elif isinstance(action, Hangup):
                await self._set(request, variables.HANGUP_REASON, action.reason)
                await self._set(request, variables.ACTION, variables.ACTION_HANGUP)
                return
            if interpreter.current is None:
                await self._set(request, variables.ACTION, variables.ACTION_HANGUP)
                return

    async def _play(self, request, prompt: str) -> None:
        if not PROMPT_NAME.fullmatch(prompt):  # a final "\n" would end the AGI command
            raise FlowError(f"invalid prompt name {prompt!r}")
        path = self.settings.site_dir_in_pbx / "sounds" / prompt
        await _command(request, f'STREAM FILE {path} ""')

    async def _set(self, request, name: str, value: str) -> None:
        await _command(request, f"SET VARIABLE {name} {_quote(value)}")


async def _command(request, command: str) -> dict:
    result = await request.send_command(command)
    if "error" in result:
        # Hang-ups and errors end the session; the dialplan decides what follows.
        reason = result.get("msg") or result["error"]
        raise ConnectionError(f"{command.split()[0]} failed: {reason}")
    return result


HEADER_TIMEOUT = 5.0
HEADER_LIMIT = 16 * 1024


class AgiApplication(Application):
    """panoramisk's Application with a safe handshake.

    panoramisk 1.4 reads the AGI headers in a loop that spins forever on a connection
    closed before the blank line (a port probe is enough), blocking the event loop.
    Here the headers are read with a size limit and a timeout, and such a connection
    is simply dropped; routes still receive panoramisk ``Request`` objects.
    """

    async def handler(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            block = await asyncio.wait_for(reader.readuntil(b"\n\n"), HEADER_TIMEOUT)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError,
                ConnectionError):
            writer.close()
            return
        lines = block.decode(self.default_encoding, errors="replace").splitlines()
        headers = OrderedDict(line.split(": ", 1) for line in lines if ": " in line)
        route = self._route.get(headers.get("agi_network_script", ""))
        try:
            if route is None:
                log.error("no FastAGI route for %r", headers.get("agi_network_script"))
            else:
                await route(Request(app=self, headers=headers, reader=reader, writer=writer,
                                    encoding=self.default_encoding))
        except Exception:
            log.exception("FastAGI route %r failed", headers.get("agi_network_script"))
        finally:
            writer.close()


def build_application(settings: Settings) -> AgiApplication:
    app = AgiApplication(loop=asyncio.get_running_loop())
    app.add_route("inbound", InboundRoute(settings).__call__)
    return app


async def start_agi_server(settings: Settings) -> asyncio.AbstractServer:
    """Listen on loopback only: the PBX runs on this host, nobody else may ask."""
    app = build_application(settings)
    return await asyncio.start_server(app.handler, "127.0.0.1", settings.agi_port,
                                      limit=HEADER_LIMIT)
