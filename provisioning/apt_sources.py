"""The Debian mirror the host already uses, read from its apt sources.

The PBX root is built from the same mirror the host installs its own packages
from, so it works wherever the host's apt works (a local mirror, a proxy) and no
mirror is written into the code.
"""
from __future__ import annotations

from pathlib import Path


class MirrorNotFound(Exception):
    """The host's apt sources name no mirror for its own release."""


def os_codename(os_release: str) -> str:
    """VERSION_CODENAME from /etc/os-release text ("" if absent)."""
    for line in os_release.splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "VERSION_CODENAME":
            return value.strip().strip('"')
    return ""


def _deb822_stanzas(text: str) -> list[dict[str, str]]:
    """Parse deb822 text into stanzas of field -> value (continuations joined)."""
    stanzas: list[dict[str, str]] = []
    current: dict[str, str] = {}
    field = None
    for raw in text.splitlines():
        if raw.lstrip().startswith("#"):
            continue
        if not raw.strip():
            if current:
                stanzas.append(current)
            current, field = {}, None
        elif raw[0] in " \t" and field:
            current[field] += " " + raw.strip()
        else:
            field, _, value = raw.partition(":")
            field = field.strip().lower()
            current[field] = value.strip()
    if current:
        stanzas.append(current)
    return stanzas


def mirror_from_deb822(text: str, codename: str) -> str | None:
    """First URI of an enabled ``deb`` stanza whose Suites list the codename itself.

    Stanzas only for ``<codename>-security`` or ``-updates`` do not match: those
    archives carry no other release.
    """
    for stanza in _deb822_stanzas(text):
        if stanza.get("enabled", "yes").lower() == "no":
            continue
        if "deb" not in stanza.get("types", "").split():
            continue
        if codename in stanza.get("suites", "").split() and stanza.get("uris"):
            return stanza["uris"].split()[0]
    return None


def mirror_from_list(text: str, codename: str) -> str | None:
    """The URL of the first one-line ``deb URL <codename> ...`` source."""
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if not words or words[0] != "deb":
            continue
        words = words[1:]
        if words and words[0].startswith("["):  # [arch=... signed-by=...]
            while words and not words[0].endswith("]"):
                words.pop(0)
            words = words[1:]
        if len(words) >= 2 and words[1] == codename:
            return words[0]
    return None


def host_mirror(etc: Path = Path("/etc")) -> str:
    """The mirror of the host's own release, from its apt sources."""
    codename = os_codename((etc / "os-release").read_text(encoding="utf-8"))
    if not codename:
        raise MirrorNotFound(f"no VERSION_CODENAME in {etc / 'os-release'}")
    apt = etc / "apt"
    for path in sorted((apt / "sources.list.d").glob("*.sources")):
        found = mirror_from_deb822(path.read_text(encoding="utf-8"), codename)
        if found:
            return found
    lists = [apt / "sources.list", *sorted((apt / "sources.list.d").glob("*.list"))]
    for path in lists:
        if path.is_file():
            found = mirror_from_list(path.read_text(encoding="utf-8"), codename)
            if found:
                return found
    raise MirrorNotFound(f"no apt source for {codename!r} under {apt}")
