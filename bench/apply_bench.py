"""Configuration apply at scale: a full render and one agent's change going live, each
beside the baseline (the code of another revision, main by default) in the same run.

Builds a call center of AGENTS agents in INSTANCES instances (default 10,000 in 300,
each instance with a landline and its `default` skill group) in a fresh SQLite
database, then measures, for the baseline's code and for this checkout's, each in its
own process against the same database and the same running PBX:

- a full render of every PBX file from the database (seconds, and the process's CPU
  seconds, which other work on a shared host moves less; SQL statements);
- on the live PBX (a site of its own, on its own ports): an apply that puts that code's
  files in force, then `create_agent` for one more agent, committed, until the PBX has
  taken the change (seconds), with the AMI logins that apply made and where its AMI
  time went.

The load average is printed beside each figure: on a shared host it moves them.

    .venv/bin/python bench/apply_bench.py [--agents N] [--instances M] [--rounds R]
                                          [--baseline REV] [--no-pbx]
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The code measured: this checkout, or a baseline's tree when run as a worker.
CODE = Path(os.environ.get("CCC_BENCH_CODE", ROOT))
sys.path.insert(0, str(CODE))  # runnable from a checkout, installed or not

from sqlalchemy import event, insert, select  # noqa: E402

from engine.agents.models import Agent, AgentSkillGroup  # noqa: E402
from engine.agents.service import create_agent  # noqa: E402
from engine.ami import client as ami_client  # noqa: E402
from engine.db import session_factory  # noqa: E402
from engine.instances.models import Instance  # noqa: E402
from engine.instances.service import create_instance  # noqa: E402
from engine.migrate import upgrade  # noqa: E402
from engine.numbers.models import NumberSkillGroup  # noqa: E402
from engine.accounts.service import create_account  # noqa: E402
from engine.settings import load_settings  # noqa: E402
from engine.skillgroups.models import SkillGroup  # noqa: E402
from engine.trunks.service import create_trunk  # noqa: E402
from engine.uow import transaction  # noqa: E402
from provisioning import pbx_host  # noqa: E402
from provisioning.apply import apply  # noqa: E402
from provisioning.render import render_files  # noqa: E402


def build(settings, agents: int, instances: int) -> None:
    """The call center: instances through the service, agents by bulk insert."""
    with transaction(settings) as session:
        account = create_account(session, "bench", "payg")
        create_trunk(session, "carrier", "127.0.0.2:5070")
        for n in range(instances):
            create_instance(session, account, f"Site {n}", f"site{n}.bench",
                            f"010{n:08d}", "landline", f"admin{n}")
    with transaction(settings) as session:
        groups = {g.instance_id: g.id for g in session.scalars(select(SkillGroup))}
        instance_ids = sorted(groups)
        extra = max(0, agents - instances)  # every instance already has its admin
        rows, members = [], []
        for n, instance_id in enumerate(instance_ids):
            for k in range(extra // instances + (n < extra % instances)):
                rows.append({"instance_id": instance_id, "extension": str(2000 + k),
                             "name": f"agent{k}", "sip_secret": secrets.token_hex(16)})
        session.execute(insert(Agent), rows)
        for agent in session.execute(select(Agent.id, Agent.instance_id)
                                     .where(Agent.extension >= "2000")):
            members.append({"agent_id": agent.id, "skill_group_id": groups[agent.instance_id],
                            "level": 1})
        session.execute(insert(AgentSkillGroup), members)
        assert session.scalar(select(NumberSkillGroup).limit(1)) is not None


def count_statements(engine):
    counter = {"n": 0}

    @event.listens_for(engine, "before_cursor_execute")
    def _count(*_args):
        counter["n"] += 1
    return counter


def full_render(settings, rounds: int) -> dict:
    factory = session_factory(settings.database_url)
    counter = count_statements(factory.kw["bind"])
    times, cpu = [], []
    for _ in range(rounds):
        with factory() as session:
            counter["n"] = 0
            start, start_cpu = time.perf_counter(), time.process_time()
            files = render_files(session, settings)
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
    return {"seconds": statistics.median(times), "best": min(times), "statements": counter["n"],
            "cpu": statistics.median(cpu),
            "megabytes": sum(len(t) for t in files.values()) / 1e6, "load": load()}


class AmiTally:
    """Counts the AMI logins this process makes (every apply talks to AMI from here) and
    the seconds spent in each kind of AMI command, to show where an apply's time goes."""

    def __init__(self):
        self.count = 0
        self.seconds: dict[str, float] = {}
        connect, command = ami_client.AmiClient.connect, ami_client.AmiClient.command

        async def counting_connect(client):
            self.count += 1
            return await connect(client)

        async def timed_command(client, text):
            start = time.perf_counter()
            try:
                return await command(client, text)
            finally:
                kind = " ".join(text.split()[:2])
                self.seconds[kind] = self.seconds.get(kind, 0.0) + time.perf_counter() - start
        ami_client.AmiClient.connect = counting_connect
        ami_client.AmiClient.command = timed_command

    def spent(self) -> str:
        top = sorted(self.seconds.items(), key=lambda item: -item[1])[:4]
        self.seconds = {}
        return ", ".join(f"{kind} {seconds:.2f} s" for kind, seconds in top)


def load() -> float:
    return os.getloadavg()[0]


def write_files(settings) -> dict:
    """This code's files, written while the PBX is stopped (it starts with them)."""
    with session_factory(settings.database_url)() as session:
        result = apply(session, settings)
    return {"changed": result.changed, "live": result.live}


def live_changes(settings, rounds: int, first: int) -> dict:
    """Create ``rounds`` agents one at a time on the running PBX."""
    from provisioning.apply import ApplyError
    logins = AmiTally()
    changes = []
    for n in range(first, first + rounds):
        logins.spent()
        before = logins.count
        start = time.perf_counter()
        failed = ""
        try:
            with transaction(settings, after_pbx_change=lambda s: apply(s, settings)) as session:
                instance = session.scalar(select(Instance).order_by(Instance.id).limit(1))
                create_agent(session, instance, f"newcomer{n}", f"{9000 + n}")
        except ApplyError as error:  # the baseline's, on a busy host: a figure too
            failed = f"FAILED: {error}"
        changes.append({"seconds": time.perf_counter() - start,
                        "logins": logins.count - before, "ami": logins.spent(),
                        "load": load(), "failed": failed})
    return {"changes": changes}


def worker(kind: str, settings, rounds: int, first: int) -> None:
    result = (full_render(settings, rounds) if kind == "render"
              else write_files(settings) if kind == "write"
              else live_changes(settings, rounds, first))
    print(json.dumps(result))


def run_worker(code: Path, kind: str, env: dict, rounds: int, first: int = 0) -> dict:
    """The measurement in a process of its own, importing ``code``'s modules."""
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--worker", kind,
         "--rounds", str(rounds), "--first", str(first)],
        env={**os.environ, **env, "CCC_BENCH_CODE": str(code)},
        check=False, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"the {kind} measurement of {code} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def extract(revision: str, target: Path) -> Path:
    """The baseline's code: ``git archive`` of the revision, unpacked."""
    target.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def environment(tmp: str) -> dict:
    # Its own ports, beside a test run (CCC_TEST_PORT_OFFSET as the tests take it).
    offset = int(os.environ.get("CCC_TEST_PORT_OFFSET", "700"))
    env = {"CCC_VAR_DIR": tmp, "CCC_DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
           "CCC_PBX_SITE": f"bench-{os.getpid()}", "CCC_SIP_BIND": "127.0.0.1",
           "CCC_SIP_PORT": str(25160 + offset), "CCC_AMI_PORT": str(25138 + offset),
           "CCC_AGI_PORT": str(24673 + offset), "CCC_PBX_HTTP_PORT": str(28188 + offset),
           "CCC_RTP_PORTS": f"{31000 + 2 * offset}-{31000 + 2 * offset + 19}"}
    if "CCC_PBX_ROOT" in os.environ:
        env["CCC_PBX_ROOT"] = os.environ["CCC_PBX_ROOT"]
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agents", type=int, default=10_000)
    parser.add_argument("--instances", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", default="main", help="the revision to compare with")
    parser.add_argument("--no-pbx", action="store_true", help="render only")
    parser.add_argument("--worker", choices=("render", "write", "change"), help=argparse.SUPPRESS)
    parser.add_argument("--first", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, load_settings(dict(os.environ)), args.rounds, args.first)
        return
    with tempfile.TemporaryDirectory() as tmp:
        env = environment(tmp)
        settings = load_settings(env)
        sides = {f"baseline ({args.baseline})": extract(args.baseline, Path(tmp) / "baseline"),
                 "this checkout": ROOT}
        upgrade(settings.database_url)
        started = time.perf_counter()
        build(settings, args.agents, args.instances)
        with session_factory(settings.database_url)() as session:
            agents = session.query(Agent).count()
        print(f"call center: {agents} agents in {args.instances} instances "
              f"(built in {time.perf_counter() - started:.1f} s)")
        print(f"full render ({args.rounds} rounds a process, the processes taking turns):")
        for name, code in [*sides.items()] * 2:
            r = run_worker(code, "render", env, args.rounds)
            print(f"  {name:<22} median {r['seconds']:6.3f} s  best {r['best']:6.3f} s  "
                  f"CPU {r['cpu']:6.3f} s  {r['statements']:4d} SQL statements  "
                  f"{r['megabytes']:5.1f} MB of files  (load {r['load']:.1f})")
        if args.no_pbx:
            return
        try:
            print("one agent created, live on the PBX (each side on a PBX started with "
                  "its own files):")
            for n, (name, code) in enumerate(sides.items()):
                pbx_host.stop(settings)
                written = run_worker(code, "write", env, 1)
                assert not written["live"], "the PBX runs: the files are not the side's own"
                start = time.perf_counter()
                pbx_host.start(settings)
                print(f"  {name}: PBX started in {time.perf_counter() - start:.3f} s "
                      f"(load {load():.1f})")
                r = run_worker(code, "change", env, args.rounds, first=n * args.rounds)
                for change in r["changes"]:
                    print(f"  {name:<22} {change['seconds']:7.3f} s  {change['logins']:2d} AMI "
                          f"logins  (load {change['load']:.1f})  AMI: {change['ami']}"
                          + (f"\n    {change['failed']}" if change["failed"] else ""))
        finally:
            pbx_host.stop(settings)
            shutil.rmtree(settings.site_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
