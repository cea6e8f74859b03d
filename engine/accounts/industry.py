"""An account's industry: suppliers refuse some industries on marketing numbers.

Kept as a field of the account for now; everything that reads it goes through
``industry_of`` (a SQL expression, so the outbound decision reads it in its one query),
which is the one place to change when the industry comes from an approved
qualification instead.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.accounts.models import Account
from engine.errors import Invalid
from engine.messages import N_

# The codes stored and compared; a supplier's refused industries use the same ones.
INDUSTRIES = ("finance", "insurance", "health_beauty", "value_added_services", "education",
              "real_estate", "ecommerce", "logistics", "travel", "government", "other")


def check_industry(value) -> str | None:
    """An industry code, or None (''/None: not declared)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or value not in INDUSTRIES:
        raise Invalid(N_("unknown industry %(value)r: choose one of %(choices)s",
                         value=value, choices=", ".join(INDUSTRIES)))
    return value


def industry_of(account_id_column):
    """The industry of the account whose id is in ``account_id_column``, as a scalar
    SQL expression for a query that selects it alongside other facts."""
    return select(Account.industry).where(Account.id == account_id_column).scalar_subquery()


def set_industry(session: Session, account: Account, value) -> Account:
    """Declare the account's industry (None or '' to clear it)."""
    account.industry = check_industry(value)
    session.flush()
    return account


def account_industry(session: Session, account_id: int) -> str | None:
    """The account's industry as the outbound decision reads it."""
    return session.scalar(select(industry_of(account_id)))
