"""The supply side through its faces: the forms (each hostile upload refused on its
field, nothing written), the REST API from qualification to a delivered number, and
the ``ccc`` commands."""
from __future__ import annotations

import html
import io
import json

from click.testing import CliRunner
from sqlalchemy import func, select

from engine.documents.models import Document
from engine.models import LineApplication, Number, Qualification, SupplierAgreement
from engine.uow import transaction
from tests.unit.webadmin_world import (bearer, field_errors, pdf_bytes, png_bytes,
                                       post_form, qualification_fields, signed_in,
                                       sqlite_world)

__all__ = ["sqlite_world"]
API = "/api/v1"
MB = 1024 * 1024


def counts(world) -> tuple[int, ...]:
    with transaction(world.settings) as db:
        return tuple(db.scalar(select(func.count()).select_from(model)) for model in
                     (Qualification, Document, LineApplication, Number, SupplierAgreement))


def files(**named) -> dict:
    return {name: (io.BytesIO(data), filename) for name, (data, filename) in named.items()}


def form_fields(world, **changes) -> dict:
    fields = qualification_fields("Acme Trading", **changes)
    fields["no_fixed_term"] = "on" if fields["no_fixed_term"] else ""
    return fields | {"suppliers": [str(world.ids["unicom"])]}


def test_the_qualification_form_refuses_each_hostile_upload_on_its_field(sqlite_world):
    client, before = signed_in(sqlite_world), counts(sqlite_world)
    good = (png_bytes(), "back.png")
    big = (png_bytes()[:-12] + b"\0" * (5 * MB) + png_bytes()[-12:], "front.png")
    for front, message in (((b"<html><script>x</script></html>", "id.png"), "not JPG/PNG/GIF"),
                           ((pdf_bytes(), "front.jpg"), "not JPG/PNG/GIF"),
                           (big, "larger than 5 MB")):
        response = post_form(client, "/qualifications/new", form_fields(sqlite_world) | files(
            id_front=front, id_back=good), content_type="multipart/form-data")
        page = html.unescape(response.get_data(as_text=True))
        assert response.status_code == 422
        assert message in field_errors(page)["id_front"], front[1]
        assert 'value="Acme Trading"' in page  # what was typed is kept
    for changes, field, message in (
            ({"business_description": "x" * 501}, "business_description", "1 to 500"),
            ({"company_type": "sole_proprietorship"}, "company_type", "sole proprietorships"),
            ({"company_name": "Acme Ltd"}, "company_name", "already has a qualification")):
        response = post_form(client, "/qualifications/new", form_fields(
            sqlite_world, **changes) | files(id_front=good, id_back=good),
            content_type="multipart/form-data")
        assert response.status_code == 422
        assert message in html.unescape(field_errors(response.get_data(as_text=True))[field])
    assert counts(sqlite_world) == before
    response = post_form(client, "/qualifications/new", form_fields(sqlite_world) | files(
        id_front=good, id_back=(b"GIF89a\x01\x00\x01\x00\x00\x00\x00" + b"\0" * 8 + b";",
                                "back.gif")), content_type="multipart/form-data")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Acme Trading" in page and "submitted" in page


def test_the_supplier_publishes_its_agreement_and_policy_in_its_portal(sqlite_world):
    sid, before = signed_in(sqlite_world, "sid", account=""), counts(sqlite_world)
    fields = {"company_name": "China Unicom", "usage_scenarios": "Customer care",
              "restrictions": "No calls at night", "price_description": "0.1 CNY a minute"}
    oversized = pdf_bytes("x" * (5 * MB))
    for upload, message in (((b"just some text", "agreement.pdf"), "not PDF"),
                            ((png_bytes(), "agreement.pdf"), "not PDF"),
                            ((oversized, "agreement.pdf"), "larger than 5 MB")):
        response = post_form(sid, "/portal/agreement", fields | files(agreement_file=upload),
                             content_type="multipart/form-data")
        assert response.status_code == 422
        assert message in field_errors(response.get_data(as_text=True))["agreement_file"]
    assert counts(sqlite_world) == before
    response = post_form(sid, "/portal/agreement", fields | files(
        agreement_file=(pdf_bytes(), "contract.bin")), content_type="multipart/form-data")
    assert response.status_code == 302
    document = sid.get("/portal/agreement.pdf")
    assert document.mimetype == "application/pdf" and document.data == pdf_bytes()
    policy = {"number_types": ["landline", "virtual_mobile"], "time_zone": "Asia/Shanghai",
              "calling_hours": "mon-fri 09:00-20:00", "calls_per_day": "1",
              "calls_per_24h": "", "calls_per_48h": "", "blocked_regions": "Xinjiang, Tibet",
              "barred_industries": "finance, health-beauty", "concurrency": "",
              "virtual_mobile_batch": "4", "virtual_mobile_concurrency": "3"}
    response = post_form(sid, "/portal/policy", policy)
    assert response.status_code == 422
    assert "5 to 1000" in field_errors(response.get_data(as_text=True))["virtual_mobile_batch"]
    assert post_form(sid, "/portal/policy", policy | {"virtual_mobile_batch": "5"}
                     ).status_code == 302
    page = html.unescape(sid.get("/portal").get_data(as_text=True))
    assert "China Unicom" in page and "finance, health-beauty" in page
    assert "mon,tue,wed,thu,fri 09:00-20:00" in page
    # What the supplier published is what every account reads of it.
    row = sid.application.test_client().get(f"{API}/suppliers/{sqlite_world.ids['unicom']}",
                                            headers=bearer(sqlite_world)).get_json()
    assert (row["calls_per_day"], row["blocked_regions"]) == (1, ["Xinjiang", "Tibet"])


def _multipart(world, **changes) -> dict:
    fields = qualification_fields("Initech", **changes)
    fields["no_fixed_term"] = "true"
    return fields | {"suppliers": str(world.ids["unicom"])} | files(
        id_front=(png_bytes(), "a.png"), id_back=(png_bytes(), "b.png"))


def test_the_api_from_qualification_to_a_delivered_number(sqlite_world):
    api, ids = sqlite_world.app().test_client(), sqlite_world.ids
    owner, rhea, sid = (bearer(sqlite_world, u) for u in ("olivia", "rhea", "sid"))
    bad = _multipart(sqlite_world) | files(id_front=(b"GIF89a", "a.gif"))
    refused = api.post(f"{API}/qualifications", data=bad, headers=owner)
    assert refused.status_code == 422 and "id_front" in refused.get_json()["fields"]
    created = api.post(f"{API}/qualifications", data=_multipart(sqlite_world,
                                                                representative_name="L"),
                       headers=owner)
    assert created.status_code == 201, created.get_json()
    q = created.get_json()["id"]
    assert created.get_json()["valid_until"][:4].isdigit()
    rejected = api.post(f"{API}/review/qualifications/{q}/decision",
                        json={"decision": "rejected", "remark": "Full name please"},
                        headers=rhea)
    assert rejected.get_json()["state"] == "rejected"
    assert api.get(f"{API}/qualifications/{q}", headers=owner).get_json()["remark"] == \
        "Full name please"
    fixed = {k: v for k, v in _multipart(sqlite_world).items() if k not in ("id_front",
                                                                          "id_back")}
    again = api.post(f"{API}/qualifications/{q}/resubmit", data=fixed, headers=owner)
    assert again.status_code == 200 and again.get_json()["state"] == "submitted"
    api.post(f"{API}/review/qualifications/{q}/decision", json={"decision": "approved"},
             headers=rhea)
    applied = api.post(f"{API}/applications", headers=owner, json={
        "qualification": q, "supplier": ids["unicom"], "instance": ids["acme_instance"],
        "number_type": "landline", "quantity": 1})
    assert applied.status_code == 201, applied.get_json()
    a = applied.get_json()["id"]
    assert api.post(f"{API}/portal/applications/{a}/delivery", json={"numbers": [
        "01077770001"]}, headers=sid).status_code == 404  # not sent to it before approval
    api.post(f"{API}/review/applications/{a}/decision", json={"decision": "approved"},
             headers=rhea)
    wrong = api.post(f"{API}/portal/applications/{a}/delivery",
                     json={"numbers": ["4001112222"]}, headers=sid)
    assert wrong.status_code == 422 and "numbers" in wrong.get_json()["fields"]
    delivered = api.post(f"{API}/portal/applications/{a}/delivery",
                         json={"numbers": ["01077770001"]}, headers=sid)
    assert delivered.get_json()["state"] == "delivered"
    numbers = {n["digits"]: n for n in api.get(f"{API}/numbers", headers=owner).get_json()}
    number = numbers["01077770001"]
    assert number["instance_id"] == ids["acme_instance"]
    bound = api.patch(f"{API}/numbers/{number['id']}", headers=owner,
                      json={"skill_groups": [ids["acme_default_group"]]})
    assert bound.status_code == 200, bound.get_json()
    history = api.get(f"{API}/applications/{a}", headers=owner).get_json()["history"]
    assert [h["action"] for h in history] == ["submitted", "approved", "delivered"]
    # Ids no row can have are the caller's mistake, named, never a server error.
    huge = 2 ** 70
    response = api.post(f"{API}/qualifications/{q}/suppliers", json={"suppliers": [huge]},
                        headers=owner)
    assert response.status_code == 422 and "suppliers" in response.get_json()["fields"]
    response = api.post(f"{API}/applications", headers=owner, json={
        "qualification": huge, "supplier": huge, "instance": huge,
        "number_type": "landline", "quantity": huge})
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == {"qualification", "supplier", "instance",
                                                  "quantity"}
    assert api.get(f"{API}/qualifications/{huge}", headers=owner).status_code == 404


def test_the_ccc_commands(sqlite_world, monkeypatch, tmp_path):
    import cli
    for name, value in {"CCC_DATABASE_URL": sqlite_world.settings.database_url,
                        "CCC_VAR_DIR": str(sqlite_world.settings.var_dir)}.items():
        monkeypatch.setenv(name, value)
    run = lambda *args: CliRunner().invoke(cli.main, list(args))  # noqa: E731
    made = run("platform-user", "create", "--name", "rob", "--role", "reviewer",
               "--password", "a long review password")
    assert made.exit_code == 0, made.output
    assert "rob" in run("platform-user", "list").output
    queue = json.loads(run("qualification", "list", "--json").output)
    assert [q["company_name"] for q in queue] == ["Globex Ltd"]
    # One account's, in a state: acme's one qualification is approved, not submitted.

    def listed(*args):
        return [row["id"] for row in json.loads(run(*args, "--json").output)]
    acme_q = sqlite_world.ids["acme_qualification"]
    assert listed("qualification", "list", "--account", "acme") == []
    assert listed("qualification", "list", "--account", "acme", "--state", "approved") \
        == listed("qualification", "list", "--account", "acme", "--state", "all") == [acme_q]
    assert listed("application", "list", "--account", "globex", "--state", "submitted") == []
    assert listed("application", "list", "--account", "globex", "--state", "approved") \
        == [sqlite_world.ids["globex_application"]]
    (tmp_path / "fields.json").write_text(json.dumps(qualification_fields("Hooli")))
    (tmp_path / "front.png").write_bytes(png_bytes())
    (tmp_path / "back.png").write_text("not an image")
    refused = run("qualification", "submit", "--account", "acme", "--fields",
                  str(tmp_path / "fields.json"), "--supplier", "unicom", "--id-front",
                  str(tmp_path / "front.png"), "--id-back", str(tmp_path / "back.png"))
    assert refused.exit_code == 1 and "not JPG/PNG/GIF" in refused.output
    assert len(refused.output.strip().splitlines()) == 1
    a = str(sqlite_world.ids["globex_application"])
    assert run("application", "deliver", "--id", a, "--number", "02055550001").exit_code == 0
    shown = json.loads(run("application", "show", "--id", a, "--json").output)
    assert (shown["state"], shown["numbers"]) == ("delivered", ["02055550001"])
    # As text: a line a field; a qualification's review history after them.
    text = run("application", "show", "--id", a).output.splitlines()
    assert "state: delivered" in text and "numbers: ['02055550001']" in text
    assert not any(line.startswith(("history", "  ")) for line in text)
    text = run("qualification", "show", "--id", str(acme_q)).output.splitlines()
    assert "company_name: Acme Ltd" in text and "remark: " in text
    assert [line.split(" ")[3:] for line in text if line.startswith("  ")] == [
        ["submitted", "by", "operator"], ["approved", "by", "operator"]]
    again = run("application", "deliver", "--id", a, "--number", "02055550002")
    assert again.exit_code == 1 and "only an approved application" in again.output
    offer = run("supplier", "offer", "--name", "telecom", "--virtual-mobile-batch", "3")
    assert offer.exit_code == 1 and "5 to 1000" in offer.output


def test_a_step_in_the_wrong_state_is_a_conflict_in_every_face(sqlite_world, monkeypatch,
                                                                tmp_path):
    """Correcting an approved or a submitted qualification, reviewing a decided one,
    delivering twice: 409 with the rule's words (API JSON, the web's page), the CLI's one
    line and exit 1; nothing changes."""
    api, ids = sqlite_world.app().test_client(), sqlite_world.ids
    owner, rhea, mallory = (bearer(sqlite_world, u) for u in ("olivia", "rhea", "mallory"))
    fixed = {k: v for k, v in _multipart(sqlite_world).items() if k not in ("id_front",
                                                                          "id_back")}
    corrected = "only a rejected qualification can be corrected and resubmitted"
    for token, q in ((owner, ids["acme_qualification"]), (mallory, ids["globex_qualification"])):
        response = api.post(f"{API}/qualifications/{q}/resubmit", data=fixed, headers=token)
        assert (response.status_code, response.get_json()) == (409, {"error": corrected})
    before = counts(sqlite_world)
    client = signed_in(sqlite_world)
    q = ids["acme_qualification"]
    for response in (client.get(f"/qualifications/{q}/edit"),
                     post_form(client, f"/qualifications/{q}/edit", form_fields(sqlite_world),
                               content_type="multipart/form-data")):
        assert response.status_code == 409
        assert corrected in html.unescape(response.get_data(as_text=True))
    reviewer = signed_in(sqlite_world, "rhea", account="")
    response = post_form(reviewer, f"/review/qualifications/{q}", {"decision": "rejected",
                                                                   "remark": "again"})
    assert response.status_code == 409
    assert "only a submitted qualification can be reviewed" in response.get_data(as_text=True)
    assert api.get(f"{API}/qualifications/{q}", headers=owner).get_json()["state"] == "approved"
    globex = signed_in(sqlite_world, "mallory", account="globex")
    response = post_form(globex, f"/qualifications/{ids['globex_qualification']}/suppliers",
                         {"suppliers": [str(ids["unicom"])]})
    assert response.status_code == 409  # still under review
    assert "suppliers can be added to an approved qualification only" in html.unescape(
        response.get_data(as_text=True))
    a = ids["globex_application"]
    response = api.post(f"{API}/review/applications/{a}/decision",
                        json={"decision": "rejected", "remark": "no"}, headers=rhea)
    assert response.status_code == 409  # approved already
    sid = signed_in(sqlite_world, "sid", account="")
    assert post_form(sid, f"/portal/applications/{a}",
                     {"numbers": "02055550001"}).status_code == 302
    again = post_form(sid, f"/portal/applications/{a}", {"numbers": "02055550002"})
    assert again.status_code == 409
    assert "only an approved application can be delivered" in again.get_data(as_text=True)
    assert counts(sqlite_world)[3] == before[3] + 1  # the one delivery's number only
    import cli
    for name, value in {"CCC_DATABASE_URL": sqlite_world.settings.database_url,
                        "CCC_VAR_DIR": str(sqlite_world.settings.var_dir)}.items():
        monkeypatch.setenv(name, value)
    (tmp_path / "fields.json").write_text(json.dumps(qualification_fields("Hooli")))
    out = CliRunner().invoke(cli.main, ["qualification", "resubmit", "--id", str(q),
                                        "--fields", str(tmp_path / "fields.json")])
    assert out.exit_code == 1 and out.output.splitlines() == [f"Error: {corrected}"]
