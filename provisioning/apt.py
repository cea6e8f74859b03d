"""The host's apt: is a package available, and install it (argument lists only)."""
from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

# No prompts, and a PATH that holds dpkg's helpers whatever the caller's is.
APT_ENV = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
APT_LISTS = Path("/var/lib/apt/lists")


def candidate(package: str) -> str | None:
    """The version apt would install on the host, or None."""
    result = subprocess.run(["apt-cache", "policy", package], capture_output=True,
                            text=True, check=True, env=APT_ENV)
    found = re.search(r"^\s*Candidate:\s*(\S+)", result.stdout, re.MULTILINE)
    return found.group(1) if found and found.group(1) != "(none)" else None


def _lists_empty() -> bool:
    return not any(APT_LISTS.glob("*_Packages*"))


def _update_if_never_updated() -> None:
    if _lists_empty():
        subprocess.run(["apt-get", "update"], env=APT_ENV, check=True)


def available(package: str) -> bool:
    """Whether the host's distribution offers package (updating lists never fetched)."""
    _update_if_never_updated()
    return candidate(package) is not None


def install(packages: list[str], log: Callable[[str], None]) -> None:
    _update_if_never_updated()
    log(f"apt-get install {' '.join(packages)}")
    subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", *packages],
                   env=APT_ENV, check=True)
