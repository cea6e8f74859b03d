"""Full-stack capacity on the real PBX: SIPp carriers at rising call rates into (a) the
same Asterisk with a static dialplan (Answer, the prompt, Hangup) and (b) a ccc number
whose published flow plays the same prompt over FastAGI and hangs up, ``ccc serve``
ingesting the call records.

    .venv/bin/python bench/callpath_bench.py [--window 60] [--rates 10,20,30,40,60,80]
        [--port-offset N] [--database sqlite|postgres] [--keep] [--baseline DIR]

A throw-away site is provisioned with the operator's ``ccc`` commands (an account, a
carrier trunk, an instance with one number, the flow published and bound), its Asterisk
started from the shared PBX root, ``ccc serve --no-web`` started as the integration
tests start it (tests/integration/callcenter.py). Path (a) is one exact extension added
to the carrier's context at run time over AMI, so both paths run in one Asterisk, the
same codec and the same prompt (sounds/welcome, 2.7 s).

For each path the rates are tried in order, each for ``--window`` seconds of new calls
(SIPp ``-r``), until one fails more than 0.1 % of its calls or SIPp cannot place all
of them before its timeout (the rate was not offered). A call fails when SIPp
counts it failed (no answer, no BYE from the PBX within the receive timeout) or, on
(b), when ``ccc serve`` handed it to the dialplan's fallback instead of playing the flow
(its ccc_calls_total counter). After each window the call records are awaited in the
database: a call without its record counts as lost. CPU per call: the Asterisk's and
``ccc serve``'s user+system time (/proc/<pid>/stat, all threads) over the window and its
drain, divided by the calls placed. ``ccc serve`` runs during (a) too: its figure there is
the cost of ingesting a call record with no IVR.

With ``--baseline DIR`` (an earlier version's source tree, e.g. ``git archive`` of a
commit, with the same database schema), every path also runs with that version's
``ccc serve`` (this checkout's venv, its code first on the path), window by window in
turn with this one's, against the same PBX and database: a change's before and after on
one machine at one time. At each switch the PBX's configuration is applied as that
version renders it, then its serve started and given a few seconds to settle.

The call rate held is bounded by the machine: on a shared host the figures move with
whatever else runs, so both paths run in one run, alternated rate by rate.
"""
from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STATIC_NUMBER = "0999000111"   # (a): an exact extension of the carrier's context
FLOW_NUMBER = "01012345678"    # (b): the instance's number, bound to the flow
PROMPT = "welcome"
FAILED_AT = 0.001              # more than 0.1 % failed: the rate is not held
FLOW = {"format": 1,
        "nodes": [{"id": "start", "type": "start"},
                  {"id": "hello", "type": "play", "prompt": PROMPT}],
        "edges": [{"from": "start", "to": "hello"}]}


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process (all its threads) has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Window:
    path: str
    rate: int
    serve: str = "this"  # which ccc serve ran it: this checkout's or the baseline's
    wanted: int = 0      # rate x window: the calls SIPp was asked to place
    placed: int = 0
    placing: float | None = None  # seconds SIPp took to place all wanted calls
    succeeded: int = 0
    failed: int = 0
    fallback: int = 0
    records: int = 0
    pbx_cpu: float = 0.0
    serve_cpu: float = 0.0
    seconds: float = 0.0

    @property
    def lost(self) -> int:
        return self.failed + self.fallback + max(0, self.placed - self.records)

    @property
    def held(self) -> bool:
        # A rate is held only if it was offered whole: on a starved host SIPp itself
        # falls behind and places fewer calls before its timeout.
        return (self.placed > 0 and self.placed >= self.wanted
                and self.placing is not None and self.placing <= self.window * 1.05 + 1
                and self.lost <= self.placed * FAILED_AT)

    @property
    def window(self) -> float:
        return self.wanted / self.rate

    def line(self) -> str:
        short = f" of {self.wanted}" if self.placed < self.wanted else ""
        pace = f"  placed in {self.placing:.0f} s" if self.placing is not None else ""
        return (f"{self.path:8} {self.serve:8} {self.rate:>5}/s {self.placed:>6}{short} calls "
                f"{self.succeeded:>6} ok "
                f"{self.failed:>4} failed {self.fallback:>4} fallback {self.records:>6} records  "
                f"PBX {self.pbx_cpu / max(1, self.placed) * 1000:6.2f} ms/call  "
                f"serve {self.serve_cpu / max(1, self.placed) * 1000:6.2f} ms/call  "
                f"{'held' if self.held else 'NOT held'}{pace}")


class Bench:
    def __init__(self, args):
        os.environ["CCC_TEST_PORT_OFFSET"] = str(args.port_offset)
        # Imported after the offset is set: the harness reads it at import.
        from tests.integration import callcenter
        self.harness = callcenter
        self.args = args
        self.workdir = Path(tempfile.mkdtemp(prefix="callpath-bench-"))
        self.output = self.workdir / "output"
        self.output.mkdir()
        self.site = f"bench-{os.getpid()}"
        self.database = None
        self.cc = None
        self.serving = "this"
        self.serve_env: dict[str, str] = {}  # more of ccc serve's environment (a soak's)

    # ---- the site ---------------------------------------------------------------------
    def provision(self) -> None:
        from engine.migrate import upgrade
        if self.args.database == "postgres":
            from tests.conftest import postgres_database
            self.database = postgres_database()
            url = self.database.__enter__()
        else:
            url = f"sqlite:///{self.workdir / 'ccc.sqlite3'}"
            upgrade(url)
        env = self.harness.environment(self.workdir, url, self.site)
        # Hundreds of calls up at once need more media ports than a test run's 200.
        env["CCC_RTP_PORTS"] = self.args.rtp_ports
        env.update(self.serve_env)
        self.cc = cc = self.harness.CallCenter(env, self.workdir, self.output)
        cc.ccc("account", "create", "bench", "--plan", "payg")
        cc.ccc("trunk", "create", "--name", "carrier", "--host", self.harness.CARRIER_HOST)
        cc.ccc("instance", "create", "--account", "bench", "--name", "Bench",
               "--domain", "bench.example", "--number", FLOW_NUMBER,
               "--number-type", "landline", "--admin", "admin")
        cc.publish_flow("bench.example", "prompt", FLOW, bind=FLOW_NUMBER)
        cc.ccc("pbx", "start")
        self.static_dialplan()
        cc.start_serve()
        self.scenario = self.output / "caller.xml"
        self.scenario.write_text(self.harness.caller_scenario([], pbx_hangs_up=True))

    def static_dialplan(self) -> None:
        from engine.ami.client import ami_command
        from engine.settings import load_settings
        settings = load_settings(self.cc.env)
        sounds = settings.site_dir_in_pbx / "sounds"
        for priority, app in enumerate(("Answer()", f"Playback({sounds}/{PROMPT})",
                                        "Hangup()"), start=1):
            ami_command(settings, f"dialplan add extension {STATIC_NUMBER},{priority},{app} "
                        "into ccc-from-carrier replace")
        shown = ami_command(settings, f"dialplan show {STATIC_NUMBER}@ccc-from-carrier")
        if "Playback" not in shown:
            raise SystemExit(f"the static dialplan was not added:\n{shown}")

    def use_serve(self, which: str) -> None:
        """Run ``ccc serve`` from this checkout or from the baseline tree."""
        if which == self.serving:
            return
        self.cc.stop_serve()
        if which == "baseline":
            self.cc.env["PYTHONPATH"] = str(Path(self.args.baseline).resolve())
        else:
            self.cc.env.pop("PYTHONPATH", None)
        # The PBX's configuration as that version renders it (what its AMI account is
        # sent, for one), in force before its serve connects; a reload forgets the
        # static extension added at run time.
        self.cc.ccc("pbx", "apply")
        self.static_dialplan()
        self.cc.start_serve()
        self.serving = which
        time.sleep(5)  # its start (AMI connect, the first reads and queries) is over

    def idle(self, seconds: float = 10.0) -> tuple[float, float]:
        """The PBX's and ccc serve's CPU milliseconds per second with no call up: what a
        window's figures include whatever the rate."""
        pbx_pid, serve_pid = self.pids()
        time.sleep(2)  # ccc serve's start (AMI connect, the first reads) is over
        pbx, serve = cpu_seconds(pbx_pid), cpu_seconds(serve_pid)
        time.sleep(seconds)
        return ((cpu_seconds(pbx_pid) - pbx) / seconds * 1000,
                (cpu_seconds(serve_pid) - serve) / seconds * 1000)

    def pids(self) -> tuple[int, int]:
        from engine.settings import load_settings
        from provisioning import pbx_process
        return (pbx_process.running_pid(load_settings(self.cc.env)),
                self.cc.serve_process.pid)

    def close(self) -> None:
        if self.cc is not None:
            self.cc.stop_serve()
            self.cc.kill_sipps()
            from engine.settings import load_settings
            from provisioning import pbx_host
            settings = load_settings(self.cc.env)
            pbx_host.stop(settings)
            if not self.args.keep:
                shutil.rmtree(settings.site_dir, ignore_errors=True)
        if self.database is not None:
            self.database.__exit__(None, None, None)
        if not self.args.keep:
            shutil.rmtree(self.workdir, ignore_errors=True)
        else:
            print(f"kept: {self.workdir}")

    # ---- counters ---------------------------------------------------------------------
    def fallbacks(self) -> int:
        port = self.cc.env["CCC_METRICS_PORT"]
        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read()
        for line in text.decode().splitlines():
            if line.startswith('ccc_calls_total{outcome="fallback"}'):
                return int(float(line.split()[-1]))
        return 0

    def record_count(self) -> int:
        from sqlalchemy import func, select

        from engine.calls.models import CallRecord
        from engine.settings import load_settings
        from engine.uow import transaction
        with transaction(load_settings(self.cc.env)) as db:
            return db.scalar(select(func.count()).select_from(CallRecord))

    # ---- one window -------------------------------------------------------------------
    def window(self, path: str, rate: int) -> Window:
        number = STATIC_NUMBER if path == "static" else FLOW_NUMBER
        result = Window(path, rate, self.serving)
        calls = result.wanted = rate * self.args.window
        stats = self.output / f"{path}-{rate}.csv"
        pbx_pid, serve_pid = self.pids()
        records, fallbacks = self.record_count(), self.fallbacks()
        pbx_cpu, serve_cpu = cpu_seconds(pbx_pid), cpu_seconds(serve_pid)
        started = time.monotonic()
        port = self.cc.env["CCC_SIP_PORT"]
        carrier = self.harness.CARRIER
        argv = ["sipp", "-sf", str(self.scenario), "-i", carrier[0], "-p", str(carrier[1]),
                "-s", number, "-key", "caller", "13800000000",
                "-r", str(rate), "-rp", "1000", "-m", str(calls),
                # SIPp's own cap on open calls is 3 x rate by default, one second's worth
                # per call: calls of 3 s hit it and SIPp held its rate back by a quarter
                # every third second. The cap here only bounds calls the PBX never ends.
                "-l", str(rate * 30),
                # A call whose answer or BYE does not come in time has failed.
                "-recv_timeout", "20000", "-timeout", f"{self.args.window + 60}s",
                "-nostdin", "-trace_stat", "-stf", str(stats), "-fd", "1",
                "-mp", str(16000 + 4 * self.harness.PORT_OFFSET),
                f"{self.harness.PBX_IP}:{port}"]
        with open(stats.with_suffix(".out"), "w") as out:
            subprocess.run(argv, cwd=self.output, stdout=out, stderr=subprocess.STDOUT,
                           timeout=self.args.window + 120)
        pbx_after = cpu_seconds(pbx_pid)
        result.succeeded, result.failed, result.placing = _sipp_totals(stats, calls)
        result.placed = result.succeeded + result.failed
        # The records: every call journaled, then ingested (a few seconds at most).
        deadline, last, steady = time.monotonic() + 30, -1, time.monotonic()
        while time.monotonic() < deadline:
            now = self.record_count() - records
            if now >= result.placed:
                break
            if now != last:
                last, steady = now, time.monotonic()
            elif time.monotonic() - steady > 5:
                break
            time.sleep(0.2)
        result.records = self.record_count() - records
        result.seconds = time.monotonic() - started
        result.serve_cpu = cpu_seconds(serve_pid) - serve_cpu
        result.pbx_cpu = pbx_after - pbx_cpu
        result.fallback = self.fallbacks() - fallbacks
        time.sleep(2)  # the last calls' channels gone before the next window
        return result


def _sipp_totals(stats: Path, wanted: int) -> tuple[int, int, float | None]:
    """Successful and failed calls, cumulative, from SIPp's last statistics line, and
    the seconds it took to place ``wanted`` calls (None if it never did): a starved
    SIPp falls behind its rate, and a rate not offered was not held."""
    if not stats.exists():
        return 0, 0, None
    rows = list(csv.DictReader(stats.open(), delimiter=";"))
    if not rows:
        return 0, 0, None
    last = rows[-1]
    placing = next((_elapsed(row["ElapsedTime(C)"]) for row in rows
                    if int(row["OutgoingCall(C)"]) >= wanted), None)
    return int(last["SuccessfulCall(C)"]), int(last["FailedCall(C)"]), placing


def _elapsed(text: str) -> float:
    """SIPp's elapsed time in its statistics: hours:minutes:seconds (whole seconds)."""
    hours, minutes, seconds = (int(part) for part in text.split(":")[:3])
    return hours * 3600 + minutes * 60 + seconds


def report(results: dict[tuple[str, str], list[Window]], window: int) -> None:
    print(f"\nFull-stack capacity, {window} s windows, prompt {PROMPT} "
          f"(failure bound {FAILED_AT:.1%})")
    best = {}
    for key, windows in results.items():
        held = [w for w in windows if w.held]
        best[key] = max(held, key=lambda w: w.rate) if held else None
    columns = [key for key in results]
    names = {"static": "(a) static", "flow": "(b) ccc flow"}
    print(f"{'':28}" + "".join(f"{names[p] + (' base' if s == 'baseline' else ''):>18}"
                              for p, s in columns))

    def row(label, value):
        cells = [value(best[k]) if best.get(k) else "-" for k in columns]
        print(f"{label:28}" + "".join(f"{cell:>18}" for cell in cells))
    row("highest rate held, calls/s", lambda w: f"{w.rate}")
    row("PBX CPU, ms/call", lambda w: f"{w.pbx_cpu / w.placed * 1000:.2f}")
    row("ccc serve CPU, ms/call", lambda w: f"{w.serve_cpu / w.placed * 1000:.2f}")
    row("stack CPU, ms/call",
        lambda w: f"{(w.pbx_cpu + w.serve_cpu) / w.placed * 1000:.2f}")
    static, flow = best.get(("static", "this")), best.get(("flow", "this"))
    if static and flow:
        print(f"ratio (b)/(a) of rates held: {flow.rate / static.rate:.2f} (target >= 0.8)")
    for key in columns:
        if results.get(key) and all(w.held for w in results[key]):
            print(f"{key[0]} ({key[1]}): every rate tried was held; the limit is above "
                  f"{results[key][-1].rate}/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--window", type=int, default=60, help="seconds of new calls per rate")
    parser.add_argument("--rates", default="10,20,30,40,60,80",
                        help="calls per second to try, rising, comma-separated")
    parser.add_argument("--paths", default="static,flow", help="static, flow or both")
    parser.add_argument("--port-offset", type=int,
                        default=int(os.environ.get("CCC_TEST_PORT_OFFSET", "0")))
    parser.add_argument("--rtp-ports", default="10000-11999",
                        help="the bench site's media ports (two per call up)")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--keep", action="store_true", help="keep the site and its logs")
    parser.add_argument("--baseline", metavar="DIR",
                        help="an earlier version's source tree whose ccc serve runs each "
                             "window too, in turn with this one's")
    args = parser.parse_args()
    rates = [int(r) for r in args.rates.split(",")]
    paths = [p for p in args.paths.split(",") if p]
    bench = Bench(args)
    serves = ["baseline", "this"] if args.baseline else ["this"]
    keys = [(path, serve) for path in paths for serve in serves]
    results: dict[tuple[str, str], list[Window]] = {key: [] for key in keys}
    try:
        bench.provision()
        for serve in serves:
            bench.use_serve(serve)
            pbx_idle, serve_idle = bench.idle()
            print(f"idle ({serve} serve): PBX {pbx_idle:.1f} ms/s, ccc serve "
                  f"{serve_idle:.1f} ms/s of CPU", flush=True)
        for number, rate in enumerate(rates):
            # Alternate which serve goes first, so neither always meets a warmer machine.
            order = keys if number % 2 == 0 else [(p, s) for p in paths
                                                  for s in reversed(serves)]
            for key in order:
                if results[key] and not results[key][-1].held:
                    continue  # this path already failed a lower rate
                bench.use_serve(key[1])
                window = bench.window(key[0], rate)
                results[key].append(window)
                print(window.line(), flush=True)
            if all(results[k] and not results[k][-1].held for k in keys):
                break
    finally:
        bench.close()
    report(results, args.window)


if __name__ == "__main__":
    main()
