"""Call center instances, including their creation ready to take calls in one step."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import validation
from engine.agentstate.breakcodes import add_default_break_codes
from engine.accounts.models import Account, Role, User
from engine.accounts.service import find_or_create_user
from engine.agents.models import Agent
from engine.agents.service import create_agent
from engine.errors import Conflict, Invalid, NotFound
from engine.instances.models import Instance
from engine.ivr.service import WELCOME, create_published_flow, welcome_document
from engine.numbers.models import Number
from engine.numbers.service import add_number, check_digits, list_numbers, parse_type
from engine.recording.policy import INSTANCE_POLICIES, parse as parse_policy
from engine.skillgroups.service import DEFAULT, create_skill_group
from engine.uow import mark_pbx_changed
from engine.validation import FieldErrors
from engine.messages import N_


@dataclass
class CreatedInstance:
    instance: Instance
    number: Number
    admin_agent: Agent | None
    admin_agents: list[Agent] = field(default_factory=list)


def _check_admins(session: Session, account: Account, admin_name: str | None,
                  import_admins: Sequence[str], admin_password: str | None,
                  errors: FieldErrors) -> list[str]:
    """The administrators' names: the imported ones must already be users of the account.

    A user created on the spot with a password must be new: the form must not become a
    way to reset an existing user's password.
    """
    names = []
    for name in import_admins:
        if session.scalar(select(User).where(User.account_id == account.id,
                                             User.name == name)) is None:
            errors.add("admins", N_("%(name)r is not a user of account %(account_name)r",
                                    name=name, account_name=account.name))
        elif name not in names:
            names.append(name)
    if admin_name and errors.check("new_admin", validation.name, admin_name,
                                   N_("administrator name")):
        exists = session.scalar(select(User).where(User.account_id == account.id,
                                                   User.name == admin_name)) is not None
        if exists and admin_password is not None:
            errors.add("new_admin", N_("%(admin_name)r is already a user of the account: import "
                                       "it instead", admin_name=admin_name), conflict=True)
        elif admin_name not in names:
            names.append(admin_name)
    return names


def create_instance(session: Session, account: Account, name: str, domain: str,
                    number_digits: str, number_type: str, admin_name: str | None = None,
                    description: str = "", import_admins: Sequence[str] = (),
                    admin_password: str | None = None) -> CreatedInstance:
    """Create an instance ready to take calls, all in the caller's transaction.

    Besides the instance: skill group ``default``; each administrator as an agent in
    ``default`` (that seat is also what makes the user an administrator of it); the
    number bound to a published ``welcome`` flow; and, unless the number is a 400
    number (inbound only), ``default`` bound to it for outbound calls.

    ``import_admins`` names existing users of the account; ``admin_name`` is found or
    created on the spot (with ``admin_password``, if given, so the new user can sign in).
    Every broken rule is reported against its field (name, domain, description, number,
    number_type, admins, new_admin), and nothing is written.
    """
    errors = FieldErrors()
    errors.check("name", validation.name, name, N_("instance name"))
    errors.check("domain", validation.domain, domain)
    errors.check("description", validation.text, description, "description", 500)
    kind = errors.check("number_type", parse_type, number_type)
    if kind is not None:
        errors.check("number", check_digits, number_digits, kind)
    admins = _check_admins(session, account, admin_name, import_admins, admin_password, errors)
    errors.raise_if_any(Invalid)
    if session.scalar(select(Instance).where(Instance.account_id == account.id,
                                             Instance.name == name)):
        errors.add("name", N_("account %(account_name)r already has an instance named %(name)r",
                              account_name=account.name, name=name),
                   conflict=True)
    if session.scalar(select(Instance).where(Instance.domain == domain)):
        errors.add("domain", N_("access domain %(domain)r is already taken",
                                domain=domain), conflict=True)
    if session.scalar(select(Number).where(Number.digits == number_digits)):
        errors.add("number", N_("number %(number_digits)s is already in use",
                                number_digits=number_digits), conflict=True)
    errors.raise_if_any()

    instance = Instance(account=account, name=name, domain=domain, description=description)
    session.add(instance)
    session.flush()
    number = add_number(session, account.id, number_digits, kind)
    number.instance_id = instance.id
    group = create_skill_group(session, instance, DEFAULT)
    add_default_break_codes(session, instance)
    flow = create_published_flow(session, instance, WELCOME, welcome_document(DEFAULT))
    number.inbound_flow_id = flow.id
    if kind.can_call_out:
        number.outbound_skill_groups.append(group)
    agents = []
    for admin in admins:
        password = admin_password if admin == admin_name else None
        user = find_or_create_user(session, account, admin, Role.INSTANCE_ADMIN, password)
        agents.append(create_agent(session, instance, admin, skill_groups={DEFAULT: 1},
                                   user_id=user.id))
    session.flush()
    mark_pbx_changed(session)
    return CreatedInstance(instance, number, agents[0] if agents else None, agents)


def get_instance(session: Session, domain: str) -> Instance:
    """Instances are named on the command line by their access domain (unique platform-wide)."""
    instance = session.scalar(select(Instance).where(Instance.domain == domain))
    if instance is None:
        raise NotFound(N_("unknown instance %(domain)r", domain=domain))
    return instance


def _recording_policy(value) -> None:
    try:
        parse_policy(value, INSTANCE_POLICIES)
    except ValueError as error:
        raise Invalid(N_("invalid recording policy %(value)r: choose one of %(choices)s",
                         value=value, choices=str(error))) from None


def _field(field_name: str, check, *args) -> None:
    errors = FieldErrors()
    errors.check(field_name, check, *args)
    errors.raise_if_any()


def update_instance(session: Session, domain: str, name: str | None = None,
                    description: str | None = None, new_domain: str | None = None,
                    ringing_timeout_break: bool | None = None,
                    recording: str | None = None) -> Instance:
    """Rename or redescribe an instance, say whether a queue call left ringing sends
    its agent on a break, or which calls are recorded (all, none, on-demand); its
    access domain never changes."""
    instance = get_instance(session, domain)
    if recording is not None:
        _field("recording", _recording_policy, recording)
        chosen = parse_policy(recording, INSTANCE_POLICIES)
        if chosen is not instance.recording:
            instance.recording = chosen
            mark_pbx_changed(session)  # the dialplan starts (or stops) the recordings
    if ringing_timeout_break is not None and \
            ringing_timeout_break != instance.ringing_timeout_break:
        instance.ringing_timeout_break = bool(ringing_timeout_break)
        mark_pbx_changed(session)  # the queues' autopause follows it
    if new_domain is not None and new_domain != instance.domain:
        raise Invalid(N_("the access domain of %(domain)r cannot be changed",
                         domain=instance.domain),
                      fields={"domain": N_("the access domain cannot be changed")})
    if name is not None and name != instance.name:
        _field("name", validation.name, name, N_("instance name"))
        if session.scalar(select(Instance).where(Instance.account_id == instance.account_id,
                                                 Instance.name == name)):
            message = N_("the account already has an instance named %(name)r", name=name)
            raise Conflict(message, fields={"name": message})
        instance.name = name
    if description is not None:
        _field("description", validation.text, description, N_("description"), 500)
        instance.description = description
    session.flush()
    return instance


def instance_json(session: Session, instance: Instance) -> dict:
    """An instance as every face shows it (the API's answers, the CLI's ``--json``)."""
    return {"id": instance.id, "account": instance.account.name, "name": instance.name,
            "domain": instance.domain, "description": instance.description,
            "access_address": f"http://{instance.domain}/",
            "recording": instance.recording.value,
            "numbers": [{"id": n.id, "digits": n.digits, "type": n.type.value}
                        for n in list_numbers(session, instance_id=instance.id)]}


def list_instances(session: Session, account: Account | None = None) -> list[Instance]:
    query = select(Instance).order_by(Instance.id)
    if account is not None:
        query = query.where(Instance.account_id == account.id)
    return list(session.scalars(query))
