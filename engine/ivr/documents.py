"""Flow documents as text: read (JSON, or YAML on import) and written (JSON)."""
from __future__ import annotations

import json
from datetime import date, datetime

from engine.errors import Invalid
from engine.ivr.spec import FORMAT
from engine.messages import N_

MAX_DOCUMENT_BYTES = 512 * 1024  # far above any real flow; bounds what a draft may store


def parse_document(text: str) -> dict:
    """A flow document from JSON or, when it isn't JSON, YAML; judged by content."""
    try:
        document = json.loads(text)
    except ValueError:
        document = _yaml(text)
    return normalize(document)


def _yaml(text: str):
    import yaml
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        raise Invalid(N_("not a flow document: neither JSON nor YAML%(where)s",
                         where=where)) from None
    return _plain(document)


def _plain(value, key: str | None = None):
    """Undo YAML 1.1's implicit types where a flow means text: `when: 1` (a key), dates
    (`2026-12-25`) and clock times, which YAML reads as sexagesimal numbers (18:00 -> 1080)."""
    if isinstance(value, dict):
        return {str(k): _plain(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(item, key) for item in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool):
        if key == "when":
            return str(value)
        if key in ("from", "to"):
            return f"{value // 60:02d}:{value % 60:02d}"
    return value


def normalize(document) -> dict:
    """The document as stored: a JSON object within the size limit, with its format.
    Anything else is refused outright (nothing is saved); a wrong flow inside it is a
    validation problem instead, so a draft can be saved half built."""
    if not isinstance(document, dict):
        raise Invalid(N_("a flow document is a JSON object with nodes and edges"))
    try:
        text = json.dumps(document, sort_keys=True)
    except (TypeError, ValueError):
        raise Invalid(N_("a flow document holds only JSON values")) from None
    if len(text.encode()) > MAX_DOCUMENT_BYTES:
        raise Invalid(N_("a flow document is at most %(value)s KB",
                         value=MAX_DOCUMENT_BYTES // 1024))
    document = json.loads(text)
    document.setdefault("format", FORMAT)
    return document


def dump_document(document: dict) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"
