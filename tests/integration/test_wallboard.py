"""The real-time wallboard and ccc serve's Prometheus metrics, on the real PBX.

Configured (conftest): instance Sales (number 01012345678, skill group default, the
queue of that group) with admin agent alice (1001), whose SIP phone is SIPp. An owner,
olivia, watches the wallboard page in Chromium; another account, globex, has its own
instance administrator gina and owner gwen.

Placed: a first caller whom alice answers after her phone rang 6 s and talks to ~19 s;
while they talk a second caller waits in the queue ~9 s and hangs up. Observed while it
happens: the API's wallboard shows alice RINGING with the first caller's number, then
the API's wallboard, ``ccc wallboard`` and the page show alice TALKING to that number
and the second caller waiting; /metrics shows that queue's one caller waiting and one
agent talking. Afterwards: today's offered, handled, abandoned and service level on
the wallboard equal the historical report's for today, and the counters of /metrics
moved with the calls. gina (API) and gwen (the page) get 404 for Sales' wallboard.
"""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from playwright.sync_api import expect
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import delete

from engine.accounts.models import Role
from engine.accounts.service import find_or_create_user, get_account
from engine.reports.models import QueueCall, QueueEvent
from serve import start_web
from engine.settings import load_settings
from engine.uow import transaction
from tests.factories import add_token
from tests.integration.callcenter import PORT_OFFSET, local, wait_for

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-output" / "integration" / "screenshots"
ALICE_PHONE = local("127.0.0.71", 5610)
SECOND_CALLER = local("127.0.0.2", 5093)
SECOND_MEDIA = ("-mp", str(16000 + 4 * PORT_OFFSET + 240))
SALES, NUMBER = "sales.acme", "01012345678"
PASSWORD = "a long wallboard password"


def today() -> tuple[str, str]:
    day = (datetime.now(timezone.utc) + timedelta(hours=8)).date()
    return day.isoformat(), (day + timedelta(days=1)).isoformat()



def metrics(cc) -> dict[tuple, float]:
    """ccc serve's /metrics, parsed by Prometheus' own parser: (name, labels) -> value."""
    url = f"http://127.0.0.1:{cc.env['CCC_METRICS_PORT']}/metrics"
    with urllib.request.urlopen(url, timeout=10) as response:
        text = response.read().decode()
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(found: dict, name: str, **labels) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def site(callcenter):
    """The web admin as ccc serve serves it, API tokens for alice and gina, olivia's and
    gina's passwords."""
    cc = callcenter
    settings = load_settings(cc.env)
    if not [a for a in cc.ccc_json("account", "list") if a["name"] == "globex"]:
        cc.ccc("account", "create", "globex", "--plan", "payg")
        cc.ccc("instance", "create", "--account", "globex", "--name", "Rival",
               "--domain", "rival.globex", "--number", "02087654322",
               "--number-type", "landline", "--admin", "gina")
    with transaction(settings) as db:
        find_or_create_user(db, get_account(db, "acme"), "olivia", Role.OWNER, PASSWORD)
        find_or_create_user(db, get_account(db, "globex"), "gwen", Role.OWNER, PASSWORD)
        tokens = {"alice": add_token(db, "acme", "alice"),
                  "gina": add_token(db, "globex", "gina")}
    server = start_web(replace(settings, web_bind="127.0.0.1", web_port=0))
    try:
        yield f"http://127.0.0.1:{server.server_port}", tokens
    finally:
        server.shutdown()
        server.server_close()


def api(base: str, token: str, path: str) -> tuple[int, object]:
    request = urllib.request.Request(f"{base}/api/v1{path}",
                                     headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def forget_earlier_events(cc) -> None:
    """The queue log is the PBX site's, shared by every module and both databases' runs:
    read it to its end and forget it, so today's figures are this test's calls'."""
    cc.ccc("report", "ingest")
    with transaction(load_settings(cc.env)) as db:
        db.execute(delete(QueueEvent))
        db.execute(delete(QueueCall))


def sign_in(page, base: str, account: str, user: str) -> None:
    page.goto(base + "/sign-in")
    page.get_by_label("Account").fill(account)
    page.get_by_label("User").fill(user)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_the_wallboard_follows_a_waiting_caller_and_agrees_with_the_report(
        callcenter, site, browser):
    cc = callcenter
    base, tokens = site
    alice = cc.instances["sales"]["admin_agent"]
    sales = next(i["id"] for i in cc.ccc_json("instance", "list")
                 if i["domain"] == SALES)
    first, second = "1390013900" + cc.tag, "1391013910" + cc.tag
    cc.kill_sipps()
    cc.sign_out_everyone()
    cc.register(alice, ALICE_PHONE)
    forget_earlier_events(cc)
    before = metrics(cc)
    queue = next(labels[0][1] for name, labels in before
                 if name == "ccc_queue_calls_waiting" and labels[0][1].startswith(
                     f"i{sales}-"))

    context = browser.new_context(viewport={"width": 1300, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        sign_in(page, base, "acme", "olivia")
        page.goto(f"{base}/instances/{sales}/wallboard")
        alice_row = page.locator(f'#board-agents tr[data-agent="{alice["extension"]}"]')
        expect(alice_row).to_have_attribute("data-state", "READY")

        # alice's phone rings 6 s before she answers: the board shows her RINGING with
        # the caller's number, then TALKING.
        scenario = cc.output / "ring-6s-then-answer.xml"
        scenario.write_text((Path(__file__).parent / "scenarios" / "ring_then_answer.xml")
                            .read_text().replace('<pause milliseconds="2500"/>',
                                                 '<pause milliseconds="6000"/>'))
        agent = cc.sipp("alice-rings-then-answers", str(scenario), ALICE_PHONE)
        time.sleep(0.3)  # let it bind before a call can reach it
        answered = cc.carrier_calls(NUMBER, first, talk_ms=28000)

        def ringing():
            status, board = api(base, tokens["alice"], f"/instances/{sales}/realtime")
            assert status == 200, board
            me = next(a for a in board["Agents"] if a["Extension"] == alice["extension"])
            return me if me["State"] == "RINGING" else None
        me = wait_for(ringing, "alice's phone ringing", 25)
        assert me["Call"]["Caller"] == first and not me["Call"]["Connected"]

        def talking():
            status, board = api(base, tokens["alice"], f"/instances/{sales}/realtime")
            assert status == 200, board
            me = next(a for a in board["Agents"] if a["Extension"] == alice["extension"])
            return board if me["State"] == "TALKING" else None
        board = wait_for(talking, "alice talking", 25)
        me = next(a for a in board["Agents"] if a["Extension"] == alice["extension"])
        assert me["Call"]["Caller"] == first and me["Call"]["Connected"]
        assert board["Summary"]["AgentsByState"]["TALKING"] == 1

        waiting = cc.sipp("waits-then-hangs-up", "call.xml", SECOND_CALLER, NUMBER,
                          "-key", "caller", second, "-d", "12000", *SECOND_MEDIA)

        def queued():
            status, board = api(base, tokens["alice"], f"/instances/{sales}/realtime")
            return board if status == 200 and board["Summary"]["WaitingCalls"] == 1 else None
        board = wait_for(queued, "the second caller waiting", 25)
        [caller] = board["WaitingCallers"]
        assert caller["Caller"] == second and caller["SkillGroupName"] == "default"
        [group] = board["SkillGroups"]
        assert group["WaitingCalls"] == 1 and group["AgentsByState"]["TALKING"] == 1
        # The same snapshot from the command line, for the one skill group.
        shown = cc.ccc_json("wallboard", "--instance", SALES, "--skill-group", "default")
        assert shown["Summary"]["WaitingCalls"] == 1
        assert [a["State"] for a in shown["Agents"]] == ["TALKING"]
        # ccc serve's scrape asks the PBX on its own: it shows the caller a moment later.
        during = wait_for(lambda: (found := metrics(cc)) and value(
            found, "ccc_queue_calls_waiting", queue=queue) == 1 and found,
            "the metrics showing the waiting caller", 10)
        assert value(during, "ccc_queue_agents", queue=queue, state="TALKING") == 1
        assert value(during, "ccc_queue_longest_wait_seconds", queue=queue) >= 1
        # The page, pushed by the server: alice talking to the first caller, the second
        # one waiting.
        expect(alice_row).to_have_attribute("data-state", "TALKING")
        expect(alice_row).to_contain_text(first)
        expect(page.locator(f'#board-waiting tr[data-caller="{second}"]')).to_be_visible()
        expect(page.locator('[data-figure="WaitingCalls"]')).to_have_text("1")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"wallboard-{cc.tag}.png", full_page=True)

        waiting.assert_success()
        answered.assert_success()
        agent.assert_success()
        expect(page.locator('[data-figure="WaitingCalls"]')).to_have_text("0")

        # Another account's owner: no such page, no such API resource.
        other = browser.new_context().new_page()
        sign_in(other, base, "globex", "gwen")
        assert other.goto(f"{base}/instances/{sales}/wallboard").status == 404
        other.context.close()
    finally:
        context.close()
    for path in (f"/instances/{sales}/realtime", f"/instances/{sales}/realtime/agents"):
        status, answer = api(base, tokens["gina"], path)
        assert status == 404, answer

    # Today, once ingestion has read the calls: the wallboard and the report agree.
    day, next_day = today()

    def ingested():
        rows = cc.ccc_json("report", "skillgroup", "--instance", SALES, "--from", day,
                           "--to", next_day, "--interval", "day")
        return rows if rows and rows[0]["CallsOffered"] == 2 \
            and rows[0]["CallsWaiting"] == 0 else None
    [row] = wait_for(ingested, "both calls in the report", 25)
    board = cc.ccc_json("wallboard", "--instance", SALES)
    assert board["Day"] == day
    [group] = board["SkillGroups"]
    for figures in (board["Summary"], group):
        assert {k: figures[k] for k in ("CallsOffered", "CallsHandled", "CallsAbandoned",
                                        "ServiceLevel")} == \
            {k: row[k] for k in ("CallsOffered", "CallsHandled", "CallsAbandoned",
                                 "ServiceLevel")}
    assert (row["CallsHandled"], row["CallsAbandoned"]) == (1, 1)
    assert board["Summary"]["WaitingCalls"] == 0
    status, agents = api(base, tokens["alice"], f"/instances/{sales}/realtime/agents")
    assert status == 200 and agents[0]["State"] == "READY" and agents[0]["Call"] is None

    after = metrics(cc)
    calls = sum(v for (name, _), v in after.items() if name == "ccc_calls_total") - \
        sum(v for (name, _), v in before.items() if name == "ccc_calls_total")
    assert calls == 2  # both callers reached the IVR
    assert value(after, "ccc_agi_session_seconds_count", route="inbound") - \
        value(before, "ccc_agi_session_seconds_count", route="inbound") == 2
    assert value(after, "ccc_ingested_total", journal="queue_events") > \
        value(before, "ccc_ingested_total", journal="queue_events")
    assert value(after, "ccc_ingested_total", journal="call_records") >= \
        value(before, "ccc_ingested_total", journal="call_records") + 2
    assert value(after, "ccc_ingestion_unread_bytes", journal="queue_log") == 0
    assert value(after, "ccc_pbx_up") == 1
