"""Numbers: digits by type, the inbound flow, the skill groups that may call out with them."""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access import check_configure
from engine.accounts.models import User
from engine.db import utcnow
from engine.errors import Conflict, Invalid, NotFound
from engine.instances.models import Instance
from engine.ivr.models import IvrFlow
from engine.ivr.service import check_bindable
from engine.numbers.models import Number, NumberSkillGroup, NumberType
from engine.numbers.rentals import open_rental
from engine.skillgroups.models import SkillGroup
from engine.uow import mark_pbx_changed
from engine.validation import FieldErrors
from engine.messages import N_

# What each type of number looks like (mainland China numbering).
DIGITS_BY_TYPE = {
    NumberType.LANDLINE: (re.compile(r"^0[1-9][0-9]{8,10}$"),
                          "0 + area code + number, 10-12 digits"),
    NumberType.N400: (re.compile(r"^400[0-9]{7}$"), "400 followed by 7 digits"),
    NumberType.N95: (re.compile(r"^95[0-9]{3,6}$"), "95 followed by 3-6 digits"),
    NumberType.VIRTUAL_MOBILE: (re.compile(r"^1[3-9][0-9]{9}$"), "an 11-digit mobile number"),
    NumberType.INTERNATIONAL: (re.compile(r"^00[1-9][0-9]{6,15}$"), "00 + country code + number"),
}


def parse_type(text: str) -> NumberType:
    try:
        return NumberType(text)
    except ValueError:
        choices = ", ".join(t.value for t in NumberType)
        raise Invalid(N_("invalid number type %(text)r: choose one of %(choices)s",
                         text=text, choices=choices)) from None


def check_digits(digits: str, number_type: NumberType) -> str:
    pattern, hint = DIGITS_BY_TYPE[number_type]
    if not isinstance(digits, str) or not pattern.fullmatch(digits):  # no final "\n"
        raise Invalid(N_("malformed %(number_type_value)s number %(digits)r: expected %(hint)s",
                         number_type_value=number_type.value, digits=digits, hint=hint))
    return digits


def add_number(session: Session, account_id: int, digits: str, number_type: NumberType,
               now: datetime | None = None) -> Number:
    """The account gets a number (its rental starts ``now``, open-ended)."""
    check_digits(digits, number_type)
    if session.scalar(select(Number).where(Number.digits == digits)):
        raise Conflict(N_("number %(digits)s is already in use", digits=digits))
    number = Number(account_id=account_id, digits=digits, type=number_type)
    session.add(number)
    session.flush()
    open_rental(session, number, now or utcnow())
    return number


def list_numbers(session: Session, account_id: int | None = None,
                 instance_id: int | None = None) -> list[Number]:
    query = select(Number).order_by(Number.id)
    if account_id is not None:
        query = query.where(Number.account_id == account_id)
    if instance_id is not None:
        query = query.where(Number.instance_id == instance_id)
    return list(session.scalars(query))


def outbound_numbers(session: Session, skill_group_id: int) -> list[Number]:
    """Numbers bound to a skill group for outbound calls."""
    return list(session.scalars(
        select(Number).join(NumberSkillGroup, NumberSkillGroup.number_id == Number.id)
        .where(NumberSkillGroup.skill_group_id == skill_group_id).order_by(Number.id)))


def caller_id_numbers(session: Session, skill_group_ids: list[int]) -> list[Number]:
    """Numbers the given skill groups may show when calling out (never a 400 number)."""
    if not skill_group_ids:
        return []
    query = (select(Number).join(NumberSkillGroup, NumberSkillGroup.number_id == Number.id)
             .where(NumberSkillGroup.skill_group_id.in_(skill_group_ids))
             .order_by(Number.id).distinct())
    return [n for n in session.scalars(query) if n.type.can_call_out]


def _skill_groups(session: Session, instance_id: int | None, ids: list[int],
                  errors: FieldErrors, field: str) -> list[SkillGroup]:
    found = {g.id: g for g in session.scalars(
        select(SkillGroup).where(SkillGroup.instance_id == instance_id,
                                 SkillGroup.id.in_(ids)))} if ids else {}
    for ident in ids:
        if ident not in found:
            errors.add(field, N_("no skill group #%(ident)s in the number's instance", ident=ident))
    return [found[i] for i in sorted(set(ids)) if i in found]


def bind_number(session: Session, number: Number, inbound_flow_id: int | None,
                skill_group_ids: list[int]) -> Number:
    """Set the published flow a number runs for inbound calls and the groups calling out with it.

    Fields: inbound_flow (a flow of the number's instance with a published version),
    skill_groups (groups of that instance; none for a 400 number, which never calls out).
    A number routed to no instance yet can be bound to nothing only.
    """
    errors = FieldErrors()
    unbound = inbound_flow_id is None and not skill_group_ids
    if number.instance_id is None and unbound:
        pass  # binding nothing to a number routed nowhere yet: there is nothing to check
    elif number.instance_id is None and number.type is NumberType.N400:
        # A 400 number reaches the platform only once the carrier routes it here.
        errors.add("inbound_flow", N_("set the routing of 400 number %(digits)s before "
                                      "binding it to a flow", digits=number.digits))
    elif number.instance_id is None:
        errors.add("inbound_flow", N_("number %(digits)s belongs to no instance yet",
                                      digits=number.digits))
    elif inbound_flow_id is not None:
        flow = session.get(IvrFlow, inbound_flow_id)
        if flow is None:
            errors.add("inbound_flow", N_("choose a published flow of the number's instance"))
        else:
            errors.check("inbound_flow", check_bindable, session, number, flow)
    if skill_group_ids and not number.type.can_call_out:
        errors.add("skill_groups", N_("a %(type_value)s number cannot call out",
                                      type_value=number.type.value))
    groups = _skill_groups(session, number.instance_id, skill_group_ids, errors, "skill_groups")
    errors.raise_if_any()
    number.inbound_flow_id = inbound_flow_id
    number.outbound_skill_groups = groups
    session.flush()
    mark_pbx_changed(session)
    return number


def set_outbound_numbers(session: Session, group: SkillGroup, number_ids: list[int]) -> None:
    """Make exactly these numbers of the group's instance its caller IDs for outbound calls."""
    errors = FieldErrors()
    numbers = {n.id: n for n in session.scalars(
        select(Number).where(Number.instance_id == group.instance_id))}
    for ident in number_ids:
        if ident not in numbers:
            errors.add("numbers", N_("no number #%(ident)s in the group's instance", ident=ident))
        elif not numbers[ident].type.can_call_out:
            errors.add("numbers", N_("%(digits)s is a %(type_value)s number: it cannot call out",
                                     digits=numbers[ident].digits,
                                     type_value=numbers[ident].type.value))
    errors.raise_if_any()
    for number in numbers.values():
        bound = group in number.outbound_skill_groups
        if number.id in number_ids and not bound:
            number.outbound_skill_groups.append(group)
        elif number.id not in number_ids and bound:
            number.outbound_skill_groups.remove(group)
    session.flush()
    mark_pbx_changed(session)


def set_marketing(session: Session, number: Number, marketing: bool) -> Number:
    """Say whether the number makes marketing calls: its supplier's industry limits then
    apply to every call out with it."""
    if not isinstance(marketing, bool):
        message = N_("marketing: true or false")
        raise Invalid(message, fields={"marketing": message})
    number.marketing = marketing
    session.flush()
    return number


def check_route(session: Session, actor: User | None, number: Number) -> None:
    """Which instance gets a number is the account's choice: its owner's (and the
    operator's, ``actor`` None). Another account's number is not found."""
    if actor is None:
        return
    if actor.account_id != number.account_id:
        raise NotFound(N_("no such %(value)s", value="number"))
    check_configure(session, actor)


def set_routing(session: Session, actor: User | None, number: Number,
                instance_id: int) -> Number:
    """Route the account's number to one of its instances: the carrier's calls to it
    reach that instance (a 400 number bought from the pool starts with none). ``actor``
    is the user asking (None: the operator on the host)."""
    check_route(session, actor, number)
    if isinstance(instance_id, bool) or not isinstance(instance_id, int) or \
            not 0 < instance_id < 2 ** 63:
        message = N_("choose an instance of the number's account")
        raise Invalid(message, fields={"instance_id": message})
    instance = session.get(Instance, instance_id)
    if instance is None or instance.account_id != number.account_id:
        raise NotFound(N_("no instance #%(ident)s in the number's account", ident=instance_id))
    if number.instance_id not in (None, instance_id):
        number.inbound_flow_id = None
        number.outbound_skill_groups = []
    number.instance_id = instance_id
    session.flush()
    mark_pbx_changed(session)
    return number
