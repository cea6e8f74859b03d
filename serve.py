"""``ccc serve``: the long-running side of the call center in one asyncio loop, and the
composition root that wires it (above the engine and the web app, which it starts):

- the FastAGI server the dialplan asks what to do with each inbound call;
- the engine's jobs (engine/jobs.py): call-record and queue-event ingestion and the
  journals' rotation, the AMI listener behind agents' states, recordings and their
  retention, the supervision log, the guard against SIP password guessing, the numbers'
  schedule, Prometheus metrics;
- the web admin, in a thread (a WSGI app must not block the loop), unless ``--no-web``
  (under systemd, gunicorn serves it as a unit of its own).

The loop is uvloop's (libuv's, ``run_loop``): this process's work is many small messages
(FastAGI commands and replies, AMI events), each of which costs libuv's loop less CPU
than asyncio's own (bench/agi_bench.py runs a server on both).
"""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
from collections.abc import Coroutine
from typing import Any

import uvloop

from engine.agentstate.tracker import AgentTracker
from engine.agi.server import start_agi_server
from engine.calls.interrupted import StartNotes
from engine.jobs import (Guard, Ingestor, RecordingCollector, RetentionJob, listen_ami,
                         note_starts, number_schedule, start_metrics)
from engine.memtrace import install as trace_memory
from engine.pools import BACKGROUND
from engine.reports.holds import HoldLog
from engine.settings import Settings

log = logging.getLogger(__name__)
# Seconds a stopping ccc serve gives the IVR sessions in progress to end (a session ends
# as soon as its flow hands the caller to a queue, an agent or a hang-up).
SESSION_GRACE = 10.0


def start_web(settings: Settings):
    from werkzeug.serving import make_server

    from webadmin import create_app
    ssl_context = None
    if settings.tls:
        from provisioning.tls import certificate
        ssl_context = tuple(str(path) for path in certificate(settings, log.warning))
    server = make_server(settings.web_bind, settings.web_port, create_app(settings),
                         threaded=True, ssl_context=ssl_context)
    threading.Thread(target=server.serve_forever, name="web", daemon=True).start()
    return server


async def main(settings: Settings, web: bool) -> None:
    starts = StartNotes(settings)
    agi, agi_app = await start_agi_server(settings, starts)
    loop = asyncio.get_running_loop()
    # Outbound decisions need the phone-number region data, slow to load: loaded once
    # the FastAGI port is open, not before (a restart is back to taking calls sooner).
    warm = loop.run_in_executor(BACKGROUND, _load_regions)
    ingestor = Ingestor(settings)
    web_server = start_web(settings) if web else None
    metrics_server = start_metrics(settings, ingestor)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    trace_memory(loop, settings.site_dir / "log")
    tracker = AgentTracker(settings)
    tasks = [asyncio.create_task(ingestor.run()),
             asyncio.create_task(note_starts(starts)),
             asyncio.create_task(tracker.run_writer()),
             asyncio.create_task(tracker.run_housekeeping()),
             asyncio.create_task(listen_ami(settings, ingestor, tracker, HoldLog(settings))),
             asyncio.create_task(RecordingCollector(settings).run()),
             asyncio.create_task(RetentionJob(settings).run()),
             asyncio.create_task(Guard(settings).run()),
             asyncio.create_task(number_schedule(settings))]
    web_url = f"{settings.web_scheme}://{settings.web_bind}:{settings.web_port}/"
    log.info("serving: FastAGI on 127.0.0.1:%d%s%s", settings.agi_port,
             f", web admin on {web_url}" if web else "",
             f", metrics on http://{settings.metrics_bind}:{settings.metrics_port}/metrics"
             if metrics_server else "")
    try:
        await stop.wait()
    finally:
        # No new session from now on (the dialplan's fallback takes new callers); the
        # sessions in progress may end their flows first.
        log.info("stopping: no new IVR session; letting those in progress end")
        agi.close()
        left = await agi_app.drain(SESSION_GRACE)
        if left:
            log.warning("stopping with %d IVR sessions still going: their callers go to "
                        "the dialplan's fallback", left)
        for task in [*tasks, warm]:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await agi.wait_closed()
        try:  # the last second's starts: a PBX that dies later must not lose those calls
            await loop.run_in_executor(BACKGROUND, starts.write, starts.take())
        except Exception:
            log.exception("the last calls' starts not written")
        for server in (web_server, metrics_server):
            if server is not None:
                server.shutdown()


def _load_regions() -> None:
    from engine.compliance import regions
    regions.load()


def run(settings: Settings, web: bool = True) -> None:
    # Under systemd the journal stamps every line with its time and the unit; a
    # terminal gets the time in the line.
    stamp = "" if os.environ.get("JOURNAL_STREAM") else "%(asctime)s "
    logging.basicConfig(level=settings.log_level,
                        format=stamp + "%(levelname)s %(name)s: %(message)s")
    run_loop(main(settings, web))


def run_loop(main: Coroutine) -> Any:
    """Run ``main`` to its end on the event loop ``ccc serve`` uses (bench/agi_bench.py
    runs the FastAGI server on it too)."""
    return uvloop.run(main)
