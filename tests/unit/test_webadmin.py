"""The web admin through Flask's test client: sign-in, CSRF, and one account's view only."""
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.accounts.models import Role, SignInFailure
from engine.accounts.service import find_or_create_user, get_account
from engine.agents.service import create_agent
from engine.uow import transaction
from tests.factories import add_account, add_instance
from webadmin import create_app

PASSWORD = "correct horse battery"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def client(settings):
    """Two accounts, each with one instance; alice of acme has a password."""
    with transaction(settings) as db:
        add_account(db, "acme")
        sales = add_instance(db, "acme", "Sales", "sales.acme", "01012345678", admin="alice")
        create_agent(db, sales.instance, "bob", skill_groups={"default": 2})
        find_or_create_user(db, get_account(db, "acme"), "alice", Role.OWNER, password=PASSWORD)
        find_or_create_user(db, get_account(db, "acme"), "carol", Role.AGENT)  # no password
        add_account(db, "globex")
        add_instance(db, "globex", "Support", "support.globex", "02087654321", admin="mallory")
        find_or_create_user(db, get_account(db, "globex"), "mallory", Role.OWNER,
                            password="globex secret")
    app = create_app(settings, {"TESTING": True})
    return app.test_client()


def csrf_from(client, path="/sign-in") -> str:
    """The token the server put in the form, as a browser would read it."""
    match = CSRF_INPUT.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token in the form of {path}"
    return match.group(1)


def without_tokens(page: str) -> str:
    """The page less its random CSRF tokens, which may spell any short name ("bob")."""
    return CSRF_INPUT.sub("", page)


def sign_in(client, account="acme", user="alice", password=PASSWORD):
    return client.post("/sign-in", data={"csrf_token": csrf_from(client), "account": account,
                                         "user": user, "password": password})


def test_the_overview_needs_a_signed_in_user(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/sign-in")


def test_a_wrong_password_is_refused_and_keeps_what_was_typed(client):
    response = sign_in(client, password="not the password")
    page = response.get_data(as_text=True)
    assert response.status_code == 401
    assert "Unknown account, user or password." in page
    assert 'name="account" value="acme"' in page and 'name="user" value="alice"' in page
    assert "not the password" not in page
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("account, user", [("acme", "nobody"), ("globex", "alice"),
                                           ("nowhere", "alice"), ("acme", "carol")])
def test_unknown_users_and_users_without_a_password_are_refused(client, account, user):
    # carol has no password: an empty one must not let her in either.
    for password in (PASSWORD, ""):
        assert sign_in(client, account, user, password).status_code == 401


@pytest.mark.parametrize("token", [None, "", "forged-token", "jeton-forgé"])
def test_a_post_without_the_session_csrf_token_is_refused(client, token):
    csrf_from(client)  # the session holds a token; the form does not carry it
    data = {"account": "acme", "user": "alice", "password": PASSWORD}
    if token is not None:
        data["csrf_token"] = token
    assert client.post("/sign-in", data=data).status_code == 400
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("token", [None, ""])
def test_a_post_from_a_fresh_session_is_refused(client, token):
    # A client that never loaded a form has no token in its session: "" must not match it.
    data = {"account": "acme", "user": "alice", "password": PASSWORD}
    if token is not None:
        data["csrf_token"] = token
    assert client.post("/sign-in", data=data).status_code == 400
    assert client.get("/").status_code == 302


def test_the_overview_shows_the_own_account_only(client):
    response = sign_in(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/")
    response = client.get("/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Account acme" in page and "Sales" in page and "sales.acme" in page
    assert "01012345678" in page and "landline" in page
    assert re.search(r"<td>1001</td>\s*<td>alice</td>", page)
    assert re.search(r"<td>1002</td>\s*<td>bob</td>", page)
    for other in ("globex", "Support", "support.globex", "02087654321", "mallory"):
        assert other not in without_tokens(page)


def test_the_other_account_sees_its_own_instance(client):
    sign_in(client, "globex", "mallory", "globex secret")
    page = client.get("/").get_data(as_text=True)
    assert "support.globex" in page and "02087654321" in page and "mallory" in page
    for other in ("sales.acme", "01012345678", "alice", "bob"):
        assert other not in without_tokens(page)


def test_sign_out_clears_the_session(client):
    sign_in(client)
    token = csrf_from(client, "/")
    assert client.post("/sign-out", data={}).status_code == 400  # sign-out needs the token too
    assert client.get("/").status_code == 200
    response = client.post("/sign-out", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith("/sign-in")
    with client.session_transaction() as session:
        assert dict(session) == {}
    assert client.get("/").status_code == 302


def test_a_session_whose_user_is_gone_must_sign_in_again(client):
    with client.session_transaction() as session:
        session.update(user_id=9999, account_id=1)
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/sign-in")
    with client.session_transaction() as session:
        assert "user_id" not in session


@pytest.mark.parametrize("path", ["/sign-in", "/", "/static/ccc.css", "/api/v1/instances",
                                  "/no/such/page"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_no_page_template_carries_inline_script_or_style():
    """What the CSP refuses must not be in the templates: every script from a file."""
    root = Path(__file__).resolve().parents[2] / "webadmin"
    for template in root.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        for script in re.findall(r"<script\b([^>]*)>", text):
            assert "src=" in script or "application/json" in script, (template, script)
        assert not re.search(r"\son[a-z]+=|\sstyle=|<style\b|javascript:", text), template


def sign_in_from(client, address: str, password: str, user: str = "alice"):
    token = csrf_from(client)
    return client.post("/sign-in", environ_base={"REMOTE_ADDR": address},
                       data={"csrf_token": token, "account": "acme", "user": user,
                             "password": password})


def test_repeated_wrong_passwords_lock_that_user_from_that_address(client, settings):
    for _ in range(5):
        assert sign_in_from(client, "198.51.100.7", "guess").status_code == 401
    locked = sign_in_from(client, "198.51.100.7", PASSWORD)  # even the right one
    assert locked.status_code == 429
    assert "Too many failed sign-ins: try again in 15 minutes." in locked.get_data(as_text=True)
    assert client.get("/").status_code == 302  # not signed in
    # The real alice elsewhere, and another name from the guesser's address, are not locked.
    assert sign_in_from(client, "198.51.100.8", PASSWORD).status_code == 302
    client.post("/sign-out", data={"csrf_token": csrf_from(client, "/")})
    assert sign_in_from(client, "198.51.100.7", "x", user="mallory").status_code == 401
    # Fifteen minutes after the last failure, the lock is gone.
    with transaction(settings) as db:
        for failure in db.scalars(select(SignInFailure)):
            failure.at -= timedelta(minutes=15, seconds=1)
    assert sign_in_from(client, "198.51.100.7", PASSWORD).status_code == 302


def test_a_successful_sign_in_forgets_earlier_failures(client, settings):
    for _ in range(4):
        sign_in_from(client, "198.51.100.9", "guess")
    assert sign_in_from(client, "198.51.100.9", PASSWORD).status_code == 302
    with transaction(settings) as db:
        assert db.scalars(select(SignInFailure)).all() == []
