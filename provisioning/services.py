"""The PBX host in production: three systemd services as one unprivileged user.

- ``ccc-pbx``: Asterisk of the site, in its root, as the service user;
- ``ccc-serve``: FastAGI, ingestion of the PBX's journals, agents' states, bans;
- ``ccc-web``: the web admin, the workbench and the API under gunicorn.

Each reads its settings from one environment file (``/etc/ccc/ccc.env``), logs to
the journal and restarts on its own. The user owns the data directory and the site,
so every ccc process (the services, and the operator's commands run as that user)
can write what the others read.
"""
from __future__ import annotations

import grp
import os
import pwd
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jinja2

from engine.settings import Settings, load_settings
from provisioning import chroot, pbx_process, tls
from provisioning.site import create_site
from provisioning.templates import FILTERS

Log = Callable[[str], None]
UNIT_DIR = Path(__file__).resolve().parent / "units"
UNITS = ("ccc-pbx.service", "ccc-serve.service", "ccc-web.service")
DEFAULT_USER = "ccc"
DEFAULT_ENV_FILE = Path("/etc/ccc/ccc.env")
DEFAULT_SYSTEMD_DIR = Path("/etc/systemd/system")
# What a production host gets unless the environment of `ccc install` says otherwise:
# data outside the checkout, TLS with the site's certificate, pages and the browsers'
# WebSocket reachable from agents' machines.
PRODUCTION_DEFAULTS = {
    "CCC_VAR_DIR": "/var/lib/ccc/var",
    "CCC_TLS": "on",
    "CCC_WEB_BIND": "0.0.0.0",
    "CCC_WEB_PORT": "8443",
    "CCC_PBX_HTTP_BIND": "0.0.0.0",
    "CCC_LOG_LEVEL": "INFO",
}
# A value the environment file may hold: no quote, no backslash, no line break.
_ENV_VALUE = re.compile(r"^[^\"'\\\n\r$`]*$")
_ZONE = re.compile(r"^[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*$")


class InstallError(Exception):
    """The services could not be installed; the message says why."""


@dataclass(frozen=True)
class Installed:
    user: str
    env_file: Path
    env_written: bool
    units: list[Path]
    settings: Settings


# -- the environment file ----------------------------------------------------------

def environment_for(env: dict[str, str]) -> dict[str, str]:
    """The CCC_* settings of the services: the given environment's, over the
    production defaults, with the paths a relative default would leave made absolute."""
    chosen = dict(PRODUCTION_DEFAULTS)
    chosen.update({k: v for k, v in env.items() if k.startswith("CCC_")})
    settings = load_settings(chosen)
    chosen.update(CCC_VAR_DIR=str(settings.var_dir), CCC_DATABASE_URL=settings.database_url,
                  CCC_PBX_ROOT=str(settings.pbx_root), CCC_PBX_SITE=settings.site)
    for name, value in chosen.items():
        if not _ENV_VALUE.fullmatch(value):
            raise InstallError(f"{name} holds a quote, backslash, dollar or line break; "
                               "the services' environment file cannot carry it")
    return dict(sorted(chosen.items()))


def env_file_text(values: dict[str, str]) -> str:
    lines = ["# The ccc services' settings (README: Settings). Read by ccc-pbx, ccc-serve",
             "# and ccc-web; restart them after a change. Commands run as the service user",
             "# read it too: set -a; . THIS_FILE; set +a",
             *(f"{name}={value}" for name, value in values.items())]
    return "\n".join(lines) + "\n"


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=value lines (no quoting: env_file_text writes none), comments skipped."""
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


# -- the units -----------------------------------------------------------------------

@lru_cache(maxsize=1)
def _templates() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(UNIT_DIR)),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             trim_blocks=True, lstrip_blocks=True, autoescape=False)
    env.filters.update(FILTERS)

    def zone(value: object) -> str:
        if not isinstance(value, str) or not _ZONE.fullmatch(value):
            raise InstallError(f"not a time zone name: {value!r}")
        return value
    env.filters["zone"] = zone
    return env


def _bin(name: str) -> str:
    """A program of this Python environment (the checkout's .venv)."""
    return str(Path(sys.executable).parent / name)


def unit_texts(settings: Settings, user: str, env_file: Path) -> dict[str, str]:
    """The three unit files: name -> text (the same settings give the same bytes)."""
    account = pwd.getpwnam(user)
    context = {
        "site": settings.site, "user": user, "group": grp.getgrgid(account.pw_gid).gr_name,
        "uid": account.pw_uid, "gid": account.pw_gid, "env_file": str(env_file),
        "var_dir": str(settings.var_dir), "ccc": _bin("ccc"), "gunicorn": _bin("gunicorn"),
        "checkout": str(Path(__file__).resolve().parent.parent),
        "chrooted": settings.pbx_root != Path("/"), "pbx_root": str(settings.pbx_root),
        "asterisk": pbx_process.ASTERISK, "conf": pbx_process.conf_in_pbx(settings),
        "timezone": pbx_process.environment().get("TZ"),
        "privileged_port": settings.web_port < 1024,
    }
    return {name: _templates().get_template(f"{name}.j2").render(**context) for name in UNITS}


# -- install -------------------------------------------------------------------------

def ensure_user(user: str, home: Path, log: Log) -> None:
    try:
        pwd.getpwnam(user)
        return
    except KeyError:
        pass
    subprocess.run(["useradd", "--system", "--user-group", "--home-dir", str(home),
                    "--no-create-home", "--shell", "/usr/sbin/nologin", user], check=True)
    log(f"created the system user {user}")


def _check_runs_as(user: str) -> None:
    """The services run this Python environment as the user: it must be able to."""
    probe = subprocess.run(["runuser", "-u", user, "--", sys.executable, "-c", "pass"],
                           capture_output=True, timeout=60)
    if probe.returncode != 0:
        raise InstallError(f"the user {user} cannot run {sys.executable} (a Python under a "
                           "private home?): build the environment with the system's python3 "
                           "(make python PYTHON=/usr/bin/python3)")


def chown_tree(path: Path, user: str) -> None:
    """Give the tree to the service user (the services write in it)."""
    account = pwd.getpwnam(user)
    for root, dirs, files in os.walk(path):
        for name in [root, *(os.path.join(root, n) for n in dirs + files)]:
            os.lchown(name, account.pw_uid, account.pw_gid)


def install(env: dict[str, str], user: str = DEFAULT_USER,
            env_file: Path = DEFAULT_ENV_FILE, systemd_dir: Path = DEFAULT_SYSTEMD_DIR,
            log: Log = print) -> Installed:
    """Write the environment file (unless one exists: the operator's edits stay) and the
    three units; create the service user, its directories and the site's certificate."""
    from provisioning.pbx_host import is_installed
    if os.geteuid() != 0:
        raise InstallError("ccc install must run as root (it creates a user and services)")
    written = not env_file.exists()
    if written:
        values = environment_for(env)
        env_file.parent.mkdir(parents=True, exist_ok=True)
        env_file.write_text(env_file_text(values), encoding="utf-8")
    values = read_env_file(env_file)
    settings = load_settings(values)
    if not is_installed(settings):
        raise InstallError(f"no Asterisk in the PBX root {settings.pbx_root}: "
                           "run `ccc pbx install` (make pbx) first")
    ensure_user(user, Path("/var/lib/ccc"), log)
    _check_runs_as(user)
    account = pwd.getpwnam(user)
    # Root may read it, the services read it; nobody else (it may name a database password).
    os.chown(env_file, 0, account.pw_gid)
    os.chmod(env_file, 0o640)
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    create_site(settings)
    if settings.pbx_root != Path("/"):
        chroot.ensure_devices(settings.pbx_root)
    if settings.tls:
        tls.certificate(settings, log)
    chown_tree(settings.var_dir, user)
    chown_tree(settings.site_dir, user)
    systemd_dir.mkdir(parents=True, exist_ok=True)
    units = []
    for name, text in unit_texts(settings, user, env_file).items():
        path = systemd_dir / name
        path.write_text(text, encoding="utf-8")
        units.append(path)
    return Installed(user, env_file, written, units, settings)


def verify(units: list[Path]) -> str:
    """``systemd-analyze verify`` on the units: its complaints, empty when none."""
    tool = shutil.which("systemd-analyze")
    if tool is None:
        raise InstallError("systemd-analyze is missing (Debian package systemd)")
    result = subprocess.run([tool, "verify", *map(str, units)], capture_output=True,
                            text=True, timeout=120)
    return (result.stdout + result.stderr).strip() if result.returncode else ""


# -- what the PBX unit runs before Asterisk --------------------------------------------

def prepare(session, settings: Settings, log: Log = print) -> None:
    """As the service user, before the PBX starts: the site's directories, the
    certificate's copy and the configuration rendered from the database."""
    from provisioning.apply import apply
    from provisioning.site import write_asterisk_conf
    create_site(settings)
    tls.install_in_site(settings, log)
    apply(session, settings)
    write_asterisk_conf(settings)
