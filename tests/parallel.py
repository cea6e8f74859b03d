"""The whole suite as parallel pytest runs: the unit tests, and the integration tests in
four shards, each shard with its own port offset and so its own PBX site.

Integration tests spend most of their time waiting on real clocks (calls, prompts,
timeouts), so running them beside each other and beside the unit tests costs little
CPU and saves most of the wall time. Each run's output goes to test-output/<name>.log
and is printed whole once all have ended, then one total line.

    .venv/bin/python tests/parallel.py [pytest options...]
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INTEGRATION = ROOT / "tests" / "integration"
# The shards' modules; a module listed nowhere runs in the last shard. Each integration
# run prints its modules' wall seconds at its end ("seconds per module"). The last shard
# is left lighter on purpose: on two cores the suite is bound by CPU, and the unit tests
# finish sooner once one shard has ended (shards balanced to 23 min each made the whole
# run 2-3 min longer, 27.6-28.2 against 25.3-25.9 min).
SHARDS = (
    ("test_ivr.py", "test_pbx_lifecycle.py", "test_provisioning.py", "test_sip_bans.py",
     "test_web_browser.py", "test_web_billing_browser.py", "test_production.py",
     "test_faults.py", "test_web_supply_browser.py"),
    ("test_calls.py", "test_billing.py", "test_sip_security.py", "test_web_ivr_editor.py",
     "test_web_admin_browser.py", "test_dedicated_agents.py", "test_outbound_compliance.py"),
    ("test_agent_states.py", "test_call_control.py", "test_workbench_browser.py",
     "test_supervision.py", "test_backup.py"),
    ("test_workbench_phone.py", "test_recording.py", "test_reports.py", "test_wallboard.py"),
)
SHARD_OFFSETS = (0, 100, 200, 300)  # far enough apart for every port a run moves by its offset
COUNTS = re.compile(r"(\d+) (passed|failed|errors?|skipped)")


def runs() -> list[tuple[str, list[str], dict[str, str]]]:
    modules = sorted(p.name for p in INTEGRATION.glob("test_*.py"))
    listed = {m for shard in SHARDS for m in shard}
    shards = [[m for m in modules if m in shard] for shard in SHARDS]
    shards[-1] += [m for m in modules if m not in listed]
    base = int(os.environ.get("CCC_TEST_PORT_OFFSET", "0"))
    plan = [("unit", ["tests/unit"], {})]
    for n, (shard, offset) in enumerate(zip(shards, SHARD_OFFSETS, strict=True)):
        plan.append((f"integration-{n + 1}", [f"tests/integration/{m}" for m in shard],
                     {"CCC_TEST_PORT_OFFSET": str(base + offset)}))
    return plan


def summary(text: str) -> dict[str, int]:
    """The counts of pytest's closing line ("3 passed, 1 failed in 9.1s")."""
    lines = [line for line in text.splitlines() if re.search(r" in [\d.]+s", line)]
    counts: dict[str, int] = {}
    for number, kind in COUNTS.findall(lines[-1] if lines else ""):
        kind = "errors" if kind.startswith("error") else kind
        counts[kind] = counts.get(kind, 0) + int(number)
    return counts


def main(extra: list[str]) -> int:
    if "CCC_TEST_POSTGRES_URL" in os.environ:
        return run_all(extra)
    # One private PostgreSQL for every run (tests/pgcluster.py says why).
    sys.path.insert(0, str(ROOT))
    from tests.pgcluster import private_cluster
    with private_cluster() as url:
        os.environ["CCC_TEST_POSTGRES_URL"] = url
        return run_all(extra)


def run_all(extra: list[str]) -> int:
    output = ROOT / "test-output"
    output.mkdir(exist_ok=True)
    pytest = str(Path(sys.executable).parent / "pytest")
    started, processes = time.monotonic(), []
    for name, paths, env in runs():
        log = output / f"{name}.log"
        with open(log, "w") as out:
            process = subprocess.Popen([pytest, "-q", "-p", "no:cacheprovider", *extra, *paths],
                                       cwd=ROOT, env={**os.environ, **env}, stdout=out,
                                       stderr=subprocess.STDOUT)
        processes.append((name, process, log))
    totals: dict[str, int] = {}
    failed = False
    for name, process, log in processes:
        code = process.wait()
        text = log.read_text(errors="replace")
        print(f"==== {name} (exit {code}) ====\n{text}", flush=True)
        for kind, number in summary(text).items():
            totals[kind] = totals.get(kind, 0) + number
        failed = failed or code != 0
    minutes = (time.monotonic() - started) / 60
    print(f"all suites: {minutes:.1f} min")
    # One closing line for the whole suite; an error (a fixture that broke) is a failure.
    line = f"{totals.get('passed', 0)} passed, " \
           f"{totals.get('failed', 0) + totals.get('errors', 0)} failed"
    if totals.get("skipped"):
        line += f", {totals['skipped']} skipped"
    print(line)
    return 1 if failed or not totals.get("passed") else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
