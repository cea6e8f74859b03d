"""Agents sign in to their instance's workbench: passwords, invitations, lockout, and
the wall between instances (another instance's workbench answers 404)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from click.testing import CliRunner

from cli import main as ccc_main
from engine.agents import passwords
from engine.agents.models import Agent
from engine.db import utcnow
from engine.errors import Invalid, NotFound
from engine.instances.service import get_instance
from engine.uow import transaction
from tests.unit.webadmin_world import CSRF_INPUT, sqlite_world

__all__ = ["sqlite_world"]  # the fixture, used by name

AGENT_PASSWORD = "agent secret 1"


def csrf(client, path: str) -> str:
    match = CSRF_INPUT.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token in {path}"
    return match.group(1)


def set_password(world, agent_key: str, password: str = AGENT_PASSWORD) -> Agent:
    with transaction(world.settings) as db:
        agent = db.get(Agent, world.ids[agent_key])
        passwords.set_password(agent, password)
        return agent.extension


def sign_in(client, domain: str, extension: str, password: str = AGENT_PASSWORD,
            address: str = "127.0.0.1"):
    path = f"/w/{domain}/signin"
    return client.post(path, data={"csrf_token": csrf(client, path), "extension": extension,
                                   "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_an_agent_signs_in_with_the_password_an_administrator_set(sqlite_world):
    client = sqlite_world.app().test_client()
    extension = set_password(sqlite_world, "acme_agent")
    assert client.get("/w/sales.acme/").headers["Location"].endswith("/w/sales.acme/signin")
    response = sign_in(client, "sales.acme", extension)
    assert response.status_code == 302 and response.headers["Location"] == "/w/sales.acme/"
    page = client.get("/w/sales.acme/").get_data(as_text=True)
    assert "bob" in page and extension in page
    # Signing out ends it.
    client.post("/w/sales.acme/signout", data={"csrf_token": csrf(client, "/w/sales.acme/")})
    assert client.get("/w/sales.acme/").status_code == 302


@pytest.mark.parametrize("extension, password", [
    ("1002", "wrong password"),     # bob's extension, wrong password
    ("1099", AGENT_PASSWORD),       # nobody's extension
    ("", ""),
    ("1001' OR 1=1 --", AGENT_PASSWORD),
])
def test_wrong_extension_or_password_is_refused_alike(sqlite_world, extension, password):
    client = sqlite_world.app().test_client()
    set_password(sqlite_world, "acme_agent")
    response = sign_in(client, "sales.acme", extension, password)
    assert response.status_code == 401
    assert "Unknown extension or password." in response.get_data(as_text=True)
    assert client.get("/w/sales.acme/").status_code == 302


def test_an_agent_without_a_password_cannot_sign_in(sqlite_world):
    client = sqlite_world.app().test_client()
    with transaction(sqlite_world.settings) as db:
        extension = db.get(Agent, sqlite_world.ids["acme_agent"]).extension
    assert sign_in(client, "sales.acme", extension, "").status_code == 401


def test_another_instance_agent_cannot_use_its_password_here(sqlite_world):
    """Extension 1001 exists in both instances: the password of one is not the other's."""
    client = sqlite_world.app().test_client()
    globex_extension = set_password(sqlite_world, "globex_agent")
    assert sign_in(client, "sales.acme", globex_extension).status_code == 401
    # Signed in to Support, the Sales workbench is not there for this session.
    assert sign_in(client, "support.globex", globex_extension).status_code == 302
    assert client.get("/w/sales.acme/").status_code == 404
    assert client.get("/w/no-such.example/signin").status_code == 404


def test_repeated_failures_lock_that_extension_from_that_address(sqlite_world):
    client = sqlite_world.app().test_client()
    extension = set_password(sqlite_world, "acme_agent")
    for _ in range(passwords.signin.MAX_FAILURES):
        assert sign_in(client, "sales.acme", extension, "guess guess",
                       "203.0.113.9").status_code == 401
    locked = sign_in(client, "sales.acme", extension, AGENT_PASSWORD, "203.0.113.9")
    assert locked.status_code == 429 and "Too many failed sign-ins" in locked.get_data(True)
    # The agent at another address is not locked out by the guesser.
    assert sign_in(client, "sales.acme", extension, AGENT_PASSWORD,
                   "198.51.100.7").status_code == 302


def test_an_invitation_sets_the_password_once(sqlite_world):
    client = sqlite_world.app().test_client()
    with transaction(sqlite_world.settings) as db:
        agent = db.get(Agent, sqlite_world.ids["acme_agent"])
        token, extension = passwords.invite(db, agent), agent.extension
    path = f"/w/sales.acme/invitation/{token}"
    assert client.get(path).status_code == 200
    # Another instance's workbench does not know this invitation.
    assert client.get(f"/w/support.globex/invitation/{token}").status_code == 404
    too_short = client.post(path, data={"csrf_token": csrf(client, path), "password": "short",
                                        "confirm": "short"})
    assert too_short.status_code == 422
    differ = client.post(path, data={"csrf_token": csrf(client, path),
                                     "password": AGENT_PASSWORD, "confirm": "other one"})
    assert differ.status_code == 422
    with transaction(sqlite_world.settings) as db:  # nothing written by the refusals
        assert db.get(Agent, sqlite_world.ids["acme_agent"]).password_hash is None
    accepted = client.post(path, data={"csrf_token": csrf(client, path),
                                       "password": AGENT_PASSWORD, "confirm": AGENT_PASSWORD})
    assert accepted.status_code == 302 and client.get("/w/sales.acme/").status_code == 200
    assert client.get(path).status_code == 404  # used
    fresh = sqlite_world.app().test_client()
    assert sign_in(fresh, "sales.acme", extension).status_code == 302


def test_an_expired_or_replaced_invitation_does_not_work(sqlite_world):
    with transaction(sqlite_world.settings) as db:
        agent = db.get(Agent, sqlite_world.ids["acme_agent"])
        sales = get_instance(db, "sales.acme")
        first = passwords.invite(db, agent)
        second = passwords.invite(db, agent)
        with pytest.raises(NotFound):
            passwords.invitation_agent(db, sales, first)
        assert passwords.invitation_agent(db, sales, second).id == agent.id
        later = utcnow() + passwords.INVITATION_LIFETIME + timedelta(seconds=1)
        with pytest.raises(NotFound):
            passwords.invitation_agent(db, sales, second, now=later)
        with pytest.raises(Invalid):
            passwords.set_password(agent, "x" * (passwords.PASSWORD_MAX + 1))


def test_the_access_domain_opens_the_workbench(sqlite_world):
    client = sqlite_world.app().test_client()
    response = client.get("/", headers={"Host": "sales.acme:8080"})
    assert response.status_code == 302 and response.headers["Location"] == "/w/sales.acme/"
    # Any other host keeps the admin.
    assert client.get("/", headers={"Host": "127.0.0.1:8080"}).headers["Location"] \
        .endswith("/sign-in")


def test_ccc_agent_password_and_invite(sqlite_world):
    env = {"CCC_DATABASE_URL": sqlite_world.settings.database_url,
           "CCC_VAR_DIR": str(sqlite_world.settings.var_dir),
           "CCC_PBX_ROOT": str(sqlite_world.settings.pbx_root), "CCC_PBX_SITE": "unit",
           "CCC_WEB_URL": "https://cc.example.com"}
    runner = CliRunner()
    result = runner.invoke(ccc_main, ["agent", "password", "--instance", "sales.acme",
                                      "--extension", "1002", "--password", AGENT_PASSWORD],
                           env=env)
    assert result.exit_code == 0, result.output
    assert "signs in at https://cc.example.com/w/sales.acme/" in result.output
    client = sqlite_world.app().test_client()
    assert sign_in(client, "sales.acme", "1002").status_code == 302
    short = runner.invoke(ccc_main, ["agent", "password", "--instance", "sales.acme",
                                     "--extension", "1002", "--password", "short"], env=env)
    assert short.exit_code == 1 and len(short.output.strip().splitlines()) == 1
    invited = runner.invoke(ccc_main, ["agent", "invite", "--instance", "sales.acme",
                                       "--extension", "1002"], env=env)
    assert invited.output.startswith("https://cc.example.com/w/sales.acme/invitation/")
    token = invited.output.strip().rsplit("/", 1)[1]
    assert client.get(f"/w/sales.acme/invitation/{token}").status_code == 200
    unknown = runner.invoke(ccc_main, ["agent", "invite", "--instance", "sales.acme",
                                       "--extension", "9999"], env=env)
    assert unknown.exit_code == 1


def test_an_administrator_sets_the_password_or_invites_from_the_web_admin(sqlite_world):
    from tests.unit.webadmin_world import post_form, signed_in
    w = sqlite_world
    admin = signed_in(w, "olivia")
    path = f"/instances/{w.ids['acme_instance']}/agents/{w.ids['acme_agent']}/password"
    short = post_form(admin, path, {"password": "short"})
    assert short.status_code == 422 and "8 to 128 characters" in short.get_data(as_text=True)
    with transaction(w.settings) as db:
        assert db.get(Agent, w.ids["acme_agent"]).password_hash is None
    assert post_form(admin, path, {"password": AGENT_PASSWORD}).status_code == 302
    agent = w.app().test_client()
    assert sign_in(agent, "sales.acme", "1002").status_code == 302
    invited = post_form(admin, path, {"invite": "1"}, follow_redirects=True)
    link = re.search(r"/w/sales\.acme/invitation/[\w-]+", invited.get_data(as_text=True))
    assert link and w.app().test_client().get(link.group(0)).status_code == 200
    # An agent-role user may not; another account's agent is not there.
    assert post_form(signed_in(w, "andy"), path, {"password": AGENT_PASSWORD}).status_code == 403
    other = f"/instances/{w.ids['globex_instance']}/agents/{w.ids['globex_agent']}/password"
    assert post_form(admin, other, {"password": AGENT_PASSWORD}).status_code == 404


def test_the_api_sets_the_password_and_makes_invitations(sqlite_world):
    from tests.unit.webadmin_world import bearer
    w = sqlite_world
    api = w.app().test_client()
    base = f"/api/v1/instances/{w.ids['acme_instance']}/agents/{w.ids['acme_agent']}"
    bad = api.put(base + "/password", headers=bearer(w), json={"password": "x"})
    assert bad.status_code == 422 and "password" in bad.get_json()["fields"]
    assert api.put(base + "/password", headers=bearer(w),
                   json={"password": AGENT_PASSWORD}).status_code == 204
    assert sign_in(w.app().test_client(), "sales.acme", "1002").status_code == 302
    made = api.post(base + "/invitation", headers=bearer(w))
    assert made.status_code == 201 and "/w/sales.acme/invitation/" in made.get_json()["url"]
    assert api.put(base + "/password", headers=bearer(w, "andy"),
                   json={"password": AGENT_PASSWORD}).status_code == 403


def test_the_demo_prints_the_workbench_and_its_agents_passwords(tmp_path, sqlite_url):
    from dataclasses import replace

    from engine.demo import ensure_demo
    from engine.settings import load_settings
    settings = replace(load_settings({"CCC_VAR_DIR": str(tmp_path / "var")}),
                       database_url=sqlite_url)
    with transaction(settings) as db:
        lines = ensure_demo(db, settings)
    text = "\n".join(lines)
    assert "web admin:  http://127.0.0.1:8080/\n" in text
    assert "workbench: http://127.0.0.1:8080/w/demo.localhost/" in text
    words = re.findall(r"workbench password (\S+)", text)
    assert len(words) == 2
    client = build_app(settings).test_client()
    assert sign_in(client, "demo.localhost", "1001", words[0]).status_code == 302
    # On a PBX host (TLS, the web app on every address) the demo names the address the
    # operator gave, not the bind address and a scheme the server does not speak.
    public = replace(settings, web_bind="0.0.0.0", web_url="https://pbx.example.com:8443")
    with transaction(public) as db:
        assert "web admin:  https://pbx.example.com:8443/\n" in "\n".join(ensure_demo(db, public))


def build_app(settings):
    from webadmin import create_app
    return create_app(settings, {"TESTING": True})
