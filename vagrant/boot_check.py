#!/usr/bin/env python3
"""Boot a throwaway copy of this host under systemd and check a PBX host made from this
checkout, the way an operator makes one (README: "Install on a PBX host").

The test suite starts the units' exact command lines as their user, because its
machines run no systemd as PID 1. This goes one step further where the host allows it:
``systemd-nspawn`` boots systemd over an overlay of this host's own file system (its
changes go to a scratch directory, never to the host), and inside it:

1. the checkout's current commit is cloned to /srv/ccc, then ``make install``,
   ``systemctl enable --now`` of the three units and ``ccc demo``, as the Vagrantfile does;
2. the machine is powered off and booted again: the three units must come up by
   themselves, as the service user;
3. Asterisk is killed (SIGKILL): systemd must restart it alone, ``ccc serve`` keeping
   its process;
4. from this host, over the shared network: agent 1001 registers with SIPp, agent 1002
   calls the demo number, the flow queues the call to 1001, who answers; the call's
   record must be ingested; the web admin must answer over HTTPS with HSTS.

Run as root, on a host with nothing else on the demo's ports (5060, 8443, 8089, 5038,
4573), after ``make install``'s packages are there (``make host-packages pbx``):

    python3 vagrant/boot_check.py [--keep]

It prints each step and exits 1 at the first that fails. Minutes: about three (most of
it installing the Python environment inside).
"""
from __future__ import annotations

import argparse
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "tests" / "integration" / "scenarios"
SCRATCH = Path("/var/tmp/ccc-boot-check")
UNITS = ("ccc-pbx", "ccc-serve", "ccc-web")
DEMO_NUMBER = "02150001000"
# Away from the tests' and benches' PBX sites, which share this host's ports.
RTP_PORTS = "30000-30999"
PHONE_IP = "127.0.0.9"
SERVICE_ENV = "set -a; . /etc/ccc/ccc.env; set +a; cd \"$CCC_VAR_DIR\"; "


class CheckFailed(Exception):
    pass


def step(text: str) -> None:
    print(f"-- {text}", flush=True)


def check(condition: bool, what: str) -> None:
    if not condition:
        raise CheckFailed(what)
    print(f"   ok: {what}", flush=True)


class Machine:
    """The booted copy: systemd as PID 1 in its own namespaces, sharing the network."""

    def __init__(self, scratch: Path):
        self.root = scratch / "root"
        self.log = scratch / "console.log"
        self.boots = 0
        self.leader: int | None = None
        self.nspawn: subprocess.Popen | None = None

    def mount(self) -> None:
        for name in ("upper", "work", "root"):
            (SCRATCH / name).mkdir(parents=True, exist_ok=True)
        subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                        f"lowerdir=/,upperdir={SCRATCH / 'upper'},workdir={SCRATCH / 'work'}",
                        str(self.root)], check=True)

    def boot(self) -> None:
        self.boots += 1
        with open(self.log, "a") as console:
            self.nspawn = subprocess.Popen(
                ["systemd-nspawn", "--register=no", "--keep-unit", "--quiet",
                 "-D", str(self.root), "-b", f"--machine=ccc-boot-check-{self.boots}"],
                stdin=subprocess.DEVNULL, stdout=console, stderr=subprocess.STDOUT,
                start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            self.leader = self._systemd_pid()
            if self.leader and self.run("systemctl is-system-running --wait",
                                        check=False, timeout=60).returncode in (0, 1):
                return
            time.sleep(0.5)
        raise CheckFailed("the copy did not boot within 60 s (see " + str(self.log) + ")")

    def _systemd_pid(self) -> int | None:
        """The booted systemd: the child of our systemd-nspawn."""
        if self.nspawn is None or self.nspawn.poll() is not None:
            return None
        found = subprocess.run(["pgrep", "-P", str(self.nspawn.pid), "-x", "systemd"],
                               capture_output=True, text=True).stdout.split()
        return int(found[0]) if found else None

    def run(self, command: str, check: bool = True, timeout: float = 600
            ) -> subprocess.CompletedProcess:
        """``command`` by a shell inside the machine (fixed text, no outside data)."""
        done = subprocess.run(["nsenter", "-t", str(self.leader), "-m", "-u", "-i", "-p",
                               "--", "bash", "-c", command],
                              capture_output=True, text=True, timeout=timeout)
        if check and done.returncode != 0:
            raise CheckFailed(f"{command!r} failed ({done.returncode}): "
                              f"{(done.stdout + done.stderr)[-2000:]}")
        return done

    def as_service(self, ccc_args: str) -> str:
        return self.run("runuser -u ccc -- sh -c '" + SERVICE_ENV
                        + "/srv/ccc/.venv/bin/ccc " + ccc_args + "'").stdout

    def power_off(self) -> None:
        if self.nspawn is None:
            return
        if self.leader:
            self.run("systemctl poweroff", check=False, timeout=30)
        try:
            self.nspawn.wait(30)
        except subprocess.TimeoutExpired:
            self.nspawn.kill()  # the whole machine goes with its nspawn
            self.nspawn.wait(10)
        self.leader = self.nspawn = None

    def unmount(self) -> None:
        subprocess.run(["umount", str(self.root)], check=False)


def port_busy(port: int) -> bool:
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        with socket.socket(socket.AF_INET, kind) as probe:
            # A closed connection's TIME_WAIT is no listener (servers set this too).
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("0.0.0.0", port))
            except OSError:
                return True
    return False


def sipp(scenario: str, port: int, *args: str, background: bool = False,
         workdir: Path) -> subprocess.Popen | int:
    argv = ["sipp", "-sf", str(SCENARIOS / scenario), "-i", PHONE_IP, "-p", str(port),
            "-m", "1", "-nostdin", "-timeout", "40s", "-timeout_error", "-trace_msg",
            "-mp", str(17000 + port % 100 * 10), *args, "127.0.0.1:5060"]
    out = open(workdir / f"{scenario}-{port}.out", "w")
    process = subprocess.Popen(argv, cwd=workdir, stdout=out, stderr=subprocess.STDOUT)
    return process if background else process.wait(60)


def install(machine: Machine) -> dict[str, str]:
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"],
                            capture_output=True, text=True, check=True).stdout.strip()
    step(f"install commit {commit[:12]} as the README says")
    machine.run("touch /etc/ccc-boot-check")
    machine.run(f"rm -rf /srv/ccc && git clone -q {ROOT} /srv/ccc && "
                f"git -C /srv/ccc checkout -q {commit}")
    machine.run("cd /srv/ccc && CCC_SIP_BIND=0.0.0.0 CCC_WEB_URL=https://127.0.0.1:8443 "
                f"CCC_RTP_PORTS={RTP_PORTS} make install PYTHON=/usr/bin/python3", timeout=900)
    machine.run("systemctl daemon-reload && systemctl enable --now " + " ".join(UNITS))
    demo = machine.as_service("demo")
    passwords = dict(re.findall(r"agent (\d+) \S+: SIP server \S+, user \S+, password (\S+)",
                                demo))
    check(set(passwords) >= {"1001", "1002"}, "ccc demo made agents 1001 and 1002")
    return passwords


def units_up(machine: Machine) -> None:
    for unit in UNITS:
        deadline = time.monotonic() + 30
        while machine.run(f"systemctl is-active {unit}", check=False).stdout.strip() \
                != "active" and time.monotonic() < deadline:
            time.sleep(0.5)
        check(machine.run(f"systemctl is-active {unit}", check=False).stdout.strip()
              == "active", f"{unit} is active after the boot")
    users = machine.run("ps -o user= -C asterisk,gunicorn,ccc").stdout.split()
    check(bool(users) and set(users) == {"ccc"}, f"the services run as ccc ({len(users)} "
          "processes of asterisk, gunicorn and ccc serve)")


def restart_alone(machine: Machine) -> None:
    def main_pid(unit: str) -> str:
        return machine.run(f"systemctl show -p MainPID --value {unit}").stdout.strip()
    pbx, serve = main_pid("ccc-pbx"), main_pid("ccc-serve")
    machine.run(f"kill -9 {int(pbx)}")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and main_pid("ccc-pbx") in (pbx, "0"):
        time.sleep(0.5)
    time.sleep(3)  # Asterisk loads its modules
    check(main_pid("ccc-pbx") not in (pbx, "0"), "systemd restarted the killed Asterisk")
    check(main_pid("ccc-serve") == serve, "ccc serve kept running meanwhile")


def call_through(machine: Machine, passwords: dict[str, str], workdir: Path) -> None:
    before = machine.as_service("cdr list --instance demo.localhost").count("answered")
    code = 1
    for _ in range(3):  # the PBX may still be loading after its restart
        code = sipp("register.xml", 5170, "-s", "i1-1001", "-au", "i1-1001",
                    "-ap", passwords["1001"], workdir=workdir)
        if code == 0:
            break
        time.sleep(2)
    check(code == 0, "agent 1001 registered from this host")
    machine.as_service("agent state ready --device sip --instance demo.localhost "
                       "--extension 1001")
    agent = sipp("answer.xml", 5170, background=True, workdir=workdir)
    caller = sipp("call.xml", 5171, "-s", DEMO_NUMBER, "-au", "i1-1002", "-ap",
                  passwords["1002"], "-key", "caller", "i1-1002", "-d", "10000",
                  workdir=workdir)
    check(caller == 0, f"agent 1002's call to {DEMO_NUMBER} was answered")
    check(agent.wait(40) == 0, "agent 1001's phone took it and the call ended cleanly")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        records = machine.as_service("cdr list --instance demo.localhost")
        if records.count("answered") > before:
            break
        time.sleep(1)
    check(records.count("answered") == before + 1, "its call record was ingested")


def https_answers() -> None:
    import ssl
    import urllib.request
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # self-signed
    with urllib.request.urlopen("https://127.0.0.1:8443/sign-in", context=context,
                                timeout=30) as answer:
        check(answer.status == 200 and "max-age" in answer.headers.get(
            "Strict-Transport-Security", ""), "the web admin answers over HTTPS with HSTS")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true",
                        help=f"leave the copy's changes in {SCRATCH}")
    args = parser.parse_args()
    for tool in ("systemd-nspawn", "nsenter", "sipp"):
        if not shutil.which(tool):
            print(f"error: {tool} is missing (apt-get install systemd-container sip-tester)")
            return 1
    busy = [p for p in (5060, 8443, 8089, 5038, 4573) if port_busy(p)]
    if busy:
        print(f"error: ports {busy} are in use on this host; the booted copy shares them")
        return 1
    shutil.rmtree(SCRATCH, ignore_errors=True)
    machine = Machine(SCRATCH)
    workdir: Path | None = Path(tempfile.mkdtemp(prefix="ccc-boot-check-"))
    try:
        machine.mount()
        step("boot")
        machine.boot()
        passwords = install(machine)
        step("power off, boot again")
        machine.power_off()
        machine.boot()
        units_up(machine)
        step("Asterisk killed")
        restart_alone(machine)
        step("a call from this host, and the web admin")
        call_through(machine, passwords, workdir)
        https_answers()
        print("boot check passed")
        return 0
    except (CheckFailed, subprocess.TimeoutExpired) as failure:
        print(f"boot check FAILED: {failure}\n(SIPp's messages are kept in {workdir})")
        workdir = None
        return 1
    finally:
        subprocess.run(["pkill", "-f", f"sipp.*-i {PHONE_IP}"], check=False)
        machine.power_off()
        machine.unmount()
        if not args.keep:
            shutil.rmtree(SCRATCH, ignore_errors=True)
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
