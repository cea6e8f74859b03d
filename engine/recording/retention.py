"""How long an account keeps its calls' recordings, the purge that applies it, and what
the recordings take up.

An account without a retention period keeps its recordings. With one, a recording is
purged once it is older than that many days (counted from when it was registered, at
the end of its call): its file is deleted and its row marked purged. The row stays, so
the call keeps its history (the ``recorded`` flag its bill was rated on) and a file the
PBX might leave behind is never registered again. A missing file is no failure: the row
is marked all the same. A file that cannot be deleted leaves its row as it was, for the
next purge.

Every function takes the time as ``now`` (UTC), so a test can run the purge at any
date: ``ccc serve`` asks its clock (engine/jobs.py's ``RetentionJob``).
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.access import ACCOUNT_ROLES
from engine.accounts.models import Account, User
from engine.db import utcnow
from engine.errors import Forbidden, Invalid, NotFound
from engine.instances.models import Instance
from engine.messages import N_
from engine.recording.models import Recording
from engine.settings import Settings

log = logging.getLogger(__name__)
MAX_RETENTION_DAYS = 36500  # a hundred years: longer is a typing mistake


def _check(actor: User | None, account: Account) -> None:
    """The account's recordings as a whole are its owner's business (``actor`` None: the
    operator on the host, with ``ccc``)."""
    if actor is None:
        return
    if actor.account_id != account.id:
        raise NotFound(N_("unknown account %(name)r", name=account.name))
    if actor.role not in ACCOUNT_ROLES:
        raise Forbidden(N_("the %(role_value)s role may not manage the account's recordings",
                           role_value=actor.role.value))


def set_retention(session: Session, account: Account, days,
                  actor: User | None = None) -> Account:
    """Keep the account's recordings ``days`` days (1 and more), or until deleted by hand
    (None, or 0)."""
    _check(actor, account)
    if days is not None and (isinstance(days, bool) or not isinstance(days, int)
                             or not 0 <= days <= MAX_RETENTION_DAYS):
        raise Invalid(N_("the retention period is a number of days from 0 (keep) to "
                         "%(most)d", most=MAX_RETENTION_DAYS),
                      fields={"recording_retention_days": N_("a number of days")})
    account.recording_retention_days = days or None
    session.flush()
    return account


@dataclass(frozen=True)
class Purged:
    """What a purge did: recordings purged (their files deleted or already gone), files
    that could not be deleted (their rows left for the next purge)."""
    purged: int
    failed: int


def purge(session: Session, settings: Settings, now: datetime | None = None,
          account: Account | None = None, instance: Instance | None = None) -> Purged:
    """Purge the recordings older than their account's retention period: every account's,
    or one account's, or one instance's."""
    now = now or utcnow()
    query = select(Recording, Account.recording_retention_days).join(
        Instance, Instance.id == Recording.instance_id).join(
        Account, Account.id == Instance.account_id).where(
        Recording.purged_at.is_(None), Account.recording_retention_days.is_not(None))
    if account is not None:
        query = query.where(Account.id == account.id)
    if instance is not None:
        query = query.where(Instance.id == instance.id)
    purged = failed = 0
    for recording, days in session.execute(query.order_by(Recording.id)):
        if recording.created_at > now - timedelta(days=days):
            continue
        path = settings.recordings_dir / recording.path
        try:
            path.unlink(missing_ok=True)
        except OSError as error:
            log.error("recording %d not purged: %s", recording.id, error.strerror)
            failed += 1
            continue
        recording.purged_at = now
        purged += 1
    session.flush()
    return Purged(purged, failed)


@dataclass(frozen=True)
class Storage:
    """What an account's (or an instance's) recordings take up: kept ones only."""
    recordings: int
    size_bytes: int
    seconds: int

    @property
    def minutes(self) -> int:
        """The recordings' total length in minutes, rounded up."""
        return math.ceil(self.seconds / 60)

    def as_dict(self) -> dict:
        return {"recordings": self.recordings, "size_bytes": self.size_bytes,
                "seconds": self.seconds, "minutes": self.minutes}


def storage(session: Session, account: Account,
            instance: Instance | None = None) -> Storage:
    """The account's kept recordings (or only the instance's): how many, bytes, length."""
    query = select(func.count(Recording.id), func.coalesce(func.sum(Recording.size_bytes), 0),
                   func.coalesce(func.sum(Recording.seconds), 0)).join(
        Instance, Instance.id == Recording.instance_id).where(
        Instance.account_id == account.id, Recording.purged_at.is_(None))
    if instance is not None:
        query = query.where(Instance.id == instance.id)
    count, size, seconds = session.execute(query).one()
    return Storage(int(count), int(size), int(seconds))


def account_recordings(session: Session, account: Account,
                       actor: User | None = None) -> dict:
    """The account's retention period and storage, in total and by instance: one shape
    for the API, the page and ``ccc recording storage --json``."""
    _check(actor, account)
    instances = session.scalars(select(Instance).where(Instance.account_id == account.id)
                                .order_by(Instance.id))
    return {"account": account.name,
            "recording_retention_days": account.recording_retention_days,
            "storage": storage(session, account).as_dict(),
            "instances": [{"id": i.id, "domain": i.domain, "name": i.name,
                           **storage(session, account, i).as_dict()} for i in instances]}
