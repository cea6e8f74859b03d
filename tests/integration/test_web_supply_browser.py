"""Numbers from a supplier, in a real browser against the running call center.

Configured with `ccc` (tests/integration/conftest.py, then here): account acme with its
instances; supplier unicom with its staff member sid; reviewer rhea; owner olivia. The
web admin is served as `ccc serve` serves it; each person has their own browser.

Done: sid publishes unicom's agreement (a PDF) and its policy; olivia submits a
qualification (a text file named .png first: refused on its field, nothing saved);
rhea rejects it with a remark; olivia reads the remark, corrects and resubmits; rhea
approves; olivia applies for a landline of unicom for Sales; rhea approves; sid
delivers the number; it is in acme's numbers, in Sales, and olivia binds it to Sales's
welcome flow and default group (live on the PBX); a carrier's call to it reaches alice.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from engine.db import utcnow
from engine.numbers.models import Number, NumberReminder, NumberRental
from serve import start_web
from engine.settings import load_settings
from engine.uow import transaction
from tests.integration.callcenter import local, sign_in_page, wait_for

PASSWORD = "a long enough password"
ALICE_PHONE = local("127.0.0.63", 5630)
NUMBER = "01066668888"
POOL_NUMBER = "4008005001"
REMINDED, REMINDED_LATER = "4008005002", "4008005003"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x00\x00"
       b"\x00\x00:~\x9bU\x00\x00\x00\nIDATx\x9cc`\x00\x00\x00\x02\x00\x01H\xaf\xa4q\x00\x00"
       b"\x00\x00IEND\xaeB`\x82")
PDF = (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n"
       b"startxref\n0\n%%EOF\n")


@pytest.fixture(scope="module")  # one site per call center: its people exist once
def supply_site(callcenter):
    cc = callcenter
    cc.ccc("supplier", "create", "--name", "unicom", "--time-zone", "Asia/Shanghai")
    cc.ccc("platform-user", "create", "--name", "sid", "--role", "supplier", "--supplier",
           "unicom", "--password", PASSWORD)
    cc.ccc("platform-user", "create", "--name", "rhea", "--role", "reviewer",
           "--password", PASSWORD)
    cc.ccc("user", "create", "--account", "acme", "--name", "olivia", "--role", "owner",
           "--password", PASSWORD)
    server = start_web(replace(load_settings(cc.env), web_bind="127.0.0.1", web_port=0))
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def person(browser, base: str, account: str, user: str):
    page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
    page.set_default_timeout(20_000)
    sign_in_page(page, base, account, user, PASSWORD)
    return page


def test_a_number_goes_from_the_supplier_to_the_account(browser, supply_site, tmp_path,
                                                        callcenter):
    base = supply_site
    for name, data in (("agreement.pdf", PDF), ("front.png", PNG), ("back.png", PNG),
                       ("fake.png", b"MZ this is no image")):
        (tmp_path / name).write_bytes(data)

    # The supplier publishes its agreement and its policy.
    sid = person(browser, base, "", "sid")
    expect(sid.get_by_role("heading", level=1)).to_contain_text("unicom")
    sid.get_by_role("link", name="Publish the agreement").click()
    sid.locator("#company_name").fill("China Unicom Beijing")
    sid.locator("#usage_scenarios").fill("Customer care, notifications")
    sid.locator("#price_description").fill("0.10 CNY a minute")
    sid.locator("#agreement_file").set_input_files(tmp_path / "agreement.pdf")
    sid.get_by_role("button", name="Publish").click()
    expect(sid.get_by_test_id("agreement-company")).to_have_text("China Unicom Beijing")
    sid.get_by_role("link", name="Change the policy").click()
    sid.get_by_label("landline").check()
    sid.locator("#calling_hours").fill("mon-fri 09:00-20:00")
    sid.locator("#barred_industries").fill("finance, health-beauty")
    sid.get_by_role("button", name="Save").click()
    expect(sid.get_by_test_id("number-types")).to_have_text("landline")
    expect(sid.get_by_test_id("industries")).to_have_text("finance, health-beauty")

    # The owner submits a qualification: a program named .png first.
    olivia = person(browser, base, "acme", "olivia")
    olivia.get_by_role("link", name="Qualifications").click()
    olivia.get_by_role("link", name="Submit a qualification").click()
    for field, value in (("company_name", "Acme Trading"), ("location", "Beijing"),
                         ("credit_code", "91110000MA01ABCD2X"), ("representative_name", "Li"),
                         ("representative_mobile", "13800138001"),
                         ("id_number", "110101199001011234"), ("id_valid_until", "2036-01-01"),
                         ("business_description", "Tea, sold by phone"),
                         ("intended_use", "Customer care"), ("scenario", "After-sales calls"),
                         ("sample_script", "Hello, Acme here about your order.")):
        olivia.locator(f"#{field}").fill(value)
    olivia.locator("#company_type").select_option("limited_company")
    olivia.locator("#no_fixed_term").check()
    olivia.get_by_label("unicom").check()
    olivia.locator("#id_front").set_input_files(tmp_path / "fake.png")
    olivia.locator("#id_back").set_input_files(tmp_path / "back.png")
    olivia.get_by_role("button", name="Submit for review").click()
    expect(olivia.locator("#id_front-error")).to_contain_text("not JPG/PNG/GIF")
    expect(olivia.locator("#company_name")).to_have_value("Acme Trading")
    olivia.locator("#id_front").set_input_files(tmp_path / "front.png")
    olivia.locator("#id_back").set_input_files(tmp_path / "back.png")
    olivia.get_by_role("button", name="Submit for review").click()
    expect(olivia.get_by_test_id("state")).to_have_text("submitted")

    # The reviewer rejects it with a remark.
    rhea = person(browser, base, "", "rhea")
    rhea.get_by_role("link", name="Acme Trading").click()
    rhea.locator("#remark").fill("The representative's full name, please")
    rhea.get_by_role("button", name="Reject").click()
    expect(rhea.get_by_role("status")).to_contain_text("Review saved")

    # The owner reads the remark, corrects and resubmits; the reviewer approves.
    olivia.reload()
    expect(olivia.get_by_test_id("remark")).to_have_text(
        "The representative's full name, please")
    olivia.get_by_role("link", name="Correct and resubmit").click()
    olivia.locator("#representative_name").fill("Li Lei")
    olivia.get_by_role("button", name="Resubmit for review").click()
    expect(olivia.get_by_test_id("state")).to_have_text("submitted")
    rhea.goto(base + "/review")
    rhea.locator("#qualification-queue").get_by_role("link", name="Acme Trading").click()
    expect(rhea.locator("dl.details")).to_contain_text("Li Lei")
    rhea.get_by_role("button", name="Approve").click()
    expect(rhea.get_by_role("status")).to_contain_text("Review saved")

    # The owner applies for a landline of unicom for Sales; the reviewer approves.
    olivia.reload()
    expect(olivia.get_by_test_id("state")).to_have_text("approved")
    olivia.get_by_role("link", name="Line applications").first.click()
    olivia.get_by_role("link", name="Apply for a line").click()
    olivia.locator("#supplier").select_option(label="unicom")
    olivia.locator("#qualification").select_option(label="Acme Trading (Beijing)")
    olivia.locator("#number_type").select_option("landline")
    olivia.locator("#quantity").fill("1")
    olivia.locator("#instance").select_option(label="Sales")
    olivia.get_by_role("button", name="Submit for review").click()
    expect(olivia.get_by_test_id("state")).to_have_text("submitted")
    rhea.goto(base + "/review")
    rhea.locator("#application-queue").get_by_role("link").first.click()
    rhea.get_by_role("button", name="Approve").click()
    expect(rhea.get_by_role("status")).to_contain_text("Review saved")

    # The supplier delivers; the number is the account's, in Sales, ready to be bound.
    sid.goto(base + "/portal")
    sid.locator("#applications").get_by_role("link").first.click()
    sid.locator("#numbers").fill(NUMBER)
    sid.get_by_role("button", name="Deliver").click()
    expect(sid.get_by_test_id("delivered")).to_have_text(NUMBER)
    olivia.reload()
    expect(olivia.get_by_test_id("state")).to_have_text("delivered")
    olivia.get_by_role("link", name="Numbers", exact=True).first.click()
    row = olivia.get_by_role("row").filter(has_text=NUMBER)
    expect(row).to_contain_text("Sales")
    row.get_by_role("link", name="Edit").click()
    olivia.get_by_label("Inbound flow").select_option(label="welcome")
    olivia.get_by_label("default").check()
    olivia.get_by_role("button", name="Save").click()
    expect(olivia.get_by_role("status")).to_contain_text("PBX configuration is live")
    expect(olivia.get_by_role("row").filter(has_text=NUMBER)).to_contain_text("welcome")

    # The number takes calls on the real PBX: the welcome flow, the default group, alice.
    cc = callcenter
    alice = cc.instances["sales"]["admin_agent"]
    cc.register(alice, ALICE_PHONE)
    agent = cc.answering_agent(ALICE_PHONE)
    caller = "1380013866" + cc.tag
    call = cc.carrier_calls(NUMBER, caller, talk_ms=9000)   # the welcome, then alice
    call.assert_success(timeout=40)
    agent.assert_success(timeout=10)
    record = cc.wait_for_record(lambda r: r["caller"] == caller)
    assert (record["number"], record["agent"], record["disposition"]) == (
        NUMBER, alice["extension"], "answered")
    cc.sign_out_everyone()


def test_a_400_number_is_routed_marked_and_renewed_on_its_page(browser, supply_site,
                                                               callcenter):
    """Configured: a 400 number in the pool (`ccc number pool add`). Done: olivia buys it
    on the 400 numbers page; its term is then two days from its end (the clock moved on);
    the numbers page warns of it, auto-renewal off; on its page she routes it (no
    instance chosen first: refused on the field), turns auto-renewal on and marks it for
    marketing. Observed: each step's message, and the notice and `ccc` agree after."""
    base, cc = supply_site, callcenter
    cc.ccc("number", "pool", "add", "--number", POOL_NUMBER, "--tier", "standard")
    olivia = person(browser, base, "acme", "olivia")
    olivia.goto(base + "/numbers/pool")
    olivia.get_by_role("row").filter(has_text=POOL_NUMBER).get_by_role(
        "button", name="Buy").click()
    expect(olivia.get_by_role("status")).to_contain_text(POOL_NUMBER)
    with transaction(load_settings(cc.env)) as db:
        rental = db.scalar(select(NumberRental).where(NumberRental.digits == POOL_NUMBER))
        rental.ends_at = utcnow() + timedelta(days=2)

    olivia.get_by_role("link", name="Numbers", exact=True).first.click()
    notice = olivia.get_by_test_id("expiring")
    expect(notice).to_contain_text(POOL_NUMBER)
    expect(notice).to_contain_text("auto-renewal off")
    notice.get_by_role("link", name=POOL_NUMBER).click()
    expect(olivia.get_by_test_id("unrouted")).to_be_visible()
    olivia.get_by_role("button", name="Route the number").click()
    expect(olivia.locator("#instance_id-error")).to_contain_text("choose an instance")
    sales = olivia.locator("#instance_id option", has_text="Sales").get_attribute("value")
    olivia.locator("#instance_id").select_option(sales)
    olivia.get_by_role("button", name="Route the number").click()
    expect(olivia.get_by_role("status")).to_contain_text(f"Number {POOL_NUMBER} routed")
    expect(olivia.get_by_test_id("unrouted")).to_have_count(0)

    olivia.get_by_label("Renew a month at a time").check()
    olivia.get_by_role("button", name="Save auto-renewal").click()
    expect(olivia.get_by_role("status")).to_contain_text(
        f"Auto-renewal of {POOL_NUMBER} saved")
    expect(olivia.get_by_test_id("term")).to_contain_text("renews a month at a time")
    olivia.get_by_label("Used for marketing calls").check()
    olivia.get_by_role("button", name="Save", exact=True).click()
    expect(olivia.get_by_role("status")).to_contain_text(f"Number {POOL_NUMBER} saved")
    expect(olivia.get_by_test_id("expiring")).to_contain_text("auto-renewal on")
    expect(olivia.get_by_role("row").filter(has_text=POOL_NUMBER)).to_contain_text("Sales")

    rentals = cc.ccc_json("number", "rentals", "--account", "acme")
    assert [r["auto_renew"] for r in rentals if r["digits"] == POOL_NUMBER] == [True]
    listed = {n["digits"]: n for n in cc.ccc_json("number", "list")}
    assert listed[POOL_NUMBER]["instance"] == sales_domain(cc)
    with transaction(load_settings(cc.env)) as db:
        assert db.scalar(select(Number.marketing).where(Number.digits == POOL_NUMBER))


def sales_domain(cc) -> str:
    return next(i["domain"] for i in cc.ccc_json("instance", "list") if i["name"] == "Sales")


def _ending_in_two_days(cc, digits: str) -> None:
    """The number's term ends two days from now (the clock moved on since it was bought)."""
    with transaction(load_settings(cc.env)) as db:
        rental = db.scalar(select(NumberRental).where(NumberRental.digits == digits))
        rental.ends_at = utcnow() + timedelta(days=2)


def _reminders(cc, *options: str) -> list[tuple]:
    """This test's numbers' reminders (an earlier test's number may have one too)."""
    return [(r["digits"], r["dismissed_by"]) for r in cc.ccc_json(
        "number", "reminders", "--account", "acme", *options)
        if r["digits"] in (REMINDED, REMINDED_LATER)]


def test_a_term_about_to_end_reminds_the_owner_once_across_restarts(browser, supply_site,
                                                                     callcenter):
    """Configured: two 400 numbers bought (`ccc number buy`), auto-renewal off. Done: the
    first's term comes within a week of its end and `ccc serve` restarts (its numbers'
    round runs at start); then it restarts twice more and the second's term comes due
    before the last. Observed: one reminder per term (the first not written again by the
    later rounds, which did write the second's), on olivia's overview; she dismisses the
    first there, and it leaves her pages; `ccc number reminders` agrees."""
    base, cc = supply_site, callcenter
    for digits in (REMINDED, REMINDED_LATER):
        cc.ccc("number", "pool", "add", "--number", digits, "--tier", "standard")
        cc.ccc("number", "buy", "--account", "acme", "--number", digits)
    _ending_in_two_days(cc, REMINDED)
    cc.stop_serve()
    cc.start_serve()
    wait_for(lambda: _reminders(cc) == [(REMINDED, None)], "the first reminder", timeout=30)
    cc.stop_serve()
    cc.start_serve()
    cc.kill_serve()                      # dies without cleaning up
    _ending_in_two_days(cc, REMINDED_LATER)
    cc.start_serve()
    # The round that wrote the second reminder saw the first term too, and left it alone.
    wait_for(lambda: len(_reminders(cc)) == 2, "the second reminder", timeout=30)
    assert sorted(_reminders(cc)) == [(REMINDED, None), (REMINDED_LATER, None)]

    olivia = person(browser, base, "acme", "olivia")
    notices = olivia.get_by_test_id("number-reminder")
    expect(notices.filter(has_text=REMINDED_LATER)).to_have_count(1)
    first = notices.filter(has_text=REMINDED)
    expect(first).to_have_count(1)
    expect(first).to_contain_text("auto-renewal off")
    first.get_by_role("button", name="Dismiss").click()
    expect(olivia.get_by_role("status")).to_contain_text(f"Reminder for {REMINDED} dismissed")
    expect(notices.filter(has_text=REMINDED)).to_have_count(0)
    expect(notices.filter(has_text=REMINDED_LATER)).to_have_count(1)
    olivia.get_by_role("link", name="Numbers", exact=True).first.click()
    expect(notices.filter(has_text=REMINDED_LATER)).to_have_count(1)
    expect(notices.filter(has_text=REMINDED)).to_have_count(0)

    assert _reminders(cc) == [(REMINDED_LATER, None)]
    assert sorted(_reminders(cc, "--all")) == [(REMINDED, "olivia"), (REMINDED_LATER, None)]
    with transaction(load_settings(cc.env)) as db:
        assert db.scalar(select(func.count()).select_from(NumberReminder).where(
            NumberReminder.digits.in_([REMINDED, REMINDED_LATER]))) == 2
