"""What a supplier's own staff change in its portal: the service agreement (with its PDF),
the number types it offers, and its restriction policy (the fields the outbound decision
reads, plus the industries its marketing numbers do not serve and the virtual-mobile
batch terms).

``actor`` is the signed-in user (None: the operator on the host). Only the supplier's own
staff reach its portal: anybody else is told there is no such supplier.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from engine.accounts.models import Role, User
from engine.db import utcnow
from engine.documents import service as documents
from engine.errors import DomainError, Invalid, NotFound
from engine.messages import N_
from engine.numbers.models import NumberType
from engine.suppliers.models import Supplier, SupplierAgreement
from engine.suppliers.service import REGION_RE, supplier_json, update_supplier
from engine.validation import FieldErrors

TEXT_MAX = 2000
MAX_INDUSTRIES = 32
VIRTUAL_MOBILE_BATCH_MIN, VIRTUAL_MOBILE_BATCH_MAX = 5, 1000
VIRTUAL_MOBILE_CALLS = (3, 5)  # calls at once on one virtual-mobile number
POLICY_FIELDS = ("time_zone", "calling_hours", "calls_per_day", "calls_per_24h",
                 "calls_per_48h", "blocked_regions", "concurrency")
PORTAL_FIELDS = ("number_types", "barred_industries", "virtual_mobile_batch",
                 "virtual_mobile_concurrency")


def portal_supplier(session: Session, actor: User | None, supplier_id) -> Supplier:
    """The supplier whose portal the actor may use: its own staff's, the operator's any."""
    ok = isinstance(supplier_id, int) and not isinstance(supplier_id, bool) and \
        0 < supplier_id < 2 ** 63
    supplier = session.get(Supplier, supplier_id) if ok else None
    if supplier is None or (actor is not None and (
            actor.role is not Role.SUPPLIER or actor.supplier_id != supplier.id)):
        raise NotFound(N_("no such supplier"))
    return supplier


def _text(value, what: str, high: int, low: int = 0) -> str:
    if not isinstance(value, str) or not low <= len(value.strip()) <= high:
        raise Invalid(N_("%(what)s: %(low)s to %(high)s characters", what=what, low=low,
                         high=high))
    return value.strip()


def publish_agreement(session: Session, actor: User | None, supplier: Supplier,
                      fields: dict, agreement_file: bytes | None) -> SupplierAgreement:
    """Publish (or replace) the service agreement: company_name, usage_scenarios,
    restrictions, price_description, and the agreement file, a PDF of at most 5 MB
    judged by its content (needed the first time; kept when not sent again)."""
    agreement = session.get(SupplierAgreement, supplier.id)
    errors, values = FieldErrors(), {}
    values["company_name"] = errors.check("company_name", _text, fields.get("company_name"),
                                          N_("company name"), 128, 1)
    for name, what in (("usage_scenarios", N_("usage scenarios")),
                       ("restrictions", N_("restrictions")),
                       ("price_description", N_("price description"))):
        values[name] = errors.check(name, _text, fields.get(name, ""), what, TEXT_MAX)
    if agreement_file or agreement is None or agreement.file_id is None:
        errors.check("agreement_file", documents.check_upload, agreement_file,
                     (documents.PDF,), documents.AGREEMENT_MAX)
    errors.raise_if_any()
    file_id = documents.store(session, agreement_file, (documents.PDF,),
                              documents.AGREEMENT_MAX).id if agreement_file else None
    if agreement is None:
        agreement = SupplierAgreement(supplier_id=supplier.id)
    for name, value in values.items():
        setattr(agreement, name, value)
    agreement.file_id = file_id or agreement.file_id
    agreement.updated_at = utcnow()
    session.add(agreement)
    session.flush()
    return agreement


def _number_types(values) -> list[str]:
    known = [kind.value for kind in NumberType]
    if not isinstance(values, list) or not all(v in known for v in values):
        raise Invalid(N_("number types: some of %(choices)s", choices=", ".join(known)))
    return [kind for kind in known if kind in values]


def _industries(values) -> list[str]:
    if not isinstance(values, list) or len(values) > MAX_INDUSTRIES:
        raise Invalid(N_("industries: a list of at most %(count)s names",
                         count=MAX_INDUSTRIES))
    names: list[str] = []
    for value in values:
        if not isinstance(value, str) or not REGION_RE.fullmatch(value.strip()):
            raise Invalid(N_("invalid industry %(value)r: a name of 1-64 characters "
                             "without ',' or ';'", value=value))
        if value.strip() not in names:
            names.append(value.strip())
    return names


def _whole(value, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Invalid(N_("a whole number from %(low)s to %(high)s", low=low, high=high))
    return value


PORTAL_CHECKS = {
    "number_types": _number_types,
    "barred_industries": _industries,
    "virtual_mobile_batch": lambda v: _whole(v, VIRTUAL_MOBILE_BATCH_MIN,
                                             VIRTUAL_MOBILE_BATCH_MAX),
    "virtual_mobile_concurrency": lambda v: _whole(v, *VIRTUAL_MOBILE_CALLS),
}


def update_policy(session: Session, actor: User | None, supplier: Supplier,
                  changes: dict) -> Supplier:
    """Change the supplier's offer and restriction policy: any of the outbound policy's
    fields (see ``update_supplier``; not the name) and number_types (a list of types),
    barred_industries (names), virtual_mobile_batch (at least 5 numbers a batch),
    virtual_mobile_concurrency (3 to 5 calls at once a number). All or nothing."""
    errors, values = FieldErrors(), {}
    for field, value in changes.items():
        if field in PORTAL_CHECKS:
            values[field] = errors.check(field, PORTAL_CHECKS[field], value)
        elif field not in POLICY_FIELDS:
            errors.add(field, N_("not a field of the policy"))
    policy = {k: v for k, v in changes.items() if k in POLICY_FIELDS}
    try:
        update_supplier(session, supplier, **policy)
    except DomainError as error:
        for field, message in error.fields.items():
            errors.add(field, message)
        if not error.fields:
            raise
    errors.raise_if_any()
    for field, value in values.items():
        setattr(supplier, field, value)
    session.flush()
    return supplier


def agreement_json(agreement: SupplierAgreement | None) -> dict | None:
    if agreement is None:
        return None
    return {"company_name": agreement.company_name,
            "usage_scenarios": agreement.usage_scenarios,
            "restrictions": agreement.restrictions,
            "price_description": agreement.price_description,
            "agreement_file": agreement.file_id,
            "updated_at": agreement.updated_at.isoformat()}


def _offer(supplier: Supplier) -> dict:
    return {"number_types": list(supplier.number_types),
            "barred_industries": list(supplier.barred_industries),
            "virtual_mobile_batch": supplier.virtual_mobile_batch,
            "virtual_mobile_concurrency": supplier.virtual_mobile_concurrency}


def portal_json(session: Session, supplier: Supplier) -> dict:
    """The supplier's portal as one object: its policy, offer and agreement."""
    return supplier_json(supplier) | _offer(supplier) | {
        "agreement": agreement_json(session.get(SupplierAgreement, supplier.id))}


def published_json(session: Session, supplier: Supplier,
                   numbers: list[str] | None = None) -> dict:
    """What accounts read of a supplier: its policy, its offer and the agreement it
    published in its portal (None before it has). The agreement's file is named only
    by whether there is one: accounts fetch its PDF on its own."""
    agreement = session.get(SupplierAgreement, supplier.id)
    published = None
    if agreement is not None:
        published = {name: value for name, value in agreement_json(agreement).items()
                     if name != "agreement_file"} | {"has_file": agreement.file_id is not None}
    return supplier_json(supplier, numbers) | _offer(supplier) | {"agreement": published}


def published_file(session: Session, supplier: Supplier) -> int | None:
    """The document id of the supplier's published agreement PDF (None: none yet)."""
    agreement = session.get(SupplierAgreement, supplier.id)
    return agreement.file_id if agreement is not None else None
