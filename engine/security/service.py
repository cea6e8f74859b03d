"""Bans: an address that fails to sign in to the PBX too often is refused for a while.

``ccc serve`` feeds the failures it reads from the PBX's security log to a ``Tally``;
an address that reaches the settings' threshold within the window is banned, and the
rendered PJSIP configuration denies it until the ban expires or an operator lifts it.
A carrier trunk's address is never banned: that would stop the calls, not the attacker.
"""
from __future__ import annotations

import ipaddress
from collections import deque
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.calls.journal import read_new_lines
from engine.calls.models import IngestCursor
from engine.db import utcnow
from engine.errors import Invalid, NotFound
from engine.security.log import Failure, parse_line
from engine.security.models import Ban
from engine.settings import Settings
from engine.trunks.service import list_trunks
from engine.uow import mark_pbx_changed
from engine.messages import N_


class Tally:
    """Failed attempts per address within a sliding window (kept by the reader)."""

    def __init__(self, window: timedelta):
        self.window = window
        self.recent: dict[str, deque[datetime]] = {}

    def add(self, address: str, at: datetime) -> int:
        """Count a failure at ``at``; return how many the address has in the window."""
        times = self.recent.setdefault(address, deque())
        times.append(at)
        while times and times[0] <= at - self.window:
            times.popleft()
        return len(times)


def record_failures(session: Session, settings: Settings, tally: Tally,
                    failures: list[Failure], now: datetime) -> list[Ban]:
    """Count failures; ban the addresses that reach the threshold within the window."""
    if not failures:  # the usual case, every second: no query at all
        return []
    protected = _trunk_addresses(session)
    active = set(active_addresses(session, now))
    banned = []
    for failure in failures:
        if failure.at <= now - tally.window:
            continue  # an old line read again after a restart: outside the window
        count = tally.add(failure.address, failure.at)
        if count >= settings.ban_after and failure.address not in active | protected:
            ban = Ban(address=failure.address, failures=count, created_at=now,
                      expires_at=now + timedelta(seconds=settings.ban_seconds),
                      reason=f"{count} failed sign-ins within {settings.ban_within} s, "
                             f"last as {failure.account[:60]!r} ({failure.event})")
            session.add(ban)
            active.add(failure.address)
            banned.append(ban)
    if banned:
        session.flush()
        mark_pbx_changed(session)
    return banned


def read_security_log(session: Session, settings: Settings, tally: Tally) -> list[Ban]:
    """Read what the PBX logged since the last read; ban who crossed the threshold.

    The position is kept like the call journal's (a replaced log is read again from its
    start); only failures within the window of now can count, so reading old lines
    again never bans anyone."""
    source = str(settings.security_log)
    cursor = session.get(IngestCursor, source) or IngestCursor(source=source, position=0)
    session.add(cursor)
    lines, cursor.position = read_new_lines(settings.security_log, cursor.position)
    failures = [f for f in map(parse_line, lines) if f is not None]
    return record_failures(session, settings, tally, failures, utcnow())


def active_addresses(session: Session, now: datetime | None = None) -> list[str]:
    """Addresses refused now, in a fixed order (the rendered file must not move)."""
    now = now or utcnow()
    return sorted(set(session.scalars(
        select(Ban.address).where(Ban.lifted_at.is_(None), Ban.expires_at > now))))


def next_expiry(session: Session, now: datetime | None = None) -> datetime | None:
    """When the first of the bans in force ends (None: none is in force)."""
    now = now or utcnow()
    return session.scalar(select(func.min(Ban.expires_at))
                          .where(Ban.lifted_at.is_(None), Ban.expires_at > now))


def list_bans(session: Session, include_past: bool = False) -> list[Ban]:
    """Bans in force (with ``include_past``: expired and lifted ones too), newest first."""
    query = select(Ban).order_by(Ban.created_at.desc(), Ban.id.desc())
    if not include_past:
        query = query.where(Ban.lifted_at.is_(None), Ban.expires_at > utcnow())
    return list(session.scalars(query))


def lift(session: Session, address: str) -> int:
    """Lift the bans in force on an address; return how many were lifted."""
    address = check_address(address)
    now = utcnow()
    bans = list(session.scalars(select(Ban).where(
        Ban.address == address, Ban.lifted_at.is_(None), Ban.expires_at > now)))
    if not bans:
        raise NotFound(N_("no ban in force on %(address)s", address=address))
    for ban in bans:
        ban.lifted_at = now
    mark_pbx_changed(session)
    return len(bans)


def check_address(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise Invalid(N_("invalid address %(text)r: an IPv4 or IPv6 address", text=text)) from None


def _trunk_addresses(session: Session) -> set[str]:
    addresses = set()
    for trunk in list_trunks(session):
        try:
            addresses.add(str(ipaddress.ip_address(trunk.host)))
        except ValueError:
            pass  # a host name: PJSIP resolves it; compared as text it can never match
    return addresses
