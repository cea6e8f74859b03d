"""Render -> write a new generation -> atomic swap -> reload -> verify -> roll back.

``SITE/etc/asterisk`` is a symbolic link to ``generations/<content hash>``. A new set
of files is written whole into its own directory, then the link is replaced with one
``rename`` (atomic), so Asterisk never reads a half-written configuration. If the PBX
does not take the new files, the link goes back to the previous generation.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from engine.ami.client import AmiActionFailed, AmiClient, AmiError, AmiUnavailable
from engine.metrics import APPLIES
from engine.settings import Settings
from provisioning.render import render_files
from provisioning.locks import file_lock
from provisioning.site import create_site
from provisioning.templates import UnsafeValue

SOUNDS = Path(__file__).resolve().parent.parent / "sounds"
KEEP_GENERATIONS = 3  # older generations kept besides the current and previous ones

log = logging.getLogger(__name__)


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
    """Write the files into their own generation directory (idempotent); return its name.

    A file equal to the one in force is a hard link to it, not a copy: nothing is
    written twice, and Asterisk, which tells an unchanged file by its size and
    modification time, sees it unchanged."""
    name = content_hash(files)
    target = _generations(settings) / name
    if not target.is_dir():
        current = current_generation(settings)
        previous = _generations(settings) / current if current else None
        staging = _generations(settings) / f".{name}.partial"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        for file_name, text in files.items():
            data = text.encode("utf-8")
            if previous is not None and _same_file(previous / file_name, data):
                os.link(previous / file_name, staging / file_name)
                continue
            (staging / file_name).write_bytes(data)
            os.chmod(staging / file_name, 0o600)  # pjsip.conf and manager.conf hold secrets
        staging.rename(target)
    return name


def _same_file(path: Path, data: bytes) -> bool:
    """Whether ``path`` holds exactly ``data`` (the size first: most changed files differ)."""
    try:
        if path.is_symlink() or path.stat().st_size != len(data):
            return False
        return path.read_bytes() == data
    except OSError:
        return False


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


async def _has_context(client: AmiClient, context: str) -> bool:
    try:
        text = await client.command(f"dialplan show {context}")
    except AmiActionFailed:
        return False  # Asterisk 22 answers "no such context" with an AMI error
    return "There is no existence" not in text


def _sections(text: str) -> dict[str, str]:
    """A configuration file's sections: name -> its text (a repeated name: all of them)."""
    sections: dict[str, str] = {}
    for part in re.split(r"^(?=\[[^\]]+\]$)", text, flags=re.M):
        header = re.match(r"^\[([^\]]+)\]$", part, re.M)
        if header:
            sections[header.group(1)] = sections.get(header.group(1), "") + part
    return sections


def contexts_to_check(old: dict[str, str] | None, files: dict[str, str]) -> list[str]:
    """The expected contexts whose text changed (all of them when nothing is known):
    the others were in force before the reload and the dialplan reload keeps or drops
    a file whole, so asking the PBX for each of hundreds of contexts proves nothing more."""
    expected = expectations(files)["contexts"]
    if old is None:
        return expected
    if all(old.get(name) == files.get(name) for name in ("pjsip.conf", "extensions.conf")):
        return []
    before = _sections(old.get("extensions.conf", ""))
    after = _sections(files.get("extensions.conf", ""))
    return [c for c in expected if c not in after or before.get(c) != after.get(c)]


@dataclass(frozen=True)
class EndpointChanges:
    """The endpoints whose objects changed between two pjsip.conf: those that must be on
    the PBX after the reload, those that must be gone."""
    present: list[str]
    absent: list[str]


def endpoints_to_check(old: dict[str, str] | None,
                       files: dict[str, str]) -> EndpointChanges | None:
    """The endpoints to ask the PBX about, one by one (None: count them all).

    Listing every endpoint costs the PBX far more than its size (20,000 endpoints take
    it 13 to 50 s: it sorts them as it lists them), while asking for one is quick; the
    endpoints whose sections did not change were in force before the reload, which
    keeps or refuses an object whole and logs what it refuses (config_errors_since)."""
    if old is None:
        return None
    if old.get("pjsip.conf") == files.get("pjsip.conf"):
        return EndpointChanges([], [])
    before = _sections(old.get("pjsip.conf", ""))
    after = _sections(files.get("pjsip.conf", ""))

    def endpoints(sections: dict[str, str]) -> set[str]:
        return {name for name, text in sections.items()
                if re.search(r"^type=endpoint$", text, re.M)}
    now, then = endpoints(after), endpoints(before)
    return EndpointChanges(sorted(n for n in now if n not in then or before[n] != after[n]),
                           sorted(then - now))


async def _has_endpoint(client: AmiClient, name: str) -> bool:
    try:
        text = await client.command(f"pjsip show endpoint {name}")
    except AmiActionFailed:
        return False  # some versions answer "unable to find" with an AMI error
    # " Endpoint:  i1-1001/1001   Unavailable ...": the name, then its caller ID or spaces.
    return re.search(rf"^ Endpoint:  {re.escape(name)}[/ ]", text, re.M) is not None


async def _verify(client: AmiClient, files: dict[str, str],
                  contexts: list[str] | None = None,
                  endpoints: EndpointChanges | None = None) -> list[str]:
    expected = expectations(files)
    problems = []
    if endpoints is None:
        # "list", not "show": one line per endpoint, the same count at the end.
        listed = await client.command("pjsip list endpoints")
        found = re.search(r"Objects found: (\d+)", listed)
        count = int(found.group(1)) if found else 0
        if count != expected["endpoints"]:
            problems.append(f"PJSIP has {count} endpoints, expected {expected['endpoints']}")
    else:
        for name in endpoints.present:
            if not await _has_endpoint(client, name):
                problems.append(f"PJSIP has no endpoint {name}")
        for name in endpoints.absent:
            if await _has_endpoint(client, name):
                problems.append(f"PJSIP still has endpoint {name}")
    for context in expected["contexts"] if contexts is None else contexts:
        if not await _has_context(client, context):
            problems.append(f"dialplan context {context} is missing")
    queue_text = await client.command("queue show")
    for queue in expected["queues"]:
        if not re.search(rf"^{re.escape(queue)} has ", queue_text, re.M):
            problems.append(f"queue {queue} is missing")
    return problems


def _in_one_session(settings: Settings, work, timeout: float = 30.0):
    """Run ``work(client)`` on one AMI connection: an apply logs in once, whatever the
    number of contexts it checks."""
    async def session():
        async with AmiClient.for_site(settings, timeout=timeout) as client:
            return await work(client)
    return asyncio.run(session())


def has_context(settings: Settings, context: str) -> bool:
    """Whether the running PBX's dialplan has the context."""
    return _in_one_session(settings, lambda client: _has_context(client, context))


def verify(settings: Settings, files: dict[str, str]) -> list[str]:
    """Problems seen on the running PBX after a reload (empty when all is in force)."""
    return _in_one_session(settings, lambda client: _verify(client, files))


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


async def _settled(client: AmiClient, settings: Settings, files: dict[str, str],
                   log_offset: int | None = None, tries: int = 10,
                   contexts: list[str] | None = None,
                   endpoints: EndpointChanges | None = None) -> list[str]:
    """Problems after a reload; with ``log_offset``, also errors logged since then."""
    # Some modules finish reloading on their own threads; give them a moment.
    for _ in range(tries):
        problems = await _verify(client, files, contexts, endpoints)
        if not problems:
            return [] if log_offset is None else config_errors_since(settings, log_offset)
        await asyncio.sleep(0.3)
    return problems


def _verify_settled(settings: Settings, files: dict[str, str], log_offset: int | None = None,
                    tries: int = 10) -> list[str]:
    return _in_one_session(
        settings, lambda client: _settled(client, settings, files, log_offset, tries))


# A file whose change one module's reload takes; any other file changed means a full
# reload (modules.conf, logger.conf... change only with ccc itself).
TARGETED_RELOADS = {
    "pjsip.conf": "module reload res_pjsip.so",
    "extensions.conf": "dialplan reload",
    "queues.conf": "queue reload all",
}


def reload_commands(old: dict[str, str] | None, new: dict[str, str]) -> list[str]:
    """The reloads that put ``new`` in force over ``old`` (None: unknown, reload all).

    Reloading only what changed keeps one agent's change from re-reading the whole
    configuration of every module on a large site."""
    if old is None:
        return ["core reload"]
    changed = sorted(name for name in set(old) | set(new) if old.get(name) != new.get(name))
    if not changed:
        return []
    if any(name not in TARGETED_RELOADS for name in changed):
        return ["core reload"]
    return [TARGETED_RELOADS[name] for name in changed]


def _files_of(settings: Settings, generation: str | None) -> dict[str, str] | None:
    folder = _generations(settings) / generation if generation else None
    if folder is None or not folder.is_dir():
        return None
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(folder.iterdir())}


async def _reload_and_check(client: AmiClient, settings: Settings, commands: list[str],
                            files: dict[str, str], contexts: list[str],
                            endpoints: EndpointChanges | None) -> list[str]:
    log_offset = _log_size(settings)
    try:
        for command in commands:
            await client.command(command)
        return await _settled(client, settings, files, log_offset, contexts=contexts,
                              endpoints=endpoints)
    except AmiError as error:  # the PBX choked on the files: same as refusing them
        return [str(error)]


# Seconds one AMI command of an apply may take: reloading res_pjsip with 10,000 agents
# takes the PBX 15 to 20 s on a busy two-core host (apply_bench), more when it is busier.
RELOAD_TIMEOUT = 120.0


def _put_in_force(settings: Settings, files: dict[str, str], previous: str | None,
                  generation: str) -> None:
    """Reload the swapped-in files on the running PBX; roll back if it does not take them."""
    old = _files_of(settings, previous)

    async def work(client: AmiClient) -> None:
        problems = await _reload_and_check(client, settings, reload_commands(old, files), files,
                                           contexts_to_check(old, files),
                                           endpoints_to_check(old, files))
        if not problems:
            return
        restored = "there was no earlier configuration to return to"
        if previous:
            swap_to(settings, previous)
            try:
                for command in reload_commands(files, old) if old else ["core reload"]:
                    await client.command(command)
                restored = "the previous one is back in force"
            except AmiError as error:  # said beside the first error, never instead of it
                restored = f"the previous files are back but reloading them failed ({error})"
        raise ApplyError("the PBX did not take the new configuration ("
                         + "; ".join(problems) + f"); {restored}")
    try:
        _in_one_session(settings, work, timeout=RELOAD_TIMEOUT)
    except AmiUnavailable as error:
        raise ApplyError(f"the PBX stopped answering during the apply ({error}); "
                         f"generation {generation} is on disk") from None


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
    _put_in_force(settings, files, previous, generation)
    return ApplyResult(changed=True, live=True)


# ---- one apply at a time, many changes per apply ---------------------------------------

def _lock_path(settings: Settings) -> Path:
    return settings.site_dir / "apply.lock"


def _marker(settings: Settings) -> Path:
    return settings.site_dir / "apply.last"


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def _rendered_after(settings: Settings, moment: int) -> ApplyResult | None:
    """The result of a successful apply that began rendering after ``moment`` (a
    monotonic clock reading, the same for every process until the host restarts)."""
    try:
        boot, started, live = _marker(settings).read_text().split()
    except (OSError, ValueError):
        return None
    if boot != _boot_id() or not started.isdigit() or int(started) <= moment:
        return None
    return ApplyResult(changed=False, live=live == "live")


def _remember(settings: Settings, started: int, result: ApplyResult) -> None:
    tmp = _marker(settings).with_suffix(".tmp")
    tmp.write_text(f"{_boot_id()} {started} {'live' if result.live else 'written'}\n")
    tmp.replace(_marker(settings))


def _leave_stale_queues(session: Session, settings: Settings) -> None:
    """A deleted agent, or one taken out of a skill group, leaves that queue now."""
    from engine.agentstate.service import prune_members
    try:
        prune_members(session, settings)
    except AmiError as error:  # ccc serve prunes again when it reconnects
        log.warning("stale queue members not removed: %s", error)


def apply(session: Session, settings: Settings) -> ApplyResult:
    """``put_in_force``, counted for the operators' metrics by result."""
    try:
        result = put_in_force(session, settings)
    except ApplyError:
        APPLIES.labels("failed").inc()
        raise
    APPLIES.labels("unchanged" if not result.changed
                   else "live" if result.live else "written").inc()
    return result


def put_in_force(session: Session, settings: Settings) -> ApplyResult:
    """Render the site's configuration from the database and put it in force.

    Call it after the change committed, with a session that has not read yet. Applies
    of one site run one at a time (a lock around render, swap, reload, verify and roll
    back), so one's rollback never undoes another's change. An apply that waited while
    another rendered after this one was asked for has nothing left to do: that render
    read this change too, and its result is this one's.
    """
    from engine.audio.service import sync_pbx_copies
    from provisioning.pbx_host import is_running
    asked = time.monotonic_ns()
    create_site(settings)
    with file_lock(_lock_path(settings)):
        done = _rendered_after(settings, asked)
        if done is not None:
            return done
        started = time.monotonic_ns()
        try:
            files = render_files(session, settings)
        except UnsafeValue as error:
            # Only data that bypassed the services' validation gets here.
            raise ApplyError(f"{error}; nothing was written, the PBX keeps its configuration") \
                from None
        try:
            running = is_running(settings)
        except AmiError:
            running = False
        result = apply_files(settings, files, running)
        if result.changed and result.live:
            _leave_stale_queues(session, settings)
        _remember(settings, started, result)
    # The audio library's 8 kHz copies live in the site too: a site created (or
    # restored) after the uploads gets them here, before any call can ask for them.
    sync_pbx_copies(session, settings)
    return result
