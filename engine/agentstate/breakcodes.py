"""An instance's break codes: the reasons its agents may give for a break.

A code is an identifier because the engine hands it to the PBX as the pause reason
(engine/agentstate/states.py); the name is what pages and reports show.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import validation
from engine.agentstate.models import BreakCode
from engine.agentstate.states import BREAK_CODE_RE, RESERVED_CODES
from engine.errors import NotFound
from engine.instances.models import Instance
from engine.messages import N_

DEFAULT_BREAK_CODES = (("Rest", "Rest"), ("Meal", "Meal"), ("Meeting", "Meeting"),
                       ("Training", "Training"))


def as_dict(found: BreakCode) -> dict:
    """The one serializer of a break code: the API and the CLI's --json print this."""
    return {"code": found.code, "name": found.name}


def add_default_break_codes(session: Session, instance: Instance) -> None:
    """The codes a new instance starts with."""
    for code, name in DEFAULT_BREAK_CODES:
        session.add(BreakCode(instance_id=instance.id, code=code, name=name))


def break_codes(session: Session, instance: Instance) -> list[BreakCode]:
    """The instance's break codes, oldest first (the order agents are offered them)."""
    return list(session.scalars(select(BreakCode).where(
        BreakCode.instance_id == instance.id).order_by(BreakCode.id)))


def find_break_code(session: Session, instance: Instance, code: str) -> BreakCode | None:
    """The instance's break code ``code`` (None: the instance has none of that code)."""
    if not isinstance(code, str):
        return None
    return session.scalar(select(BreakCode).where(BreakCode.instance_id == instance.id,
                                                  BreakCode.code == code))


def add_break_code(session: Session, instance: Instance, code: str, name: str) -> BreakCode:
    """Add a break code; every bad field is reported at once (Invalid), a code the
    instance already has is a Conflict."""
    errors = validation.FieldErrors()
    errors.check("code", validation.check, BREAK_CODE_RE, code, N_("break code"),
                 N_("1-32 letters, digits, '_' or '-', starting with a letter"))
    if "code" not in errors.errors:
        if code in RESERVED_CODES:
            errors.add("code", N_("%(code)s is reserved for the system", code=code))
        elif find_break_code(session, instance, code) is not None:
            errors.add("code", N_("break code %(code)s already exists", code=code),
                       conflict=True)
    errors.check("name", validation.name, name, N_("break code name"))
    errors.raise_if_any()
    found = BreakCode(instance_id=instance.id, code=code, name=name)
    session.add(found)
    session.flush()
    return found


def remove_break_code(session: Session, instance: Instance, code: str) -> None:
    """Remove a break code: agents may no longer take that break (logged states keep it)."""
    found = find_break_code(session, instance, code)
    if found is None:
        raise NotFound(N_("no break code %(code)r in %(domain)s", code=code,
                          domain=instance.domain))
    session.delete(found)
    session.flush()
