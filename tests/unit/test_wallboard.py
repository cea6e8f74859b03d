"""The wallboard's snapshot (pure: what the PBX says, with today's figures), its faces'
refusals without a PBX, and the metrics' text format."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from engine.callcontrol.pbx import LiveChannel
from engine.metrics import REGISTRY
from engine.monitoring import IngestionCollector, queue_figures
from engine.reports.metrics import Figures, Outcome, QueueVisit
from engine.settings import load_settings
from engine.wallboard.board import (Group, Seat, board, current_call, memberships,
                                    waiting_callers)
from tests.unit.test_cli import acme, ccc, settings  # noqa: F401 - fixtures
from tests.unit.webadmin_world import bearer, sign_in, sqlite_world  # noqa: F401 - fixtures

NOW = datetime(2026, 12, 3, 2, 0, 0)
SALES = Group(1, "sales", "i1-q1", 20)
CARDS = Group(2, "cards", "i1-q2", 30)
ALICE = Seat(11, "1001", "alice", "i1-1001", (1, 2))
BOB = Seat(12, "1002", "bob", "i1-1002", (1,))
CAROL = Seat(13, "1003", "carol", "i1-1003", (2,))
DAVE = Seat(14, "1004", "dave", "i1-1004", (1,))


def member(queue, name, status=1, paused=False, reason=""):
    return {"Event": "QueueMember", "Queue": queue, "Name": name,
            "StateInterface": f"PJSIP/{name}", "Status": str(status),
            "Paused": "1" if paused else "0", "PausedReason": reason, "InCall": "0"}


def entry(queue, position, caller, wait):
    return {"Event": "QueueEntry", "Queue": queue, "Position": str(position),
            "CallerIDNum": caller, "Wait": str(wait), "Channel": "PJSIP/carrier-00000001"}


QUEUE_STATUS = [
    {"Event": "QueueParams", "Queue": "i1-q1"}, {"Event": "QueueParams", "Queue": "i1-q2"},
    {"Event": "QueueParams", "Queue": "i2-q3"},
    member("i1-q1", "i1-1001", status=2), member("i1-q2", "i1-1001", status=2),  # talking
    member("i1-q1", "i1-1002", paused=True, reason="Meal"),                      # on a break
    member("i1-q2", "i1-1003", status=6),                                        # ringing
    member("i2-q3", "i2-1001"),                       # another instance's agent: unseen
    entry("i1-q1", 1, "13800138000", 42), entry("i1-q1", 2, "13800138001", 7),
    entry("i1-q2", 1, "13800138002", 3), entry("i2-q3", 1, "13999999999", 300),
]
CHANNELS = [
    LiveChannel("PJSIP/carrier-0000000a", "i1-inbound", "s", "Up", "Queue",
                "13700137000", "bridge-1", "1.10", 95),
    LiveChannel("PJSIP/i1-1001-0000000b", "i1-agents", "s", "Up", "AppQueue",
                "i1-1001", "bridge-1", "1.11", 80),
]
# A ringing agent's channel: its own number as caller; its call's first channel (the
# caller's, waiting in the queue) is found by the call's id.
RINGING_CAROL = LiveChannel("PJSIP/i1-1003-web-0000000c", "i1-agents", "s", "Ringing",
                            "AppQueue", "1003", "", "1.12", 2, linked_id="1.9")
WAITING_CALLER = LiveChannel("PJSIP/carrier-00000009", "i1-inbound", "s", "Up", "Queue",
                             "13800138002", "", "1.9", 3, linked_id="1.9")
CHANNELS += [RINGING_CAROL, WAITING_CALLER]


def today():
    sales, cards = Figures(), Figures()
    for wait, outcome in ((5, Outcome.HANDLED), (35, Outcome.HANDLED), (12, Outcome.ABANDONED)):
        sales.add_visit(QueueVisit("c", "i1-q1", 1, NOW, outcome=outcome,
                                   wait_seconds=wait), 20)
    cards.add_visit(QueueVisit("d", "i1-q2", 2, NOW, outcome=Outcome.HANDLED,
                               wait_seconds=25), 30)
    return {1: sales, 2: cards, "i1-q9": Figures(offered=1)}  # a group deleted since


def the_board(**kwargs):
    found = {"groups": [SALES, CARDS], "seats": [ALICE, BOB, CAROL, DAVE],
             "found": memberships(QUEUE_STATUS), "callers": waiting_callers(QUEUE_STATUS),
             "channels": CHANNELS, "today": today(),
             "since": {11: ("TALKING", datetime(2026, 12, 3, 1, 58, 40)),
                       12: ("READY", datetime(2026, 12, 3, 1, 0))}, "now": NOW, **kwargs}
    return board(found["groups"], found["seats"], found["found"], found["callers"],
                 found["channels"], found["today"], found["since"], found["now"])


def test_the_instance_summary_counts_its_own_callers_and_agents_only():
    summary = the_board()["Summary"]
    assert (summary["WaitingCalls"], summary["LongestWaitingTime"]) == (3, 42)
    assert summary["AgentsByState"] == {"OFFLINE": 1, "READY": 0, "BREAK": 1, "DIALING": 0,
                                        "RINGING": 1, "TALKING": 1, "WORKING": 0}
    assert summary["BreakingAgentsByCode"] == {"Meal": 1}
    assert (summary["TotalAgents"], summary["LoggedInAgents"]) == (4, 3)
    # Today's figures: every group's, a deleted group's too, as the report adds them.
    assert (summary["CallsOffered"], summary["CallsHandled"], summary["CallsAbandoned"]) == \
        (5, 3, 1)
    assert summary["ServiceLevel"] == 0.4  # 5 s and 25 s (of 30) within, of 5 offered


def test_each_skill_group_has_its_callers_its_agents_and_its_service_level():
    sales, cards = the_board()["SkillGroups"]
    assert (sales["SkillGroupName"], sales["WaitingCalls"], sales["LongestWaitingTime"]) == \
        ("sales", 2, 42)
    # dave is of sales but signed in nowhere; carol is not of sales at all.
    assert {k: v for k, v in sales["AgentsByState"].items() if v} == \
        {"TALKING": 1, "BREAK": 1, "OFFLINE": 1}
    assert (sales["CallsOffered"], sales["CallsHandled"], sales["ServiceLevel"]) == \
        (3, 2, round(1 / 3, 4))
    assert (cards["WaitingCalls"], cards["ServiceLevel"]) == (1, 1.0)  # 25 s within 30 s
    assert {k: v for k, v in cards["AgentsByState"].items() if v} == \
        {"TALKING": 1, "RINGING": 1}


def test_the_agents_list_shows_states_calls_and_how_long():
    alice, bob, carol, dave = the_board()["Agents"]
    assert (alice["State"], alice["StateDuration"]) == ("TALKING", 80)
    assert alice["Call"] == {"Caller": "13700137000", "Seconds": 80, "Connected": True}
    assert alice["SignedInSkillGroups"] == ["sales", "cards"]
    assert (bob["State"], bob["BreakCode"], bob["Call"]) == ("BREAK", "Meal", None)
    assert bob["StateDuration"] is None  # the log says READY: no duration it can vouch for
    assert carol["State"] == "RINGING"
    assert carol["Call"] == {"Caller": "13800138002", "Seconds": 2, "Connected": False}
    assert (dave["State"], dave["SignedInSkillGroups"], dave["Call"]) == ("OFFLINE", [], None)


def test_waiting_callers_are_listed_longest_first_and_never_another_instances():
    callers = the_board()["WaitingCallers"]
    assert [(c["SkillGroupName"], c["Caller"], c["WaitingTime"]) for c in callers] == [
        ("sales", "13800138000", 42), ("sales", "13800138001", 7), ("cards", "13800138002", 3)]


def test_an_agent_placing_a_call_is_dialling_and_shows_the_number_dialled():
    placing = LiveChannel("PJSIP/i1-1002-0000000d", "i1-agents", "013", "Ring", "Dial",
                          "i1-1002", "", "1.13", 4)
    call, dialing = current_call(BOB, [placing])
    assert dialing and call == {"Caller": "013", "Seconds": 4, "Connected": False}
    events = [member("i1-q1", "i1-1002")]
    [bob] = the_board(seats=[BOB], found=memberships(events), channels=[placing])["Agents"]
    assert bob["State"] == "DIALING"


def test_a_ringing_agent_without_its_calls_id_shows_no_caller_rather_than_its_own():
    call, dialing = current_call(CAROL, [replace(RINGING_CAROL, linked_id=""), WAITING_CALLER])
    assert call == {"Caller": "", "Seconds": 2, "Connected": False} and not dialing


def test_an_empty_pbx_gives_zeros_not_errors():
    shown = the_board(found={}, callers=[], channels=[], today={}, since={})
    assert shown["Summary"]["WaitingCalls"] == shown["Summary"]["LongestWaitingTime"] == 0
    assert shown["Summary"]["AgentsByState"]["OFFLINE"] == 4
    assert shown["Summary"]["ServiceLevel"] is None and shown["WaitingCallers"] == []
    assert waiting_callers([{"Event": "QueueEntry", "Queue": "i1-q1", "Wait": "x"}])[0] \
        .seconds == 0


# ---- the faces, without a PBX -------------------------------------------------------------

def test_the_api_refuses_before_it_asks_the_pbx(sqlite_world):  # noqa: F811
    api, ids = sqlite_world.app().test_client(), sqlite_world.ids
    own = f"/api/v1/instances/{ids['acme_instance']}/realtime"
    other = f"/api/v1/instances/{ids['globex_instance']}/realtime"
    assert api.get(other, headers=bearer(sqlite_world)).status_code == 404
    assert api.get(f"{own}/skillgroups/{ids['globex_group']}",
                   headers=bearer(sqlite_world)).status_code == 404
    assert api.get(own + "/agents", headers=bearer(sqlite_world, "andy")).status_code == 403
    assert api.get(own).status_code == 401
    # No PBX runs here: the owner is told so, never a 500.
    answer = api.get(own, headers=bearer(sqlite_world))
    assert answer.status_code == 503 and "PBX" in answer.get_json()["error"]


def test_the_routes_are_in_the_openapi_document(sqlite_world):  # noqa: F811
    paths = sqlite_world.app().test_client().get("/api/v1/openapi.json").get_json()["paths"]
    base = "/api/v1/instances/{instance_id}/realtime"
    assert paths[base]["get"]["operationId"] == "GetRealtimeInstanceStates"
    assert paths[base + "/skillgroups/{group_id}"]["get"]["operationId"] == \
        "GetRealtimeSkillGroupStates"
    assert paths[base + "/agents"]["get"]["operationId"] == "ListRealtimeAgentStates"


def test_the_page_is_the_accounts_own(sqlite_world):  # noqa: F811
    client, ids = sqlite_world.app().test_client(), sqlite_world.ids
    sign_in(client)
    page = client.get(f"/instances/{ids['acme_instance']}/wallboard")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "wallboard.js" in text and 'id="wallboard-text"' in text
    assert "<style" not in text and "style=" not in text
    for path in (f"/instances/{ids['globex_instance']}/wallboard",
                 f"/instances/{ids['globex_instance']}/wallboard/events",
                 f"/instances/{ids['acme_instance']}/wallboard?skill_group={ids['globex_group']}",
                 f"/instances/{ids['acme_instance']}/wallboard?skill_group=%D9%A1",
                 f"/instances/{ids['acme_instance']}/wallboard?skill_group=99999999999999999999"):
        assert client.get(path).status_code == 404, path


@pytest.mark.parametrize("args, message", [
    (("--instance", "nowhere.acme"), "unknown instance"),
    (("--instance", "sales.acme", "--skill-group", "nobody's"), "unknown skill group"),
    (("--instance", "sales.acme", "--json"), "the PBX did not answer"),
])
def test_ccc_wallboard_refuses_in_one_line(ccc, acme, args, message):  # noqa: F811
    result = ccc("wallboard", *args, ok=False)
    assert result.exit_code == 1
    assert message in result.output and len(result.output.strip().splitlines()) == 1


# ---- the metrics ----------------------------------------------------------------------------

def test_queue_figures_per_queue():
    found = queue_figures(QUEUE_STATUS)
    assert (found["i1-q1"]["waiting"], found["i1-q1"]["longest"]) == (2, 42)
    assert dict(found["i1-q1"]["agents"]) == {"TALKING": 1, "BREAK": 1}
    assert dict(found["i1-q2"]["agents"]) == {"TALKING": 1, "RINGING": 1}
    assert found["i2-q3"]["waiting"] == 1


def test_the_metrics_text_parses_with_prometheus_own_parser():
    registry = CollectorRegistry()
    registry.register(REGISTRY)
    registry.register(IngestionCollector(lambda: {"queue_log": (120, 3.5), "cdr": (0, 0.0)}))
    text = generate_latest(registry).decode()
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(text) for s in family.samples}
    assert samples[("ccc_ingestion_lag_seconds", (("journal", "queue_log"),))] == 3.5
    assert samples[("ccc_ingestion_unread_bytes", (("journal", "cdr"),))] == 0
    assert "# TYPE ccc_agi_session_seconds histogram" in text
    assert "# TYPE ccc_calls_total counter" in text


def test_metrics_listen_on_loopback_by_default():
    defaults = load_settings({})
    assert (defaults.metrics_bind, defaults.metrics_port) == ("127.0.0.1", 9464)
    assert load_settings({"CCC_METRICS_PORT": "0"}).metrics_port == 0
