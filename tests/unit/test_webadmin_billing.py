"""The billing area of the web admin, through Flask's test client.

Configured: the world of tests/unit/webadmin_world.py, and November 2026 calls rated
through the engine: acme's Sales an outbound call of 65 s and an inbound one of 30 s,
acme's Hotline (400) an inbound call of 61 s, globex's Support an outbound call.
Observed: the owner's bill page, its CSV, payments, usage exports with filters and
the past exports; each refusal on its field with nothing written; other roles 403.
"""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from engine.billing.bills import BILL_COLUMNS, bill
from engine.billing.detail import USAGE_HEADER
from engine.billing.models import Payment, UsageExport
from engine.billing.money import show
from engine.billing.periods import Month
from engine.db import utcnow
from engine.numbers.models import Number
from engine.numbers.pool import add_to_pool, buy, release_number
from engine.numbers.rentals import run_expiries, set_auto_renew
from engine.models import Account, Instance
from engine.uow import transaction
from tests.unit.billing_support import HOTLINE, add_call
from tests.unit.test_webadmin_pages import flashes, page_of
from tests.unit.webadmin_world import field_errors, post_form, signed_in, sqlite_world

__all__ = ["sqlite_world"]
NOVEMBER = "2026-11"


@pytest.fixture
def world(sqlite_world):
    ids = sqlite_world.ids
    with transaction(sqlite_world.settings) as db:
        sales, hotline = db.get(Instance, ids["acme_instance"]), db.get(Instance,
                                                                          ids["acme_hotline"])
        add_call(db, sales, "2026-11-10 10:00:00", 65)
        add_call(db, sales, "2026-11-10 11:00:00", 30, direction="inbound")
        add_call(db, hotline, "2026-11-11 09:00:00", 61, direction="inbound", number=HOTLINE)
        add_call(db, db.get(Instance, ids["globex_instance"]), "2026-11-12 09:00:00", 90,
                 number="02087654321", callee="13700000000")
    return sqlite_world


def count(world, model) -> int:
    with transaction(world.settings) as db:
        return db.scalar(select(func.count()).select_from(model))


def engine_bill(world, month: str = NOVEMBER):
    with transaction(world.settings) as db:
        return bill(db, db.scalar(select(Account).where(Account.name == "acme")),
                    Month.parse(month))


def cells(page: str, table_class: str) -> list[list[str]]:
    table = re.search(rf'<table class="{table_class}">(.*?)</table>', page, re.S).group(1)
    return [[re.sub(r"<[^>]+>|\s+", " ", c).strip() for c in re.findall(
        r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)] for row in re.findall(r"<tr.*?</tr>", table,
                                                                        re.S)]


def export_ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r"/billing/exports/(\d+)/download", page)]


# ---- the bill ---------------------------------------------------------------------

def test_the_bill_shows_the_f13_columns_its_lines_and_totals(world):
    page = page_of(signed_in(world).get(f"/billing?month={NOVEMBER}"))
    rows = cells(page, "bill")
    assert rows[0] == ["Billing item", "Unit price", "Usage", "Original price", "Discount",
                       "Amount payable", "Amount unpaid"]
    expected = engine_bill(world)
    # Each line: its billing item's code, then the item in the page's words.
    assert [r[0].split("  ")[0] for r in rows[1:-1]] == [
        line.billing_item for line in expected.lines]
    outbound = next(r for r in rows if r[0] == "Landline_Outbound  landline outbound minutes")
    assert outbound[1:3] == ["0.15 CNY/minute", "2 minute"]  # 65 s: two started minutes
    assert rows[-1] == ["Total", show(expected.original), show(expected.discount),
                        show(expected.payable), show(expected.unpaid)]
    assert "Inbound_400" in page and "13700000000" not in page  # globex's call is not here


def test_the_bill_defaults_to_the_current_billing_month(world):
    current = Month.containing(utcnow()).key
    page = page_of(signed_in(world).get("/billing"))
    assert f"Bill for {current}" in page and f'name="month" type="month" value="{current}"' in page


@pytest.mark.parametrize("month, message", [("2026-13", "invalid month '2026-13'"),
                                            ("november", "invalid month"),
                                            ("2999-01", "has not started yet")])
def test_a_bad_month_is_shown_on_its_field(world, month, message):
    client = signed_in(world)
    response = client.get(f"/billing?month={month}")
    assert response.status_code == 422
    assert message in field_errors(page_of(response))["bill-month"]
    assert f'value="{month}"' in page_of(response)  # what was typed is kept
    assert client.get(f"/billing/bill.csv?month={month}").status_code == 422


def test_the_bill_downloads_as_csv_with_the_f13_header(world):
    response = signed_in(world).get(f"/billing/bill.csv?month={NOVEMBER}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment; filename=bill-2026-11.csv" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert tuple(rows[0]) == BILL_COLUMNS
    assert [row[0] for row in rows[1:]] == [line.billing_item
                                            for line in engine_bill(world).lines]


# ---- payments ---------------------------------------------------------------------

def test_a_payment_is_recorded_and_lowers_what_is_unpaid(world):
    client = signed_in(world)
    before = engine_bill(world)
    response = post_form(client, "/billing/payments", {"month": NOVEMBER, "amount": "1.50",
                                                       "reference": "bank 42"})
    assert response.status_code == 302
    page = page_of(client.get(response.headers["Location"]))
    assert "Payment of 1.50 CNY recorded for 2026-11." in flashes(page)
    assert cells(page, "bill")[-1][-1] == show(before.unpaid - Decimal("1.50"))
    assert engine_bill(world).paid == Decimal("1.50")
    assert count(world, Payment) == 1


@pytest.mark.parametrize("amount, message", [
    ("0", "a payment is more than nothing"), ("-5", "zero or more"),
    ("abc", "expected a number"), ("1.001", "at most 2 decimal places"),
    ("999999", "exceeds the unpaid"), ("", "expected a number")])
def test_a_bad_payment_is_shown_on_its_field_and_writes_nothing(world, amount, message):
    response = post_form(signed_in(world), "/billing/payments",
                         {"month": NOVEMBER, "amount": amount, "reference": "typed"})
    assert response.status_code == 422
    page = page_of(response)
    assert message in field_errors(page)["amount"]
    assert 'value="typed"' in page and f'id="amount" name="amount" type="text" value="{amount}"' \
        in page
    assert count(world, Payment) == 0


def test_a_too_long_reference_is_shown_on_its_field(world):
    response = post_form(signed_in(world), "/billing/payments",
                         {"month": NOVEMBER, "amount": "1", "reference": "r" * 65})
    assert response.status_code == 422
    assert "at most 64" in field_errors(page_of(response))["reference"]
    assert count(world, Payment) == 0


# ---- usage exports ----------------------------------------------------------------

def test_an_export_with_filters_is_listed_and_downloads_again(world):
    client = signed_in(world)
    hotline = world.ids["acme_hotline"]
    response = post_form(client, "/billing/exports", {"month": NOVEMBER, "instance": hotline,
                                                      "item": "", "bill_month": NOVEMBER})
    assert response.status_code == 302
    page = page_of(client.get(response.headers["Location"]))
    [message] = flashes(page)
    export_id = int(re.search(r"Export (\d+) made: 1 call\(s\)", message).group(1))
    assert export_ids(page) == [export_id, world.ids["acme_export"]]  # newest first
    listed = next(r for r in cells(page, "exports") if r[-1] == f"Download export {export_id}")
    assert listed[1:5] == [NOVEMBER, "Hotline", "every item", "1"]
    download = client.get(f"/billing/exports/{export_id}/download")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
    assert tuple(rows[0]) == USAGE_HEADER  # exactly the usage-detail header
    assert len(rows) == 2 and rows[1][4] == "2" and rows[1][5] == str(hotline)
    assert listed[5] == f"{len(download.get_data())} bytes"


def test_an_item_filter_narrows_the_export(world):
    client = signed_in(world)
    response = post_form(client, "/billing/exports", {"month": NOVEMBER, "instance": "",
                                                      "item": "Landline_Outbound"})
    assert response.status_code == 302
    with transaction(world.settings) as db:
        record = db.scalars(select(UsageExport).order_by(UsageExport.id.desc())).first()
        assert (record.item, record.instance_id, record.rows) == ("Landline_Outbound", None, 1)


@pytest.mark.parametrize("fields, field, message", [
    ({"month": "2026-13"}, "month", "invalid month"),
    ({"month": "2999-01"}, "month", "has not started yet"),
    ({"month": NOVEMBER, "instance": "globex_instance"}, "instance", "no instance"),
    ({"month": NOVEMBER, "instance": "12345"}, "instance", "no instance 12345 in acme"),
    ({"month": NOVEMBER, "item": "Minutes"}, "item", "unknown billing item 'Minutes'")])
def test_bad_export_filters_are_shown_on_their_field_and_write_nothing(world, fields, field,
                                                                       message):
    if fields.get("instance") == "globex_instance":
        fields = fields | {"instance": world.ids["globex_instance"]}
    exports_dir = world.settings.var_dir / "exports"
    files_before = sorted(exports_dir.iterdir())
    response = post_form(signed_in(world), "/billing/exports", fields | {"bill_month": NOVEMBER})
    assert response.status_code == 422
    page = page_of(response)
    assert message in field_errors(page)[field]
    assert f"Bill for {NOVEMBER}" in page  # the bill shown before stays on the page
    assert count(world, UsageExport) == 2 and sorted(exports_dir.iterdir()) == files_before


def test_past_exports_are_the_accounts_own_only(world):
    client = signed_in(world)
    page = page_of(client.get("/billing"))
    assert export_ids(page) == [world.ids["acme_export"]]
    assert client.get(f"/billing/exports/{world.ids['globex_export']}/download"
                      ).status_code == 404
    assert client.get("/billing/exports/999999/download").status_code == 404
    mallory = signed_in(world, "mallory", "globex")
    assert export_ids(page_of(mallory.get("/billing"))) == [world.ids["globex_export"]]


def test_an_export_whose_file_is_gone_answers_404(world):
    client = signed_in(world)
    with transaction(world.settings) as db:
        name = db.get(UsageExport, world.ids["acme_export"]).file_name
    (world.settings.var_dir / "exports" / name).unlink()
    assert client.get(f"/billing/exports/{world.ids['acme_export']}/download"
                      ).status_code == 404


# ---- roles ------------------------------------------------------------------------

@pytest.mark.parametrize("user", ["alice", "carol", "andy", "rita", "sam"])
def test_billing_is_the_owners_only(world, user):
    client = signed_in(world, user)
    page = page_of(client.get("/"))
    assert "/billing" not in page  # not offered in the navigation
    response = client.get("/billing")
    assert response.status_code == 403 and "may not see or pay" in page_of(response)
    for path in ("/billing/bill.csv", f"/billing/exports/{world.ids['acme_export']}/download"):
        assert client.get(path).status_code == 403
    for path, data in (("/billing/payments", {"month": NOVEMBER, "amount": "1"}),
                       ("/billing/exports", {"month": NOVEMBER})):
        assert post_form(client, path, data).status_code == 403
    assert count(world, Payment) == 0 and count(world, UsageExport) == 2


def test_the_owner_finds_billing_in_the_navigation(world):
    page = page_of(signed_in(world).get("/"))
    nav = re.search(r'<nav aria-label="Account">(.*?)</nav>', page, re.S).group(1)
    assert re.findall(r">([^<]+)</a>", nav)[-1] == "Billing"


def test_a_pool_numbers_minimum_spend_shortfall_is_a_line_in_the_pages_words(world):
    # Bought on 1 August (billing clock), renewed at the end of its three prepaid months:
    # November is held whole after the term, with no call on it.
    with transaction(world.settings) as db:
        acme = db.scalar(select(Account).where(Account.name == "acme"))
        add_to_pool(db, "4008009009", "standard")
        number = db.get(Number, buy(db, acme.id, "4008009009", datetime(2026, 7, 31, 16))
                        .number_id)
        set_auto_renew(db, None, number, True)
        run_expiries(db, datetime(2026, 10, 31, 16), release_number)
    client = signed_in(world)
    rows = cells(page_of(client.get(f"/billing?month={NOVEMBER}")), "bill")
    assert ["MinimumSpend_400 4008009009  400 number minimum monthly spend: the shortfall of "
            "its calls", "375.00 CNY/number", "1 number", "375.00", "0.00", "375.00",
            "375.00"] in rows
    chinese = page_of(client.get(f"/billing?month={NOVEMBER}",
                                 headers={"Accept-Language": "zh-CN"}))
    assert "400 号码月最低消费：通话费用的差额" in chinese
    assert engine_bill(world).minimum_spend[0].shortfall == Decimal("375.00")


def test_a_pool_numbers_purchase_is_a_line_in_the_pages_words_and_in_the_api(world):
    # The November bill was shown first; the number is bought after it, mid-month.
    client = signed_in(world)
    before = cells(page_of(client.get(f"/billing?month={NOVEMBER}")), "bill")
    assert not [row for row in before if row[0].startswith("Purchase_400")]
    with transaction(world.settings) as db:
        acme = db.scalar(select(Account).where(Account.name == "acme"))
        add_to_pool(db, "4008009010", "gold")
        buy(db, acme.id, "4008009010", datetime(2026, 11, 14, 2))
    rows = cells(page_of(client.get(f"/billing?month={NOVEMBER}")), "bill")
    assert ["Purchase_400 4008009010  400 number purchase: three months of its tier's "
            "minimum monthly spend, paid up front", "2500.00 CNY/month", "3 month",
            "7500.00", "0.00", "7500.00", "7500.00"] in rows
    chinese = page_of(client.get(f"/billing?month={NOVEMBER}",
                                 headers={"Accept-Language": "zh-CN"}))
    assert "400 号码购买：预付其档位三个月的最低月消费" in chinese
    csv_text = client.get(f"/billing/bill.csv?month={NOVEMBER}").get_data(as_text=True)
    assert "Purchase_400 4008009010,2500.00,CNY/month,3,month,7500.00,0.00,7500.00,7500.00" \
        in csv_text.splitlines()
    assert engine_bill(world).number_purchases[0].amount == Decimal("7500.00")
