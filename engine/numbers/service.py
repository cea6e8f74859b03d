"""Numbers: digits by type, the inbound flow, the skill groups that may call out with them."""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import Conflict, Invalid
from engine.numbers.models import Number, NumberSkillGroup, NumberType

# What each type of number looks like (mainland China numbering, as the reference service).
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
        raise Invalid(f"invalid number type {text!r}: choose one of {choices}") from None


def check_digits(digits: str, number_type: NumberType) -> str:
    pattern, hint = DIGITS_BY_TYPE[number_type]
    if not isinstance(digits, str) or not pattern.fullmatch(digits):  # no final "\n"
        raise Invalid(f"malformed {number_type.value} number {digits!r}: expected {hint}")
    return digits


def add_number(session: Session, account_id: int, digits: str, number_type: NumberType) -> Number:
    check_digits(digits, number_type)
    if session.scalar(select(Number).where(Number.digits == digits)):
        raise Conflict(f"number {digits} is already in use")
    number = Number(account_id=account_id, digits=digits, type=number_type)
    session.add(number)
    session.flush()
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
