"""Hostile input on every API operation and every form: never a 5xx, never the insides.

The operations come from the app's own OpenAPI document and the forms from its URL map
(every POST route of the web admin and the workbench, with the signed-in user's CSRF
token), so a route added later is probed without touching this file. Each route gets
every class of tests/unit/hostile.py; within a class the values rotate from route to
route, so every value is sent somewhere while the whole file stays quick. The CSV
import and the audio upload also get files whose headers lie.
"""
from __future__ import annotations

import itertools
import re
import time
from html.parser import HTMLParser
from urllib.parse import quote, urlencode

import pytest
from flask import Flask

from engine.agents import passwords
from engine.agents.models import Agent
from engine.uow import transaction
from tests.unit import hostile
from tests.unit.hostile import Probe
from tests.unit.test_webadmin_access import NOT_RESOURCES, RESOURCE_IDS
from tests.unit.webadmin_world import bearer, csrf_from, signed_in, sqlite_world, world

__all__ = ["sqlite_world", "world"]  # fixtures
API = "/api/v1"
AGENT_PASSWORD = "agent secret 1"
_rotation = itertools.count()


def sample(values: dict, k: int) -> dict:
    """``k`` of the values, a different ``k`` each call: over a run every one is sent."""
    items = list(values.items())
    start = next(_rotation) * k
    return dict(items[(start + i) % len(items)] for i in range(min(k, len(items))))


def bodies() -> dict:
    """One body of each class of hostile.BODY_CLASSES."""
    turn = next(_rotation)
    return {name: hostile.BODIES[name] for name in
            (names[turn % len(names)] for names in hostile.BODY_CLASSES.values())}


def probe_for(world) -> Probe:
    return Probe(server_paths=[str(world.settings.var_dir.parent), "/usr/lib/python"])


def own_value(world, parameter: str) -> str:
    if parameter in NOT_RESOURCES:
        return NOT_RESOURCES[parameter]
    if parameter in RESOURCE_IDS:
        return quote(str(world.ids[RESOURCE_IDS[parameter][1]]))
    return {"domain": "sales.acme", "action": "start", "supplier_id": "1"}.get(parameter, "x")


def fill(world, path: str, garbage: tuple[str, str] | None = None) -> str:
    """The path with the own account's resources, one parameter replaced by garbage."""
    def value(match):
        if garbage and match.group(1) == garbage[0]:
            return garbage[1]
        return own_value(world, match.group(1))
    return re.sub(r"[{<](?:\w+:)?(\w+)[}>]", value, path)


# ---- the API -----------------------------------------------------------------------------

def operations(app) -> list[tuple[str, str, dict]]:
    """(method, path, operation) of the app's OpenAPI document; deletions last, so the
    resources every other operation acts on are there while it is probed."""
    document = app.test_client().get(API + "/openapi.json").get_json()
    found = [(method.upper(), path, operation) for path, methods in document["paths"].items()
             for method, operation in methods.items()]
    return sorted(found, key=lambda o: o[0] == "DELETE")


def baseline(schema: dict) -> dict:
    """A body with a plausible value in every field, so one hostile field reaches the
    service."""
    plain = {"string": "hostile1", "integer": 1, "boolean": False, "array": [], "object": {}}
    body = {}
    for name, spec in schema.get("properties", {}).items():
        kind = spec.get("type")
        kind = next((k for k in kind if k != "null"), None) if isinstance(kind, list) else kind
        body[name] = spec["enum"][0] if "enum" in spec else plain.get(kind, "hostile1")
    return body


def _declared_types(spec: dict) -> list[str]:
    kind = spec.get("type")
    return list(kind) if isinstance(kind, list) else [kind] if kind else []


def field_classes(kinds: list[str]) -> dict:
    """Every class for one field: all wrong types, and a rotating few of the rest."""
    values = hostile.field_values(kinds)
    types = {k: v for k, v in values.items() if k.startswith("type ")}
    strings = {k: v for k, v in values.items() if k.startswith("string ")}
    numbers = {k: v for k, v in values.items() if k.startswith("number ")}
    others = {k: v for k, v in values.items() if k not in types | strings | numbers}
    return types | sample(strings, 3) | sample(numbers, 3) | others


def probe_operation(probe: Probe, client, world, method: str, path: str, operation: dict):
    headers = bearer(world)
    url = fill(world, path)
    label = operation["operationId"]
    for parameter in re.findall(r"\{(\w+)\}", path):
        for name, garbage in sample(hostile.PATH_GARBAGE, 4).items():
            probe.send(client, f"{label} path {parameter}={name}", method,
                       fill(world, path, (parameter, garbage)), headers=headers)
    for name, extra in sample(hostile.HEADERS, 2).items():
        probe.send(client, f"{label} header {name}", method, url, headers=headers | extra)
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "query":
            for name, garbage in sample(hostile.QUERY_GARBAGE, 6).items():
                probe.send(client, f"{label} query {parameter['name']}={name}", method,
                           f"{url}?{parameter['name']}={garbage}", headers=headers)
    if method == "DELETE":
        return  # no body; its resource is not deleted (only garbage paths were sent)
    for name, (content_type, data) in bodies().items():
        kwargs = {"headers": headers, "data": data}
        if content_type:
            kwargs["content_type"] = content_type
        probe.send(client, f"{label} body {name}", method, url, **kwargs)
    schema = (operation.get("requestBody", {}).get("content", {})
              .get("application/json", {}).get("schema"))
    if schema:
        probe_fields(probe, client, headers, label, method, url, schema)


def probe_fields(probe, client, headers, label, method, url, schema):
    good = baseline(schema)
    for field, spec in schema.get("properties", {}).items():
        for name, value in field_classes(_declared_types(spec)).items():
            response = probe.send(client, f"{label} field {field} {name}", method, url,
                                  headers=headers, content_type="application/json",
                                  data=hostile.dump(good | {field: value}))
            if response is not None and name.startswith("type ") \
                    and response.status_code == 422:
                fields = response.get_json().get("fields", {})
                if field not in fields:
                    probe.problems.append(f"{label} field {field} {name}: the refusal does "
                                          f"not name the field: {response.get_json()}")


def test_every_api_operation_refuses_hostile_input(world):
    app = world.app()
    client = app.test_client()
    probe = probe_for(world)
    probed = 0
    for method, path, operation in operations(app):
        probe_operation(probe, client, world, method, path, operation)
        probed += 1
    print(f"{probed} operations, {probe.sent} requests, statuses {probe.statuses}")
    assert probed > 90  # the document lists them all (test_api checks it is complete)
    probe.assert_clean()


# ---- the forms ---------------------------------------------------------------------------

class FormFields(HTMLParser):
    """Every POST form of a page: its action and its fields with their shown values."""

    def __init__(self, page_url: str):
        super().__init__()
        self.page_url, self.forms, self._current = page_url, {}, None
        self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self._current = self.forms.setdefault(attrs.get("action") or self.page_url, {})
        elif self._current is not None and tag in ("input", "textarea") and attrs.get("name"):
            if attrs.get("type") not in ("submit", "button", "file"):
                self._current.setdefault(attrs["name"], attrs.get("value") or "")
        elif self._current is not None and tag == "select" and attrs.get("name"):
            self._select = attrs["name"]
            self._current.setdefault(self._select, "")
        elif tag == "option" and self._select and not self._current.get(self._select):
            self._current[self._select] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None
        elif tag == "select":
            self._select = None


def web_rules(app, method: str):
    return [rule for rule in app.url_map.iter_rules() if method in rule.methods
            and not rule.endpoint.startswith("api.") and rule.endpoint != "static"]


def forms_of_pages(world, admin, agent) -> dict[str, dict[str, str]]:
    """action URL -> fields, from every page a GET route shows."""
    forms: dict[str, dict[str, str]] = {}
    for rule in web_rules(admin.application, "GET"):
        url = fill(world, rule.rule)
        client = agent if rule.endpoint.startswith("workbench.") else admin
        response = client.get(url)
        if response.mimetype == "text/html":
            parser = FormFields(url)
            parser.feed(response.get_data(as_text=True))
            for action, fields in parser.forms.items():
                forms.setdefault(action, {}).update(fields)
    return forms


# Routes that end what the rest of the probe stands on go last, signing out last of all.
ENDING = re.compile(r"delete|revoke|disable")
SIGNING_OUT = re.compile(r"sign_?out")
FORM_TEXTS = {f"string {k}": v for k, v in hostile.STRINGS.items()} | {
    "number negative": "-1", "number zero": "0", "number 2**63": str(2 ** 63),
    "number 1e309": "1e309", "number NaN": "NaN", "number 40 digits": "9" * 40}
RAW_FORMS = {"invalid utf-8": "%FF%FE", "overlong utf-8": "%C0%AF", "nul": "a%00b",
             "crlf": "a%0D%0Ab", "half escape": "%E2%82"}


def _order(endpoint: str) -> int:
    """The agent signs out before its agent is deleted; the owner, last of all."""
    if SIGNING_OUT.search(endpoint):
        return 1 if endpoint.startswith("workbench.") else 3
    return 2 if ENDING.search(endpoint) else 0


def probe_form(probe, client, label, url, fields, token):
    good = {k: v for k, v in fields.items() if k != "csrf_token"} or {"name": "hostile1"}
    for field in good:
        for name, value in sample(FORM_TEXTS, 4).items():
            probe.send(client, f"{label} field {field} {name}", "POST", url,
                       data={"csrf_token": token} | good | {field: value})
    for name, raw in RAW_FORMS.items():
        body = "&".join([f"csrf_token={token}"] + [f"{quote(k)}={raw}" for k in good])
        probe.send(client, f"{label} raw {name}", "POST", url, data=body.encode(),
                   content_type="application/x-www-form-urlencoded")
    probe.send(client, f"{label} repeated fields", "POST", url,
               data=f"csrf_token={token}&" + urlencode([(k, v) for k in good for v in "ab"]),
               content_type="application/x-www-form-urlencoded")
    probe.send(client, f"{label} no fields", "POST", url, data={"csrf_token": token})
    for name, (content_type, data) in bodies().items():
        kwargs = {"data": data, "headers": {"X-CSRF-Token": token}}
        if content_type:
            kwargs["content_type"] = content_type
        probe.send(client, f"{label} body {name}", "POST", url, **kwargs)


def agent_client(world):
    """bob, signed in to Sales' workbench."""
    with transaction(world.settings) as db:
        passwords.set_password(db.get(Agent, world.ids["acme_agent"]), AGENT_PASSWORD)
        extension = db.get(Agent, world.ids["acme_agent"]).extension
    client = world.app().test_client()
    path = "/w/sales.acme/signin"
    client.post(path, data={"csrf_token": csrf_from(client, path), "extension": extension,
                            "password": AGENT_PASSWORD})
    assert client.get("/w/sales.acme/").status_code == 200
    return client


def test_every_form_refuses_hostile_input(world):
    """On both databases: PostgreSQL refuses what SQLite stores (a NUL in text)."""
    admin, agent = signed_in(world, "olivia"), agent_client(world)
    forms = forms_of_pages(world, admin, agent)
    with transaction(world.settings) as db:  # an invitation, so its form can be probed
        invitation = passwords.invite(db, db.get(Agent, world.ids["acme_admin_agent"]))
    probe = probe_for(world)
    rules = sorted(web_rules(admin.application, "POST"),
                   key=lambda r: (_order(r.endpoint), r.rule))
    for rule in rules:
        url = fill(world, rule.rule).replace("/invitation/x", f"/invitation/{invitation}")
        client = agent if rule.endpoint.startswith("workbench.") else admin
        token = csrf_from(client, "/w/sales.acme/" if client is agent else "/")
        probe_form(probe, client, rule.endpoint, url, forms.get(url, {}), token)
    print(f"{len(rules)} forms, {probe.sent} requests, statuses {probe.statuses}")
    assert len(rules) > 50
    probe.assert_clean()


# ---- files -------------------------------------------------------------------------------

def test_uploads_with_lying_headers_are_refused(sqlite_world):
    world = sqlite_world
    admin, api = signed_in(world, "olivia"), world.app().test_client()
    token, probe = csrf_from(admin, "/"), probe_for(world)
    instance = world.ids["acme_instance"]
    audio, agents = f"/instances/{instance}/audio", f"/instances/{instance}/agents/import"
    for number, (name, data) in enumerate(hostile.WAV_FILES.items()):
        started = time.monotonic()
        label, upload_name = f"wav {name}", f"hostile{number}"
        answers = [
            probe.send(admin, label, "POST", audio, data={
                "csrf_token": token, "name": upload_name,
                "file": (hostile.io.BytesIO(data), "x.wav")}),
            probe.send(api, label, "POST", API + audio, headers=bearer(world), data={
                "name": upload_name + "m", "file": (hostile.io.BytesIO(data), "x.wav")}),
            probe.send(api, label, "POST", f"{API}{audio}?name={upload_name}r", data=data,
                       headers=bearer(world), content_type="audio/wav")]
        for answer in answers:
            if answer is not None and answer.status_code < 400 and name in hostile.READABLE_WAVS:
                continue
            if answer is not None and answer.status_code < 300:
                probe.problems.append(f"{label}: accepted ({answer.status_code})")
            elif answer is not None and answer.is_json and answer.status_code == 422:
                if set(answer.get_json().get("fields", {})) != {"file"}:
                    probe.problems.append(f"{label}: the refusal names no file field: "
                                          f"{answer.get_json()}")
        assert time.monotonic() - started < 10, f"{label}: converted before it was refused?"
    listed = api.get(f"{API}{audio}", headers=bearer(world)).get_json()
    kept = {a["name"]: a["duration_ms"] for a in listed if a["name"].startswith("hostile")
            and a["name"].endswith("r")}
    assert set(kept) == {f"hostile{n}r" for n, name in enumerate(hostile.WAV_FILES)
                         if name in hostile.READABLE_WAVS}
    assert all(0 < ms <= 100 for ms in kept.values())  # the samples there, not the claim
    for name, data in hostile.CSV_FILES.items():
        label = f"csv {name}"
        probe.send(admin, label, "POST", agents, data={
            "csrf_token": token, "file": (hostile.io.BytesIO(data), "agents.csv")})
        probe.send(api, label, "POST", API + agents, data=data, headers=bearer(world),
                   content_type="text/csv")
    print(f"{probe.sent} requests, statuses {probe.statuses}")
    probe.assert_clean()


@pytest.mark.parametrize("rate, bits", [(1, 16), (1, 8), (400, 16)])
def test_audio_whose_pbx_copy_would_be_large_is_refused_before_conversion(
        sqlite_world, monkeypatch, rate, bits):
    from engine.audio import storage
    converted = []
    monkeypatch.setattr(storage, "convert_for_pbx", lambda *a: converted.append(a))
    api = sqlite_world.app().test_client()
    response = api.post(f"{API}/instances/{sqlite_world.ids['acme_instance']}/audio",
                        headers=bearer(sqlite_world), data={"name": "slow", "file": (
                            hostile.io.BytesIO(hostile.wav(rate=rate, bits=bits,
                                                           data=hostile.SECONDS_OF_AUDIO)),
                            "slow.wav")})
    assert response.status_code == 422 and converted == []
    assert set(response.get_json()["fields"]) == {"file"}


# ---- the last resort ---------------------------------------------------------------------

def test_an_unexpected_error_answers_500_without_the_insides(sqlite_world):
    app = sqlite_world.app()
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production

    def broken():
        raise RuntimeError(f"boom in {hostile.CHECKOUT}/engine/secret.py")
    assert isinstance(app, Flask)
    app.add_url_rule("/broken", view_func=broken)
    app.add_url_rule(API + "/broken", endpoint="api_broken", view_func=broken)
    client = app.test_client()
    page = client.get("/broken")
    assert page.status_code == 500 and page.mimetype == "text/html"
    answer = client.get(API + "/broken")
    assert answer.status_code == 500 and answer.is_json
    assert set(answer.get_json()) == {"error"}
    for response in (page, answer):
        text = response.get_data(as_text=True)
        assert "boom" not in text and hostile.CHECKOUT not in text and "RuntimeError" not in text
