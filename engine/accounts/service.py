"""Accounts (the paying tenants) and their users."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import validation
from engine.accounts import languages
from engine.accounts.models import Account, BillingPlan, Role, User
from engine.errors import Conflict, Invalid, NotFound
from engine.messages import N_
from engine.security.passwords import hash_password


def create_account(session: Session, name: str, plan: str) -> Account:
    """Open an account on a billing plan ('payg' or 'seat')."""
    validation.name(name, N_("account name"))
    try:
        billing_plan = BillingPlan(plan)
    except ValueError:
        raise Invalid(N_("invalid plan %(plan)r: choose payg or seat", plan=plan)) from None
    if session.scalar(select(Account).where(Account.name == name)):
        raise Conflict(N_("an account named %(name)r already exists", name=name))
    account = Account(name=name, plan=billing_plan)
    session.add(account)
    session.flush()
    return account


def get_account(session: Session, name: str) -> Account:
    account = session.scalar(select(Account).where(Account.name == name))
    if account is None:
        raise NotFound(N_("unknown account %(name)r", name=name))
    return account


def list_accounts(session: Session) -> list[Account]:
    return list(session.scalars(select(Account).order_by(Account.id)))


def find_or_create_user(session: Session, account: Account, name: str, role: Role,
                        password: str | None = None) -> User:
    """Import an existing user of the account by name, or create one on the spot."""
    validation.name(name, N_("user name"))
    user = session.scalar(select(User).where(User.account_id == account.id, User.name == name))
    if user is None:
        user = User(account_id=account.id, name=name, role=role)
        session.add(user)
    if password is not None:
        user.password_hash = hash_password(password)
    session.flush()
    return user


def set_language(session: Session, user: User, language: str | None) -> User:
    """Choose the user's page language: 'zh_CN', 'en', or empty for the browser's choice.

    Anything else is refused with the language field's message, and nothing changes.
    """
    user.language = languages.language(language)
    session.flush()
    return user


def get_user(session: Session, account: Account, name: str) -> User:
    user = session.scalar(select(User).where(User.account_id == account.id, User.name == name))
    if user is None:
        raise NotFound(N_("unknown user %(name)r in account %(account_name)r",
                          name=name, account_name=account.name))
    return user
