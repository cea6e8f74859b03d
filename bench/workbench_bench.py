"""Workbench benchmark: an agent's state change reaching its page, and the page's weight.

A fresh SQLite database (migrated, then filled through the engine's services: one
instance with 300 agents, each with a workbench password) and, in a process of its own,
the web server as ``ccc serve`` runs it (``serve.start_web``) on a free loopback
port. That process also writes the state changes the way ``ccc serve`` does, which
writes them in the process that serves the pages too: the tracker's writer commits an
``agent_state_change`` row. One change at a time, about ten a second, each for an agent
whose page is connected and has shown its previous change; the latency runs from the
start of the write (its commit included) to the moment the page's event stream
delivers it. Pages:

- a real page: Debian's Chromium, headless, signed in through the workbench's sign-in
  form; it counts when the state badge takes the new state (a MutationObserver on
  ``#state``, wall-clock time, the same clock as the writer's);
- with 300 pages, 299 more as HTTP clients of ``/w/<domain>/events`` in this process,
  each with its own agent's session from the real sign-in form; they count when the
  event's bytes arrive. Every fifth change is the real page's, the others go round the
  emulated ones. With one page, every change is the real page's.

The baseline, measured in the same run on the same kinds of page, is a bare stream: a
tiny WSGI app in the same server stack (werkzeug's threaded server, one thread per
stream, in the same process), with no Flask, session or database read. The writer hands
it each change the moment the row is committed, and it wakes only that agent's stream,
which writes the event. That is the least a server-pushed page can cost on this stack
and this machine, so the difference is what the workbench's own design adds: reading
the log every ``live.POLL`` seconds (alone, a uniform 0 to POLL: printed as the feed's
floor), waking the streams, Flask. Its real page is a blank page with the same badge
fed by an EventSource. Also printed: the web process's CPU seconds and threads over the
300-page changes (both streams' runs include the writer's work and the feed's polling,
so their difference is the streams' own), and how long the threads of closed pages
live on (a stream learns that its page is gone only when a write fails).

Then the page's weight: the JS and CSS bytes the workbench page loads (the browser's
resource timing) and its time to interactive (navigation start to the state panel
showing its first state from the stream), the median of N loads, each in a fresh
browser context (cold cache); the baseline is the admin's sign-in page loaded the same
way (its load event: it needs no script to be used).

The machine is shared: medians are steady from run to run, tails (p99, max) follow what
else runs. Everything stays on 127.0.0.1 and is removed at the end; a run takes about two
minutes.

    .venv/bin/python bench/workbench_bench.py [--changes N] [--loads N]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import socket
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, ProxyHandler, build_opener

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runnable from a checkout, installed or not

DOMAIN = "desk.bench"
PASSWORD = "bench password 1"
PAGES = 300
GAP = (0.05, 0.15)       # seconds between two changes: about ten a second at most
DELIVERY_TIMEOUT = 5.0   # a change not on its page by then counts as lost
# Debian's Chromium, launched as the browser tests launch it; nothing leaves loopback.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-proxy-server"]
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
BARE_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>bare</title></head>
<body><span id="state" data-state="OFFLINE"></span><script>
new EventSource("/events/%d").onmessage = (m) => {
  const state = JSON.parse(m.data).state;
  document.getElementById("state").dataset.state = state;
  document.body.dataset.agentState = state;
};</script></body></html>"""
# The time the badge takes each new state, as the page saw it. Functions, not strings:
# the workbench's CSP forbids eval, which Playwright's wait_for_function needs.
OBSERVE = """() => {
  window.__changes = [];
  window.__waiting = [];
  const badge = document.getElementById("state");
  new MutationObserver(() => {
    window.__changes.push([badge.dataset.state,
                           (performance.timeOrigin + performance.now()) / 1000]);
    for (const wake of window.__waiting.splice(0)) wake();
  }).observe(badge, {attributes: true, attributeFilter: ["data-state"]});
}"""
WAIT = """async ([count, ms]) => {
  const end = Date.now() + ms;
  while (window.__changes.length < count && Date.now() < end) {
    await new Promise((wake) => {
      window.__waiting.push(wake);
      setTimeout(wake, end - Date.now());
    });
  }
  return window.__changes.length;
}"""
# Navigation start to the first state the stream shows (body[data-agent-state]).
FIRST_STATE = """window.__firstState = new Promise((resolve) => {
  new MutationObserver((_, observer) => {
    if (document.body && document.body.dataset.agentState) {
      observer.disconnect();
      resolve(performance.now());
    }
  }).observe(document, {subtree: true, childList: true, attributes: true});
});"""
WEIGHT = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const styled = performance.getEntriesByType("resource").filter(
      (r) => /\\.(js|css)(\\?|$)/.test(new URL(r.name).pathname));
  return {dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd,
          html: nav.decodedBodySize,
          files: styled.length, bytes: styled.reduce((s, r) => s + r.decodedBodySize, 0),
          wire: styled.reduce((s, r) => s + r.transferSize, 0)};
}"""


# ---- the server process: the web server as ccc serve runs it, the bare stream, the writer

class BareStreams:
    """The baseline: a WSGI app that pushes each change to its agent's stream at once."""

    def __init__(self):
        self.lock = threading.Lock()
        self.woken: dict[int, threading.Condition] = {}
        self.latest: dict[int, tuple[int, str]] = {}

    def publish(self, agent_id: int, seq: int, data: str) -> None:
        with self.lock:
            self.latest[agent_id] = (seq, data)
            self._condition(agent_id).notify_all()

    def _condition(self, agent_id: int) -> threading.Condition:
        return self.woken.setdefault(agent_id, threading.Condition(self.lock))

    def stream(self, agent_id: int):
        yield b"retry: 1000\n"
        with self.lock:
            seen, data = self.latest.get(agent_id, (0, '{"state": "OFFLINE"}'))
        yield f"id: {seen}\ndata: {data}\n\n".encode()
        while True:
            seen, data = self._next(agent_id, seen, data)
            yield f"id: {seen}\ndata: {data}\n\n".encode()

    def _next(self, agent_id: int, seen: int, data: str) -> tuple[int, str]:
        with self.lock:
            self._condition(agent_id).wait_for(
                lambda: self.latest.get(agent_id, (0,))[0] != seen, timeout=15.0)
            return self.latest.get(agent_id, (seen, data))

    def app(self, environ, start_response):
        kind, _, agent = environ["PATH_INFO"].strip("/").partition("/")
        if kind == "events" and agent.isdigit():
            start_response("200 OK", [("Content-Type", "text/event-stream"),
                                      ("Cache-Control", "no-store")])
            return self.stream(int(agent))
        if kind == "page" and agent.isdigit():
            start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
            return [(BARE_PAGE % int(agent)).encode()]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]


def serve() -> None:
    """Serve the web app and the bare streams; write each change read from stdin."""
    import logging

    from werkzeug.serving import make_server

    from engine.agentstate.states import AgentState, Presence
    from engine.agentstate.tracker import AgentTracker
    from engine.db import utcnow
    from serve import start_web
    from engine.settings import load_settings
    logging.basicConfig(level=logging.INFO)  # as ccc serve logs (the requests, too)
    settings = load_settings()
    web = start_web(settings)
    bare_streams = BareStreams()
    bare = make_server("127.0.0.1", 0, bare_streams.app, threaded=True)
    threading.Thread(target=bare.serve_forever, name="bare", daemon=True).start()
    print(web.server_port, bare.server_port, flush=True)
    tracker = AgentTracker(settings)
    for line in sys.stdin:  # "seq agent_id instance_id state break_code|-"
        seq, agent_id, instance_id, state, code = line.split()
        presence = Presence(AgentState(state), None if code == "-" else code,
                            (f"i{instance_id}-q1",), f"PJSIP/i{instance_id}-{agent_id}-web")
        start, at = time.time(), utcnow()
        tracker._write([(int(agent_id), int(instance_id), presence, at)])  # ccc serve's write
        bare_streams.publish(int(agent_id), int(seq), json.dumps(
            {**presence.as_dict(), "since": at.isoformat() + "Z"}))
        print(seq, start, flush=True)


# ---- the data -------------------------------------------------------------------------

def build(settings) -> tuple[int, list[tuple[int, str]]]:
    """One instance with PAGES agents, each with a workbench password: (instance, agents)."""
    from engine.accounts.service import create_account
    from engine.agents.passwords import set_password
    from engine.agents.service import create_agent
    from engine.instances.service import create_instance
    from engine.uow import transaction
    from werkzeug.security import generate_password_hash
    with transaction(settings) as db:
        create_account(db, "bench", "payg")
        created = create_instance(db, "bench", "Desk", DOMAIN, "01000000001", "landline",
                                  "admin")
        agents = [created.admin_agent] + [create_agent(db, created.instance, f"agent{n}")
                                          for n in range(1, PAGES)]
        set_password(agents[0], PASSWORD)
        # The emulated pages' agents get a cheap hash of the same password: their
        # sign-ins go through the same form and check, but are setup, not measured, and
        # 299 scrypt checks would cost the shared machine a minute of CPU.
        cheap = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
        for agent in agents[1:]:
            agent.password_hash = cheap
        db.flush()
        return created.instance.id, [(agent.id, agent.extension) for agent in agents]


def note(text: str) -> None:
    """Progress, on stderr: the table alone goes to stdout."""
    print(text, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def sign_in(base: str, extension: str) -> str:
    """The workbench's sign-in form, as a browser fills it: the session's cookie header."""
    jar = CookieJar()
    opener = build_opener(ProxyHandler({}), HTTPCookieProcessor(jar))
    url = f"{base}/w/{DOMAIN}/signin"
    with opener.open(url, timeout=60) as answer:
        token = CSRF_INPUT.search(answer.read().decode()).group(1)
    form = urlencode({"csrf_token": token, "extension": extension, "password": PASSWORD})
    with opener.open(url, form.encode(), timeout=60) as answer:
        if not answer.url.endswith(f"/w/{DOMAIN}/"):
            raise RuntimeError(f"agent {extension} was not signed in")
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


def process_figures(pid: int) -> tuple[float, int]:
    """CPU seconds (user plus system) and threads of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return cpu, int(fields[17])


# ---- the pages ------------------------------------------------------------------------

class StreamClient:
    """An agent page emulated: an HTTP client of an event stream, its arrivals timed."""

    def __init__(self, port: int, path: str, cookie: str = ""):
        self.port, self.path, self.cookie = port, path, cookie
        self.events: list[tuple[str, float]] = []  # (state, arrival)
        self.arrived = asyncio.Event()

    async def connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        cookie = f"Cookie: {self.cookie}\r\n" if self.cookie else ""
        self.writer.write(f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
                          f"Accept: text/event-stream\r\n{cookie}\r\n".encode())
        status = await self.reader.readline()
        if b" 200 " not in status:
            raise RuntimeError(f"{self.path}: {status!r}")
        headers = b""
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            headers += line.lower()
        self.task = asyncio.create_task(self._read(b"chunked" in headers))
        await self.wait_for(1, 30.0)  # the state now: connected

    async def _read(self, chunked: bool) -> None:
        buffer = b""
        while True:
            if chunked:
                size = int((await self.reader.readline()).split(b";")[0] or b"0", 16)
                data = (await self.reader.readexactly(size + 2))[:-2] if size else b""
            else:
                data = await self.reader.read(65536)
            if not data:
                return
            now = time.time()
            buffer += data
            while b"\n\n" in buffer:
                block, buffer = buffer.split(b"\n\n", 1)
                for line in block.split(b"\n"):
                    if line.startswith(b"data:"):
                        self.events.append((json.loads(line[5:])["state"], now))
                        self.arrived.set()

    async def wait_for(self, count: int, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while len(self.events) < count and (left := deadline - time.monotonic()) > 0:
            self.arrived.clear()
            try:
                await asyncio.wait_for(self.arrived.wait(), left)
            except TimeoutError:
                break
        return len(self.events)

    async def received(self) -> list[tuple[str, float]]:
        return self.events

    async def close(self) -> None:
        self.task.cancel()
        self.writer.close()


class RealPage:
    """The page in Chromium; its badge's changes timed in the page."""

    def __init__(self, page):
        self.page = page

    async def wait_for(self, count: int, timeout: float) -> int:
        return await self.page.evaluate(WAIT, [count, timeout * 1000])

    async def received(self) -> list[tuple[str, float]]:
        return [tuple(change) for change in await self.page.evaluate("window.__changes")]

    async def close(self) -> None:
        await self.page.context.close()


# ---- one measurement ----------------------------------------------------------------------

class Writer:
    """Sends changes to the server process and collects when each write began."""

    def __init__(self, process, instance_id: int):
        self.process, self.instance_id = process, instance_id
        self.started: dict[int, float] = {}
        self.seq = 0
        self.task = asyncio.create_task(self._collect())

    async def _collect(self) -> None:
        while line := await self.process.stdout.readline():
            seq, start = line.split()
            self.started[int(seq)] = float(start)

    async def write(self, agent_id: int, state: str) -> int:
        self.seq += 1
        code = "Rest" if state == "BREAK" else "-"
        self.process.stdin.write(f"{self.seq} {agent_id} {self.instance_id} {state} {code}\n"
                                 .encode())
        await self.process.stdin.drain()
        return self.seq


async def run_changes(writer: Writer, pages: dict[int, object], schedule: list[int],
                      states: dict[int, str]) -> dict[int, list[float | None]]:
    """Each change in ``schedule`` (agent ids), after that agent's page has its last one;
    the latencies (None: lost) by agent."""
    made = []  # (agent, events before it, state, seq)
    expected = {agent: 0 for agent in pages}
    for agent in schedule:
        have = await pages[agent].wait_for(expected[agent], DELIVERY_TIMEOUT)
        # The gap after the wait, so that a write never follows a delivery (and so the
        # feed's poll) in step: its spread of one poll interval places writes at random.
        await asyncio.sleep(random.uniform(*GAP))
        states[agent] = "BREAK" if states.get(agent) == "READY" else "READY"
        made.append((agent, have, states[agent], await writer.write(agent, states[agent])))
        expected[agent] = have + 1
    for agent, page in pages.items():
        await page.wait_for(expected[agent], DELIVERY_TIMEOUT)
    while len(writer.started) < writer.seq:
        await asyncio.sleep(0.01)
    received = {agent: await page.received() for agent, page in pages.items()}
    latencies: dict[int, list[float | None]] = {}
    for agent, before, state, seq in made:
        arrival = next((t for s, t in received[agent][before:] if s == state), None)
        latencies.setdefault(agent, []).append(
            None if arrival is None else arrival - writer.started[seq])
    return latencies


async def settle(pid: int, idle: int) -> float:
    """Wait until the threads of closed pages' streams have ended (each finds its page
    gone at its next write: a keepalive at the latest); the seconds that took."""
    started = time.perf_counter()
    while process_figures(pid)[1] > idle + 2 and time.perf_counter() - started < 20:
        await asyncio.sleep(0.25)
    return time.perf_counter() - started


async def connect_all(clients: list[StreamClient]) -> None:
    gate = asyncio.Semaphore(20)  # the server's listen queue is 128

    async def one(client: StreamClient) -> None:
        async with gate:
            await client.connect()
    await asyncio.gather(*(one(client) for client in clients))


async def measure(bench, target: str, count: int, changes: int) -> dict:
    """``count`` pages of ``target`` (bare or workbench) connected; ``changes`` changes."""
    real = await bench.open_page(target)
    agents = bench.agents[:count]
    pages = {agents[0][0]: real}
    clients = [bench.client(target, agent_id) for agent_id, _ in agents[1:]]
    started = time.perf_counter()
    await connect_all(clients)
    connect_seconds = time.perf_counter() - started
    pages.update(zip((agent_id for agent_id, _ in agents[1:]), clients, strict=True))
    # Every fifth change on the real page, the others round the emulated ones.
    others = [agent_id for agent_id, _ in agents[1:]] or [agents[0][0]]
    schedule = [agents[0][0] if n % 5 == 0 or count == 1 else others[n % len(others)]
                for n in range(changes)]
    cpu, _ = process_figures(bench.server.pid)
    latencies = await run_changes(bench.writer, pages, schedule, bench.states)
    cpu_after, threads = process_figures(bench.server.pid)
    for page in pages.values():
        await page.close()
    real_figures = latencies.pop(agents[0][0], [])
    emulated = [value for values in latencies.values() for value in values]
    return {"real": real_figures, "emulated": emulated, "cpu": cpu_after - cpu,
            "threads": threads, "connect": connect_seconds,
            "changes": changes}


# ---- the run --------------------------------------------------------------------------------

class Bench:
    def __init__(self, browser, server, web_port: int, bare_port: int, instance_id: int,
                 agents: list[tuple[int, str]], cookies: dict[int, str], storage: dict):
        self.browser, self.server = browser, server
        self.web_port, self.bare_port = web_port, bare_port
        self.agents, self.cookies, self.storage = agents, cookies, storage
        self.writer = Writer(server, instance_id)
        self.states: dict[int, str] = {}

    def client(self, target: str, agent_id: int) -> StreamClient:
        if target == "bare":
            return StreamClient(self.bare_port, f"/events/{agent_id}")
        return StreamClient(self.web_port, f"/w/{DOMAIN}/events", self.cookies[agent_id])

    async def open_page(self, target: str) -> RealPage:
        context = await self.browser.new_context(storage_state=self.storage)
        page = await context.new_page()
        url = (f"http://127.0.0.1:{self.bare_port}/page/{self.agents[0][0]}"
               if target == "bare" else f"http://127.0.0.1:{self.web_port}/w/{DOMAIN}/")
        await page.goto(url)
        await page.wait_for_selector("body[data-agent-state]", state="attached")
        await page.evaluate(OBSERVE)
        return RealPage(page)


async def browser_sign_in(browser, web_port: int, extension: str) -> dict:
    """The real page's agent signs in through the form; its cookies for later pages."""
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(f"http://127.0.0.1:{web_port}/w/{DOMAIN}/signin")
    await page.fill("input[name=extension]", extension)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"**/w/{DOMAIN}/")
    storage = await context.storage_state()
    await context.close()
    return storage


async def page_loads(browser, url: str, storage: dict | None, loads: int) -> list[dict]:
    """``loads`` cold loads of ``url``, each in a fresh context; the page's figures."""
    figures = []
    for _ in range(loads):
        context = await browser.new_context(storage_state=storage)
        page = await context.new_page()
        await page.add_init_script(FIRST_STATE)
        await page.goto(url, wait_until="load")
        first = await asyncio.wait_for(page.evaluate("() => window.__firstState"), 30) \
            if "/w/" in url else None
        figures.append({**await page.evaluate(WEIGHT), "first": first})
        await context.close()
    return figures


async def run(server, web_port: int, bare_port: int, instance_id: int,
              agents: list[tuple[int, str]], changes: int, loads: int) -> dict:
    from playwright.async_api import async_playwright
    loop = asyncio.get_running_loop()
    base = f"http://127.0.0.1:{web_port}"
    started = time.perf_counter()
    note(f"signing in {len(agents) - 1} agents through the form")
    with ThreadPoolExecutor(2) as pool:  # two at a time: the machine has two cores
        signed = await asyncio.gather(
            *(loop.run_in_executor(pool, sign_in, base, ext) for _, ext in agents[1:]))
    cookies = {agent_id: cookie for (agent_id, _), cookie in zip(agents[1:], signed,
                                                                   strict=True)}
    results = {"sign-ins": (len(agents) - 1, time.perf_counter() - started)}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM,
                                                   args=CHROMIUM_ARGS)
        try:
            storage = await browser_sign_in(browser, web_port, agents[0][1])
            bench = Bench(browser, server, web_port, bare_port, instance_id, agents, cookies,
                          storage)
            idle = process_figures(server.pid)[1]
            for count, n in ((1, max(10, changes // 5)), (PAGES, changes)):
                for target in ("bare", "workbench"):
                    await settle(server.pid, idle)  # the last phase's streams are gone
                    note(f"{count} page(s) on the {target} stream, {n} changes")
                    results[(count, target)] = await measure(bench, target, count, n)
            closed = time.perf_counter()
            results["threads closed"] = process_figures(server.pid)[1]
            note(f"{loads} cold loads of each page")
            results["pages"] = {
                "workbench": await page_loads(browser, f"{base}/w/{DOMAIN}/", storage, loads),
                "sign-in": await page_loads(browser, f"{base}/sign-in", None, loads)}
            await settle(server.pid, idle)
            results["threads idle"] = (idle, time.perf_counter() - closed)
        finally:
            await browser.close()
    return results


# ---- the report -----------------------------------------------------------------------------

def cuts(values: list[float | None]) -> str:
    got = sorted(v * 1000 for v in values if v is not None)
    lost = len(values) - len(got)
    if not got:
        return f"{'-':>8}{'-':>8}{'-':>8}{len(values):>6}{lost:>6}"
    p50, p99 = (statistics.quantiles(got, n=100, method="inclusive")[i] for i in (49, 98)) \
        if len(got) > 1 else (got[0], got[0])
    return f"{p50:>8.1f}{p99:>8.1f}{got[-1]:>8.1f}{len(values):>6}{lost:>6}"


def report(results: dict) -> None:
    from webadmin.workbench.live import POLL
    signed, seconds = results["sign-ins"]
    print(f"State change to page, ms (one write at a time, {GAP[0] * 1000:.0f}-"
          f"{GAP[1] * 1000:.0f} ms apart; {signed} agents signed in through the form "
          f"in {seconds:.0f} s)")
    print(f"{'pages':>5}  {'stream':<32}{'page':<10}{'p50':>8}{'p99':>8}{'max':>8}"
          f"{'n':>6}{'lost':>6}")
    names = {"bare": "bare SSE (baseline)", "workbench": f"workbench /w/{DOMAIN}/events"}
    for count in (1, PAGES):
        for target in ("bare", "workbench"):
            cell = results[(count, target)]
            print(f"{count:>5}  {names[target]:<32}{'Chromium':<10}{cuts(cell['real'])}")
            if cell["emulated"]:
                print(f"{count:>5}  {names[target]:<32}{'emulated':<10}{cuts(cell['emulated'])}")
    print(f"{'':>5}  {'feed poll alone (floor)':<32}{'':<10}{POLL * 500:>8.1f}{POLL * 990:>8.1f}"
          f"{POLL * 1000:>8.1f}")
    print(f"\nWeb process during the {PAGES}-page changes (it writes the rows, in both)")
    print(f"{'stream':<32}{'connect s':>10}{'CPU s':>8}{'CPU ms/change':>15}{'threads':>9}")
    for target in ("bare", "workbench"):
        cell = results[(PAGES, target)]
        print(f"{names[target]:<32}{cell['connect']:>10.2f}{cell['cpu']:>8.2f}"
              f"{cell['cpu'] / cell['changes'] * 1000:>15.2f}{cell['threads']:>9}")
    idle, seconds = results["threads idle"]
    print(f"threads: {idle} with no page; {results['threads closed']} just after the "
          f"{PAGES} workbench pages closed, back to {idle} within {seconds:.1f} s")
    print(f"\nPage weight and time to interactive, median of {len(results['pages']['sign-in'])} "
          "cold loads in Chromium")
    print(f"{'page':<22}{'HTML B':>8}{'JS+CSS':>7}{'JS+CSS B':>10}{'wire B':>8}{'DCL ms':>8}"
          f"{'load ms':>9}{'ready ms':>10}")
    for name, loads in results["pages"].items():
        med = {key: statistics.median(load[key] or 0 for load in loads) for key in loads[0]}
        ready = med["first"] if name == "workbench" else med["load"]
        label = "workbench (1st state)" if name == "workbench" else "admin sign-in (load)"
        print(f"{label:<22}{med['html']:>8.0f}{med['files']:>7.0f}{med['bytes']:>10.0f}"
              f"{med['wire']:>8.0f}{med['dcl']:>8.1f}{med['load']:>9.1f}{ready:>10.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--changes", type=int, default=250,
                        help=f"state changes with {PAGES} pages (a fifth of it with one)")
    parser.add_argument("--loads", type=int, default=8, help="page loads per page")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve()
        return
    from engine.migrate import upgrade
    from engine.settings import load_settings
    with tempfile.TemporaryDirectory(prefix="ccc-workbench-bench-") as tmp:
        env = {"CCC_VAR_DIR": tmp, "CCC_DATABASE_URL": f"sqlite:///{tmp}/ccc.sqlite3",
               "CCC_WEB_BIND": "127.0.0.1", "CCC_WEB_PORT": str(free_port()),
               "CCC_AMI_PORT": str(free_port()),  # nobody listens: no PBX is reached
               "CCC_PBX_ROOT": f"{tmp}/pbx-root"}
        settings = load_settings(env)
        note(f"building the data: one instance, {PAGES} agents")
        upgrade(settings.database_url)
        instance_id, agents = build(settings)
        results = asyncio.run(start_and_run(env, tmp, instance_id, agents, args))
    report(results)


async def start_and_run(env: dict, tmp: str, instance_id: int, agents: list, args) -> dict:
    with open(Path(tmp) / "server.log", "wb") as log:
        server = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--serve", env={**os.environ, **env},
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=log)
        try:
            ports = (await asyncio.wait_for(server.stdout.readline(), 60)).split()
            if len(ports) != 2:
                raise SystemExit("the web server did not start: "
                                 + (Path(tmp) / "server.log").read_text()[-2000:])
            return await asyncio.wait_for(
                run(server, int(ports[0]), int(ports[1]), instance_id, agents, args.changes,
                    args.loads), 600)
        finally:
            if server.returncode is None:
                server.terminate()
                await server.wait()


if __name__ == "__main__":
    main()
