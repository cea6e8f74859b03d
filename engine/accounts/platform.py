"""Platform users: the reviewers (platform staff who review every account's
qualifications and applications) and suppliers' staff (each tied to one supplier, who
see only its portal). They belong to no account; they sign in at the same page with
the account left empty. Created by the platform's operator (``ccc platform-user``).
"""
from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import validation
from engine.accounts.models import PLATFORM_ROLES, ApiToken, Role, User
from engine.accounts.tokens import PREFIX, HINT_LENGTH, _digest
from engine.accounts.users import check_password
from engine.errors import Invalid, NotFound
from engine.messages import N_
from engine.security.passwords import hash_password
from engine.suppliers.models import Supplier
from engine.validation import FieldErrors


def find_platform_user(session: Session, name: str) -> User | None:
    return session.scalar(select(User).where(User.account_id.is_(None), User.name == name))


def _role(value) -> Role:
    role = next((r for r in PLATFORM_ROLES if r.value == value), None)
    if role is None:
        raise Invalid(N_("a platform user is a reviewer or a supplier"))
    return role


def create_platform_user(session: Session, name, role, password,
                         supplier: Supplier | None = None) -> User:
    """A reviewer, or (given ``supplier``) a supplier's staff member."""
    errors = FieldErrors()
    if errors.check("name", validation.name, name, N_("user name")) is not None and \
            find_platform_user(session, name) is not None:
        errors.add("name", N_("a platform user named %(name)r already exists", name=name),
                   conflict=True)
    role = errors.check("role", _role, role)
    if role is Role.SUPPLIER and supplier is None:
        errors.add("supplier", N_("a supplier's staff member needs the supplier"))
    if role is Role.REVIEWER and supplier is not None:
        errors.add("supplier", N_("a reviewer works for the platform, not a supplier"))
    errors.check("password", check_password, password, name if isinstance(name, str) else "")
    errors.raise_if_any()
    user = User(account_id=None, supplier_id=supplier.id if supplier else None, name=name,
                role=role, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    return user


def list_platform_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).where(User.account_id.is_(None))
                                .order_by(User.name)))


def create_platform_token(session: Session, name: str) -> str:
    """A new API secret for a platform user, shown once."""
    user = find_platform_user(session, name)
    if user is None:
        raise NotFound(N_("no platform user named %(name)r", name=name))
    secret = PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=_digest(secret),
                         hint=secret[:len(PREFIX) + HINT_LENGTH]))
    session.flush()
    return secret


def platform_user_json(user: User) -> dict:
    return {"id": user.id, "name": user.name, "role": user.role.value,
            "supplier": user.supplier_id, "disabled": user.disabled}
