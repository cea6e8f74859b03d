"""The web admin's pages through Flask's test client, as the owner of account acme.

Each test states what is configured (tests/unit/webadmin_world.py), what the user
sends, and what the page and the database must show; bad input must come back with
each field's message, what was typed, and nothing written.
"""
from __future__ import annotations

import html
import re

from sqlalchemy import func, select

from engine.agents.service import list_agents
from engine.ivr.models import FlowState, IvrFlow, IvrFlowVersion
from engine.models import Agent, Instance, Number, SkillGroup, User
from engine.uow import transaction
from provisioning.apply import current_generation
from tests.unit.webadmin_world import field_errors, post_form, signed_in, sqlite_world

__all__ = ["sqlite_world"]


def page_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def flashes(page: str) -> list[str]:
    return re.findall(r'<li class="[^"]*">([^<]*)</li>', page)


def count(world, model) -> int:
    with transaction(world.settings) as db:
        return db.scalar(select(func.count()).select_from(model))


def follow(client, response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return page_of(client.get(response.headers["Location"]))


# ---- navigation ---------------------------------------------------------------------

def test_navigation_lists_the_registered_areas_only(sqlite_world):
    page = page_of(signed_in(sqlite_world).get("/"))
    nav = re.search(r'<nav aria-label="Account">(.*?)</nav>', page, re.S).group(1)
    assert re.findall(r">([^<]+)</a>", nav) == ["Overview", "New instance", "Numbers",
                                                "400 numbers", "Users", "API tokens",
                                                "Recording storage", "Qualifications",
                                                "Line applications", "Billing"]
    agent_page = page_of(signed_in(sqlite_world, "andy").get("/"))
    nav = re.search(r'<nav aria-label="Account">(.*?)</nav>', agent_page, re.S).group(1)
    assert re.findall(r">([^<]+)</a>", nav) == ["Overview", "Numbers", "API tokens"]
    agents = f"/instances/{sqlite_world.ids['acme_instance']}/agents"
    tabs = instance_tabs(page_of(signed_in(sqlite_world).get(agents)))
    assert re.findall(r">([^<]+)</a>", tabs) == ["Instance", "Agents", "Skill groups",
                                                 "Break codes", "IVR flows", "Audio", "Recordings",
                                                 "Wallboard", "Reports", "Supervision"]
    assert 'aria-current="page">Agents' in tabs
    # IVR flows, audio and recordings are the administrators', the wallboard theirs and
    # the supervisors': an agent sees no tab.
    tabs = instance_tabs(page_of(signed_in(sqlite_world, "andy").get(agents)))
    assert re.findall(r">([^<]+)</a>", tabs) == ["Instance", "Agents", "Skill groups",
                                                 "Break codes"]


def instance_tabs(page: str) -> str:
    return re.search(r'<nav class="tabs" aria-label="Instance">(.*?)</nav>', page, re.S).group(1)


def test_a_registered_optional_blueprint_gets_its_navigation_entry(sqlite_world):
    from webadmin import nav_entries
    app = sqlite_world.app()
    assert "billing" in app.blueprints  # its package exists: registered, and in the menu
    assert [e.label for e in nav_entries(app, "account")][-1] == "Billing"
    assert "ivr" not in app.blueprints or "IVR flows" in [
        e.label for e in nav_entries(app, "instance")]


def test_the_style_sheet_is_served_locally(sqlite_world):
    client = signed_in(sqlite_world)
    page = page_of(client.get("/"))
    assert '<link rel="stylesheet" href="/static/ccc.css">' in page
    assert "http" not in re.sub(r'http://[a-z.]+/', "", page.split("<body>")[0])
    assert client.get("/static/ccc.css").status_code == 200


# ---- instances ----------------------------------------------------------------------

def test_the_one_minute_form_creates_an_instance_and_shows_its_access_address(sqlite_world):
    client = signed_in(sqlite_world)
    page = page_of(client.get("/instances/new"))
    for field in ("name", "domain", "description", "number", "number_type", "new_admin"):
        assert f'name="{field}"' in page
    assert re.findall(r'name="admins" value="(\w+)"', page) == [
        "alice", "andy", "carol", "olivia", "rita", "sam"]
    response = post_form(client, "/instances/new", {
        "name": "Support", "domain": "support.acme", "description": "Second line",
        "number": "01087654321", "number_type": "landline", "admins": ["carol", "rita"],
        "new_admin": "dave", "new_admin_password": "dave's secret"})
    page = follow(client, response)
    assert "http://support.acme/" in page and "Second line" in page
    assert flashes(page) == ["Instance Support created; PBX configuration written; "
                             "it takes effect when the PBX starts."]
    assert re.search(r"Administrators: <strong>carol, dave, rita</strong>", page)
    assert current_generation(sqlite_world.settings) is not None  # applied after commit
    with transaction(sqlite_world.settings) as db:
        instance = db.scalar(select(Instance).where(Instance.domain == "support.acme"))
        assert [a.name for a in list_agents(db, instance)] == ["carol", "rita", "dave"]
        dave = db.scalar(select(User).where(User.name == "dave"))
        assert dave.role.value == "instance_admin" and dave.password_hash
    # dave, created on the spot, signs in and may configure his instance
    dave_client = signed_in(sqlite_world, "dave", password="dave's secret")
    assert dave_client.get(f"/instances/{instance.id}/agents/new").status_code == 200


def test_the_one_minute_form_shows_every_fields_error_and_keeps_what_was_typed(sqlite_world):
    client = signed_in(sqlite_world)
    before = [count(sqlite_world, m) for m in (Instance, Number, User, Agent)]
    sent = {"name": "Bad/Name", "domain": "Not A Domain", "description": "kept text",
            "number": "12345", "number_type": "landline", "admins": ["nobody"],
            "new_admin": "x!"}
    response = post_form(client, "/instances/new", sent)
    page = page_of(response)
    assert response.status_code == 422
    errors = field_errors(page)
    assert set(errors) == {"name", "domain", "number", "admins", "new_admin"}
    assert "invalid instance name" in errors["name"]
    assert "lower-case DNS name" in errors["domain"]
    assert "expected 0 + area code" in errors["number"]
    assert "'nobody' is not a user" in errors["admins"]
    assert 'value="Bad/Name"' in page and 'value="Not A Domain"' in page
    assert ">kept text</textarea>" in page and 'value="12345"' in page
    assert [count(sqlite_world, m) for m in (Instance, Number, User, Agent)] == before


def test_creating_an_administrator_on_the_spot_never_resets_a_users_password(sqlite_world):
    client = signed_in(sqlite_world)
    response = post_form(client, "/instances/new", {
        "name": "Support", "domain": "support.acme", "number": "01087654321",
        "number_type": "landline", "new_admin": "alice", "new_admin_password": "hijacked"})
    assert response.status_code == 422
    assert field_errors(page_of(response)) == {
        "new_admin": "'alice' is already a user of the account: import it instead"}
    signed_in(sqlite_world, "alice")  # her own password still works


def test_a_taken_domain_and_number_are_reported_on_their_fields(sqlite_world):
    client = signed_in(sqlite_world)
    response = post_form(client, "/instances/new", {
        "name": "Sales", "domain": "support.globex", "number": "02087654321",
        "number_type": "landline"})
    errors = field_errors(page_of(response))
    assert response.status_code == 422
    assert errors == {"name": "account 'acme' already has an instance named 'Sales'",
                      "domain": "access domain 'support.globex' is already taken",
                      "number": "number 02087654321 is already in use"}


def test_instance_edit_keeps_the_domain_read_only(sqlite_world):
    client = signed_in(sqlite_world)
    path = f"/instances/{sqlite_world.ids['acme_instance']}/edit"
    page = page_of(client.get(path))
    assert re.search(r'id="domain" value="sales.acme" readonly disabled', page)
    page = follow(client, post_form(client, path, {
        "name": "Sales EU", "description": "new words", "domain": "evil.acme"}))
    assert "Sales EU" in page and "new words" in page and "http://sales.acme/" in page
    response = post_form(client, path, {"name": "Hotline", "description": ""})
    assert response.status_code == 422
    assert field_errors(page_of(response)) == {
        "name": "the account already has an instance named 'Hotline'"}


# ---- agents -------------------------------------------------------------------------

def test_create_edit_and_delete_an_agent(sqlite_world):
    client = signed_in(sqlite_world)
    base = f"/instances/{sqlite_world.ids['acme_instance']}/agents"
    groups = dict(re.findall(r'<label for="level_(\d+)">(\w+)</label>',
                             page_of(client.get(base + "/new"))))
    by_name = {name: gid for gid, name in groups.items()}
    page = follow(client, post_form(client, base + "/new", {
        "name": "erin", "extension": "2001", f"level_{by_name['vip']}": "3"}))
    assert flashes(page)[0].startswith("Agent 2001 created; PBX configuration")
    assert "i1-2001" in page and re.search(r"password <code class=\"secret\">[0-9a-f]{32}<", page)
    with transaction(sqlite_world.settings) as db:
        erin = db.scalar(select(Agent).where(Agent.name == "erin"))
        assert {m.skill_group.name: m.level for m in erin.memberships} == {"vip": 3}
        agent_id = erin.id
    page = follow(client, post_form(client, f"{base}/{agent_id}/edit", {
        "name": "erin b", f"level_{by_name['default']}": "1", f"level_{by_name['vip']}": "2"}))
    assert re.search(r"<td>2001</td><td>erin b</td><td>i1-2001</td>\s*<td>default \(1\), "
                     r"vip \(2\)</td>", page)
    page = follow(client, post_form(client, f"{base}/{agent_id}/delete"))
    assert flashes(page) == ["Agent 2001 deleted; PBX configuration written; "
                             "it takes effect when the PBX starts."]
    assert "erin" not in page


def test_agent_form_errors_are_shown_next_to_their_fields(sqlite_world):
    client = signed_in(sqlite_world)
    base = f"/instances/{sqlite_world.ids['acme_instance']}/agents"
    before = count(sqlite_world, Agent)
    response = post_form(client, base + "/new", {"name": "bad*name", "extension": "1002",
                                                 f"level_{sqlite_world.ids['acme_group']}": "11"})
    page = page_of(response)
    assert response.status_code == 422
    assert field_errors(page) == {
        "name": "invalid agent name 'bad*name': 1-64 letters, digits, spaces, '.', '_' or '-', "
                "starting with a letter or digit",
        "extension": "extension 1002 is already taken in sales.acme",
        "skill_groups": "invalid skill level 11 for 'vip': 1 (best) to 10"}
    assert 'value="bad*name"' in page and 'value="1002"' in page
    assert count(sqlite_world, Agent) == before


def test_csv_import_reports_every_bad_row_and_writes_nothing(sqlite_world):
    import io
    client = signed_in(sqlite_world)
    path = f"/instances/{sqlite_world.ids['acme_instance']}/agents/import"
    before = count(sqlite_world, Agent)
    csv = (b"name,extension,skill_groups\n"
           b"fay,3001,default:1;vip:2\n"       # good
           b"g!l,3002,\n"                      # bad name
           b"hal,3001,\n"                      # extension twice in the file
           b"ivy,,nosuch:1\n")                 # unknown group
    response = post_form(client, path, {"file": (io.BytesIO(csv), "agents.csv")},
                         content_type="multipart/form-data")
    page = page_of(response)
    assert response.status_code == 422
    rows = re.findall(r"<tr><td>(\d+)</td><td>(\w+)</td><td>([^<]*)</td></tr>", page)
    assert [(line, field) for line, field, _ in rows] == [
        ("3", "name"), ("4", "extension"), ("5", "skill_groups")]
    assert "appears twice in the file" in rows[1][2]
    assert "Nothing was imported" in page
    assert count(sqlite_world, Agent) == before

    good = b"name,extension,skill_groups\nfay,3001,default:1;vip:2\nhal,,\n"
    page = follow(client, post_form(client, path, {"file": (io.BytesIO(good), "a.csv")},
                                    content_type="multipart/form-data"))
    assert flashes(page)[0].startswith("2 agent(s) imported; PBX configuration")
    assert re.search(r"<td>3001</td><td>fay</td>.*default \(1\), vip \(2\)", page, re.S)
    assert re.search(r"<td>1003</td><td>hal</td>", page)


def test_csv_import_without_a_file_or_with_a_bad_header(sqlite_world):
    import io
    client = signed_in(sqlite_world)
    path = f"/instances/{sqlite_world.ids['acme_instance']}/agents/import"
    response = post_form(client, path, {}, content_type="multipart/form-data")
    assert response.status_code == 422 and "choose a CSV file" in page_of(response)
    response = post_form(client, path, {"file": (io.BytesIO(b"who,where\nx,y\n"), "a.csv")},
                         content_type="multipart/form-data")
    assert response.status_code == 422 and "the header must name the columns" in page_of(response)


# ---- skill groups -------------------------------------------------------------------

def test_create_and_edit_a_skill_group_with_agents_and_numbers(sqlite_world):
    client = signed_in(sqlite_world)
    ids = sqlite_world.ids
    base = f"/instances/{ids['acme_instance']}/skillgroups"
    page = page_of(client.get(base + "/new"))
    assert re.findall(r'<option value="(\w+)"', page)[:6] == [
        "ringall", "leastrecent", "fewestcalls", "random", "rrmemory", "linear"]
    page = follow(client, post_form(client, base + "/new", {
        "name": "gold", "strategy": "fewestcalls", "wait_timeout": "45",
        f"agent_{ids['acme_agent']}": "2", "numbers": [str(ids["acme_number"])]}))
    assert flashes(page)[0].startswith("Skill group gold created; PBX configuration")
    assert re.search(r"<td>gold</td><td>i1-q\d+</td><td>fewestcalls</td>\s*<td>45 s</td>"
                     r"<td></td><td>1</td><td>01012345678</td>", page)
    queues = (sqlite_world.settings.site_dir / "etc/asterisk/queues.conf").read_text()
    assert "strategy=fewestcalls" in queues
    with transaction(sqlite_world.settings) as db:
        gold = db.scalar(select(SkillGroup).where(SkillGroup.name == "gold"))
    response = post_form(client, f"{base}/{gold.id}/edit", {
        "name": "gold", "strategy": "nonsense", "wait_timeout": "5",
        f"agent_{ids['acme_agent']}": "12", "numbers": [str(ids["acme_400"])]})
    errors = field_errors(page_of(response))
    assert response.status_code == 422
    assert set(errors) == {"strategy", "wait_timeout", "agents", "numbers"}
    assert errors["numbers"] == f"no number #{ids['acme_400']} in the group's instance"
    assert errors["agents"] == "invalid skill level 12: 1 (best) to 10"
    with transaction(sqlite_world.settings) as db:  # nothing of the bad form was written
        gold = db.get(SkillGroup, gold.id)
        assert (gold.strategy, gold.wait_timeout) == ("fewestcalls", 45)
    page = follow(client, post_form(client, f"{base}/{gold.id}/edit", {
        "name": "platinum", "strategy": "linear", "wait_timeout": "120",
        "overflow": str(ids["acme_group"])}))
    assert re.search(r"<td>platinum</td><td>i1-q\d+</td><td>linear</td>\s*<td>120 s</td>"
                     r"<td>vip</td><td>0</td><td></td>", page)
    extensions = (sqlite_world.settings.site_dir / "etc/asterisk/extensions.conf").read_text()
    assert f"exten => {gold.id},1,NoOp(ccc: skill group platinum overflows)" in extensions
    response = post_form(client, f"{base}/{gold.id}/edit", {
        "name": "platinum", "strategy": "linear", "wait_timeout": "120",
        "overflow": str(gold.id)})
    assert field_errors(page_of(response)) == {
        "overflow": "a skill group cannot overflow into itself"}


def test_the_default_group_and_groups_used_by_flows_cannot_be_deleted(sqlite_world):
    client = signed_in(sqlite_world)
    ids = sqlite_world.ids
    base = f"/instances/{ids['acme_instance']}/skillgroups"
    page = follow(client, post_form(client, f"{base}/{ids['acme_default_group']}/delete"))
    assert flashes(page) == ["skill group 'default' cannot be deleted: "
                             "it is the instance's default group"]
    page = follow(client, post_form(client, f"{base}/{ids['acme_group']}/delete"))
    assert flashes(page)[0].startswith("Skill group vip deleted;")
    assert "<td>vip</td>" not in page


# ---- numbers ------------------------------------------------------------------------

def _add_flows(world) -> tuple[int, int]:
    """A published flow 'sales menu' and a draft-only flow 'draft idea' in Sales."""
    import json
    with transaction(world.settings) as db:
        instance = db.get(Instance, world.ids["acme_instance"])
        published = IvrFlow(instance=instance, name="sales menu")
        draft = IvrFlow(instance=instance, name="draft idea")
        db.add_all([published, draft])
        db.flush()
        db.add_all([IvrFlowVersion(flow_id=published.id, version=1, state=FlowState.PUBLISHED,
                                   definition=json.dumps({"nodes": [], "edges": []})),
                    IvrFlowVersion(flow_id=draft.id, version=None, state=FlowState.DRAFT,
                                   definition="{}")])
        return published.id, draft.id


def test_a_number_is_offered_published_flows_only(sqlite_world):
    published, draft = _add_flows(sqlite_world)
    with transaction(sqlite_world.settings) as db:
        welcome = db.scalar(select(Number.inbound_flow_id).where(
            Number.id == sqlite_world.ids["acme_number"]))
    client = signed_in(sqlite_world)
    path = f"/numbers/{sqlite_world.ids['acme_number']}/edit"
    page = page_of(client.get(path))
    flows = re.search(r'<select id="inbound_flow".*?</select>', page, re.S).group(0)
    assert re.findall(r'<option value="(\d*)"[^>]*>([^<]+)', flows) == [
        ("", "none"), (str(published), "sales menu"), (str(welcome), "welcome")]
    response = post_form(client, path, {"inbound_flow": str(draft)})
    assert response.status_code == 422
    assert field_errors(page_of(response)) == {
        "inbound_flow": "flow 'draft idea' has no published version: publish it first"}
    page = follow(client, post_form(client, path, {
        "inbound_flow": str(published), "skill_groups": [str(sqlite_world.ids["acme_group"])]}))
    assert re.search(r"<td>01012345678</td><td>landline</td>.*?<td>sales menu</td>\s*"
                     r"<td>vip</td>", page, re.S)


def test_a_400_number_takes_no_outbound_skill_group(sqlite_world):
    client = signed_in(sqlite_world)
    with transaction(sqlite_world.settings) as db:
        hotline_group = db.scalar(select(SkillGroup.id).where(
            SkillGroup.instance_id == sqlite_world.ids["acme_hotline"]))
    response = post_form(
        client, f"/instances/{sqlite_world.ids['acme_hotline']}/skillgroups/{hotline_group}/edit",
        {"name": "default", "strategy": "ringall", "wait_timeout": "60",
         "numbers": [str(sqlite_world.ids["acme_400"])]})
    assert field_errors(page_of(response)) == {
        "numbers": "4001234567 is a 400 number: it cannot call out"}
    path = f"/numbers/{sqlite_world.ids['acme_400']}/edit"
    assert "is inbound only: it never calls out" in page_of(client.get(path))
    response = post_form(client, path, {"skill_groups": [str(sqlite_world.ids["acme_group"])]})
    assert response.status_code == 422
    assert field_errors(page_of(response)) == {"skill_groups": "a 400 number cannot call out"}
