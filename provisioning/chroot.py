"""A Debian root file system that carries Asterisk, for hosts whose release has none.

The root is built with debootstrap into ``<root>.partial`` and renamed into place
only once complete, with a marker file naming its suite and packages: a root
without the marker is never taken for a finished one. One lock file serialises
concurrent installs.
"""
from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

from provisioning.apt import APT_ENV
from provisioning.locks import file_lock

SUITE = "sid"  # the Debian suite that carries Asterisk (22 at the time of writing)
PACKAGES = (
    "asterisk",
    "asterisk-core-sounds-en-wav",   # prompts in the format played without transcoding
    "asterisk-moh-opsound-wav",      # what callers hear while waiting in a queue
)
MARKER = ".ccc-pbx-root"

Log = Callable[[str], None]


class ChrootError(Exception):
    """The PBX root could not be built or is not usable."""


def marker_path(root: Path) -> Path:
    return root / MARKER


def read_marker(root: Path) -> dict | None:
    """What the finished root holds ({"suite", "packages", "mirror"}), or None."""
    try:
        return json.loads(marker_path(root).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def write_marker(root: Path, suite: str, packages: list[str], mirror: str) -> None:
    text = json.dumps({"suite": suite, "packages": sorted(packages), "mirror": mirror},
                      indent=2, sort_keys=True) + "\n"
    tmp = root / f"{MARKER}.tmp"
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(marker_path(root))


def missing_packages(root: Path) -> list[str]:
    """Packages ccc needs that the finished root does not list (all if unfinished)."""
    marker = read_marker(root)
    have = set(marker["packages"]) if marker else set()
    return [p for p in PACKAGES if p not in have]


def _mounts_below(path: Path) -> list[str]:
    """Mount points at or under path, deepest first (from /proc/self/mountinfo)."""
    prefix = str(path.resolve())
    points = []
    for line in Path("/proc/self/mountinfo").read_text(encoding="utf-8").splitlines():
        point = line.split()[4].replace("\\040", " ")
        if point == prefix or point.startswith(prefix + "/"):
            points.append(point)
    return sorted(points, key=len, reverse=True)


def remove_partial(partial: Path, log: Log) -> None:
    """Remove what an interrupted build left, unmounting debootstrap's /proc first."""
    if not partial.exists():
        return
    for point in _mounts_below(partial):
        subprocess.run(["umount", "--lazy", point], check=True)
    log(f"removing the unfinished {partial}")
    shutil.rmtree(partial)


def debootstrap(partial: Path, mirror: str, log: Log) -> None:
    """Run debootstrap (minbase, with ccc's packages); its output goes to a log file."""
    output = partial.with_name(partial.name.removesuffix(".partial") + ".debootstrap.log")
    command = ["debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}",
               SUITE, str(partial), mirror]
    log(f"building the PBX root: {' '.join(command)} (log: {output})")
    with open(output, "wb") as out:
        result = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT,
                                env=APT_ENV, check=False)
    if result.returncode != 0:
        tail = "\n".join(output.read_text(errors="replace").splitlines()[-20:])
        raise ChrootError(f"debootstrap failed (exit {result.returncode}):\n{tail}")


def build(root: Path, mirror: str, log: Log) -> None:
    """Build the root from scratch: debootstrap into root.partial, mark, rename."""
    if root.exists():
        raise ChrootError(f"{root} exists but has no {MARKER}: it was not built by ccc "
                          "(or by an older one); remove it and install again")
    partial = root.with_name(root.name + ".partial")
    remove_partial(partial, log)
    debootstrap(partial, mirror, log)
    write_marker(partial, SUITE, list(PACKAGES), mirror)
    partial.rename(root)


def add_packages(root: Path, packages: list[str], log: Log) -> None:
    """Install packages a finished root lacks (it was built with an older list)."""
    marker = read_marker(root) or {}
    log(f"adding to the PBX root: {' '.join(packages)}")
    # Like debootstrap, accept a Release file past its Valid-Until date: mirror
    # snapshots and local mirrors serve such files; signatures are still checked.
    apt = ["apt-get", "-o", "Acquire::Check-Valid-Until=false"]
    for command in ([*apt, "update"],
                    [*apt, "install", "-y", "--no-install-recommends", *packages]):
        subprocess.run(["chroot", str(root), *command], env=APT_ENV, check=True)
    write_marker(root, marker.get("suite", SUITE),
                 sorted(set(marker.get("packages", [])) | set(packages)),
                 marker.get("mirror", ""))


def hosts_file(host_hosts: str, hostname: str) -> str:
    """The root's /etc/hosts: the host's own, plus the host's name when it lacks it.

    Asterisk looks its own host name up on every call; in a root with no hosts file
    each lookup waits on DNS (and fails where the name is not in DNS), which held the
    PBX to a few calls a second."""
    names = {name for line in host_hosts.splitlines()
             for name in line.split("#", 1)[0].split()[1:]}
    text = host_hosts if host_hosts.endswith("\n") or not host_hosts else host_hosts + "\n"
    if "localhost" not in names:
        text += "127.0.0.1\tlocalhost\n"
    if hostname and hostname not in names:
        text += f"127.0.1.1\t{hostname}\n"
    return text


def sync_name_resolution(root: Path) -> None:
    """Give the root the host's name resolution (rewritten only when it differs)."""
    try:
        host_hosts = Path("/etc/hosts").read_text(encoding="utf-8")
    except OSError:
        host_hosts = ""
    wanted = hosts_file(host_hosts, os.uname().nodename)
    target = root / "etc" / "hosts"
    try:
        if target.read_text(encoding="utf-8") == wanted:
            return
    except OSError:
        pass
    tmp = target.with_name(f"hosts.ccc-{os.getpid()}")
    tmp.write_text(wanted, encoding="utf-8")
    tmp.chmod(0o644)
    tmp.replace(target)


def ensure_root(root: Path, mirror: Callable[[], str], log: Log) -> str:
    """Make root a finished PBX root with every package ccc needs.

    Returns "built", "updated" (packages added) or "present" (nothing to do).
    """
    with file_lock(root.with_name(root.name + ".lock")):
        if read_marker(root) is None:
            build(root, mirror(), log)
            return "built"
        missing = missing_packages(root)
        if missing:
            add_packages(root, missing, log)
            return "updated"
        return "present"


# Device nodes Asterisk opens; debootstrap creates them, unless it ran where mknod
# is not allowed and bind-mounted the host's /dev instead (then gone after the build).
DEVICES = {"null": (1, 3), "zero": (1, 5), "random": (1, 8), "urandom": (1, 9)}


def ensure_devices(root: Path) -> None:
    """Create the few /dev nodes Asterisk needs inside the root, if missing."""
    dev = root / "dev"
    dev.mkdir(exist_ok=True)
    for name, (major, minor) in DEVICES.items():
        node = dev / name
        if not node.exists():
            os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(major, minor))
            os.chmod(node, 0o666)
