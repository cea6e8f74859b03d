"""Sign-in attempts: repeated wrong passwords lock the sign-in for that user and address.

The lock is per (account, user, address): a guesser cannot lock the real user out from
another address, and a guesser trying many names from one address is stopped per name
(their address meets the PBX's bans only on the SIP side). Failures are kept in the
database, so every web process sees the same count.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from engine.accounts.models import SignInFailure
from engine.db import utcnow

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)  # failures counted within it; the lock lasts as long


def _key(account: str, user: str, address: str) -> tuple[str, str, str]:
    # Columns are bounded; what a form sends is not.
    return account[:64], user[:64], address[:45]


def locked_until(session: Session, account: str, user: str, address: str,
                 now: datetime | None = None) -> datetime | None:
    """When the sign-in of ``user`` from ``address`` opens again, if it is locked now."""
    now = now or utcnow()
    account, user, address = _key(account, user, address)
    count, last = session.execute(
        select(func.count(), func.max(SignInFailure.at)).where(
            SignInFailure.account_name == account, SignInFailure.user_name == user,
            SignInFailure.address == address, SignInFailure.at > now - WINDOW)).one()
    return last + WINDOW if count >= MAX_FAILURES else None


def record_failure(session: Session, account: str, user: str, address: str,
                   now: datetime | None = None) -> None:
    now = now or utcnow()
    account, user, address = _key(account, user, address)
    session.add(SignInFailure(account_name=account, user_name=user, address=address, at=now))
    # Old failures say nothing any more: keep the table small.
    session.execute(delete(SignInFailure).where(SignInFailure.at <= now - WINDOW))
    session.flush()


def record_success(session: Session, account: str, user: str, address: str) -> None:
    account, user, address = _key(account, user, address)
    session.execute(delete(SignInFailure).where(
        SignInFailure.account_name == account, SignInFailure.user_name == user,
        SignInFailure.address == address))
