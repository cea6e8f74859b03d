"""Variables in text (``${name}``), the condition operators, and opening hours: pure."""
from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from urllib.parse import quote
from zoneinfo import ZoneInfo

PLACEHOLDER = re.compile(r"\$\{([a-z][a-z0-9_]{0,31})\}")
CLOCK = re.compile(r"^(?:[01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$")
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def substitute(text: str, variables: dict[str, str], for_url: bool = False) -> str:
    """Insert variables; unknown ones become "". In a URL every value is percent-encoded,
    so a caller's digits or an HTTP response can't change the URL's host or path."""
    def value(match: re.Match) -> str:
        found = variables.get(match.group(1), "")
        return quote(found, safe="") if for_url else found
    return PLACEHOLDER.sub(value, text)


def _number(value: str) -> Decimal | None:
    try:
        number = Decimal(value.strip())
    except (InvalidOperation, AttributeError):
        return None
    return number if number.is_finite() else None


def compare(operator: str, left: str, right: str) -> bool:
    """The condition module's operators; less/greater compare numbers (false if not numbers)."""
    if operator == "equals":
        return left == right
    if operator == "not_equals":
        return left != right
    if operator == "starts_with":
        return left.startswith(right)
    if operator == "contains":
        return right in left
    if operator == "is_empty":
        return left == ""
    a, b = _number(left), _number(right)
    if a is None or b is None:
        return False
    if operator == "less_than":
        return a < b
    if operator == "greater_than":
        return a > b
    raise ValueError(f"unknown operator {operator!r}")


def clock(value: str) -> time | None:
    """"HH:MM" (or "24:00", the end of a day) -> time; None for "24:00"."""
    if not isinstance(value, str) or not CLOCK.fullmatch(value):
        raise ValueError(f"invalid time {value!r}: use HH:MM")
    return None if value == "24:00" else time.fromisoformat(value)


def _within(moment: time, start: str, end: str) -> bool:
    begin, finish = clock(start), clock(end)
    return begin <= moment and (finish is None or moment < finish)


def _rule_open(rule: dict, local: datetime) -> bool:
    """A weekly range; a range whose end is before its start runs past midnight, and
    counts for the day it starts on."""
    days = rule.get("days", list(DAY_NAMES))
    begin, finish = clock(rule["from"]), clock(rule["to"])
    today = DAY_NAMES[local.weekday()]
    yesterday = DAY_NAMES[(local.weekday() - 1) % 7]
    moment = local.time()
    if finish is None or begin < finish:
        return today in days and _within(moment, rule["from"], rule["to"])
    return (today in days and moment >= begin) or (yesterday in days and moment < finish)


def is_open(node: dict, now: datetime) -> bool:
    """A time condition at ``now`` (aware). Order: an open date's hours open; a holiday
    closes the whole day; then the weekly rules."""
    if now.tzinfo is None:
        raise ValueError("the call's time must carry a time zone")
    local = now.astimezone(ZoneInfo(node.get("timezone", "UTC")))
    today = local.date()
    for opening in node.get("open_dates", []):
        if date.fromisoformat(opening["date"]) == today and \
                _within(local.time(), opening["from"], opening["to"]):
            return True
    if any(date.fromisoformat(day) == today for day in node.get("holidays", [])):
        return False
    return any(_rule_open(rule, local) for rule in node.get("rules", []))

