"""Who reaches the supply side: suppliers' staff their own portal and the applications
sent to their supplier only; reviewers the review queue only; account users neither.
(The account-side routes, qualifications and applications, are in the cross-account
matrix of test_webadmin_access.py.)"""
from __future__ import annotations

import re

from tests.unit.webadmin_world import bearer, post_form, signed_in, sqlite_world, world

__all__ = ["sqlite_world", "world"]  # fixtures

API = "/api/v1"
# (method, path) of the routes with a resource in their path.
PORTAL_ROUTES = [
    ("GET", "/portal/applications/{application_id}"),
    ("POST", "/portal/applications/{application_id}"),
    ("GET", API + "/portal/applications/{application_id}"),
    ("POST", API + "/portal/applications/{application_id}/delivery"),
]
REVIEW_ROUTES = [
    ("GET", "/review/qualifications/{qualification_id}"),
    ("POST", "/review/qualifications/{qualification_id}"),
    ("GET", "/review/qualifications/{qualification_id}/images/{which}"),
    ("GET", "/review/applications/{application_id}"),
    ("POST", "/review/applications/{application_id}"),
    ("GET", API + "/review/qualifications/{qualification_id}"),
    ("GET", API + "/review/qualifications/{qualification_id}/images/{which}"),
    ("POST", API + "/review/qualifications/{qualification_id}/decision"),
    ("GET", API + "/review/applications/{application_id}"),
    ("POST", API + "/review/applications/{application_id}/decision"),
]


def fill(path: str, world, account: str = "globex") -> str:
    def value(match):
        name = match.group(1)
        if name == "which":
            return "front"
        return str(world.ids[f"{account}_{name.removesuffix('_id')}"])
    return re.sub(r"\{(\w+)\}", value, path)


def call(world, client, method: str, path: str, user: str):
    """GET, or a POST that would change nothing but is refused before it is read."""
    if path.startswith(API):
        kwargs = {"headers": bearer(world, user)} if user in world.tokens else {}
        return client.open(path, method=method, json={"numbers": ["01099990000"],
                                                      "decision": "rejected",
                                                      "remark": "no"}, **kwargs)
    if method == "GET":
        return client.get(path)
    return post_form(client, path, {"numbers": "01099990000", "decision": "rejected",
                                    "remark": "no"})


def platform(world, user: str):
    return signed_in(world, user, account="")


def test_a_supplier_sees_only_the_applications_sent_to_it(sqlite_world):
    sid, tess = platform(sqlite_world, "sid"), platform(sqlite_world, "tess")
    # globex's application was approved and sent to unicom, sid's supplier.
    path = fill("/portal/applications/{application_id}", sqlite_world)
    assert sid.get(path).status_code == 200
    assert "Globex Ltd" in sid.get("/portal").get_data(as_text=True)
    assert "Globex Ltd" not in tess.get("/portal").get_data(as_text=True)
    # Another supplier's staff: not found, whatever the verb (nothing delivered).
    for method, route in PORTAL_ROUTES:
        if route.startswith(API):
            continue
        assert call(sqlite_world, tess, method, fill(route, sqlite_world), "tess"
                    ).status_code == 404, route
    # acme's is still waiting for review: not the supplier's to see yet.
    assert sid.get(fill("/portal/applications/{application_id}", sqlite_world, "acme")
                   ).status_code == 404
    api = sqlite_world.app().test_client()
    listed = api.get(API + "/portal/applications", headers=bearer(sqlite_world, "sid"))
    assert [a["id"] for a in listed.get_json()] == [sqlite_world.ids["globex_application"]]
    assert api.get(fill(API + "/portal/applications/{application_id}", sqlite_world, "acme"),
                   headers=bearer(sqlite_world, "sid")).status_code == 404


def test_platform_users_reach_only_their_own_area(sqlite_world):
    from tests.unit.test_webadmin_access import API_ROUTES, WEB_ROUTES, own
    api = sqlite_world.app().test_client()
    for user, home, other in (("rhea", "/review", "/portal"), ("sid", "/portal", "/review")):
        client = platform(sqlite_world, user)
        assert client.get("/").headers["Location"].endswith(home)
        assert client.get(home).status_code == 200
        assert client.get(other).status_code == 403
        for path in ("/numbers", "/users", "/qualifications", "/applications", "/billing",
                     "/instances/new"):
            assert client.get(path).status_code == 403, (user, path)
        for method, path, _ in WEB_ROUTES:
            if method == "GET":
                assert client.get(own(path, sqlite_world)).status_code == 403, (user, path)
        for method, path, _ in API_ROUTES:
            if method == "GET":
                response = api.get(own(path, sqlite_world), headers=bearer(sqlite_world, user))
                assert response.status_code == 403, (user, path)
        page = client.get(home).get_data(as_text=True)
        assert 'href="/numbers"' not in page and 'href="/qualifications"' not in page
    assert api.get(API + "/review/qualifications",
                   headers=bearer(sqlite_world, "sid")).status_code == 403
    assert api.get(API + "/portal", headers=bearer(sqlite_world, "rhea")).status_code == 403


def test_account_users_reach_neither_the_portal_nor_the_review(world):
    api = world.app().test_client()
    for user in ("olivia", "andy"):
        client = signed_in(world, user)
        assert client.get("/portal").status_code == 404
        assert client.get("/review").status_code == 403
        for method, route in PORTAL_ROUTES + REVIEW_ROUTES:
            for account in ("acme", "globex"):
                response = call(world, api if route.startswith(API) else client, method,
                                fill(route, world, account), user)
                assert response.status_code in (403, 404), (user, method, route)
    # A reviewer role inside an account (rita) is no platform reviewer: refused.
    rita = signed_in(world, "rita")
    assert rita.get("/review").status_code == 403
    assert rita.get(fill("/review/qualifications/{qualification_id}", world)).status_code \
        == 403
    with_account = signed_in(world, "sam")
    assert with_account.get("/portal").status_code == 404
    from engine.applications.models import ApplicationState, LineApplication
    from engine.uow import transaction
    with transaction(world.settings) as db:
        states = {a.id: a.state for a in db.query(LineApplication)}
    assert states == {world.ids["acme_application"]: ApplicationState.SUBMITTED,
                      world.ids["globex_application"]: ApplicationState.APPROVED}


def test_a_reviewer_sees_every_accounts_queue(sqlite_world):
    rhea = platform(sqlite_world, "rhea")
    page = rhea.get("/review").get_data(as_text=True)
    assert "Globex Ltd" in page and "globex" in page  # globex's waiting qualification
    assert f'data-application="{sqlite_world.ids["acme_application"]}"' in page
    image = rhea.get(fill("/review/qualifications/{qualification_id}/images/{which}",
                          sqlite_world, "acme"))
    assert image.status_code == 200 and image.mimetype == "image/png"
    api = sqlite_world.app().test_client()
    queue = api.get(API + "/review/qualifications", headers=bearer(sqlite_world, "rhea"))
    assert [q["company_name"] for q in queue.get_json()] == ["Globex Ltd"]
    assert api.get(API + "/review/qualifications?state=bogus",
                   headers=bearer(sqlite_world, "rhea")).status_code == 400
