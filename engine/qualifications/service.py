"""Enterprise qualifications: submitted by an account's owner, reviewed by the platform's
reviewers, corrected and resubmitted when rejected, given more suppliers once approved.

``actor`` is the signed-in user asking; None is the operator on the host (``ccc``). An
account's qualification is NotFound for anybody of another account and for suppliers;
a reviewer sees every account's, and does nothing else.
"""
from __future__ import annotations

import re
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.access import ACCOUNT_ROLES
from engine.accounts.models import Role, User
from engine.db import utcnow
from engine.documents import service as documents
from engine.errors import Conflict, Forbidden, Invalid, NotFound
from engine.messages import N_
from engine.qualifications.models import (CompanyType, IdType, Qualification,
                                          QualificationReview, QualificationState)
from engine.suppliers.models import Supplier
from engine.validation import FieldErrors

DESCRIPTION_MAX = 500
TEXT_MAX = 2000
NO_FIXED_TERM_YEARS = 10
# The unified social credit code: 18 characters of digits and upper-case letters
# without I, O, S, V, Z.
CREDIT_CODE_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$")
MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}$")
ID_NUMBER_RE = re.compile(r"^[0-9A-Za-z]{6,32}$")
TEXT_FIELDS = ("business_description", "intended_use", "scenario", "sample_script")
FILE_FIELDS = ("id_front", "id_back")


def _check_owner(actor: User | None, account_id: int) -> None:
    if actor is None:
        return
    if actor.account_id != account_id:
        raise NotFound(N_("no such qualification"))
    if actor.role not in ACCOUNT_ROLES:
        raise Forbidden(N_("the %(role_value)s role may not manage qualifications",
                           role_value=actor.role.value))


def is_reviewer(actor: User | None) -> bool:
    """One of the platform's reviewers (of no account: a reviewer role inside an
    account is no reviewer)."""
    return actor is not None and actor.role is Role.REVIEWER and actor.account_id is None


def check_reviewer(actor: User | None) -> None:
    """Reviewing is the platform's reviewers' (and the operator's) work only."""
    if actor is not None and not is_reviewer(actor):
        raise Forbidden(N_("the %(role_value)s role may not review",
                           role_value=actor.role.value))


def _text(value, what: str, high: int, low: int = 1) -> str:
    if not isinstance(value, str) or not low <= len(value.strip()) <= high:
        raise Invalid(N_("%(what)s: %(low)s to %(high)s characters", what=what, low=low,
                         high=high))
    if any(ord(c) < 32 and c not in "\r\n\t" for c in value):
        raise Invalid(N_("%(what)s: no control characters", what=what))
    return value.strip()


def _pattern(value, pattern: re.Pattern, what: str, hint: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value.strip()):
        raise Invalid(N_("invalid %(what)s: %(hint)s", what=what, hint=hint))
    return value.strip()


def _enum(value, kind, what: str):
    try:
        return kind(value)
    except ValueError:
        raise Invalid(N_("invalid %(what)s: one of %(choices)s", what=what,
                         choices=", ".join(k.value for k in kind))) from None


def _company_type(value) -> CompanyType:
    kind = _enum(value, CompanyType, N_("company type"))
    if kind is CompanyType.SOLE_PROPRIETORSHIP:
        raise Invalid(N_("sole proprietorships are not accepted: a company is needed"))
    return kind


def _future_date(value, what: str, today: date) -> date:
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip()) if len(value.strip()) == 10 else None
        except ValueError:
            value = None
    if not isinstance(value, date):
        raise Invalid(N_("invalid %(what)s: a date such as 2030-12-31", what=what))
    if value < today:
        raise Invalid(N_("%(what)s has passed", what=what))
    return value


def _ten_years(today: date) -> date:
    try:
        return today.replace(year=today.year + NO_FIXED_TERM_YEARS)
    except ValueError:  # 29 February
        return today.replace(year=today.year + NO_FIXED_TERM_YEARS, day=28)


def _suppliers(session: Session, ids) -> list[Supplier]:
    if not isinstance(ids, list) or not ids or \
            not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise Invalid(N_("choose at least one supplier"))
    if not all(0 < i < 2 ** 63 for i in ids):  # no row has such an id (nor may a query)
        raise Invalid(N_("choose suppliers from the list"))
    found = list(session.scalars(select(Supplier).where(Supplier.id.in_(ids))))
    if len(found) != len(set(ids)):
        raise Invalid(N_("choose suppliers from the list"))
    return found


def _image(data) -> bytes:
    documents.check_upload(data, documents.IMAGES, documents.ID_IMAGE_MAX)
    return data


def _checked(session: Session, fields: dict, files: dict, account_id: int,
             itself: Qualification | None) -> dict:
    """Every field checked at once (nothing is written when one is wrong)."""
    today = utcnow().date()
    errors, values = FieldErrors(), {}
    get = fields.get
    values["company_name"] = errors.check("company_name", _text, get("company_name"),
                                          N_("company name"), 128)
    values["location"] = errors.check("location", _text, get("location"), N_("location"),
                                      128)
    values["company_type"] = errors.check("company_type", _company_type, get("company_type"))
    values["credit_code"] = errors.check(
        "credit_code", _pattern, get("credit_code"), CREDIT_CODE_RE,
        N_("unified social credit code"), N_("18 digits and capital letters"))
    values["no_fixed_term"] = get("no_fixed_term") in (True, "on", "true", "1")
    values["valid_until"] = _ten_years(today) if values["no_fixed_term"] else errors.check(
        "valid_until", _future_date, get("valid_until"), N_("business term"), today)
    values["representative_name"] = errors.check(
        "representative_name", _text, get("representative_name"),
        N_("legal representative"), 64)
    values["representative_mobile"] = errors.check(
        "representative_mobile", _pattern, get("representative_mobile"), MOBILE_RE,
        N_("mobile number"), N_("an 11-digit mobile number"))
    values["id_type"] = errors.check("id_type", _enum, get("id_type"), IdType, N_("ID type"))
    values["id_number"] = errors.check("id_number", _pattern, get("id_number"), ID_NUMBER_RE,
                                       N_("ID number"), N_("6 to 32 letters and digits"))
    values["id_valid_until"] = errors.check("id_valid_until", _future_date,
                                            get("id_valid_until"), N_("ID validity"), today)
    values["business_description"] = errors.check(
        "business_description", _text, get("business_description"),
        N_("business description"), DESCRIPTION_MAX)
    for name, what in (("intended_use", N_("intended use")), ("scenario", N_("scenario")),
                       ("sample_script", N_("sample outbound script"))):
        values[name] = errors.check(name, _text, get(name), what, TEXT_MAX)
    if itself is None or "suppliers" in fields:
        values["suppliers"] = errors.check("suppliers", _suppliers, session,
                                           get("suppliers"))
    for name in FILE_FIELDS:
        if itself is None or files.get(name):
            values[name] = errors.check(name, _image, files.get(name))
    if values["company_name"] and values["location"] and session.scalar(
            select(func.count()).select_from(Qualification).where(
                Qualification.account_id == account_id,
                Qualification.company_name == values["company_name"],
                Qualification.location == values["location"],
                Qualification.id != (itself.id if itself else -1))):
        errors.add("company_name", N_("the account already has a qualification for "
                                      "%(company)s in %(location)s",
                                      company=values["company_name"],
                                      location=values["location"]), conflict=True)
    errors.raise_if_any()
    return values


def _apply(session: Session, qualification: Qualification, values: dict) -> None:
    for name in FILE_FIELDS:
        data = values.pop(name, None)
        if data:
            document = documents.store(session, data, documents.IMAGES,
                                       documents.ID_IMAGE_MAX)
            setattr(qualification, f"{name}_id", document.id)
    for name, value in values.items():
        setattr(qualification, name, value)


def _log(qualification: Qualification, action: str, actor: User | None,
         remark: str | None = None) -> None:
    qualification.history.append(QualificationReview(
        action=action, actor=actor.name if actor else "operator", remark=remark,
        at=utcnow()))


def submit_qualification(session: Session, actor: User | None, account_id: int,
                         fields: dict, files: dict) -> Qualification:
    """A new qualification of the account, waiting for review. ``fields``: the company
    (company_name, location, company_type, credit_code, valid_until or no_fixed_term),
    the legal representative (representative_name, representative_mobile, id_type,
    id_number, id_valid_until), business_description (at most 500 characters),
    intended_use, scenario, sample_script, suppliers (ids); ``files``: id_front and
    id_back, JPEG/PNG/GIF images of at most 5 MB judged by their content."""
    _check_owner(actor, account_id)
    values = _checked(session, fields, files, account_id, None)
    qualification = Qualification(account_id=account_id,
                                  state=QualificationState.SUBMITTED, submitted_at=utcnow())
    _apply(session, qualification, values)
    session.add(qualification)
    _log(qualification, "submitted", actor)
    session.flush()
    return qualification


def resubmit_qualification(session: Session, actor: User | None,
                           qualification: Qualification, fields: dict,
                           files: dict) -> Qualification:
    """A rejected qualification corrected (the same fields as ``submit_qualification``;
    an image not sent again is kept) and back in the review queue."""
    _check_owner(actor, qualification.account_id)
    check_correctable(qualification)
    values = _checked(session, fields, files, qualification.account_id, qualification)
    _apply(session, qualification, values)
    qualification.state, qualification.submitted_at = QualificationState.SUBMITTED, utcnow()
    _log(qualification, "resubmitted", actor)
    session.flush()
    return qualification


def check_correctable(qualification: Qualification) -> None:
    """Only a rejected qualification is corrected: one under review or approved is in
    the wrong state for it (a Conflict, not a missing qualification)."""
    if qualification.state is not QualificationState.REJECTED:
        raise Conflict(N_("only a rejected qualification can be corrected and resubmitted"))


def review_qualification(session: Session, actor: User | None,
                         qualification: Qualification, decision, remark) -> Qualification:
    """A reviewer approves or rejects a submitted qualification; a rejection says why
    (the remark the owner reads)."""
    check_reviewer(actor)
    if qualification.state is not QualificationState.SUBMITTED:
        raise Conflict(N_("only a submitted qualification can be reviewed"))
    decision, remark = review_decision(decision, remark)
    qualification.state = decision
    qualification.remark, qualification.reviewed_at = remark, utcnow()
    _log(qualification, decision.value, actor, remark)
    session.flush()
    return qualification


def review_decision(decision, remark) -> tuple[QualificationState, str | None]:
    errors = FieldErrors()
    if decision not in ("approved", "rejected"):
        errors.add("decision", N_("approved or rejected"))
    remark = remark.strip() if isinstance(remark, str) else None
    if remark and len(remark) > DESCRIPTION_MAX:
        errors.add("remark", N_("at most %(count)s characters", count=DESCRIPTION_MAX))
    if decision == "rejected" and not remark:
        errors.add("remark", N_("say what must be corrected"))
    errors.raise_if_any()
    return QualificationState(decision), remark or None


def add_suppliers(session: Session, actor: User | None, qualification: Qualification,
                  supplier_ids) -> Qualification:
    """More suppliers for an approved qualification (no new review needed)."""
    _check_owner(actor, qualification.account_id)
    if qualification.state is not QualificationState.APPROVED:
        raise Conflict(N_("suppliers can be added to an approved qualification only"))
    errors = FieldErrors()
    suppliers = errors.check("suppliers", _suppliers, session, supplier_ids)
    errors.raise_if_any()
    for supplier in suppliers:
        if supplier not in qualification.suppliers:
            qualification.suppliers.append(supplier)
            _log(qualification, "supplier_added", actor, supplier.name)
    session.flush()
    return qualification


def get_qualification(session: Session, actor: User | None, ident) -> Qualification:
    """The qualification, for its account's owner, a reviewer or the operator."""
    found = session.get(Qualification, ident) if isinstance(ident, int) and \
        0 < ident < 2 ** 63 else None
    if found is None:
        raise NotFound(N_("no such qualification"))
    if actor is not None and not is_reviewer(actor):
        _check_owner(actor, found.account_id)
    return found


def list_qualifications(session: Session, actor: User | None, account_id: int,
                        state: QualificationState | None = None) -> list[Qualification]:
    """The account's qualifications in a state (None: all), oldest first."""
    _check_owner(actor, account_id)
    query = select(Qualification).where(Qualification.account_id == account_id)
    if state is not None:
        query = query.where(Qualification.state == state)
    return list(session.scalars(query.order_by(Qualification.id)))


def review_queue(session: Session, actor: User | None,
                 state: QualificationState | None = QualificationState.SUBMITTED
                 ) -> list[Qualification]:
    """Every account's qualifications in a state (None: all), oldest submission first."""
    check_reviewer(actor)
    query = select(Qualification).order_by(Qualification.submitted_at, Qualification.id)
    if state is not None:
        query = query.where(Qualification.state == state)
    return list(session.scalars(query))


def approved_for(session: Session, account_id: int) -> list[Qualification]:
    return list(session.scalars(select(Qualification).where(
        Qualification.account_id == account_id,
        Qualification.state == QualificationState.APPROVED).order_by(Qualification.id)))


def qualification_json(qualification: Qualification, account_name: str | None = None) -> dict:
    """One serializer for the CLI's --json and the API."""
    q = qualification
    row = {"id": q.id, "account_id": q.account_id, "company_name": q.company_name,
           "location": q.location, "company_type": q.company_type.value,
           "credit_code": q.credit_code, "valid_until": q.valid_until.isoformat(),
           "no_fixed_term": q.no_fixed_term, "representative_name": q.representative_name,
           "representative_mobile": q.representative_mobile, "id_type": q.id_type.value,
           "id_number": q.id_number, "id_valid_until": q.id_valid_until.isoformat(),
           "id_front": q.id_front_id, "id_back": q.id_back_id,
           **{name: getattr(q, name) for name in TEXT_FIELDS},
           "suppliers": [s.name for s in q.suppliers], "state": q.state.value,
           "remark": q.remark, "submitted_at": q.submitted_at.isoformat(),
           "reviewed_at": q.reviewed_at.isoformat() if q.reviewed_at else None,
           "history": [{"action": h.action, "actor": h.actor, "remark": h.remark,
                        "at": h.at.isoformat()} for h in q.history]}
    if account_name is not None:
        row["account"] = account_name
    return row


def document_of(qualification: Qualification, which: str) -> int:
    """The document id of one of the ID images ('front' or 'back')."""
    if which not in ("front", "back"):
        raise NotFound(N_("no such image"))
    return getattr(qualification, f"id_{which}_id")

