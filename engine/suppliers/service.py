"""Suppliers and their restriction policies: created and changed by the platform's
operators, attached to the numbers they provide, read by the outbound decision."""
from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.accounts.industry import INDUSTRIES, check_industry
from engine.compliance.rules import DEFAULT_CONCURRENCY, Policy, Window
from engine.errors import Invalid, NotFound
from engine.messages import N_
from engine.numbers.models import Number
from engine.suppliers.models import Supplier
from engine.validation import FieldErrors
from engine.validation import name as check_name

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# "mon-fri 09:00-20:00": weekdays (a range, or a comma list), then a time range.
WINDOW_RE = re.compile(r"^([a-z]{3}(?:-[a-z]{3})?(?:,[a-z]{3}(?:-[a-z]{3})?)*)\s+"
                       r"([0-2][0-9]):([0-5][0-9])-([0-2][0-9]):([0-5][0-9])$")
REGION_RE = re.compile(r"^[^\x00-\x1f\x7f,;]{1,64}$")
MAX_WINDOWS, MAX_REGIONS, MAX_CAP = 14, 64, 1000
HOURS_HINT = N_("windows such as 'mon-fri 09:00-20:00; sat 10:00-18:00' (24-hour times; "
                "an end before the start runs past midnight)")
FIELDS = ("name", "time_zone", "calling_hours", "calls_per_day", "calls_per_24h",
          "calls_per_48h", "blocked_regions", "concurrency", "refused_industries")


def _weekdays(text: str) -> list[int]:
    days: set[int] = set()
    for part in text.split(","):
        first, _, last = part.partition("-")
        if first not in WEEKDAYS or (last and last not in WEEKDAYS):
            raise Invalid(N_("invalid calling hours %(text)r: %(hint)s", text=text,
                             hint=HOURS_HINT))
        start, end = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
        days.update((start + n) % 7 for n in range((end - start) % 7 + 1))
    return sorted(days)


def parse_calling_hours(text: str) -> list[dict]:
    """'mon-fri 09:00-20:00; sat 10:00-18:00' as stored windows; '' for any hour."""
    if not isinstance(text, str):
        raise Invalid(N_("invalid calling hours: %(hint)s", hint=HOURS_HINT))
    windows = []
    for item in filter(None, (part.strip().lower() for part in text.split(";"))):
        match = WINDOW_RE.fullmatch(item)
        if match is None or int(match[2]) > 23 or int(match[4]) > 24 or \
                (int(match[4]) == 24 and match[5] != "00"):
            raise Invalid(N_("invalid calling hours %(text)r: %(hint)s", text=item,
                             hint=HOURS_HINT))
        windows.append({"weekdays": _weekdays(match[1]), "start": f"{match[2]}:{match[3]}",
                        "end": f"{match[4]}:{match[5]}"})
    if len(windows) > MAX_WINDOWS:
        raise Invalid(N_("at most %(count)s calling-hours windows", count=MAX_WINDOWS))
    return windows


def calling_hours_text(windows: list[dict]) -> str:
    """The stored windows in the syntax ``parse_calling_hours`` reads."""
    return "; ".join(",".join(WEEKDAYS[d] for d in w["weekdays"]) + f" {w['start']}-{w['end']}"
                     for w in windows)


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def policy_of(supplier) -> Policy:
    """The supplier's restrictions as the rules read them (from a Supplier or a row of
    its columns); a number without a supplier keeps only the default concurrency."""
    if supplier is None:
        return Policy()
    return Policy(
        time_zone=supplier.time_zone,
        calling_hours=tuple(Window(frozenset(w["weekdays"]), _minutes(w["start"]),
                                   _minutes(w["end"]) % (24 * 60))
                            for w in supplier.calling_hours),
        calls_per_day=supplier.calls_per_day, calls_per_24h=supplier.calls_per_24h,
        calls_per_48h=supplier.calls_per_48h,
        blocked_regions=tuple(supplier.blocked_regions), concurrency=supplier.concurrency,
        refused_industries=frozenset(supplier.refused_industries or ()))


def _time_zone(text: str) -> str:
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise Invalid(N_("unknown time zone %(text)r: an IANA name such as Asia/Shanghai",
                         text=text)) from None
    return text


def _count(value, lowest: int, what: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int) or \
            not lowest <= value <= MAX_CAP:
        raise Invalid(N_("invalid %(what)s %(value)r: a whole number from %(lowest)s to "
                         "%(highest)s", what=what, value=value, lowest=lowest,
                         highest=MAX_CAP))
    return value


def _regions(values) -> list[str]:
    if not isinstance(values, list) or len(values) > MAX_REGIONS:
        raise Invalid(N_("blocked regions: a list of at most %(count)s names",
                         count=MAX_REGIONS))
    regions = []
    for value in values:
        if not isinstance(value, str) or not REGION_RE.fullmatch(value.strip()):
            raise Invalid(N_("invalid region %(value)r: a name of 1-64 characters "
                             "without ',' or ';'", value=value))
        if value.strip() not in regions:
            regions.append(value.strip())
    return regions


def _industries(values) -> list[str]:
    if not isinstance(values, list) or len(values) > len(INDUSTRIES):
        raise Invalid(N_("refused industries: a list of industry codes"))
    return sorted({check_industry(v) for v in values if check_industry(v) is not None})


CHECKS = {
    "name": lambda v: check_name(v, N_("supplier name")),
    "time_zone": _time_zone,
    "calling_hours": parse_calling_hours,
    "calls_per_day": lambda v: _count(v, 1, N_("calls per day")),
    "calls_per_24h": lambda v: _count(v, 1, N_("calls per 24 hours")),
    "calls_per_48h": lambda v: _count(v, 1, N_("calls per 48 hours")),
    "blocked_regions": _regions,
    "concurrency": lambda v: _count(v, 1, N_("concurrency")),
    "refused_industries": _industries,
}


def _checked(session: Session, changes: dict, supplier: Supplier | None) -> dict:
    """Every given field checked at once; nothing is written when one is wrong."""
    errors, values = FieldErrors(), {}
    for field, value in changes.items():
        if field not in CHECKS:
            raise ValueError(f"no supplier field {field!r}")
        values[field] = errors.check(field, CHECKS[field], value)
    if "concurrency" in changes and values.get("concurrency") is None and \
            "concurrency" not in errors.errors:
        values["concurrency"] = DEFAULT_CONCURRENCY
    if "name" in values and values["name"] is not None:
        other = session.scalar(select(Supplier).where(Supplier.name == values["name"]))
        if other is not None and other is not supplier:
            errors.add("name", N_("a supplier named %(name)r already exists",
                                  name=values["name"]), conflict=True)
    errors.raise_if_any()
    return values


def create_supplier(session: Session, name: str, time_zone: str, **policy) -> Supplier:
    """Add a supplier with its restriction policy (see ``update_supplier`` for the
    fields); what is not given restricts nothing, concurrency is 20."""
    values = _checked(session, {"name": name, "time_zone": time_zone, **policy}, None)
    supplier = Supplier(calling_hours=[], blocked_regions=[], refused_industries=[],
                        concurrency=DEFAULT_CONCURRENCY)
    for field, value in values.items():
        setattr(supplier, field, value)
    session.add(supplier)
    session.flush()
    return supplier


def update_supplier(session: Session, supplier: Supplier, **changes) -> Supplier:
    """Change some of: name, time_zone (IANA), calling_hours (text, '' for any hour),
    calls_per_day / calls_per_24h / calls_per_48h (None for no cap), blocked_regions
    (a list of names), concurrency (None for the default 20). Takes effect with the
    next call: the decision reads the policy each time."""
    for field, value in _checked(session, changes, supplier).items():
        setattr(supplier, field, value)
    session.flush()
    return supplier


def get_supplier(session: Session, name: str) -> Supplier:
    supplier = session.scalar(select(Supplier).where(Supplier.name == name))
    if supplier is None:
        raise NotFound(N_("no supplier named %(name)r", name=name))
    return supplier


def list_suppliers(session: Session) -> list[Supplier]:
    return list(session.scalars(select(Supplier).order_by(Supplier.name)))


def set_number_supplier(session: Session, number: Number, supplier: Supplier | None) -> None:
    """The supplier whose policy applies to calls out with the number (None: none)."""
    number.supplier = supplier
    session.flush()


def supplier_json(supplier: Supplier, numbers: list[str] | None = None) -> dict:
    """One serializer for the CLI's --json and the API."""
    row = {"id": supplier.id, "name": supplier.name, "time_zone": supplier.time_zone,
           "calling_hours": calling_hours_text(supplier.calling_hours),
           "calling_hours_windows": supplier.calling_hours,
           "calls_per_day": supplier.calls_per_day, "calls_per_24h": supplier.calls_per_24h,
           "calls_per_48h": supplier.calls_per_48h,
           "blocked_regions": list(supplier.blocked_regions),
           "concurrency": supplier.concurrency,
           "refused_industries": list(supplier.refused_industries or ())}
    if numbers is not None:
        row["numbers"] = numbers
    return row


def number_digits(session: Session, supplier: Supplier) -> list[str]:
    return list(session.scalars(select(Number.digits).where(Number.supplier_id == supplier.id)
                                .order_by(Number.digits)))

