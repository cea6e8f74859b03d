"""The administrator's job in a real browser, against a running Asterisk.

Configured (tests/integration/conftest.py): account acme with instances Sales and
Hotline, made with the `ccc` command; the PBX is running and `ccc serve` too. An owner,
olivia, is added; the web admin is served as `ccc serve` serves it.

Done in headless Chromium (Debian's, driven by Playwright): olivia signs in; creates
instance Support through the one-minute form (first with a mistake, which is shown on
its field with what she typed kept); sees its access address and that the change is
live on the PBX; creates an agent; imports agents from a CSV file (first a file with a
bad row: the report names it and nothing is written); creates a skill group and makes
it the default group's overflow; adds a break code and deletes it; deletes an agent
(after the confirmation). Observed on the PBX over AMI: the new agents' endpoints, the
new instance's queues and its overflow dialplan exist, and the deleted agent's endpoint
is gone. Then olivia adds a user (a weak password refused on its field first); a cookie
copied from that user's browser stops working once the user signs out. Screenshots of
every page go to test-output/integration/screenshots/.
"""
from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest
from playwright.sync_api import expect

from engine.accounts.models import Role
from engine.accounts.service import find_or_create_user, get_account
from engine.ami.client import ami_command
from serve import start_web
from engine.settings import load_settings
from engine.uow import transaction

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-output" / "integration" / "screenshots"
PASSWORD = "owner's long password"
LIVE = "PBX configuration is live"


@pytest.fixture
def admin_site(callcenter):
    """The web admin of the running call center, and its settings."""
    settings = load_settings(callcenter.env)
    with transaction(settings) as db:
        find_or_create_user(db, get_account(db, "acme"), "olivia", Role.OWNER, PASSWORD)
    server = start_web(replace(settings, web_bind="127.0.0.1", web_port=0))
    try:
        yield f"http://127.0.0.1:{server.server_port}", settings, callcenter.tag
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)  # a reload of the live PBX takes a moment
    yield page
    context.close()


def shot(page, name: str, tag: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    database = {"1": "sqlite", "2": "postgres"}[tag]
    page.screenshot(path=SCREENSHOTS / f"{name}-{database}.png", full_page=True)


def test_create_an_instance_and_its_agents_in_the_browser(page, admin_site, tmp_path):
    base, settings, tag = admin_site
    domain, number = f"support{tag}.acme", f"0108765432{tag}"
    page.goto(base + "/")
    page.get_by_label("Account").fill("acme")
    page.get_by_label("User").fill("olivia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Account acme")
    shot(page, "overview", tag)

    # The one-minute form: a mistake first, shown on its field, what was typed kept.
    page.get_by_role("link", name="New instance").click()
    page.locator("#name").fill(f"Support {tag}")
    page.get_by_label("Access domain").fill("Support.ACME")
    page.get_by_label("Description").fill("Second line")
    page.get_by_label("Phone number").fill(number)
    page.get_by_label("Number type").select_option("landline")
    page.get_by_label("carol").check()
    page.get_by_role("button", name="Create the instance").click()
    expect(page.locator("#domain-error")).to_contain_text("lower-case DNS name")
    expect(page.get_by_label("Description")).to_have_value("Second line")
    expect(page.get_by_label("Phone number")).to_have_value(number)
    expect(page.get_by_label("carol")).to_be_checked()
    shot(page, "instance-form-error", tag)
    page.get_by_label("Access domain").fill(domain)
    page.get_by_role("button", name="Create the instance").click()

    expect(page.get_by_test_id("access-address")).to_have_text(f"http://{domain}/")
    expect(page.get_by_role("status")).to_contain_text(LIVE)
    expect(page.locator(".meta")).to_contain_text("carol")
    shot(page, "instance-created", tag)

    # An agent, by the form.
    page.get_by_role("navigation", name="Instance").get_by_role("link", name="Agents").click()
    page.get_by_role("link", name="New agent").click()
    page.get_by_label("Name").fill("erin")
    page.get_by_label("Extension").fill("2001")
    page.get_by_role("button", name="Create the agent").click()
    expect(page.get_by_role("status")).to_contain_text("Agent 2001 created; " + LIVE)
    key = re.search(r"i\d+", page.locator("p.meta code").first.inner_text()).group(0)
    shot(page, "agent-created", tag)

    # CSV import: a bad row rejects the whole file; then a good file.
    page.get_by_role("navigation", name="Instance").get_by_role("link", name="Agents").click()
    page.get_by_role("link", name="Import CSV").click()
    bad = tmp_path / "bad.csv"
    bad.write_text("name,extension,skill_groups\nfay,3001,default:1\nbad name!,3002,\n")
    page.get_by_label("CSV file").set_input_files(bad)
    page.get_by_role("button", name="Import").click()
    report = page.locator("table.import-report")
    expect(report).to_contain_text("bad name!")
    expect(report.get_by_role("cell", name="3", exact=True)).to_be_visible()
    shot(page, "agents-import-report", tag)
    good = tmp_path / "good.csv"
    good.write_text("name,extension,skill_groups\nfay,3001,default:1\ngus,3002,default:2\n")
    page.get_by_label("CSV file").set_input_files(good)
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("status")).to_contain_text("2 agent(s) imported; " + LIVE)
    for extension, name in (("2001", "erin"), ("3001", "fay"), ("3002", "gus")):
        row = page.get_by_role("row").filter(has=page.get_by_role("cell", name=extension,
                                                                  exact=True))
        expect(row).to_contain_text(name)
    expect(page.get_by_role("row").filter(has_text="bad name!")).to_have_count(0)
    shot(page, "agents", tag)

    # A skill group for overflow, with gus in it, then default overflows into it.
    page.get_by_role("navigation", name="Instance").get_by_role(
        "link", name="Skill groups").click()
    page.get_by_role("link", name="New skill group").click()
    page.get_by_label("Name").fill("backup")
    page.get_by_label("Routing strategy").select_option("ringall")
    page.get_by_label("Wait timeout").fill("30")
    page.get_by_label("3002 gus").select_option("2")
    shot(page, "skill-group-form", tag)
    page.get_by_role("button", name="Create the skill group").click()
    expect(page.get_by_role("status")).to_contain_text("Skill group backup created; " + LIVE)
    default_row = page.get_by_role("row").filter(
        has=page.get_by_role("cell", name="default", exact=True))
    default_row.get_by_role("link", name="Edit").click()
    page.get_by_label("Overflow").select_option(label="backup")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Skill group default saved; " + LIVE)
    expect(default_row).to_contain_text("backup")
    shot(page, "skill-groups", tag)

    # A break code: added, then deleted after the confirmation (no PBX reload needed).
    page.get_by_role("navigation", name="Instance").get_by_role(
        "link", name="Break codes").click()
    page.get_by_label("Code").fill("Coaching")
    page.get_by_label("Name").fill("Coaching session")
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_role("status")).to_contain_text("Break code Coaching added")
    coaching = page.get_by_role("row").filter(
        has=page.get_by_role("cell", name="Coaching", exact=True))
    expect(coaching).to_contain_text("Coaching session")
    shot(page, "break-codes", tag)
    page.once("dialog", lambda dialog: dialog.accept())
    coaching.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status")).to_contain_text("Break code Coaching deleted")
    expect(coaching).to_have_count(0)
    account_nav = page.get_by_role("navigation", name="Account")
    account_nav.get_by_role("link", name="Numbers", exact=True).click()
    expect(page.get_by_role("cell", name=number)).to_be_visible()
    shot(page, "numbers", tag)

    # What the pages said is true on the PBX itself.
    endpoints = pbx_command(settings, "pjsip show endpoints")
    for extension in ("2001", "3001", "3002"):
        assert f"{key}-{extension}" in endpoints
    queues = pbx_command(settings, "queue show")
    assert f"{key}-q" in queues and "ringall" in queues
    overflow = pbx_command(settings, f"dialplan show ccc-{key}-overflow")
    assert re.search(rf"Queue\({key}-q\d+,rb\(ccc-ring-agent\^s\^1\(\$\{{CCC_DIALLED\}}\)\),,,30\)",
                     overflow), overflow

    # Deleting asks first: dismissed, nothing happens; accepted, the seat leaves the PBX.
    page.get_by_role("navigation", name="Account").get_by_role("link", name="Overview").click()
    page.get_by_role("link", name=f"Support {tag}").click()
    page.get_by_role("navigation", name="Instance").get_by_role("link", name="Agents").click()
    erin = page.get_by_role("row").filter(has=page.get_by_role("cell", name="erin"))
    page.once("dialog", lambda dialog: dialog.dismiss())
    erin.get_by_role("button", name="Delete").click()
    expect(erin).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    erin.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status")).to_contain_text("Agent 2001 deleted; " + LIVE)
    expect(erin).to_have_count(0)
    assert f"{key}-2001" not in pbx_command(settings, "pjsip show endpoints")


def pbx_command(settings, command: str) -> str:
    # Playwright's sync API keeps an event loop running in this thread; the AMI client
    # starts its own, so it runs in another thread.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(ami_command, settings, command).result(30)


def sign_in_as(page, base: str, user: str, password: str) -> None:
    page.goto(base + "/sign-in")
    page.get_by_label("Account").fill("acme")
    page.get_by_label("User").fill(user)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_the_owner_manages_users_and_a_copied_cookie_dies_with_sign_out(page, browser,
                                                                       admin_site):
    """olivia adds a user in the Users page (a weak password first: its field says so),
    the new user signs in in another browser, whose cookie a third browser copies;
    the user signs out, and the copy no longer opens a page."""
    base, _settings, tag = admin_site
    name = f"vera{tag}"
    sign_in_as(page, base, "olivia", PASSWORD)
    page.get_by_role("link", name="Users").click()
    page.locator("#name").fill(name)
    page.locator("#role").select_option("instance_admin")
    page.locator("#password").fill(f"{name} password")  # the name in it
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("#password-error")).to_contain_text("too easy to guess")
    page.locator("#password").fill("a sturdy passphrase")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator(f'tr[data-user="{name}"]')).to_contain_text("active")
    shot(page, "users", tag)

    vera = browser.new_context()
    thief = browser.new_context()
    try:
        vera_page = vera.new_page()
        sign_in_as(vera_page, base, name, "a sturdy passphrase")
        expect(vera_page.get_by_role("heading", level=1)).to_contain_text("Account acme")
        thief.add_cookies(vera.cookies())
        thief_page = thief.new_page()
        thief_page.goto(base + "/")
        expect(thief_page.get_by_role("heading", level=1)).to_contain_text("Account acme")
        vera_page.get_by_role("button", name="Sign out").click()
        thief_page.goto(base + "/")
        expect(thief_page).to_have_url(re.compile(r"/sign-in$"))
    finally:
        vera.close()
        thief.close()
