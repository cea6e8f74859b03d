"""FastAGI server: adapts the pure IVR interpreter to Asterisk.

Three IVR-side routes and the supervision log's. ``inbound`` starts a new call on the
number's latest published flow version; ``resume`` continues a call the dialplan hands
back (queue overflow, no answer, the agent hung up) on the very version and variables it
left on the channel; ``outbound`` decides an agent's outbound call (engine/agi/outbound.py).
A session ends as soon as the flow names a queue, an agent, a number or a hang-up
(so restarting this server never drops a waiting caller); the dialplan then does
the waiting. Any failure leaves CCC_ACTION unset, which sends the caller to the
dialplan's fallback, never to silence. Each connection is an ``AgiChannel``
(engine/agi/channel.py: the handshake, commands and replies).
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone

from engine import variables as var
from engine.agi.actions import ActionRunner, decode_variables, dedicated_device, node_id
from engine.agi.channel import AgiChannel, AgiError, AgiHangup
from engine.agi.lookups import DatabaseUnavailable, Lookups
from engine.calls.interrupted import Start, StartNotes
from engine.agi.outbound import OutboundRoutes
from engine.agi.tracking import RunTracking
from engine.callcontrol import supervision
from engine.db import get_engine, session_factory
from engine.errors import DomainError
from engine.metrics import AGI_SECONDS, CALLS, FAILURES
from engine.ivr.actions import (TERMINAL, DialAgent, DialExternal, GetDigits, Hangup,
                                HttpRequest, Play, Queue, Record, SaveSurvey, SetVariables)
from engine.ivr.interpreter import CallContext, FlowError, Interpreter
from engine.instances.models import Instance
from engine.ivr.runtime import CallPlan, instance_of_number, plan_for_number, plan_for_version
from engine.reports.ivr import IvrOutcome
from engine.settings import Settings

log = logging.getLogger(__name__)
# What each non-terminal action is, on the adapter's side.
STEPS = {Play: ActionRunner.play, GetDigits: ActionRunner.get_digits,
         Record: ActionRunner.record, SaveSurvey: ActionRunner.save_survey,
         HttpRequest: ActionRunner.http, SetVariables: ActionRunner.set_variables}
# Failures that end a session early and hand the caller to the dialplan's fallback.
SESSION_FAILURES = (FlowError, AgiError, AgiHangup, DomainError, OSError, ValueError,
                    asyncio.TimeoutError)
# How a run that handed the call on ended, for the IVR report.
OUTCOMES = {Queue: IvrOutcome.QUEUE, DialAgent: IvrOutcome.AGENT,
            DialExternal: IvrOutcome.EXTERNAL, Hangup: IvrOutcome.COMPLETED}


class IvrRoutes:
    def __init__(self, settings: Settings, starts: StartNotes | None = None):
        self.settings = settings
        self.starts = starts  # where an inbound call's start is noted (None: nowhere)
        # Each service function in its own committed transaction, off the event loop,
        # on call setup's own threads, bounded in time (engine/agi/lookups.py).
        self.db = Lookups(settings.database_url)
        # IVR tracking rows, written after the session (engine/agi/tracking.py).
        self.tracking = RunTracking(settings.database_url)

    async def inbound(self, channel: AgiChannel) -> None:
        """A new call: the number's latest published version, from its start node."""
        digits = channel.headers.get("agi_extension", "")
        try:
            plan = await self.db(plan_for_number, digits)
        except DatabaseUnavailable:
            self._note_start(channel, None, digits)
            raise
        if plan is None:
            log.warning("no published flow for number %r: dialplan fallback", digits)
            instance_id = await self.db(instance_of_number, digits)
            self._note_start(channel, instance_id, digits)
            await self._before_fallback(channel, instance_id)
            return
        self._note_start(channel, plan.instance_id, digits)
        try:
            await self._run(channel, plan, {}, None)
        except SESSION_FAILURES:
            if not channel.hung_up:
                await self._before_fallback(channel, plan.instance_id)
            raise

    def _note_start(self, channel: AgiChannel, instance_id: int | None, digits: str) -> None:
        """Note that the call began, so that a PBX dying during it cannot lose it
        (engine/calls/interrupted.py). The inbound context runs on the call's first
        channel (the carrier's, or an agent's own on a test call), whose unique id is
        the call's linked id."""
        if self.starts is None:
            return
        self.starts.note(Start(pbx_call_id=channel.headers.get("agi_uniqueid", ""),
                               instance_id=instance_id, number=digits,
                               caller=channel.headers.get("agi_callerid", ""),
                               started_at=datetime.now(timezone.utc).replace(tzinfo=None)))

    async def _before_fallback(self, channel: AgiChannel, instance_id: int | None) -> None:
        """The fallback queue is a queue handoff too: the caller's dedicated agent, if
        READY, rings first. Best effort: the fallback must happen whatever fails here."""
        if instance_id is None:
            return
        try:
            device = await dedicated_device(self.db, instance_id,
                                            Instance.pbx_key_for(instance_id),
                                            channel.headers.get("agi_callerid", ""))
            if device:
                await channel.set_variable(var.DEDICATED_AGENT, device)
        except SESSION_FAILURES as error:
            log.warning("dedicated agent for the fallback not looked up: %s", error)

    async def resume(self, channel: AgiChannel) -> None:
        """A call back from the dialplan: the version it started with, never a newer one."""
        version = await channel.get_variable(var.FLOW_VERSION) or ""
        resume_at = node_id(await channel.get_variable(var.RESUME_AT))
        values = decode_variables(await channel.get_variable(var.FLOW_VARIABLES))
        if not version.isdigit() or not resume_at:
            raise FlowError(f"nothing to resume (version {version!r}, node {resume_at!r})")
        plan = await self.db(plan_for_version, int(version))
        if plan is None:
            raise FlowError(f"flow version {version} is not published")
        # Every PBX object is per instance: the version must be of the instance whose
        # context runs the call.
        if await channel.channel_value("accountcode") != plan.pbx_key:
            raise FlowError(f"flow version {version} is not of this call's instance")
        await self._run(channel, plan, values, resume_at)

    async def _run(self, channel: AgiChannel, plan: CallPlan, values: dict[str, str],
                   resume_at: str | None) -> None:
        context = CallContext(caller=channel.headers.get("agi_callerid", ""),
                              dialled=channel.headers.get("agi_extension", ""),
                              instance_id=plan.instance_id, now=datetime.now(timezone.utc),
                              variables=values)
        interpreter = Interpreter(plan.document, context, plan.flows.get,
                                  flow_ref=str(plan.flow_version_id), resume_at=resume_at)
        runner = ActionRunner(self.settings, channel, plan, self.db)
        outcome = IvrOutcome.FAILED
        try:
            while True:
                action = interpreter.next_action()
                if isinstance(action, TERMINAL):
                    await runner.finish(action, interpreter.flow_ref, interpreter.variables,
                                        interpreter.trail())
                    outcome = OUTCOMES[type(action)]
                    # Each run's trail and outcome is kept in the IVR tracking rows;
                    # a line per call is for debugging (at a busy PBX's rate, writing
                    # it cost more than the session's own parsing).
                    log.debug("call %s: %s after %s%s", channel.headers.get("agi_uniqueid"),
                              type(action).__name__, "/".join(interpreter.path),
                              f" ({action.reason!r})" if isinstance(action, Hangup) else "")
                    return
                answer = await STEPS[type(action)](runner, action)
                if answer is not None:
                    interpreter.give(answer)
        except AgiHangup:
            outcome = IvrOutcome.DROPPED
            raise
        finally:
            if channel.hung_up and outcome is IvrOutcome.FAILED:
                outcome = IvrOutcome.DROPPED
            self._track(channel, plan, context.now, interpreter.trail(), outcome)
            interpreter.close()

    def _track(self, channel: AgiChannel, plan: CallPlan, started: datetime,
               trail: list[str], outcome: IvrOutcome) -> None:
        """The run's one row of IVR tracking, written once the session has handed the
        caller on (the session does not wait for it). Best effort: the call goes on
        whatever happens here."""
        row = dict(instance_id=plan.instance_id, flow_version_id=plan.flow_version_id,
                   pbx_call_id=channel.headers.get("agi_uniqueid", ""),
                   number=channel.headers.get("agi_extension", ""),
                   started_at=started.astimezone(timezone.utc).replace(tzinfo=None),
                   ended_at=datetime.now(timezone.utc).replace(tzinfo=None),
                   trail=trail, outcome=outcome)
        self.tracking.track(row)

    def route(self, handler):
        name = handler.__name__
        seconds = AGI_SECONDS.labels(name)
        calls = {}  # the calls counter's children, per outcome: looked up once

        async def serve(channel: AgiChannel) -> None:
            # Anything but an ending or a fallback propagates: counted as failed.
            started, outcome = time.monotonic(), "failed"
            try:
                await handler(channel)
                outcome = "completed"
            except SESSION_FAILURES as error:
                outcome = "fallback"
                FAILURES.labels("agi_session").inc()
                log.error("IVR %s failed for %r: %s; dialplan fallback", name,
                          channel.headers.get("agi_extension"), error)
            finally:
                channel.close()
                seconds.observe(time.monotonic() - started)
                if name == "inbound":
                    counter = calls.get(outcome)
                    if counter is None:
                        counter = calls[outcome] = CALLS.labels(outcome)
                    counter.inc()
        serve.__name__ = name
        return serve


# Connections the kernel queues before they are accepted. asyncio's default (100) is
# overrun when a busy PBX opens hundreds of sessions at once, and a dropped SYN is sent
# again only after a second: the caller waits a second more before the first prompt.
BACKLOG = 1024
Route = Callable[[AgiChannel], Awaitable[None]]
# Turns of the event loop from a connection's accept to its session's task (the accept,
# the transport's connection_made, the headers' data_received), given before a stopping
# server counts the sessions it waits for.
ACCEPT_TURNS = 4


class AgiApplication:
    """The FastAGI server's routes, one per script name the dialplan calls
    (``agi://host/NAME``), and the sessions in progress.

    Each connection is an ``AgiChannel`` (``connection`` is the protocol factory); once
    its headers are in, its route runs in a task of its own. A connection that sends no
    complete header block in time is dropped by the channel without a task.
    """

    def __init__(self):
        self.table: dict[str, Route] = {}
        self.sessions: set[asyncio.Task] = set()
        self.routes: IvrRoutes | None = None

    def add_route(self, script: str, route: Route) -> None:
        self.table[script] = route

    def connection(self) -> AgiChannel:
        return AgiChannel(self._start)

    def _start(self, channel: AgiChannel) -> None:
        script = channel.headers.get("agi_network_script", "")
        route = self.table.get(script)
        if route is None:
            log.error("no FastAGI route for %r", script)
            channel.close()
            return
        task = asyncio.get_running_loop().create_task(self._serve(route, channel))
        self.sessions.add(task)
        task.add_done_callback(self.sessions.discard)

    async def _serve(self, route: Route, channel: AgiChannel) -> None:
        try:
            await route(channel)
        except Exception:
            log.exception("FastAGI route %r failed", channel.headers.get("agi_network_script"))
        finally:
            channel.close()

    async def drain(self, grace: float) -> int:
        """Wait up to ``grace`` seconds for the sessions in progress to end (a stopping
        server first stops listening): a caller in the middle of a prompt hears the
        flow to its end instead of the fallback. The sessions still going then are
        ended (their callers go to the dialplan's fallback). Returns how many.

        A connection accepted just before the stop may have no session task yet (its
        accept, transport and headers take a few turns of the loop): those sessions are
        waited for too, not ended with the loop (seen at ten calls a second: callers got
        the fallback in the middle of the flow)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        while True:
            for _ in range(ACCEPT_TURNS):
                await asyncio.sleep(0)
            going = {task for task in self.sessions if not task.done()}
            if not going or loop.time() >= deadline:
                break
            await asyncio.wait(going, timeout=deadline - loop.time())
        for task in going:
            task.cancel()
        if going:
            await asyncio.wait(going)
        if self.routes is not None:  # the runs that ended are tracked before the stop
            await self.routes.tracking.flush()
        return len(going)


class SupervisionRoute:
    """The supervisor's leg reports its answer and its hang-up to the supervision log.

    The time is the moment the PBX called; the act's own transaction may still be
    committing (a phone that answers at once), so a row not found yet is looked for
    again for a few seconds.
    """

    ATTEMPTS, PAUSE = 20, 0.25

    def __init__(self, settings: Settings):
        self.sessions = session_factory(settings.database_url)

    def _record(self, log_id: str, event: str, context: str, at: datetime) -> bool:
        with self.sessions() as session, session.begin():
            return supervision.record_leg(session, log_id, event, context, at)

    async def serve(self, channel: AgiChannel) -> None:
        headers = channel.headers
        event = headers.get("agi_arg_1", "")
        at = datetime.now(timezone.utc).replace(tzinfo=None)
        # The row's id comes as an argument: the hang-up's session runs on a dead
        # channel, where reading variables is not to be relied on.
        log_id = headers.get("agi_arg_2", "")
        try:
            loop = asyncio.get_running_loop()
            for _ in range(self.ATTEMPTS):
                if await loop.run_in_executor(None, self._record, log_id, event,
                                              headers.get("agi_context", ""), at):
                    return
                await asyncio.sleep(self.PAUSE)
            log.warning("supervision log %r not found for %s", log_id, event)
        except SESSION_FAILURES as error:
            log.error("supervision %s not logged: %s", event, error)


def build_application(settings: Settings, starts: StartNotes | None = None) -> AgiApplication:
    app = AgiApplication()
    routes = app.routes = IvrRoutes(settings, starts)
    outbound = OutboundRoutes(get_engine(settings.database_url))
    # Explicit registration: the dialplan calls exactly these.
    app.add_route(var.ROUTE_INBOUND, routes.route(routes.inbound))
    app.add_route(var.ROUTE_RESUME, routes.route(routes.resume))
    app.add_route(var.ROUTE_OUTBOUND, routes.route(outbound.outbound))
    app.add_route(var.ROUTE_SUPERVISION, SupervisionRoute(settings).serve)
    return app


async def start_agi_server(settings: Settings, starts: StartNotes | None = None
                           ) -> tuple[asyncio.AbstractServer, AgiApplication]:
    """Listen on loopback only: the PBX runs on this host, nobody else may ask."""
    app = build_application(settings, starts)
    return await listen(app, settings.agi_port), app


async def listen(app: AgiApplication, port: int) -> asyncio.AbstractServer:
    """Serve ``app`` on loopback ``port`` (0: a free one)."""
    return await asyncio.get_running_loop().create_server(app.connection, "127.0.0.1", port,
                                                          backlog=BACKLOG)
