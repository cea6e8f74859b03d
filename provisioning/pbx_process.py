"""The Asterisk process of one site: launch, find, signal.

Asterisk runs in the foreground (``-f``) as a detached process of its own session,
its console captured in SITE/log/console.log. ccc keeps the host pid in
SITE/run/ccc-asterisk.pid; Asterisk's own pid file (inside the root) holds the
same number only when no chroot is involved, so ccc never relies on it.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

from engine.settings import Settings
from provisioning import chroot

ASTERISK = "/usr/sbin/asterisk"
SAFE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def pid_file(settings: Settings) -> Path:
    return settings.site_dir / "run" / "ccc-asterisk.pid"


def console_log(settings: Settings) -> Path:
    return settings.site_dir / "log" / "console.log"


def conf_in_pbx(settings: Settings) -> str:
    """The -C argument: SITE/asterisk.conf as Asterisk sees it."""
    return str(settings.site_dir_in_pbx / "asterisk.conf")


def argv(settings: Settings) -> list[str]:
    """The command that runs the site's Asterisk (chrooted when the root is not /)."""
    # -f: stay in the foreground so ccc holds the real pid; -n: no colour codes
    # in console.log.
    asterisk = [ASTERISK, "-f", "-n", "-C", conf_in_pbx(settings)]
    if settings.pbx_root == Path("/"):
        return asterisk
    return ["chroot", str(settings.pbx_root), *asterisk]


def _host_timezone() -> str | None:
    """The host's zone name, so the chrooted Asterisk keeps the host's local time."""
    if os.environ.get("TZ"):
        return os.environ["TZ"]
    try:
        target = os.readlink("/etc/localtime")
    except OSError:
        return None
    _, found, zone = target.partition("zoneinfo/")
    return zone if found else None


def environment() -> dict[str, str]:
    """A small, fixed environment: nothing of the caller's leaks into the PBX."""
    env = {"PATH": SAFE_PATH, "HOME": "/root", "LANG": "C.UTF-8"}
    zone = _host_timezone()
    if zone:
        env["TZ"] = zone
    return env


# Asterisks started by this process, by pid: polling them collects their exit
# status (no zombie lingers in a long-lived process such as a test run), and the
# Popen objects are not collected while the PBX still runs.
_children: dict[int, subprocess.Popen] = {}


def launch(settings: Settings) -> subprocess.Popen:
    """Start Asterisk detached (own session, console to console.log); record its pid."""
    if settings.pbx_root != Path("/"):
        chroot.sync_name_resolution(settings.pbx_root)
    with open(console_log(settings), "wb") as console:
        process = subprocess.Popen(
            argv(settings), stdin=subprocess.DEVNULL, stdout=console,
            stderr=subprocess.STDOUT, start_new_session=True, cwd="/",
            env=environment(), close_fds=True)
    _children[process.pid] = process
    write_pid(settings, process.pid)
    return process


def write_pid(settings: Settings, pid: int) -> None:
    path = pid_file(settings)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(f"{pid}\n", encoding="ascii")
    tmp.replace(path)


def clear_pid(settings: Settings) -> None:
    pid_file(settings).unlink(missing_ok=True)


def _exited_child(pid: int) -> bool:
    """Whether pid is an Asterisk this process started that has since exited."""
    process = _children.get(pid)
    if process is None or process.poll() is None:
        return False
    del _children[pid]
    return True


def _state(pid: int) -> str | None:
    """The process state letter from /proc, or None if there is no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except (FileNotFoundError, ProcessLookupError):
        return None
    return stat.rpartition(")")[2].split()[0]


def is_site_asterisk(settings: Settings, pid: int) -> bool:
    """Whether pid is a live Asterisk of this site (not a reused pid, not a zombie)."""
    if _exited_child(pid) or _state(pid) in (None, "Z", "X"):
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except FileNotFoundError:
        return False
    return conf_in_pbx(settings).encode() in cmdline


def running_pid(settings: Settings) -> int | None:
    """The pid of this site's Asterisk if one is alive, per ccc's pid file."""
    try:
        pid = int(pid_file(settings).read_text(encoding="ascii").strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if is_site_asterisk(settings, pid) else None


def console_tail(settings: Settings, lines: int = 30) -> str:
    try:
        text = console_log(settings).read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return "(no console log)"
    return "\n".join(text.splitlines()[-lines:]) or "(console log is empty)"
