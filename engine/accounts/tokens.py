"""API tokens: generated per user, shown once, stored hashed."""
from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.accounts.models import ApiToken, User

PREFIX = "ccc_"  # recognisable in a log or a leaked file
HINT_LENGTH = 4  # random characters kept to tell tokens apart (of 43)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(session: Session, user: User) -> str:
    """A new secret for the user; the caller shows it once, nobody can read it again."""
    secret = PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=_digest(secret),
                         hint=secret[:len(PREFIX) + HINT_LENGTH]))
    session.flush()
    return secret


def user_for_token(session: Session, secret: str) -> User | None:
    """The user a presented secret belongs to, or None (also for a disabled user)."""
    if not secret.startswith(PREFIX) or len(secret) > 100:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(secret)))
    return token.user if token and not token.user.disabled else None
