"""Builders for test data, through the engine services (so the rules apply)."""
from engine.accounts.service import create_account, get_account, get_user
from engine.accounts.tokens import create_token
from engine.instances.service import create_instance
from engine.trunks.service import create_trunk


def add_account(session, name="acme", plan="payg"):
    return create_account(session, name, plan)


def add_instance(session, account="acme", name="Sales", domain="sales.acme",
                 number="01012345678", number_type="landline", admin="alice"):
    return create_instance(session, get_account(session, account), name, domain, number,
                           number_type, admin)


def add_token(session, account="acme", user="alice"):
    """A new API token's secret for the account's user, both named."""
    return create_token(session, get_user(session, get_account(session, account), user))


def add_trunk(session, name="carrier", host="127.0.0.2:5070"):
    return create_trunk(session, name, host)
