"""Configuration apply at scale: a full render beside one agent's change going live.

Builds a call center of AGENTS agents in INSTANCES instances (default 10,000 in 300,
each instance with a landline and its `default` skill group) in a fresh SQLite
database, then, in one run:

- the baseline: a full render of every PBX file from the database (seconds, and the
  SQL statements it issued);
- on a live PBX (a site of its own, on its own ports): the first apply of the whole
  configuration, then `create_agent` for one more agent, committed, until the PBX has
  taken the change (seconds), with the AMI connections that apply opened.

    .venv/bin/python bench/apply_bench.py [--agents N] [--instances M] [--no-pbx]
"""
from __future__ import annotations

import argparse
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runnable from a checkout, installed or not

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
        create_account(session, "bench", "payg")
        create_trunk(session, "carrier", "127.0.0.2:5070")
        for n in range(instances):
            create_instance(session, "bench", f"Site {n}", f"site{n}.bench",
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


def full_render(settings, rounds: int) -> tuple[float, int, int]:
    factory = session_factory(settings.database_url)
    counter = count_statements(factory.kw["bind"])
    times = []
    for _ in range(rounds):
        with factory() as session:
            counter["n"] = 0
            start = time.perf_counter()
            files = render_files(session, settings)
            times.append(time.perf_counter() - start)
    return statistics.median(times), counter["n"], sum(len(t) for t in files.values())


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


def live_change(settings, logins: AmiTally, n: int) -> tuple[float, int]:
    before = logins.count
    start = time.perf_counter()
    with transaction(settings, after_pbx_change=lambda s: apply(s, settings)) as session:
        instance = session.scalar(select(Instance).order_by(Instance.id).limit(1))
        create_agent(session, instance, f"newcomer{n}", f"{9000 + n}")
    return time.perf_counter() - start, logins.count - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agents", type=int, default=10_000)
    parser.add_argument("--instances", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-pbx", action="store_true", help="render only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        offset = 700
        env = {"CCC_VAR_DIR": tmp, "CCC_DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
               "CCC_PBX_SITE": f"bench-{os.getpid()}", "CCC_SIP_BIND": "127.0.0.1",
               "CCC_SIP_PORT": str(25160 + offset), "CCC_AMI_PORT": str(25138 + offset),
               "CCC_AGI_PORT": str(24673 + offset), "CCC_RTP_PORTS": "31000-31099"}
        if "CCC_PBX_ROOT" in os.environ:
            env["CCC_PBX_ROOT"] = os.environ["CCC_PBX_ROOT"]
        settings = load_settings(env)
        upgrade(settings.database_url)
        started = time.perf_counter()
        build(settings, args.agents, args.instances)
        with session_factory(settings.database_url)() as session:
            agents = session.query(Agent).count()
        print(f"call center: {agents} agents in {args.instances} instances "
              f"(built in {time.perf_counter() - started:.1f} s)")
        seconds, statements, size = full_render(settings, args.rounds)
        print(f"baseline  full render:            {seconds:7.3f} s  "
              f"{statements:6d} SQL statements  {size / 1e6:.1f} MB of files")
        if args.no_pbx:
            return
        logins = AmiTally()
        try:
            with session_factory(settings.database_url)() as session:
                apply(session, settings)  # the files, before the PBX starts
            start = time.perf_counter()
            pbx_host.start(settings)
            print(f"PBX start with the whole configuration: "
                  f"{time.perf_counter() - start:7.3f} s")
            before = logins.count
            start = time.perf_counter()
            with session_factory(settings.database_url)() as session:
                apply(session, settings)
            print(f"apply with nothing changed:         {time.perf_counter() - start:7.3f} s  "
                  f"{logins.count - before:6d} AMI logins")
            logins.spent()
            results = [live_change(settings, logins, n) for n in range(args.rounds)]
            for seconds, count in results:
                print(f"one agent created, live on the PBX: {seconds:7.3f} s  "
                      f"{count:6d} AMI logins")
            print(f"  AMI time in the last: {logins.spent()}")
        finally:
            pbx_host.stop(settings)
            shutil.rmtree(settings.site_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
