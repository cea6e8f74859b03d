"""Builders for test data, through the engine services (so the rules apply)."""
from engine.accounts.service import create_account
from engine.instances.service import create_instance
from engine.trunks.service import create_trunk


def add_account(session, name="acme", plan="payg"):
    return create_account(session, name, plan)


def add_instance(session, account="acme", name="Sales", domain="sales.acme",
                 number="01012345678", number_type="landline", admin="alice"):
    return create_instance(session, account, name, domain, number, number_type, admin)


def add_trunk(session, name="carrier", host="127.0.0.2:5070"):
    return create_trunk(session, name, host)
