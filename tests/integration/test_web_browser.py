"""The web admin in a real browser: headless Chromium, driven by Playwright.

Configured: account acme with two instances (Sales with agents alice and bob, Hotline on
a 400 number) and account globex with one. The web admin is served as ``ccc serve``
serves it (no PBX needed). Observed: alice signs in through the form and sees acme's
instances, numbers and agents, nothing of globex, and signs out again. Screenshots of
both pages go to test-output/browser/.
"""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from playwright.sync_api import expect

from engine.accounts.models import Role
from engine.accounts.service import find_or_create_user, get_account
from engine.agents.service import create_agent
from engine.instances.service import create_instance
from serve import start_web
from engine.uow import transaction
from tests.factories import add_account, add_instance

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "test-output" / "browser"
PASSWORD = "correct horse battery"


@pytest.fixture
def web_admin(settings):
    """The base URL of a web admin on a free loopback port, with two accounts' data."""
    with transaction(settings) as db:
        add_account(db, "acme")
        sales = create_instance(db, get_account(db, "acme"), "Sales", "sales.acme",
                                "01012345678", "landline",
                                admin_name="alice", description="Inbound sales line")
        create_agent(db, sales.instance, "bob", skill_groups={"default": 2})
        add_instance(db, "acme", "Hotline", "hotline.acme", "4001234567", "400", admin="carol")
        find_or_create_user(db, get_account(db, "acme"), "alice", Role.OWNER, password=PASSWORD)
        add_account(db, "globex")
        add_instance(db, "globex", "Support", "support.globex", "02087654321", admin="mallory")
    server = start_web(replace(settings, web_bind="127.0.0.1", web_port=0))
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_sign_in_and_see_the_own_account(page, web_admin, settings):
    OUTPUT.mkdir(parents=True, exist_ok=True)
    database = "sqlite" if settings.database_url.startswith("sqlite") else "postgres"

    page.goto(web_admin + "/")
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.screenshot(path=OUTPUT / f"sign-in-{database}.png", full_page=True)

    page.get_by_label("Account").fill("acme")
    page.get_by_label("User").fill("alice")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Unknown account, user or password.")
    expect(page.get_by_label("Account")).to_have_value("acme")

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(web_admin + "/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Account acme")
    expect(page.locator(".who")).to_have_text("alice")
    sales = page.locator("section", has=page.get_by_role("heading", name="Sales"))
    expect(sales).to_contain_text("http://sales.acme/")
    expect(sales).to_contain_text("Inbound sales line")
    expect(sales.get_by_role("cell", name="01012345678")).to_be_visible()
    for extension, agent in (("1001", "alice"), ("1002", "bob")):
        row = sales.get_by_role("row").filter(has=page.get_by_role("cell", name=extension))
        expect(row).to_contain_text(agent)
    hotline = page.locator("section", has=page.get_by_role("heading", name="Hotline"))
    expect(hotline).to_contain_text("hotline.acme")
    expect(hotline.get_by_role("cell", name="4001234567")).to_be_visible()
    body = page.locator("body").inner_text()
    for other in ("globex", "support.globex", "02087654321", "mallory"):
        assert other not in body
    page.screenshot(path=OUTPUT / f"overview-{database}.png", full_page=True)

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    page.goto(web_admin + "/")
    expect(page).to_have_url(re.compile(r"/sign-in$"))


SCREENS = ROOT / "test-output" / "screens"


def _signed_in_page(browser, web_admin, locale: str):
    """A page of a browser context that asks for ``locale``, signed in as alice."""
    context = browser.new_context(viewport={"width": 1100, "height": 800}, locale=locale)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(web_admin + "/sign-in")
    page.locator("input[name=account]").fill("acme")
    page.locator("input[name=user]").fill("alice")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("button[type=submit]").click()
    expect(page).to_have_url(web_admin + "/")
    return context, page


def test_the_pages_speak_the_browsers_language(browser, web_admin, settings):
    """A browser set to Chinese gets Chinese pages (the scripts' texts too); one set to
    English gets them as they always were."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    context, page = _signed_in_page(browser, web_admin, "zh-CN")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", level=1)).to_contain_text("账户 acme")
    expect(page.get_by_role("link", name="概览")).to_be_visible()
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()
    sales = page.locator("section", has=page.get_by_role("heading", name="Sales"))
    expect(sales).to_contain_text("访问域名")
    expect(sales.get_by_role("cell", name="固话")).to_be_visible()
    page.screenshot(path=SCREENS / "admin-zh_CN.png", full_page=True)

    sales.get_by_role("link", name="Sales").click()
    expect(page.get_by_text("访问地址")).to_be_visible()
    expect(page.get_by_role("link", name="技能组")).to_be_visible()
    expect(page.get_by_role("link", name="IVR 流程")).to_be_visible()
    page.screenshot(path=SCREENS / "instance-zh_CN.png", full_page=True)

    # The IVR editor's own script reads its texts from the page's JSON block.
    page.get_by_role("link", name="IVR 流程").click()
    page.locator("#flows a").first.click()
    expect(page.get_by_role("button", name="添加播放语音")).to_be_visible()
    expect(page.get_by_role("button", name="保存并发布")).to_be_visible()
    page.screenshot(path=SCREENS / "ivr-editor-zh_CN.png", full_page=True)
    context.close()

    context, page = _signed_in_page(browser, web_admin, "en-US")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Account acme")
    assert "概览" not in page.locator("body").inner_text()
    page.screenshot(path=SCREENS / "admin-en.png", full_page=True)
    context.close()
