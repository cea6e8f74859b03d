"""``ccc number renewal`` and ``ccc number marketing``: a flag of one of the account's
numbers, on or off, in one line; another account's number or a number not rented is
refused in one line with exit status 1."""
from __future__ import annotations

from sqlalchemy import delete, select

from engine.numbers.models import Number, NumberRental
from engine.settings import load_settings
from engine.uow import transaction
from tests.unit.test_cli import acme, ccc, ccc_json, settings  # noqa: F401 - fixtures


def rental_of(ccc, digits: str) -> dict:  # noqa: F811
    return next(r for r in ccc_json(ccc, "number", "rentals", "--account", "acme")
                if r["digits"] == digits)


def test_ccc_number_renewal_and_marketing_turn_a_flag_on_and_off(ccc, acme):  # noqa: F811
    ccc("number", "pool", "add", "--number", "4008001001", "--tier", "standard")
    ccc("number", "buy", "--account", "acme", "--number", "4008001001")
    on = ccc("number", "renewal", "--account", "acme", "--number", "4008001001", "on")
    assert on.output == "number 4008001001: auto-renewal on\n"
    assert rental_of(ccc, "4008001001")["auto_renew"] is True
    ccc("number", "renewal", "--account", "acme", "--number", "4008001001", "off")
    assert rental_of(ccc, "4008001001")["auto_renew"] is False
    # A number whose rental is gone (its periods deleted here): nothing to renew.
    with transaction(load_settings()) as db:
        landline = db.scalar(select(Number.id).where(Number.digits == "01012345678"))
        db.execute(delete(NumberRental).where(NumberRental.number_id == landline))
    unrented = ccc("number", "renewal", "--account", "acme", "--number", "01012345678", "on",
                   ok=False)
    assert (unrented.exit_code, unrented.output) == (
        1, "Error: number 01012345678 has no rental\n")
    marked = ccc("number", "marketing", "--account", "acme", "--number", "01012345678", "on")
    assert marked.output == "number 01012345678: marketing on\n"
    with transaction(load_settings()) as db:
        assert db.scalar(select(Number.marketing).where(Number.digits == "01012345678"))
    for flag in ("renewal", "marketing"):
        foreign = ccc("number", flag, "--account", "acme", "--number", "02087654321", "on",
                      ok=False)
        assert (foreign.exit_code, foreign.output) == (
            1, "Error: no number 02087654321 in this account\n")


def test_ccc_number_reminders_lists_and_dismisses(ccc, acme):  # noqa: F811
    from datetime import timedelta

    from engine.db import utcnow
    from engine.numbers.reminders import remind
    ccc("number", "pool", "add", "--number", "4008001001", "--tier", "standard")
    ccc("number", "buy", "--account", "acme", "--number", "4008001001")
    assert ccc_json(ccc, "number", "reminders", "--account", "acme") == []
    with transaction(load_settings()) as db:
        rental = db.scalar(select(NumberRental).where(NumberRental.digits == "4008001001"))
        rental.ends_at = utcnow() + timedelta(days=2)
        [made] = remind(db, utcnow())
        ident = made.id
    [listed] = ccc_json(ccc, "number", "reminders", "--account", "acme")
    assert (listed["id"], listed["digits"], listed["dismissed_at"]) == (ident, "4008001001", None)
    assert "4008001001" in ccc("number", "reminders", "--account", "acme").output
    done = ccc("number", "dismiss-reminder", "--account", "acme", str(ident))
    assert done.output == f"reminder {ident} (4008001001) dismissed\n"
    assert ccc_json(ccc, "number", "reminders", "--account", "acme") == []
    [kept] = ccc_json(ccc, "number", "reminders", "--account", "acme", "--all")
    assert kept["dismissed_at"] is not None and kept["dismissed_by"] is None
    for bad in (str(ident + 1), "0", "x", "٣", str(2 ** 70)):
        refused = ccc("number", "dismiss-reminder", "--account", "acme", bad, ok=False)
        assert (refused.exit_code, refused.output) == (
            1, f"Error: no number reminder #{bad}\n"), bad
