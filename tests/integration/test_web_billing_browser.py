"""Billing in a real browser: headless Chromium, driven by Playwright.

Configured: account acme (pay-as-you-go) with instances Sales (landline) and Hotline
(400), owner olivia; October 2026 calls recorded through the engine (no PBX needed):
Sales an outbound call of 65 s and an inbound one of 30 s, Hotline an inbound call of
61 s. Account globex has a call too. The web admin is served as `ccc serve` serves it.

Done: olivia signs in, opens Billing, chooses October and sees the bill's lines and
totals; a zero payment is refused on its field, then a payment is recorded; she exports
the usage detail of Hotline only and downloads it again from the past exports: the
usage-detail header and the one Hotline call. Screenshots go to
test-output/integration/screenshots/billing-*.png.
"""
from __future__ import annotations

import csv
import io
from dataclasses import replace
from pathlib import Path

import pytest
from playwright.sync_api import expect

from engine.accounts.models import Role
from engine.accounts.service import find_or_create_user, get_account
from engine.billing.detail import USAGE_HEADER
from serve import start_web
from engine.uow import transaction
from tests.factories import add_account, add_instance
from tests.unit.billing_support import HOTLINE, add_call, existed_since_january

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-output" / "integration" / "screenshots"
PASSWORD = "owner's long password"
OCTOBER = "2026-10"


@pytest.fixture
def billing_site(settings):
    """The web admin on a free loopback port, with October's calls recorded."""
    with transaction(settings) as db:
        add_account(db, "acme", "payg")
        sales = add_instance(db).instance
        hotline = add_instance(db, "acme", "Hotline", "hotline.acme", HOTLINE, "400",
                               admin="carol").instance
        find_or_create_user(db, get_account(db, "acme"), "olivia", Role.OWNER, PASSWORD)
        add_call(db, sales, f"{OCTOBER}-10 10:00:00", 65)
        add_call(db, sales, f"{OCTOBER}-10 11:00:00", 30, direction="inbound")
        add_call(db, hotline, f"{OCTOBER}-11 09:00:00", 61, direction="inbound",
                 number=HOTLINE, caller="13800000001")
        add_account(db, "globex")
        support = add_instance(db, "globex", "Support", "support.globex", "02087654321",
                               admin="mallory").instance
        add_call(db, support, f"{OCTOBER}-12 09:00:00", 90, number="02087654321",
                 callee="13700000000")
        db.flush()
        existed_since_january(db)  # October bills the numbers and seats that existed then
        hotline_id = hotline.id
    server = start_web(replace(settings, web_bind="127.0.0.1", web_port=0))
    try:
        yield f"http://127.0.0.1:{server.server_port}", hotline_id
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def shot(page, name: str, settings) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    database = "sqlite" if settings.database_url.startswith("sqlite") else "postgres"
    page.screenshot(path=SCREENSHOTS / f"billing-{name}-{database}.png", full_page=True)


def test_bill_payment_and_usage_export_in_the_browser(page, billing_site, settings, tmp_path):
    base, hotline_id = billing_site
    page.goto(base + "/")
    page.get_by_label("Account").fill("acme")
    page.get_by_label("User").fill("olivia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Account").get_by_role("link", name="Billing").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Billing")

    # October's bill: a line per item, the totals below.
    page.get_by_label("Month", exact=True).fill(OCTOBER)
    page.get_by_role("button", name="Show the bill").click()
    expect(page.get_by_role("heading", name=f"Bill for {OCTOBER}")).to_be_visible()
    bill = page.locator("table.bill")
    outbound = bill.get_by_role("row").filter(has_text="Landline_Outbound")
    expect(outbound).to_contain_text("0.15 CNY/minute")
    expect(outbound).to_contain_text("2 minute")  # 65 s: two started minutes
    expect(bill.get_by_role("row").filter(has_text="Inbound_400")).to_contain_text("2 minute")
    expect(page.get_by_test_id("total-payable")).to_have_text("130.66")
    shot(page, "bill", settings)

    # A payment of nothing is refused on its field; then one is recorded.
    page.get_by_label("Amount (CNY)").fill("0")
    page.get_by_label("Reference").fill("bank 42")
    page.get_by_role("button", name="Record the payment").click()
    expect(page.locator("#amount-error")).to_contain_text("a payment is more than nothing")
    expect(page.get_by_label("Reference")).to_have_value("bank 42")
    shot(page, "payment-error", settings)
    page.get_by_label("Amount (CNY)").fill("30.66")
    page.get_by_role("button", name="Record the payment").click()
    expect(page.get_by_role("status")).to_contain_text("Payment of 30.66 CNY recorded")
    expect(page.get_by_test_id("total-unpaid")).to_have_text("100.00")

    # The usage detail of Hotline only, then downloaded again from the past exports.
    page.get_by_label("Export month").fill(OCTOBER)
    page.get_by_label("Instance").select_option(str(hotline_id))
    page.get_by_role("button", name="Export").click()
    expect(page.get_by_role("status")).to_contain_text("made: 1 call(s)")
    past = page.locator("table.exports")
    row = past.get_by_role("row").filter(has_text="Hotline")
    expect(row).to_contain_text(OCTOBER)
    expect(row).to_contain_text("every item")
    shot(page, "exports", settings)
    with page.expect_download() as download_info:
        row.get_by_role("link", name="Download export").click()
    target = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(target)
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert tuple(rows[0]) == USAGE_HEADER
    assert len(rows) == 2 and rows[1][4] == "2" and rows[1][5] == str(hotline_id)
    assert rows[1][10] == "13800000001"
    assert "13700000000" not in target.read_text()  # globex's call is never in acme's
