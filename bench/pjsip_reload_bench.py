"""What one `module reload res_pjsip.so` costs the PBX at scale, with no file changed and
with one agent's password changed: the floor under any apply that reloads PJSIP.

Builds the call center of apply_bench (AGENTS agents in INSTANCES instances, two
endpoints, auths and AORs per agent) in a fresh database, renders its files, starts a
PBX of its own (CCC_TEST_PORT_OFFSET's ports) and times the reload ROUNDS times each way,
and `pjsip list endpoints` beside it.

What it showed on a two-core host: at 10,000 agents (20,001 endpoints) the reload takes
2.9-3.6 s with no file changed (Asterisk's config wizard skips an unchanged file), 4.4-5
s with one password changed; at 5,000 agents (10,001 endpoints) 0.6-0.8 s and 1.3 s:
four times less for half the endpoints. The floor is not the parsing: res_pjsip's reload
task always resynchronizes its OPTIONS state (pjsip_options.c), which retrieves every
AOR and every endpoint into a container sorted by id (ast_sorcery_object_id_sort,
quadratic in their number), whatever the files. Splitting pjsip.conf therefore cannot
bring an agent's change under a second; nor can several `config` wizards for one object
type in sorcery.conf: Asterisk maps one wizard of each kind per type and ignores the
others (AST_SORCERY_APPLY_DUPLICATE, logged at debug level only).

``--one-bucket`` tries the one layout that could make that sort linear: endpoints and
AORs each in a single hash bucket of the config wizard (sorcery.conf ``buckets=1``), in
pjsip.conf in descending order of id, so each object retrieved goes to the head of the
sorted list. Measured at 10,000 agents on a two-core host, the same day: the reload with
nothing changed fell from 4.7-6.2 s to 1.2-2.8 s, but with one password changed it rose
from 7.6-8.5 s to 15.3-18.3 s (two runs; loading a changed file looks each object up in its
container before adding it, and one bucket makes each look-up a walk of the list), and
every look-up by id at run time (each REGISTER, each call to an agent) walks it too. Not
used.

    .venv/bin/python bench/pjsip_reload_bench.py [--agents N] [--instances M] [--rounds R]
                                                 [--one-bucket]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import apply_bench  # noqa: E402  (sets up the import path of the code measured)

from engine.ami.client import AmiClient  # noqa: E402
from engine.db import session_factory  # noqa: E402
from engine.migrate import upgrade  # noqa: E402
from engine.settings import load_settings  # noqa: E402
from provisioning import pbx_host  # noqa: E402
from provisioning.apply import apply_files, swap_to, write_generation  # noqa: E402
from provisioning.render import render_files  # noqa: E402


async def _timed(settings, commands: list[str]) -> list[float]:
    """Seconds each command took, on one AMI session."""
    async with AmiClient.for_site(settings, timeout=600) as client:
        seconds = []
        for command in commands:
            start = time.perf_counter()
            await client.command(command)
            seconds.append(time.perf_counter() - start)
        return seconds


def timed(settings, *commands: str) -> list[float]:
    return asyncio.run(_timed(settings, list(commands)))


def new_password(files: dict[str, str], user: str) -> dict[str, str]:
    """The same files with ``user``'s password changed, as an agent's change would."""
    pattern = re.compile(rf"(^\[{re.escape(user)}\]\ntype=auth\n(?:[^\[\n].*\n)*?password=)\S+",
                         re.M)
    text, count = pattern.subn(lambda m: m.group(1) + secrets.token_hex(16), files["pjsip.conf"])
    if count != 1:
        raise SystemExit(f"no auth section for {user} in pjsip.conf")
    return {**files, "pjsip.conf": text}


def one_bucket(files: dict[str, str]) -> dict[str, str]:
    """The same files with endpoints and AORs in one bucket each, every section of
    pjsip.conf after [global] in descending order of its name (a type's order in the
    file is its order in the bucket)."""
    head, *sections = re.split(r"(?m)^(?=\[)", files["pjsip.conf"])
    first = [s for s in sections if s.startswith("[global]")]
    rest = sorted((s if s.endswith("\n") else s + "\n" for s in sections
                   if not s.startswith("[global]")),
                  key=lambda s: s.split("]", 1)[0], reverse=True)
    mapping = "".join(f"{kind}=config,pjsip.conf,criteria=type={kind},buckets=1\n"
                      for kind in ("endpoint", "aor"))
    return {**files, "pjsip.conf": head + "".join(first + rest),
            "sorcery.conf": "[res_pjsip]\n" + mapping}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agents", type=int, default=10_000)
    parser.add_argument("--instances", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--one-bucket", action="store_true",
                        help="endpoints and AORs each in one bucket, in descending order")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = apply_bench.environment(tmp)
        os.environ.update(env)  # the AMI client of the site reads the same settings
        settings = load_settings(env)
        upgrade(settings.database_url)
        apply_bench.build(settings, args.agents, args.instances)
        with session_factory(settings.database_url)() as session:
            files = render_files(session, settings)
        if args.one_bucket:
            files = one_bucket(files)
        user = re.search(r"^username=(\S+)$", files["pjsip.conf"], re.M).group(1)
        try:
            apply_files(settings, files, pbx_running=False)
            start = time.perf_counter()
            pbx_host.start(settings, timeout=900)
            endpoints = files["pjsip.conf"].count("\ntype=endpoint")
            print(f"{endpoints} endpoints; PBX started in {time.perf_counter() - start:.1f} s")
            listed = timed(settings, "pjsip list endpoints")[0]
            print(f"  pjsip list endpoints                         {listed:6.3f} s")
            for _ in range(args.rounds):
                same = timed(settings, "module reload res_pjsip.so")[0]
                files = new_password(files, user)
                swap_to(settings, write_generation(settings, files))
                changed = timed(settings, "module reload res_pjsip.so")[0]
                print(f"  module reload res_pjsip.so: nothing changed {same:6.3f} s, "
                      f"one password changed {changed:6.3f} s  (load {os.getloadavg()[0]:.1f})")
        finally:
            pbx_host.stop(settings)
            shutil.rmtree(settings.site_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
