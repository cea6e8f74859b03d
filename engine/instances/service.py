"""Call center instances, including the one-minute creation of F3."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import validation
from engine.accounts.models import Role
from engine.accounts.service import find_or_create_user, get_account
from engine.agents.models import Agent
from engine.agents.service import create_agent
from engine.errors import Conflict, Invalid, NotFound
from engine.instances.models import Instance
from engine.ivr.service import WELCOME, create_published_flow, welcome_document
from engine.numbers.models import Number
from engine.numbers.service import add_number, parse_type
from engine.skillgroups.service import DEFAULT, create_skill_group
from engine.uow import mark_pbx_changed


@dataclass
class CreatedInstance:
    instance: Instance
    number: Number
    admin_agent: Agent | None


def create_instance(session: Session, account_name: str, name: str, domain: str,
                    number_digits: str, number_type: str, admin_name: str | None = None,
                    description: str = "") -> CreatedInstance:
    """Create an instance ready to take calls, all in the caller's transaction.

    Besides the instance: skill group ``default``; the administrator as its first agent,
    in ``default``; the number bound to a published ``welcome`` flow; and, unless the
    number is a 400 number (inbound only), ``default`` bound to it for outbound calls.
    """
    account = get_account(session, account_name)
    validation.name(name, "instance name")
    validation.domain(domain)
    kind = parse_type(number_type)
    if len(description) > 500:
        raise Invalid("description too long: at most 500 characters")
    if session.scalar(select(Instance).where(Instance.account_id == account.id,
                                             Instance.name == name)):
        raise Conflict(f"account {account.name!r} already has an instance named {name!r}")
    if session.scalar(select(Instance).where(Instance.domain == domain)):
        raise Conflict(f"access domain {domain!r} is already taken")

    instance = Instance(account=account, name=name, domain=domain, description=description)
    session.add(instance)
    session.flush()
    number = add_number(session, account.id, number_digits, kind)
    number.instance_id = instance.id
    group = create_skill_group(session, instance, DEFAULT)
    flow = create_published_flow(session, instance, WELCOME, welcome_document(DEFAULT))
    number.inbound_flow_id = flow.id
    if kind.can_call_out:
        number.outbound_skill_groups.append(group)
    admin_agent = None
    if admin_name:
        user = find_or_create_user(session, account, admin_name, Role.INSTANCE_ADMIN)
        admin_agent = create_agent(session, instance, admin_name,
                                   skill_groups={DEFAULT: 1}, user_id=user.id)
    session.flush()
    mark_pbx_changed(session)
    return CreatedInstance(instance, number, admin_agent)


def get_instance(session: Session, domain: str) -> Instance:
    """Instances are named on the command line by their access domain (unique platform-wide)."""
    instance = session.scalar(select(Instance).where(Instance.domain == domain))
    if instance is None:
        raise NotFound(f"unknown instance {domain!r}")
    return instance


def update_instance(session: Session, domain: str, name: str | None = None,
                    description: str | None = None, new_domain: str | None = None) -> Instance:
    instance = get_instance(session, domain)
    if new_domain is not None and new_domain != instance.domain:
        raise Invalid(f"the access domain of {instance.domain!r} cannot be changed")
    if name is not None and name != instance.name:
        validation.name(name, "instance name")
        if session.scalar(select(Instance).where(Instance.account_id == instance.account_id,
                                                 Instance.name == name)):
            raise Conflict(f"the account already has an instance named {name!r}")
        instance.name = name
    if description is not None:
        if len(description) > 500:
            raise Invalid("description too long: at most 500 characters")
        instance.description = description
    session.flush()
    return instance


def list_instances(session: Session, account_name: str | None = None) -> list[Instance]:
    query = select(Instance).order_by(Instance.id)
    if account_name is not None:
        query = query.where(Instance.account_id == get_account(session, account_name).id)
    return list(session.scalars(query))
