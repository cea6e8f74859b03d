"""Render -> write a new generation -> atomic swap -> reload -> verify -> roll back.

``SITE/etc/asterisk`` is a symbolic link to ``generations/<content hash>``. A new set
of files is written whole into its own directory, then the link is replaced with one
``rename`` (atomic), so Asterisk never reads a half-written configuration. If the PBX
does not take the new files, the link goes back to the previous generation.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from engine.ami.client import AmiActionFailed, AmiError, ami_command
from engine.settings import Settings
from provisioning.render import render_files
from provisioning.site import create_site
from provisioning.templates import UnsafeValue

SOUNDS = Path(__file__).resolve().parent.parent / "sounds"
KEEP_GENERATIONS = 3  # older generations kept besides the current and previous ones


class ApplyError(Exception):
    """The PBX refused the new configuration; the previous one is back in force."""


@dataclass
class ApplyResult:
    changed: bool   # the rendered files differ from those in force
    live: bool      # the running PBX has reloaded them

    @property
    def message(self) -> str:
        if self.live:
            return "PBX configuration is live"
        if self.changed:
            return "PBX configuration written; it takes effect when the PBX starts"
        return "PBX configuration unchanged"


def _link(settings: Settings) -> Path:
    return settings.site_dir / "etc" / "asterisk"


def _generations(settings: Settings) -> Path:
    return settings.site_dir / "etc" / "generations"


def content_hash(files: dict[str, str]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name].encode() + b"\0")
    return digest.hexdigest()[:16]


def current_generation(settings: Settings) -> str | None:
    link = _link(settings)
    return os.readlink(link).rsplit("/", 1)[-1] if link.is_symlink() else None


def write_generation(settings: Settings, files: dict[str, str]) -> str:
    """Write the files into their own generation directory (idempotent); return its name."""
    name = content_hash(files)
    target = _generations(settings) / name
    if not target.is_dir():
        staging = _generations(settings) / f".{name}.partial"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        for file_name, text in files.items():
            (staging / file_name).write_text(text, encoding="utf-8")
            os.chmod(staging / file_name, 0o600)  # pjsip.conf and manager.conf hold secrets
        staging.rename(target)
    return name


def swap_to(settings: Settings, generation: str) -> None:
    """Point etc/asterisk at a generation with one atomic rename."""
    link = _link(settings)
    tmp = link.with_name(".asterisk.link")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    # Relative target: the same link resolves inside the chroot and outside it.
    os.symlink(f"generations/{generation}", tmp)
    if link.exists() and not link.is_symlink():
        shutil.rmtree(link)  # a plain directory left by hand; replaced by the link
    os.replace(tmp, link)


def install_sounds(settings: Settings) -> None:
    target = settings.site_dir / "sounds"
    target.mkdir(parents=True, exist_ok=True)
    for wav in sorted(SOUNDS.glob("*.wav")):
        dest = target / wav.name
        if not dest.exists() or dest.read_bytes() != wav.read_bytes():
            shutil.copyfile(wav, dest)


def _prune(settings: Settings, keep: set[str]) -> None:
    generations = sorted(_generations(settings).iterdir(), key=lambda p: p.stat().st_mtime)
    old = [p for p in generations if p.name not in keep and not p.name.startswith(".")]
    for path in old[:-KEEP_GENERATIONS] if len(old) > KEEP_GENERATIONS else []:
        shutil.rmtree(path, ignore_errors=True)


def expectations(files: dict[str, str]) -> dict[str, object]:
    """What a PBX that took these files must show: endpoints, contexts, queues."""
    pjsip = files.get("pjsip.conf", "")
    contexts = re.findall(r"^\[(ccc-[^\]]+)\]", files.get("extensions.conf", ""), re.M)
    # Every context an endpoint sends calls into must exist too: a dialplan that lost
    # one (say ccc-from-carrier) loads without a complaint but takes no calls.
    contexts += re.findall(r"^context=(\S+)$", pjsip, re.M)
    contexts = list(dict.fromkeys(contexts))
    queues = [q for q in re.findall(r"^\[([^\]]+)\]", files.get("queues.conf", ""), re.M)
              if q != "general"]
    return {"endpoints": pjsip.count("\ntype=endpoint"), "contexts": contexts, "queues": queues}


def has_context(settings: Settings, context: str) -> bool:
    """Whether the running PBX's dialplan has the context."""
    try:
        text = ami_command(settings, f"dialplan show {context}")
    except AmiActionFailed:
        return False  # Asterisk 22 answers "no such context" with an AMI error
    return "There is no existence" not in text


def verify(settings: Settings, files: dict[str, str]) -> list[str]:
    """Problems seen on the running PBX after a reload (empty when all is in force)."""
    expected = expectations(files)
    problems = []
    endpoints = ami_command(settings, "pjsip show endpoints")
    found = re.search(r"Objects found: (\d+)", endpoints)
    count = int(found.group(1)) if found else 0
    if count != expected["endpoints"]:
        problems.append(f"PJSIP has {count} endpoints, expected {expected['endpoints']}")
    for context in expected["contexts"]:
        if not has_context(settings, context):
            problems.append(f"dialplan context {context} is missing")
    queue_text = ami_command(settings, "queue show")
    for queue in expected["queues"]:
        if not re.search(rf"^{re.escape(queue)} has ", queue_text, re.M):
            problems.append(f"queue {queue} is missing")
    return problems


# Modules that report configuration they refused; a refused object is otherwise
# invisible, because PJSIP keeps the old one (counts and contexts still match).
CONFIG_SOURCES = ("res_sorcery_config.c", "config_options.c", "config.c", "pbx_config.c")


def _log(settings: Settings) -> Path:
    return settings.site_dir / "log" / "messages.log"


def _log_size(settings: Settings) -> int:
    try:
        return _log(settings).stat().st_size
    except FileNotFoundError:
        return 0


def config_errors_since(settings: Settings, offset: int) -> list[str]:
    """Errors about configuration the PBX logged after ``offset`` in its messages log."""
    try:
        with open(_log(settings), "rb") as log:
            log.seek(offset)
            text = log.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return []
    return [line.split("] ", 1)[-1].strip() for line in text.splitlines()
            if " ERROR[" in line and any(f" {source}:" in line for source in CONFIG_SOURCES)]


def _verify_settled(settings: Settings, files: dict[str, str], log_offset: int | None = None,
                    tries: int = 10) -> list[str]:
    """Problems after a reload; with ``log_offset``, also errors logged since then."""
    # Some modules finish reloading on their own threads; give them a moment.
    for _ in range(tries):
        problems = verify(settings, files)
        if not problems:
            return [] if log_offset is None else config_errors_since(settings, log_offset)
        time.sleep(0.3)
    return problems


def apply_files(settings: Settings, files: dict[str, str], pbx_running: bool) -> ApplyResult:
    """Swap the files in and, on a running PBX, reload; roll back if it does not take them."""
    create_site(settings)
    install_sounds(settings)
    previous = current_generation(settings)
    generation = write_generation(settings, files)
    if generation == previous:
        return ApplyResult(changed=False, live=pbx_running)
    swap_to(settings, generation)
    _prune(settings, keep={generation, previous or ""})
    if not pbx_running:
        return ApplyResult(changed=True, live=False)
    log_offset = _log_size(settings)
    try:
        ami_command(settings, "core reload")
        problems = _verify_settled(settings, files, log_offset)
    except AmiError as error:  # the PBX choked on the files: same as refusing them
        problems = [str(error)]
    if problems:
        if previous:
            swap_to(settings, previous)
            ami_command(settings, "core reload")
        restored = "the previous one is back in force" if previous else \
            "there was no earlier configuration to return to"
        raise ApplyError("the PBX did not take the new configuration ("
                         + "; ".join(problems) + f"); {restored}")
    return ApplyResult(changed=True, live=True)


def apply(session: Session, settings: Settings) -> ApplyResult:
    """Render the site's configuration from the database and put it in force."""
    from provisioning.pbx_host import is_running
    try:
        files = render_files(session, settings)
    except UnsafeValue as error:
        # Only data that bypassed the services' validation gets here: nothing is written.
        raise ApplyError(f"{error}; nothing was written, the PBX keeps its configuration") \
            from None
    from engine.audio.service import sync_pbx_copies
    try:
        running = is_running(settings)
    except AmiError:
        running = False
    result = apply_files(settings, files, running)
    # The audio library's 8 kHz copies live in the site too: a site created (or
    # restored) after the uploads gets them here, before any call can ask for them.
    sync_pbx_copies(session, settings)
    return result
