"""The agent's workbench in a real browser, on the real PBX: sign in, sign in to skill
groups, ready and break from the page, a change made elsewhere pushed to the page,
and forged requests refused. Screenshots go to test-output/screens/.

Configured (conftest): instance Sales (skill group default) and Hotline; this module
adds agent erin to Sales with a workbench password. Her SIP phone (SIPp) registers;
she works with it beside the page. The web app is served as ``ccc serve`` serves it.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from playwright.sync_api import expect

from serve import start_web
from engine.settings import load_settings
from tests.integration.callcenter import CARRIER, local

ROOT = Path(__file__).resolve().parents[2]
SCREENS = ROOT / "test-output" / "screens"
ERIN_PHONE = local("127.0.0.33", 5230)
PASSWORD = "erin's secret 7"


@pytest.fixture(scope="module")
def erin(callcenter):
    cc = callcenter
    agent = cc.ccc_json("agent", "create", "--instance", "sales.acme", "--name", "erin",
                        "--skill-group", "default")
    cc.ccc("agent", "password", "--instance", "sales.acme", "--extension", agent["extension"],
           "--password", PASSWORD)
    return agent


@pytest.fixture(scope="module")
def web(callcenter):
    settings = load_settings(callcenter.env)
    server = start_web(replace(settings, web_bind="127.0.0.1", web_port=0))
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def open_workbench(browser, web: str, erin: dict, locale: str = "en-US"):
    context = browser.new_context(viewport={"width": 1100, "height": 760}, locale=locale)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(web + "/w/sales.acme/")
    expect(page).to_have_url(web + "/w/sales.acme/signin")
    page.fill("input[name=extension]", erin["extension"])
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(web + "/w/sales.acme/")
    return context, page


def test_an_agent_works_from_the_page(callcenter, browser, web, erin):
    cc = callcenter
    cc.sign_out_everyone()
    cc.register(erin, ERIN_PHONE, ready=False)
    context, page = open_workbench(browser, web, erin)
    try:
        badge = page.locator("#state")
        expect(badge).to_have_attribute("data-state", "OFFLINE")
        SCREENS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENS / "workbench-offline-en.png"))

        # Sign in to the default group, answering with the SIP phone beside the page.
        page.check("input[name=device][value=sip]")
        page.click("#sign-in-groups button[type=submit]")
        expect(badge).to_have_attribute("data-state", "READY")
        shown = cc.agent_state(erin)
        assert shown["state"] == "READY" and shown["interface"] == f"PJSIP/{erin['sip_username']}"
        cc.wait_logged(erin, "READY")

        # A change made elsewhere (a supervisor, the CLI) reaches the page by itself.
        cc.agent_state(erin, "break", "--code", "Meal")
        expect(badge).to_have_attribute("data-state", "BREAK", timeout=3000)
        expect(page.locator("#break-code")).to_contain_text("Meal")
        cc.ccc("agent", "state", "break", "--code", "Meeting", "--instance", "sales.acme",
               "--extension", erin["extension"])
        expect(page.locator("#break-code")).to_contain_text("Meeting")

        page.select_option("#take-break select", "Training")
        page.click("#take-break button[type=submit]")
        expect(page.locator("#break-code")).to_contain_text("Training")
        assert cc.agent_state(erin)["break_code"] == "Training"
        page.screenshot(path=str(SCREENS / "workbench-break-en.png"))

        page.click("#ready")
        expect(badge).to_have_attribute("data-state", "READY")
        cc.wait_logged(erin, "READY")
        page.screenshot(path=str(SCREENS / "workbench-ready-en.png"))
    finally:
        context.close()


def test_forged_state_requests_are_refused(callcenter, browser, web, erin):
    cc = callcenter
    cc.sign_out_everyone()
    context, page = open_workbench(browser, web, erin)
    try:
        token = page.locator("meta[name=csrf-token]").get_attribute("content")
        headers = {"X-CSRF-Token": token, "Content-Type": "application/json"}
        state = web + "/w/sales.acme/state"
        for body, status in (
                ({"action": "break", "break_code": "Rest&Hangup"}, 422),
                ({"action": "break", "break_code": "RingingTimeout"}, 422),
                ({"action": "ready", "skill_groups": ["default,vip"], "device": "sip"}, 422),
                ({"action": "ready", "skill_groups": ["default"], "device": "web/x"}, 422),
                ({"action": "ready", "skill_groups": []}, 422),
                ({"action": "ready", "skill_groups": "default"}, 422),
                ({"action": "dial", "number": "1(2)"}, 422)):
            response = page.request.post(state, data=body, headers=headers)
            assert response.status == status, (body, response.text())
        # Without the page's CSRF token, nothing is done.
        assert page.request.post(state, data={"action": "offline"},
                                 headers={"Content-Type": "application/json"}).status == 400
        # Another instance's workbench is not there for erin's session.
        for path in ("/w/hotline.acme/", "/w/hotline.acme/state", "/w/hotline.acme/events"):
            assert page.request.get(web + path).status == 404
        assert cc.agent_state(erin)["state"] == "OFFLINE"
    finally:
        context.close()


def test_the_workbench_speaks_chinese(callcenter, browser, web, erin):
    cc = callcenter
    cc.sign_out_everyone()
    context, page = open_workbench(browser, web, erin, locale="zh-CN")
    try:
        expect(page.locator("#state")).to_have_text("离线")
        expect(page.locator("#state-panel h2")).to_have_text("我的状态")
        page.check("input[name=device][value=sip]")
        page.click("#sign-in-groups button[type=submit]")
        expect(page.locator("#state")).to_have_text("空闲")
        SCREENS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENS / "workbench-ready-zh_CN.png"))
        cc.agent_state(erin, "break", "--code", "Rest")
        expect(page.locator("#state")).to_have_text("小休")
        page.screenshot(path=str(SCREENS / "workbench-break-zh_CN.png"))
    finally:
        context.close()


FAY_PHONE = local("127.0.0.34", 5240)


def test_a_sip_phone_is_controlled_from_the_page(callcenter, browser, web, erin):
    """erin answers on her SIP phone; from the page she hangs up one call, hands the
    next caller to fay, and dials out with the number she picks."""
    cc = callcenter
    cc.sign_out_everyone()
    fay = cc.ccc_json("agent", "create", "--instance", "sales.acme", "--name", "fay")
    cc.register(erin, ERIN_PHONE, ready=False)
    cc.register(fay, FAY_PHONE, ready=False)
    context, page = open_workbench(browser, web, erin)
    try:
        page.check("input[name=device][value=sip]")
        page.click("#sign-in-groups button[type=submit]")
        expect(page.locator("#state")).to_have_attribute("data-state", "READY")

        # Hang up from the page.
        answering = cc.answering_agent(ERIN_PHONE)
        caller = cc.ivr_caller("01012345678", "1380013921" + cc.tag, [("pause", 500)],
                               pbx_hangs_up=True, name="caller-hung-up")
        expect(page.locator("#state")).to_have_attribute("data-state", "TALKING",
                                                        timeout=20_000)
        # The pop-up: who calls, the number dialled, the IVR path (the welcome flow).
        expect(page.locator("#popup-caller")).to_have_text("1380013921" + cc.tag)
        expect(page.locator("#popup-dialled")).to_have_text("01012345678")
        expect(page.locator("#popup-path")).to_contain_text("welcome")
        page.fill("#note textarea", "wants the blue model")
        page.click("#note button[type=submit]")
        expect(page.locator("#calls-status")).to_have_text("Note saved.")
        page.screenshot(path=str(SCREENS / "workbench-talking-en.png"))
        page.click("#hang-up")
        answering.assert_success(timeout=10)
        caller.assert_success(timeout=15)

        # Blind transfer from the page to fay.
        answering = cc.answering_agent(ERIN_PHONE)
        fay_phone = cc.agent_hangs_up_after(FAY_PHONE, 2000)
        caller = cc.ivr_caller("01012345678", "1380013922" + cc.tag, [("pause", 500)],
                               pbx_hangs_up=True, name="caller-handed-over")
        expect(page.locator("#state")).to_have_attribute("data-state", "TALKING",
                                                        timeout=20_000)
        page.select_option("#transfer select", f"agent:{fay['extension']}")
        page.click("#transfer button[value=blind]")
        answering.assert_success(timeout=10)
        fay_phone.assert_success(timeout=20)
        assert "1380013922" + cc.tag in fay_phone.requests("INVITE")[0]
        caller.assert_success(timeout=20)

        # Click-to-dial: the page offers the numbers erin may show.
        expect(page.locator("#dial select option")).to_have_text(["01012345678"])
        carrier = cc.answering_agent(CARRIER)
        erin_phone = cc.agent_hangs_up_after(ERIN_PHONE, 2000)
        page.fill("#dial input[name=number]", "1390013923" + cc.tag)
        page.click("#dial button[type=submit]")
        erin_phone.assert_success()
        carrier.assert_success()
        [invite] = carrier.requests("INVITE")
        assert invite.startswith("INVITE sip:1390013923" + cc.tag)
        # The history lists the call, with a redial button, once it is ingested (on a
        # loaded host that took longer than the page's wait).
        cc.wait_for_record(lambda r: r["callee"] == "1390013923" + cc.tag, timeout=30)
        page.reload()
        expect(page.locator("#history")).to_contain_text("1390013923" + cc.tag, timeout=15_000)
        expect(page.locator("#history")).to_contain_text("wants the blue model")
        page.screenshot(path=str(SCREENS / "workbench-history-en.png"))
    finally:
        context.close()
