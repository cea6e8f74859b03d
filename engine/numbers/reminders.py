"""Reminders that a number's rental term ends soon, for the account's owners.

``ccc serve`` writes one a week before a term ends without auto-renewal
(``remind``), in the same transaction that marks the rental reminded: exactly one per
term, whatever restarts. It stays listed (web admin, API, ``ccc number reminders``)
until an owner dismisses it; dismissing it is the account's, once for all its owners.
Users have no e-mail address, so nothing is mailed: the reminder is this record.

``actor`` is the signed-in user asking; None is the operator on the host (``ccc``).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access import ACCOUNT_ROLES
from engine.accounts.models import User
from engine.errors import Forbidden, NotFound
from engine.messages import N_
from engine.numbers.models import NumberReminder
from engine.numbers.rentals import reminders_due


def remind(session: Session, now: datetime) -> list[NumberReminder]:
    """A reminder for every term that is due one (engine.numbers.rentals.reminders_due)."""
    made = [NumberReminder(account_id=rental.account_id, rental_id=rental.id,
                           digits=rental.digits, ends_at=rental.ends_at, created_at=now)
            for rental in reminders_due(session, now)]
    session.add_all(made)
    session.flush()
    return made


def check_owner(actor: User | None, account_id: int) -> None:
    """The account's money: its owners (and the operator) only."""
    if actor is None:
        return
    if actor.account_id != account_id:
        raise NotFound(N_("no such %(value)s", value="number reminder"))
    if actor.role not in ACCOUNT_ROLES:
        raise Forbidden(N_("the %(role_value)s role may not see number reminders",
                           role_value=actor.role.value))


def reminders(session: Session, actor: User | None, account_id: int,
              dismissed: bool = False) -> list[NumberReminder]:
    """The account's reminders not dismissed yet (``dismissed``: all of them), the
    soonest-ending first."""
    check_owner(actor, account_id)
    query = select(NumberReminder).where(NumberReminder.account_id == account_id)
    if not dismissed:
        query = query.where(NumberReminder.dismissed_at.is_(None))
    return list(session.scalars(query.order_by(NumberReminder.ends_at, NumberReminder.id)))


def dismiss(session: Session, actor: User | None, account_id: int, reminder_id,
            now: datetime) -> NumberReminder:
    """An owner has read it: it leaves the lists (dismissing it again changes nothing)."""
    check_owner(actor, account_id)
    reminder = session.get(NumberReminder, reminder_id) \
        if isinstance(reminder_id, int) and not isinstance(reminder_id, bool) \
        and 0 < reminder_id < 2 ** 63 else None
    if reminder is None or reminder.account_id != account_id:
        raise NotFound(N_("no number reminder #%(ident)s", ident=reminder_id))
    if reminder.dismissed_at is None:
        reminder.dismissed_at = now
        reminder.dismissed_by = actor.name if actor is not None else None
        session.flush()
    return reminder


def reminder_json(reminder: NumberReminder) -> dict:
    """One serializer for the CLI's --json and the API."""
    return {"id": reminder.id, "digits": reminder.digits,
            "ends_at": reminder.ends_at.isoformat() + "Z",
            "created_at": reminder.created_at.isoformat() + "Z",
            "dismissed_at": reminder.dismissed_at.isoformat() + "Z"
            if reminder.dismissed_at else None,
            "dismissed_by": reminder.dismissed_by}
