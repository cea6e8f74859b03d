"""CSV import of agents: every row is checked first; a file with any bad row writes nothing.

Columns (a header line is required, in any order): ``name`` (required), ``extension``
(optional: the next free one from 1001), ``skill_groups`` (optional, ``default:1;vip:2``;
empty puts the agent in ``default`` at level 1, as ``ccc agent create`` does).
"""
from __future__ import annotations

import csv
import io
import itertools
from dataclasses import dataclass

from sqlalchemy.orm import Session

from engine.agents.models import Agent
from engine.agents.service import check_agent, create_agent, next_extension, parse_levels
from engine.errors import DomainError, Invalid
from engine.instances.models import Instance
from engine.skillgroups.service import DEFAULT
from engine.validation import FieldErrors
from engine.messages import N_

COLUMNS = ("name", "extension", "skill_groups")
MAX_ROWS = 2000
MAX_BYTES = 512 * 1024


@dataclass
class RowError:
    line: int       # line of the file, 1 = the header
    field: str
    message: str


class ImportRejected(Invalid):
    """Raised with the whole report; the caller's transaction rolls back."""

    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} problem(s) in the file; nothing imported: "
                         + "; ".join(f"line {e.line}: {e.message}" for e in errors[:5]))
        self.errors = errors


def _rows(data: bytes | str) -> list[dict[str, str]]:
    if isinstance(data, bytes):
        if len(data) > MAX_BYTES:
            raise ImportRejected([RowError(0, "file", N_("file larger than %(max_bytes)s bytes",
                                                         max_bytes=MAX_BYTES))])
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ImportRejected([RowError(0, "file", N_("the file is not UTF-8 text"))]) from None
    if "\x00" in data:  # never in text; PostgreSQL refuses it
        raise ImportRejected([RowError(0, "file", N_("the file is not text: it holds a NUL "
                                                     "character"))])
    reader = csv.DictReader(io.StringIO(data, newline=""))
    try:
        header = [h.strip() for h in reader.fieldnames or []]
        if "name" not in header or set(header) - set(COLUMNS) or len(set(header)) < len(header):
            raise ImportRejected([RowError(1, "file", N_(
                "the header must name the columns %(columns)s (name is required), each once",
                columns=", ".join(COLUMNS)))])
        reader.fieldnames = header
        rows = list(itertools.islice(reader, MAX_ROWS + 1))
    except csv.Error:  # a cell past the csv module's limit, a quote never closed...
        raise ImportRejected([RowError(reader.line_num, "file", N_(
            "line %(line)s is not CSV the import can read", line=reader.line_num))]) from None
    if not rows:
        raise ImportRejected([RowError(1, "file", N_("the file has no agent rows"))])
    if len(rows) > MAX_ROWS:
        raise ImportRejected([RowError(0, "file", N_("more than %(max_rows)s rows",
                                                     max_rows=MAX_ROWS))])
    return rows


def import_agents(session: Session, instance: Instance, data: bytes | str) -> list[Agent]:
    """Create one agent per row, or none: any broken rule raises ImportRejected with a
    report of every bad row (line, field, message)."""
    report: list[RowError] = []
    planned: list[tuple[str, str, dict[str, int]]] = []
    in_file: set[str] = set()
    for line, row in enumerate(_rows(data), start=2):
        if None in row:  # more cells than header columns
            report.append(RowError(line, "file", N_("more cells than columns")))
            continue
        name = (row.get("name") or "").strip()
        extension = (row.get("extension") or "").strip() or next_extension(
            session, instance, in_file)
        errors = FieldErrors()
        levels = errors.check("skill_groups", parse_levels, row.get("skill_groups") or "")
        if levels == {}:
            levels = {DEFAULT: 1}
        check_agent(session, instance, name, extension, levels or {}, errors)
        if extension in in_file:
            errors.add("extension", N_("extension %(extension)s appears twice in the file",
                                       extension=extension))
        in_file.add(extension)
        report += [RowError(line, f, m) for f, m in errors.errors.items()]
        planned.append((name, extension, levels or {}))
    if report:
        raise ImportRejected(report)
    try:
        return [create_agent(session, instance, name, extension, levels)
                for name, extension, levels in planned]
    except DomainError as error:  # checked above; kept as a guard, never a partial import
        raise ImportRejected([RowError(0, "file", error.message)]) from None
