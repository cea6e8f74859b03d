"""Who may reach what, web and API: the cross-account matrix, roles, CSRF.

The matrix is built from the tables below: every route with a resource in its path,
by method. An area added later (ivr, audio, billing) adds its rows to WEB_ROUTES or
API_ROUTES, the id of its resource in the other account to RESOURCE_IDS (creating it
in tests/unit/webadmin_world.build_world), and the coverage tests fail until it does.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from engine.agents.models import DedicatedAgent
from engine.agentstate.models import BreakCode
from engine.audio.models import AudioFile
from engine.billing.models import Payment, UsageExport
from engine.ivr.models import IvrFlow, IvrFlowVersion
from engine.models import (Agent, Document, Instance, LineApplication, Number,
                           Qualification, QualificationReview, SkillGroup)
from engine.uow import transaction
from tests.unit.test_supply_access import PORTAL_ROUTES, REVIEW_ROUTES
from tests.unit.webadmin_world import (bearer, csrf_from, post_form, signed_in, sqlite_world,
                                       world)

__all__ = ["sqlite_world", "world"]  # fixtures

FLOW = "/instances/{instance_id}/flows/{flow_id}"
# (method, path, configures): configures = only roles that may change the resource;
# REVIEWS: also the account's reviewers (who read reports but change nothing).
REVIEWS = "reviews"
WEB_ROUTES = [
    ("GET", "/instances/{instance_id}", False),
    ("GET", "/instances/{instance_id}/edit", True),
    ("POST", "/instances/{instance_id}/edit", True),
    ("GET", "/instances/{instance_id}/agents", False),
    ("GET", "/instances/{instance_id}/agents/new", True),
    ("POST", "/instances/{instance_id}/agents/new", True),
    ("GET", "/instances/{instance_id}/agents/import", True),
    ("POST", "/instances/{instance_id}/agents/import", True),
    ("GET", "/instances/{instance_id}/agents/{agent_id}/edit", True),
    ("POST", "/instances/{instance_id}/agents/{agent_id}/edit", True),
    ("POST", "/instances/{instance_id}/agents/{agent_id}/delete", True),
    ("GET", "/instances/{instance_id}/agents/dedicated", False),
    ("POST", "/instances/{instance_id}/agents/dedicated", True),
    ("POST", "/instances/{instance_id}/agents/dedicated/{customer_number}/delete", True),
    ("GET", "/instances/{instance_id}/skillgroups", False),
    ("GET", "/instances/{instance_id}/break-codes", False),
    ("POST", "/instances/{instance_id}/break-codes", True),
    ("POST", "/instances/{instance_id}/break-codes/{code}/delete", True),
    ("GET", "/instances/{instance_id}/skillgroups/new", True),
    ("POST", "/instances/{instance_id}/skillgroups/new", True),
    ("GET", "/instances/{instance_id}/skillgroups/{group_id}/edit", True),
    ("POST", "/instances/{instance_id}/skillgroups/{group_id}/edit", True),
    ("POST", "/instances/{instance_id}/skillgroups/{group_id}/delete", True),
    ("GET", "/numbers/{number_id}/edit", True),
    ("POST", "/numbers/{number_id}/edit", True),
    ("POST", "/numbers/{number_id}/routing", True),
    ("POST", "/numbers/{number_id}/renewal", True),
    ("POST", "/numbers/reminders/{reminder_id}/dismiss", True),
    ("POST", "/numbers/purchases/{purchase_id}/documents", True),
    # Billing is the owner's only: every other role gets 403, even to look.
    ("GET", "/billing", True),
    ("GET", "/billing/bill.csv", True),
    ("POST", "/billing/payments", True),
    ("POST", "/billing/exports", True),
    ("GET", "/billing/exports/{export_id}/download", True),
    # IVR flows and audio are configuration: even a look needs a configuring role.
    ("GET", "/instances/{instance_id}/flows", True),
    ("POST", "/instances/{instance_id}/flows", True),
    ("POST", "/instances/{instance_id}/bind", True),
    ("GET", FLOW, True),
    ("POST", FLOW + "/draft", True),
    ("POST", FLOW + "/validate", True),
    ("POST", FLOW + "/publish", True),
    ("POST", FLOW + "/simulate", True),
    ("GET", FLOW + "/versions", True),
    ("GET", FLOW + "/versions/{version}", True),
    ("GET", FLOW + "/versions/{version}/export", True),
    ("POST", FLOW + "/versions/{version}/restore", True),
    ("GET", "/instances/{instance_id}/audio", True),
    ("POST", "/instances/{instance_id}/audio", True),
    ("GET", "/instances/{instance_id}/audio/{name}.wav", True),
    ("POST", "/instances/{instance_id}/audio/{name}/rename", True),
    ("POST", "/instances/{instance_id}/audio/{name}/delete", True),
    ("POST", "/instances/{instance_id}/agents/{agent_id}/password", True),
    # The account's users are its owner's; a token, its user's (or the owner's) to revoke.
    ("POST", "/users/{user_id}/password", True),
    ("POST", "/users/{user_id}/role", True),
    ("POST", "/users/{user_id}/disable", True),
    ("POST", "/users/{user_id}/enable", True),
    ("POST", "/users/{user_id}/delete", True),
    ("POST", "/tokens/{token_id}/revoke", True),
    # Recordings are the instance's administrators' only.
    ("GET", "/instances/{instance_id}/recordings", True),
    # Supervising live calls: the owner, and administrators and supervisors given the
    # instance; the other roles may not (a supervisor not given it: 404).
    ("GET", "/instances/{instance_id}/supervision", True),
    ("POST", "/instances/{instance_id}/supervision", True),
    ("GET", "/instances/{instance_id}/recordings/{recording_id}.wav", True),
    # The wallboard: the owner's, the instance's administrators' and supervisors' only
    # (a supervisor is tested in test_supervision.py: the world has none).
    ("GET", "/instances/{instance_id}/wallboard", True),
    ("GET", "/instances/{instance_id}/wallboard/events", True),
    # Reports judge agents: the owner's, reviewers' and the instance's administrators'.
    ("GET", "/instances/{instance_id}/reports", REVIEWS),
    # Qualifications and line applications: the account's owner's only, even to look.
    ("GET", "/qualifications/{qualification_id}", True),
    ("GET", "/qualifications/{qualification_id}/edit", True),
    ("POST", "/qualifications/{qualification_id}/edit", True),
    ("POST", "/qualifications/{qualification_id}/suppliers", True),
    ("GET", "/qualifications/{qualification_id}/images/{which}", True),
    ("GET", "/applications/{application_id}", True),
]
API = "/api/v1"
API_ROUTES = [
    ("GET", API + "/instances/{instance_id}", False),
    ("PATCH", API + "/instances/{instance_id}", True),
    ("GET", API + "/instances/{instance_id}/agents", False),
    ("POST", API + "/instances/{instance_id}/agents", True),
    ("POST", API + "/instances/{instance_id}/agents/import", True),
    ("GET", API + "/instances/{instance_id}/agents/{agent_id}", False),
    ("PATCH", API + "/instances/{instance_id}/agents/{agent_id}", True),
    ("DELETE", API + "/instances/{instance_id}/agents/{agent_id}", True),
    ("GET", API + "/instances/{instance_id}/dedicated-agents", False),
    ("POST", API + "/instances/{instance_id}/dedicated-agents", True),
    ("DELETE", API + "/instances/{instance_id}/dedicated-agents/{customer_number}", True),
    ("GET", API + "/instances/{instance_id}/skillgroups", False),
    ("POST", API + "/instances/{instance_id}/skillgroups", True),
    ("GET", API + "/instances/{instance_id}/skillgroups/{group_id}", False),
    ("PATCH", API + "/instances/{instance_id}/skillgroups/{group_id}", True),
    ("DELETE", API + "/instances/{instance_id}/skillgroups/{group_id}", True),
    ("GET", API + "/numbers/{number_id}", False),
    ("PATCH", API + "/numbers/{number_id}", True),
    ("PUT", API + "/numbers/{number_id}/routing", True),
    ("GET", API + "/numbers/{number_id}/rentals", True),
    ("PUT", API + "/numbers/{number_id}/renewal", True),
    ("POST", API + "/numbers/reminders/{reminder_id}/dismiss", True),
    ("GET", API + "/number-purchases/{purchase_id}", True),
    ("POST", API + "/number-purchases/{purchase_id}/documents", True),
    ("GET", API + "/billing/bills/{month}", True),
    ("POST", API + "/billing/payments", True),
    ("POST", API + "/billing/exports", True),
    ("GET", API + "/billing/exports", True),
    ("GET", API + "/billing/exports/{export_id}/download", True),
    ("GET", API + "/instances/{instance_id}/flows", True),
    ("POST", API + "/instances/{instance_id}/flows", True),
    ("GET", API + FLOW, True),
    ("PUT", API + FLOW + "/draft", True),
    ("POST", API + FLOW + "/validate", True),
    ("POST", API + FLOW + "/publish", True),
    ("POST", API + FLOW + "/bind", True),
    ("POST", API + FLOW + "/simulate", True),
    ("GET", API + FLOW + "/versions", True),
    ("GET", API + FLOW + "/versions/{version}", True),
    ("GET", API + "/instances/{instance_id}/audio", True),
    ("POST", API + "/instances/{instance_id}/audio", True),
    ("GET", API + "/instances/{instance_id}/audio/{name}.wav", True),
    ("PATCH", API + "/instances/{instance_id}/audio/{name}", True),
    ("DELETE", API + "/instances/{instance_id}/audio/{name}", True),
    ("GET", API + "/instances/{instance_id}/agents/states", False),
    ("GET", API + "/instances/{instance_id}/agents/{agent_id}/state", False),
    # Changing a state acts on the live PBX: the agent itself or an administrator.
    ("POST", API + "/instances/{instance_id}/agents/{agent_id}/state/signin", True),
    ("POST", API + "/instances/{instance_id}/agents/{agent_id}/state/ready", True),
    ("POST", API + "/instances/{instance_id}/agents/{agent_id}/state/break", True),
    ("POST", API + "/instances/{instance_id}/agents/{agent_id}/state/signout", True),
    ("GET", API + "/instances/{instance_id}/break-codes", False),
    ("POST", API + "/instances/{instance_id}/break-codes", True),
    ("DELETE", API + "/instances/{instance_id}/break-codes/{code}", True),
    ("PUT", API + "/instances/{instance_id}/agents/{agent_id}/password", True),
    ("POST", API + "/instances/{instance_id}/agents/{agent_id}/invitation", True),
    ("GET", API + "/instances/{instance_id}/agents/{agent_id}/calls", False),
    ("POST", API + "/instances/{instance_id}/agents/{agent_id}/calls", True),
    ("POST", API + "/instances/{instance_id}/agents/{agent_id}/calls/answer", True),
    ("POST", API + "/instances/{instance_id}/agents/{agent_id}/calls/release", True),
    ("POST", API + "/instances/{instance_id}/agents/{agent_id}/calls/transfer", True),
    ("POST", API + "/instances/{instance_id}/agents/{agent_id}/calls/attended-transfer", True),
    ("POST", API + "/instances/{instance_id}/agents/{agent_id}/calls/attended-transfer/complete",
     True),
    ("POST", API + "/instances/{instance_id}/agents/{agent_id}/calls/attended-transfer/cancel",
     True),
    ("POST", API + "/instances/{instance_id}/agents/{agent_id}/calls/conference", True),
    ("POST", API + "/instances/{instance_id}/agents/{agent_id}/calls/hold", True),
    ("POST", API + "/instances/{instance_id}/agents/{agent_id}/calls/retrieve", True),
    ("PUT", API + "/users/{user_id}/password", True),
    ("PUT", API + "/users/{user_id}/role", True),
    ("POST", API + "/users/{user_id}/disable", True),
    ("POST", API + "/users/{user_id}/enable", True),
    ("DELETE", API + "/users/{user_id}", True),
    ("DELETE", API + "/tokens/{token_id}", True),
    # The recording of an agent's live call: the agent itself or an administrator.
    ("GET", API + "/instances/{instance_id}/agents/{agent_id}/calls/recording", True),
    ("POST", API + "/instances/{instance_id}/agents/{agent_id}/calls/recording/start", True),
    ("POST", API + "/instances/{instance_id}/agents/{agent_id}/calls/recording/pause", True),
    ("POST", API + "/instances/{instance_id}/agents/{agent_id}/calls/recording/resume", True),
    ("GET", API + "/instances/{instance_id}/recordings", True),
    ("GET", API + "/instances/{instance_id}/recordings/{recording_id}", True),
    ("GET", API + "/instances/{instance_id}/recordings/{recording_id}/audio", True),
    ("GET", API + "/instances/{instance_id}/supervision/calls", True),
    ("GET", API + "/instances/{instance_id}/supervision/log", True),
    ("POST", API + "/instances/{instance_id}/supervision/listen", True),
    ("POST", API + "/instances/{instance_id}/supervision/whisper", True),
    ("POST", API + "/instances/{instance_id}/supervision/barge", True),
    ("POST", API + "/instances/{instance_id}/supervision/takeover", True),
    # Reports judge agents: not an agent's to read (403), like a change.
    ("GET", API + "/instances/{instance_id}/reports/skillgroups", True),
    ("GET", API + "/instances/{instance_id}/reports/agents", True),
    ("GET", API + "/instances/{instance_id}/reports/ivr", True),
    ("GET", API + "/instances/{instance_id}/reports/numbers", True),
    ("GET", API + "/instances/{instance_id}/realtime", True),
    ("GET", API + "/instances/{instance_id}/realtime/skillgroups/{group_id}", True),
    ("GET", API + "/instances/{instance_id}/realtime/agents", True),
    ("GET", API + "/qualifications/{qualification_id}", True),
    ("POST", API + "/qualifications/{qualification_id}/resubmit", True),
    ("POST", API + "/qualifications/{qualification_id}/suppliers", True),
    ("GET", API + "/qualifications/{qualification_id}/images/{which}", True),
    ("GET", API + "/applications/{application_id}", True),
]
# URL parameter -> (the other account's resource, the own account's resource).
RESOURCE_IDS = {
    "instance_id": ("globex_instance", "acme_instance"),
    "agent_id": ("globex_agent", "acme_agent"),
    "group_id": ("globex_group", "acme_group"),
    "number_id": ("globex_number", "acme_number"),
    "export_id": ("globex_export", "acme_export"),
    "flow_id": ("globex_flow", "acme_flow"),
    "version": ("globex_version", "acme_version"),  # a flow's version number
    "name": ("globex_audio", "acme_audio"),  # an audio file's name in its instance
    "code": ("globex_break_code", "acme_break_code"),  # a break code of the instance
    # a customer's number with a dedicated agent in the instance
    "customer_number": ("globex_customer", "acme_customer"),
    "user_id": ("globex_user", "acme_user"),
    "token_id": ("globex_token", "acme_token"),
    "recording_id": ("globex_recording", "acme_recording"),  # a call recording
    "purchase_id": ("globex_purchase", "acme_purchase"),  # a 400 number bought from the pool
    "reminder_id": ("globex_reminder", "acme_reminder"),  # a number's term about to end
    "qualification_id": ("globex_qualification", "acme_qualification"),
    "application_id": ("globex_application", "acme_application"),
}
# URL parameters that name no resource (every account has every month): one value for
# both accounts, so such a route has no cross-account variant, only the role checks.
NOT_RESOURCES = {"month": "2026-01", "which": "front"}
# What a POST of each route sends (a valid change, so only the checks can stop it).
BODIES = {"name": "Renamed", "description": "x", "strategy": "linear", "wait_timeout": "60"}


def fill(path: str, ids: dict[str, int], own_instance: bool = False, world=None) -> str:
    def value(match):
        if match.group(1) in NOT_RESOURCES:
            return NOT_RESOURCES[match.group(1)]
        other, own = RESOURCE_IDS[match.group(1)]
        key = own if own_instance and match.group(1) == "instance_id" else other
        return str(world.ids[key])
    return re.sub(r"\{(\w+)\}", value, path)


def own(path: str, world) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: NOT_RESOURCES.get(m.group(1)) or str(
        world.ids[RESOURCE_IDS[m.group(1)][1]]), path)


def snapshot(world) -> dict:
    with transaction(world.settings) as db:
        return {model.__name__: db.scalar(select(func.count()).select_from(model))
                for model in (Instance, Agent, SkillGroup, Number, UsageExport, Payment,
                              IvrFlow, IvrFlowVersion, AudioFile, DedicatedAgent, BreakCode,
                              Qualification, QualificationReview, LineApplication,
                              Document)} | {
            "names": sorted(db.scalars(select(Instance.name))),
            "groups": sorted(db.scalars(select(SkillGroup.strategy))),
            "audio": sorted(db.scalars(select(AudioFile.name))),
            "flows": sorted(db.scalars(select(IvrFlowVersion.definition))),
            "bound": sorted(map(str, db.scalars(select(Number.inbound_flow_id))))}


def web_request(client, method: str, path: str):
    if method == "GET":
        return client.get(path)
    return post_form(client, path, BODIES)


def api_request(client, method: str, path: str, headers: dict):
    kwargs = {"headers": headers}
    if path.endswith("/import"):
        kwargs["data"] = b"name\nnew agent\n"
    elif method in ("POST", "PATCH"):
        kwargs["json"] = {"name": "Renamed", "strategy": "linear"}
    return client.open(path, method=method, **kwargs)


def _pattern(rule) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)


# The platform's own resources, the same for every account (a supplier and its policy):
# no other account's copy to refuse. What each account sees of them (its own numbers
# only) is tested in test_api_suppliers.py.
PLATFORM_ROUTES = [("GET", API + "/suppliers/{supplier_id}"),
                   ("GET", API + "/suppliers/{supplier_id}/agreement/file")]
# The supplier portal and the review queue are platform users' areas, not an account's:
# their walls (a supplier's own applications only, reviewers only) are tested in
# test_supply_access.py, which lists them.
PLATFORM_ROUTES += [(m, p) for m, p, *_ in PORTAL_ROUTES + REVIEW_ROUTES]
PLATFORM_RESOURCES = {"supplier_id"}


def test_the_tables_cover_every_route_with_a_resource(sqlite_world):
    app = sqlite_world.app()
    covered = {(m, p) for m, p, *_ in WEB_ROUTES + API_ROUTES + PLATFORM_ROUTES}
    # The workbench (/w/<domain>/...) is an agent's session, not an account user's: its
    # walls are tested in test_workbench_signin.py.
    missing = [(method, _pattern(rule)) for rule in app.url_map.iter_rules() if "<" in rule.rule
               and rule.endpoint != "static" and not rule.endpoint.startswith("workbench.")
               for method in rule.methods - {"HEAD", "OPTIONS"}
               if (method, _pattern(rule)) not in covered]
    assert missing == [], "add these routes to the access tables"
    assert set(RESOURCE_IDS) >= {p for r in app.url_map.iter_rules()
                                 if not r.endpoint.startswith("workbench.")
                                 for p in re.findall(r"<(?:\w+:)?(\w+)>", r.rule)} - {
        "filename", *NOT_RESOURCES, *PLATFORM_RESOURCES}


def test_another_accounts_resources_answer_404_on_every_route(world):
    """Web and API, every verb; both with the other account's ids throughout and with
    the own instance holding the other account's agent, group or number."""
    before = snapshot(world)
    client = signed_in(world, "olivia")
    api = world.app().test_client()
    failures = []
    for method, path, _ in WEB_ROUTES + API_ROUTES:
        variants = {fill(path, {}, world=world), fill(path, {}, own_instance=True, world=world)}
        for url in sorted(variants):
            if url == own(path, world):
                continue  # the own resource itself: not a cross-account request
            response = (api_request(api, method, url, bearer(world)) if url.startswith(API)
                        else web_request(client, method, url))
            if response.status_code != 404:
                failures.append((method, url, response.status_code))
            elif url.startswith(API):
                assert set(response.get_json()) == {"error"}, (method, url)  # JSON, no detail
    assert failures == []
    assert snapshot(world) == before


def test_the_overview_and_lists_show_the_own_account_only(sqlite_world):
    client = signed_in(sqlite_world, "olivia")
    for path in ("/", "/numbers"):
        page = client.get(path).get_data(as_text=True)
        assert "01012345678" in page
        assert "02087654321" not in page and "support.globex" not in page
    listed = sqlite_world.app().test_client().get(API + "/instances",
                                                  headers=bearer(sqlite_world)).get_json()
    assert [i["domain"] for i in listed] == ["sales.acme", "hotline.acme"]
    numbers = sqlite_world.app().test_client().get(API + "/numbers",
                                                   headers=bearer(sqlite_world)).get_json()
    assert sorted(n["digits"] for n in numbers) == ["01012345678", "4001234567", "4008001001"]


@pytest.mark.parametrize("user", ["andy", "rita", "sam"])
def test_roles_that_may_not_configure_get_403(sqlite_world, user):
    before = snapshot(sqlite_world)
    client = signed_in(sqlite_world, user)
    for method, path, configures in WEB_ROUTES + [("GET", "/instances/new", True),
                                                  ("POST", "/instances/new", True)]:
        status = web_request(client, method, own(path, sqlite_world)).status_code
        allowed = not configures or (configures == REVIEWS and user == "rita")
        assert status == (200 if allowed else 403), (user, method, path, status)
    assert snapshot(sqlite_world) == before


def test_an_agent_token_may_read_but_not_change(sqlite_world):
    before = snapshot(sqlite_world)
    api = sqlite_world.app().test_client()
    for method, path, configures in API_ROUTES + [("POST", API + "/instances", True)]:
        response = api_request(api, method, own(path, sqlite_world), bearer(sqlite_world, "andy"))
        assert response.status_code == (403 if configures else 200), (method, path)
        if configures:
            assert "may not" in response.get_json()["error"]
    assert snapshot(sqlite_world) == before


def test_an_instance_administrator_configures_only_the_instances_they_administer(sqlite_world):
    client = signed_in(sqlite_world, "alice")
    sales, hotline = sqlite_world.ids["acme_instance"], sqlite_world.ids["acme_hotline"]
    assert client.get(f"/instances/{sales}/agents/new").status_code == 200
    assert client.get(f"/instances/{hotline}/agents/new").status_code == 403
    assert client.get(f"/instances/{hotline}/agents").status_code == 200  # may look
    assert client.get("/instances/new").status_code == 403  # the account's, not theirs
    response = post_form(client, f"/instances/{hotline}/agents/new", {"name": "eve"})
    assert response.status_code == 403
    response = post_form(client, f"/instances/{sales}/agents/new", {"name": "eve"})
    assert response.status_code == 302
    api = sqlite_world.app().test_client()
    assert api.post(f"{API}/instances/{hotline}/skillgroups", json={"name": "x"},
                    headers=bearer(sqlite_world, "alice")).status_code == 403
    assert api.post(f"{API}/instances/{sales}/skillgroups", json={"name": "x"},
                    headers=bearer(sqlite_world, "alice")).status_code == 201
    # IVR flows and audio: the instance administrator's own instance only, even to look.
    for area in ("flows", "audio"):
        assert client.get(f"/instances/{sales}/{area}").status_code == 200
        assert client.get(f"/instances/{hotline}/{area}").status_code == 403
        assert api.get(f"{API}/instances/{hotline}/{area}",
                       headers=bearer(sqlite_world, "alice")).status_code == 403


def test_every_form_post_without_the_csrf_token_is_refused(sqlite_world):
    before = snapshot(sqlite_world)
    client = signed_in(sqlite_world, "olivia")
    csrf_from(client, "/")
    for method, path, _ in WEB_ROUTES + [("POST", "/instances/new", True)]:
        if method != "POST":
            continue
        for data in (BODIES, BODIES | {"csrf_token": "forged"}):
            response = client.post(own(path, sqlite_world), data=data)
            assert response.status_code == 400, path
    assert snapshot(sqlite_world) == before


def test_pages_need_a_signed_in_user(sqlite_world):
    client = sqlite_world.app().test_client()
    for method, path, _ in WEB_ROUTES:
        if method == "GET":
            response = client.get(own(path, sqlite_world))
            assert response.status_code == 302 and response.headers["Location"].endswith(
                "/sign-in"), path


def test_recording_searches_and_storage_never_reach_another_account(sqlite_world):
    """The search's own parameters are checked like the path's: the other account's
    skill group is no skill group (422, nothing listed); the account-wide storage and
    retention answer for the signed-in account only, whoever asks."""
    world = sqlite_world
    api = world.app().test_client()
    client = signed_in(world, "olivia")
    acme, globex_group = world.ids["acme_instance"], world.ids["globex_group"]
    refused = api.get(f"{API}/instances/{acme}/recordings?skill_group={globex_group}",
                      headers=bearer(world))
    assert refused.status_code == 422 and "world-" not in refused.get_data(as_text=True)
    page = client.get(f"/instances/{acme}/recordings?skill_group={globex_group}")
    assert page.status_code == 422 and "data-recording=" not in page.get_data(as_text=True)
    for user, own_account, other in (("olivia", "acme", "globex"),
                                     ("mallory", "globex", "acme")):
        shown = api.get(f"{API}/account/recordings", headers=bearer(world, user)).get_json()
        assert shown["account"] == own_account and shown["storage"]["recordings"] == 1
        text = str(shown)
        assert other not in text and str(world.settings.site_dir) not in text
    assert "support.globex" not in client.get("/recordings").get_data(as_text=True)
    assert api.get(f"{API}/account/recordings").status_code == 401
