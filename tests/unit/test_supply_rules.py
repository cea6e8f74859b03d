"""The supply side's rules in the engine: uploads judged by their content, the
qualification's fields and states, line applications from application to delivery."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from engine.accounts.models import Role, User
from engine.accounts.platform import create_platform_user
from engine.applications import service as applications
from engine.applications.models import ApplicationState
from engine.documents.models import Document
from engine.documents.service import (GIF, ID_IMAGE_MAX, IMAGES, JPEG, PDF, PNG,
                                      check_upload, media_type_of)
from engine.errors import Conflict, Forbidden, Invalid, NotFound
from engine.numbers.models import Number
from engine.qualifications import service as qualifications
from engine.qualifications.models import Qualification, QualificationState
from engine.suppliers import portal
from engine.suppliers.service import create_supplier
from tests.factories import add_account, add_instance
from tests.unit.webadmin_world import PASSWORD, id_images, pdf_bytes, png_bytes, \
    qualification_fields

JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 64 + b"\xff\xd9"
GIF_BYTES = b"GIF89a\x02\x00\x02\x00\x80\x00\x00" + b"\x00" * 12 + b";"


# ---- uploads ---------------------------------------------------------------------------

@pytest.mark.parametrize("data, kind", [
    (pdf_bytes(), PDF), (png_bytes(), PNG), (JPEG_BYTES, JPEG), (GIF_BYTES, GIF),
    (b"<html><script>alert(1)</script></html>", None),    # a page named id.png
    (b"%PDF-1.4\n<script>", None),                         # a PDF header, nothing of one
    (png_bytes()[:20], None),                              # a PNG cut short
    (b"GIF89a\x00\x00\x00\x00" + b"\x00" * 10 + b";", None),  # a 0 x 0 screen
    (b"MZ\x90\x00" + b"\x00" * 60, None),                  # a program
    (b"", None),
])
def test_a_file_is_what_its_content_is(data, kind):
    assert media_type_of(data) == kind


def test_uploads_are_refused_by_type_and_by_size():
    assert check_upload(png_bytes(), IMAGES, ID_IMAGE_MAX) == PNG
    with pytest.raises(Invalid, match="not JPG/PNG/GIF"):
        check_upload(pdf_bytes(), IMAGES, ID_IMAGE_MAX)       # a PDF renamed id.png
    with pytest.raises(Invalid, match="not PDF"):
        check_upload(b"just text, named agreement.pdf", (PDF,), 5 << 20)
    big = png_bytes()[:-12] + b"\x00" * ID_IMAGE_MAX + png_bytes()[-12:]
    with pytest.raises(Invalid, match="larger than 5 MB"):
        check_upload(big, IMAGES, ID_IMAGE_MAX)
    exactly = png_bytes()[:-12] + b"\x00" * (ID_IMAGE_MAX - len(png_bytes())) + \
        png_bytes()[-12:]
    assert len(exactly) == ID_IMAGE_MAX and check_upload(exactly, IMAGES, ID_IMAGE_MAX) == PNG


# ---- qualifications --------------------------------------------------------------------

@pytest.fixture
def supply(session):
    """Account acme (owner olivia, agent-side admin alice) with instance Sales; supplier
    unicom offering landlines and virtual mobiles (batches of 5); reviewer rhea and
    unicom's staff sid."""
    account = add_account(session)
    sales = add_instance(session).instance
    unicom = create_supplier(session, "unicom", "Asia/Shanghai")
    other = create_supplier(session, "telecom", "Asia/Shanghai")
    portal.update_policy(session, None, unicom, {"number_types": ["landline",
                                                                  "virtual_mobile"]})
    olivia = User(account_id=account.id, name="olivia", role=Role.OWNER)
    session.add(olivia)
    session.flush()
    return {"account": account, "sales": sales, "unicom": unicom, "telecom": other,
            "olivia": olivia,
            "rhea": create_platform_user(session, "rhea", "reviewer", PASSWORD),
            "sid": create_platform_user(session, "sid", "supplier", PASSWORD, unicom),
            "tess": create_platform_user(session, "tess", "supplier", PASSWORD, other)}


def submit(session, supply, **changes):
    fields = qualification_fields(**changes)
    fields.setdefault("suppliers", [supply["unicom"].id])
    return qualifications.submit_qualification(session, supply["olivia"],
                                               supply["account"].id, fields, id_images())


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def refused_fields(call) -> dict:
    with pytest.raises((Invalid, Conflict)) as refusal:
        call()
    return refusal.value.fields


def test_a_company_with_no_fixed_term_is_valid_for_ten_years(session, supply):
    q = submit(session, supply)
    today = q.submitted_at.date()
    assert q.no_fixed_term and q.valid_until == date(today.year + 10, today.month,
                                                     today.day)
    assert q.state is QualificationState.SUBMITTED
    assert [(h.action, h.actor) for h in q.history] == [("submitted", "olivia")]
    dated = submit(session, supply, location="Shanghai", no_fixed_term=False,
                   valid_until="2031-06-30")
    assert dated.valid_until == date(2031, 6, 30)


def test_every_bad_field_is_named_and_nothing_is_written(session, supply):
    before = count(session, Qualification), count(session, Document)
    fields = refused_fields(lambda: qualifications.submit_qualification(
        session, supply["olivia"], supply["account"].id,
        qualification_fields(company_type="sole_proprietorship",
                             business_description="x" * 501, representative_mobile="12345",
                             credit_code="not a code", id_type="driving_licence",
                             id_valid_until="2001-01-01", sample_script="",
                             no_fixed_term=False, valid_until="31/12/2030", suppliers=[]),
        {"id_front": b"<html></html>", "id_back": None}))
    assert set(fields) == {"company_type", "business_description", "representative_mobile",
                           "credit_code", "id_type", "id_valid_until", "sample_script",
                           "valid_until", "suppliers", "id_front", "id_back"}
    assert "sole proprietorships are not accepted" in fields["company_type"]
    assert "1 to 500 characters" in fields["business_description"]
    assert (count(session, Qualification), count(session, Document)) == before
    # 500 characters exactly is the limit, not over it.
    assert submit(session, supply, business_description="x" * 500).id


def test_one_qualification_per_company_name_and_location(session, supply):
    submit(session, supply)
    fields = refused_fields(lambda: submit(session, supply))
    assert "already has a qualification" in fields["company_name"]
    assert submit(session, supply, location="Shanghai").id  # another location is another


def test_review_reject_with_a_remark_then_correct_and_approve(session, supply):
    q = submit(session, supply, representative_name="Li")
    with pytest.raises(Forbidden):
        qualifications.review_qualification(session, supply["olivia"], q, "approved", "")
    with pytest.raises(Forbidden):
        qualifications.review_qualification(session, supply["sid"], q, "approved", "")
    assert "remark" in refused_fields(lambda: qualifications.review_qualification(
        session, supply["rhea"], q, "rejected", "  "))
    qualifications.review_qualification(session, supply["rhea"], q, "rejected",
                                        "The representative's full name, please")
    assert q.state is QualificationState.REJECTED and q.remark.startswith("The repr")
    with pytest.raises(Conflict):  # a rejected one is corrected, not reviewed again
        qualifications.review_qualification(session, supply["rhea"], q, "approved", "")
    image = q.id_front_id
    qualifications.resubmit_qualification(
        session, supply["olivia"], q, qualification_fields(representative_name="Li Lei"),
        {"id_front": None, "id_back": None})
    assert q.state is QualificationState.SUBMITTED and q.representative_name == "Li Lei"
    assert q.id_front_id == image  # not sent again: kept
    with pytest.raises(Conflict):  # only a rejected one is resubmitted
        qualifications.resubmit_qualification(session, supply["olivia"], q,
                                              qualification_fields(), {})
    qualifications.review_qualification(session, supply["rhea"], q, "approved", "")
    assert [(h.action, h.actor, h.remark) for h in q.history] == [
        ("submitted", "olivia", None),
        ("rejected", "rhea", "The representative's full name, please"),
        ("resubmitted", "olivia", None), ("approved", "rhea", None)]
    assert [x.id for x in qualifications.review_queue(session, supply["rhea"])] == []


def test_suppliers_are_added_to_an_approved_qualification_only(session, supply):
    q = submit(session, supply)
    with pytest.raises(Conflict):
        qualifications.add_suppliers(session, supply["olivia"], q, [supply["telecom"].id])
    qualifications.review_qualification(session, None, q, "approved", "")
    qualifications.add_suppliers(session, supply["olivia"], q, [supply["telecom"].id])
    assert sorted(s.name for s in q.suppliers) == ["telecom", "unicom"]
    for ids in ([999999], [2 ** 70], [-1], ["1"], []):
        assert "suppliers" in refused_fields(lambda s=ids: qualifications.add_suppliers(
            session, supply["olivia"], q, s)), ids


def test_another_account_and_other_roles_are_refused(session, supply):
    q = submit(session, supply)
    mallory_account = add_account(session, "globex")
    mallory = User(account_id=mallory_account.id, name="mallory", role=Role.OWNER)
    alice = session.scalar(select(User).where(User.name == "alice"))
    session.add(mallory)
    session.flush()
    for actor, error in ((mallory, NotFound), (supply["sid"], NotFound), (alice, Forbidden)):
        with pytest.raises(error):
            qualifications.get_qualification(session, actor, q.id)
    assert qualifications.get_qualification(session, supply["rhea"], q.id) is q
    with pytest.raises(NotFound):
        qualifications.get_qualification(session, supply["rhea"], 2 ** 70)


# ---- line applications -------------------------------------------------------------------

def approved(session, supply) -> Qualification:
    q = submit(session, supply)
    qualifications.review_qualification(session, supply["rhea"], q, "approved", "")
    return q


def apply(session, supply, q, **changes):
    arguments = {"qualification_id": q.id, "supplier_id": supply["unicom"].id,
                 "instance_id": supply["sales"].id, "number_type": "landline",
                 "quantity": 1} | changes
    return applications.apply_for_line(session, supply["olivia"], supply["account"].id,
                                       **arguments)


def test_an_application_needs_an_approved_qualification_for_the_supplier(session, supply):
    waiting = submit(session, supply, location="Shanghai")
    assert "not approved" in refused_fields(lambda: apply(session, supply, waiting))[
        "qualification"]
    q = approved(session, supply)
    fields = refused_fields(lambda: apply(session, supply, q,
                                          supplier_id=supply["telecom"].id))
    assert "add the supplier" in fields["supplier"]
    assert "number_type" in refused_fields(lambda: apply(session, supply, q,
                                                         number_type="400"))
    assert "does not offer" in refused_fields(lambda: apply(session, supply, q,
                                                            number_type="95"))["number_type"]
    fields = refused_fields(lambda: apply(session, supply, q, number_type="virtual_mobile",
                                          quantity=4))
    assert "at least 5" in fields["quantity"]
    assert apply(session, supply, q, number_type="virtual_mobile", quantity=5).id
    for quantity in (0, 101, "3", True):
        assert "quantity" in refused_fields(lambda n=quantity: apply(session, supply, q,
                                                                     quantity=n))


def test_reviewed_then_delivered_the_numbers_are_the_accounts(session, supply):
    q = approved(session, supply)
    a = apply(session, supply, q, quantity=2)
    with pytest.raises(NotFound):  # not approved yet: not the supplier's to see
        applications.get_application(session, supply["sid"], a.id)
    with pytest.raises(Conflict):
        applications.deliver(session, supply["sid"], a, ["01066660001", "01066660002"])
    applications.review_application(session, supply["rhea"], a, "approved", "")
    with pytest.raises(NotFound):  # another supplier's staff
        applications.deliver(session, supply["tess"], a, ["01066660001", "01066660002"])
    for wrong in (["01066660001"], ["01066660001", "01066660001"],
                  ["01066660001", "13800138000"], ["01012345678", "01066660002"]):
        assert "numbers" in refused_fields(lambda numbers=wrong: applications.deliver(
            session, supply["sid"], a, numbers)), wrong
    assert a.state is ApplicationState.APPROVED
    applications.deliver(session, supply["sid"], a, ["01066660001", "01066660002"])
    numbers = session.scalars(select(Number).where(Number.digits.like("0106666%"))).all()
    assert [(n.account_id, n.instance_id, n.supplier_id, n.type.value) for n in numbers] == \
        [(supply["account"].id, supply["sales"].id, supply["unicom"].id, "landline")] * 2
    assert a.state is ApplicationState.DELIVERED
    assert [h.action for h in a.history] == ["submitted", "approved", "delivered"]
    assert [x.id for x in applications.supplier_applications(
        session, supply["sid"], supply["unicom"].id)] == [a.id]
    with pytest.raises(Forbidden):
        applications.supplier_applications(session, supply["tess"], supply["unicom"].id)


# ---- the supplier's portal -------------------------------------------------------------

def test_the_agreement_needs_a_pdf_the_first_time_and_keeps_it(session, supply):
    unicom = supply["unicom"]
    fields = {"company_name": "China Unicom", "usage_scenarios": "Customer care",
              "restrictions": "No marketing at night", "price_description": "0.1 CNY/min"}
    assert "agreement_file" in refused_fields(lambda: portal.publish_agreement(
        session, supply["sid"], unicom, fields, None))
    assert "agreement_file" in refused_fields(lambda: portal.publish_agreement(
        session, supply["sid"], unicom, fields, png_bytes()))
    agreement = portal.publish_agreement(session, supply["sid"], unicom, fields, pdf_bytes())
    first = agreement.file_id
    portal.publish_agreement(session, supply["sid"], unicom,
                             fields | {"company_name": "Unicom"}, None)
    assert agreement.company_name == "Unicom" and agreement.file_id == first
    with pytest.raises(NotFound):
        portal.portal_supplier(session, supply["tess"], unicom.id)
    with pytest.raises(NotFound):
        portal.portal_supplier(session, supply["olivia"], unicom.id)


def test_the_policy_is_changed_all_or_nothing(session, supply):
    unicom = supply["unicom"]
    fields = refused_fields(lambda: portal.update_policy(session, supply["sid"], unicom, {
        "calling_hours": "mon-fri 09:00-20:00", "virtual_mobile_batch": 4,
        "virtual_mobile_concurrency": 6, "number_types": ["landline", "fax"],
        "concurrency": 0}))
    assert set(fields) == {"virtual_mobile_batch", "virtual_mobile_concurrency",
                           "number_types", "concurrency"}
    assert unicom.calling_hours == [] and unicom.virtual_mobile_batch == 5
    portal.update_policy(session, supply["sid"], unicom, {
        "calling_hours": "mon-fri 09:00-20:00", "calls_per_day": 2,
        "blocked_regions": ["Xinjiang", "Tibet"], "barred_industries": ["finance"],
        "virtual_mobile_batch": 10, "virtual_mobile_concurrency": 5,
        "number_types": ["virtual_mobile", "landline"]})
    row = portal.portal_json(session, unicom)
    assert (row["calling_hours"], row["calls_per_day"], row["blocked_regions"],
            row["barred_industries"], row["virtual_mobile_batch"],
            row["virtual_mobile_concurrency"], row["number_types"]) == (
        "mon,tue,wed,thu,fri 09:00-20:00", 2, ["Xinjiang", "Tibet"], ["finance"], 10, 5,
        ["landline", "virtual_mobile"])
