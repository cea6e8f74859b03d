"""The PBX host: install Asterisk, and start, stop and inspect one site's Asterisk.

With ``settings.pbx_root`` "/" Asterisk is the host's own (a distribution package);
otherwise it runs chrooted in a Debian root that ccc builds (see ``chroot``). Each
site is an independent Asterisk: its own configuration, ports, run, log and
database directories; sites share only the read-only root.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from engine.ami.client import AmiClient, AmiError, AmiUnavailable, ami_command, ami_ping
from engine.settings import Settings
from provisioning import apt, chroot, pbx_process, tls
from provisioning.apt_sources import host_mirror
from provisioning.locks import file_lock
from provisioning.site import create_site, write_asterisk_conf

Log = Callable[[str], None]


class PbxError(Exception):
    """The PBX could not be installed, started or stopped; the message says why."""


# -- install --------------------------------------------------------------------

def _disable_distribution_service(log: Log) -> None:
    """The package's own Asterisk would hold the default ports; ccc runs its own."""
    if Path("/run/systemd/system").is_dir():
        log("disabling the distribution's asterisk.service (ccc starts Asterisk per site)")
        subprocess.run(["systemctl", "disable", "--now", "asterisk.service"], check=True)


def install(settings: Settings, log: Log = print) -> str:
    """Make Asterisk available where settings say; return what was done.

    "present": nothing to do. "host-package": installed with the host's apt (with
    the default settings, "/" is the PBX root from the next ccc command on).
    "built" / "updated": the chroot root was built / given missing packages.
    Running it twice does nothing the second time.
    """
    root = settings.pbx_root
    if root == Path("/") and Path(pbx_process.ASTERISK).exists():
        log("Asterisk is installed on the host")
        return "present"
    if root != Path("/") and chroot.read_marker(root) is not None:
        return _ensure_chroot(root, log)
    if apt.available("asterisk"):
        apt.install(list(chroot.PACKAGES), log)
        _disable_distribution_service(log)
        if root != Path("/"):
            log(f"Asterisk is now the host's own: the PBX root is / (not {root}) "
                "for ccc commands run without CCC_PBX_ROOT")
        return "host-package"
    if root == Path("/"):
        raise PbxError("this host's distribution has no asterisk package; use a PBX root "
                       "built by ccc (unset CCC_PBX_ROOT or set it to a directory)")
    return _ensure_chroot(root, log)


def _ensure_chroot(root: Path, log: Log) -> str:
    debootstrap = shutil.which("debootstrap", path=apt.APT_ENV["PATH"])
    if chroot.read_marker(root) is None and debootstrap is None:
        apt.install(["debootstrap"], log)
    started = time.monotonic()
    done = chroot.ensure_root(root, host_mirror, log)
    if done == "present":
        log(f"the PBX root {root} is installed")
    else:
        log(f"the PBX root {root} is ready ({time.monotonic() - started:.0f}s)")
    return done


def is_installed(settings: Settings) -> bool:
    """Whether the site's PBX root holds a finished Asterisk."""
    if settings.pbx_root == Path("/"):
        return Path(pbx_process.ASTERISK).exists()
    return chroot.read_marker(settings.pbx_root) is not None


# -- start / stop ---------------------------------------------------------------

def _site_lock(settings: Settings):
    return file_lock(settings.site_dir / "run" / "ccc-asterisk.lock")


def is_running(settings: Settings) -> bool:
    """Whether the site's Asterisk answers AMI now."""
    return ami_ping(settings)


def _port_taken(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1.0)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def start(settings: Settings, timeout: float = 60.0) -> int | None:
    """Start the site's Asterisk and return once AMI answers and it has fully booted.

    Does nothing if it already runs. Returns the pid (None if an Asterisk that ccc
    did not start answers on the site's AMI port). Raises ``PbxError`` with the
    tail of the console log if it exits or does not answer within ``timeout``.
    """
    etc = settings.site_dir / "etc" / "asterisk"
    if not etc.is_dir():
        raise PbxError(f"{etc} does not exist: render the site's configuration first")
    if not is_installed(settings):
        raise PbxError(f"no Asterisk in the PBX root {settings.pbx_root}: "
                       "run `ccc pbx install` first")
    create_site(settings)
    deadline = time.monotonic() + timeout
    with _site_lock(settings):
        pid = pbx_process.running_pid(settings)
        if pid is None and ami_ping(settings):
            return None
        process = None
        if pid is None:
            process = _launch(settings)
            pid = process.pid
        try:
            _wait_ready(settings, pid, process, deadline)
        except PbxError:
            if process is not None:
                _kill(settings, pid, grace=5.0)
            raise
    return pid


def _launch(settings: Settings) -> subprocess.Popen:
    if _port_taken(settings.ami_port):
        raise PbxError(f"AMI port {settings.ami_port} is taken by another process "
                       f"(another site's Asterisk?); site {settings.site!r} cannot use it")
    write_asterisk_conf(settings)
    tls.install_in_site(settings, log=print)
    if settings.pbx_root != Path("/"):
        chroot.ensure_devices(settings.pbx_root)
    return pbx_process.launch(settings)


def _alive(settings: Settings, pid: int, process: subprocess.Popen | None) -> bool:
    if process is not None:
        return process.poll() is None
    return pbx_process.is_site_asterisk(settings, pid)


def _wait_ready(settings: Settings, pid: int, process: subprocess.Popen | None,
                deadline: float) -> None:
    while not ami_ping(settings, timeout=2.0):
        if not _alive(settings, pid, process):
            code = f" (exit status {process.returncode})" if process else ""
            raise PbxError(f"Asterisk exited during start{code}; console log:\n"
                           + pbx_process.console_tail(settings))
        if time.monotonic() > deadline:
            raise PbxError("Asterisk did not answer AMI in time; console log:\n"
                           + pbx_process.console_tail(settings))
        time.sleep(0.1)
    # AMI answers early in the boot; wait until every module has loaded.
    remaining = max(deadline - time.monotonic(), 1.0)
    try:
        ami_command(settings, "core waitfullybooted", timeout=remaining)
    except AmiError as exc:
        raise PbxError(f"Asterisk did not finish booting: {exc}; console log:\n"
                       + pbx_process.console_tail(settings)) from exc


def _wait_gone(settings: Settings, pid: int, deadline: float) -> bool:
    while pbx_process.is_site_asterisk(settings, pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)  # its own session: the group holds only Asterisk


def _kill(settings: Settings, pid: int, grace: float) -> None:
    """SIGTERM, then SIGKILL after grace seconds; the pid file goes either way."""
    _signal(pid, signal.SIGTERM)
    if not _wait_gone(settings, pid, time.monotonic() + grace):
        _signal(pid, signal.SIGKILL)
        _wait_gone(settings, pid, time.monotonic() + grace)
    pbx_process.clear_pid(settings)


def stop(settings: Settings, timeout: float = 20.0) -> bool:
    """Stop the site's Asterisk (idempotent); return whether one was running.

    Asks over AMI for "core stop now" (calls are dropped), or sends SIGTERM when
    AMI does not answer (still booting, wedged), and SIGKILL if it is still there
    after ``timeout``.
    """
    with _site_lock(settings):
        pid = pbx_process.running_pid(settings)
        answering = ami_ping(settings)
        if pid is None and not answering:
            pbx_process.clear_pid(settings)
            return False
        deadline = time.monotonic() + timeout
        stopping = False
        if answering:
            try:
                ami_command(settings, "core stop now", timeout=5.0)
                stopping = True
            except AmiUnavailable:
                stopping = True  # it closed the connection before answering
            except AmiError:
                pass
        if pid is None:  # not started by ccc: only AMI can tell when it is gone
            while ami_ping(settings, timeout=1.0) and time.monotonic() < deadline:
                time.sleep(0.1)
            return True
        if not stopping:
            _signal(pid, signal.SIGTERM)
        if not _wait_gone(settings, pid, deadline):
            _signal(pid, signal.SIGKILL)
            _wait_gone(settings, pid, time.monotonic() + 5.0)
        pbx_process.clear_pid(settings)
        return True


# -- status ---------------------------------------------------------------------

def _first_int(pattern: str, text: str) -> int | None:
    found = re.search(pattern, text, re.MULTILINE)
    return int(found.group(1)) if found else None


async def _query(settings: Settings) -> dict:
    async with AmiClient.for_site(settings, timeout=5.0) as client:
        version = await client.command("core show version")
        uptime = await client.command("core show uptime seconds")
        channels = await client.command("core show channels count")
    return {
        "version": version.strip().splitlines()[0] if version.strip() else "",
        "uptime_seconds": _first_int(r"System uptime:\s*(\d+)", uptime),
        "active_channels": _first_int(r"^(\d+) active channels?", channels),
    }


def status(settings: Settings) -> dict:
    """running, pid, version, uptime_seconds, active_channels (None when unknown)."""
    pid = pbx_process.running_pid(settings)
    answer = {"site": settings.site, "pbx_root": str(settings.pbx_root), "pid": pid,
              "ami_port": settings.ami_port, "running": False, "version": None,
              "uptime_seconds": None, "active_channels": None}
    try:
        answer.update(asyncio.run(_query(settings)), running=True)
    except AmiError:
        answer["running"] = pid is not None  # alive but not answering (still booting?)
    return answer
