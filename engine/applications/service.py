"""Third-party line applications: an account's owner asks a supplier for numbers with an
approved qualification; a reviewer approves or rejects; the supplier delivers numbers,
which become the account's (in the instance chosen) and can then be bound.

``actor`` is the signed-in user (None: the operator on the host). An application is
NotFound to another account, and to every supplier but the one it is sent to.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access import ACCOUNT_ROLES
from engine.accounts.models import Role, User
from engine.applications.models import ApplicationState, LineApplication, LineApplicationEvent
from engine.db import utcnow
from engine.errors import Conflict, Forbidden, Invalid, NotFound
from engine.instances.models import Instance
from engine.messages import N_
from engine.numbers.models import NumberType
from engine.numbers.service import add_number, check_digits, parse_type
from engine.qualifications.models import Qualification, QualificationState
from engine.qualifications.service import check_reviewer, is_reviewer, review_decision
from engine.suppliers.models import Supplier
from engine.uow import mark_pbx_changed
from engine.validation import FieldErrors

MAX_QUANTITY = 100
NOTE_MAX = 500


def _row(session: Session, model, ident):
    ok = isinstance(ident, int) and not isinstance(ident, bool) and 0 < ident < 2 ** 63
    return session.get(model, ident) if ok else None


def _check_owner(actor: User | None, account_id: int) -> None:
    if actor is None:
        return
    if actor.account_id != account_id:
        raise NotFound(N_("no such application"))
    if actor.role not in ACCOUNT_ROLES:
        raise Forbidden(N_("the %(role_value)s role may not apply for numbers",
                           role_value=actor.role.value))


def _line_type(value) -> NumberType:
    kind = parse_type(value) if isinstance(value, str) else None
    if kind is None or kind is NumberType.N400:
        raise Invalid(N_("a third-party line is landline, 95, virtual_mobile or "
                         "international (400 numbers come from the pool)"))
    return kind


def _quantity(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or \
            not 1 <= value <= MAX_QUANTITY:
        raise Invalid(N_("a whole number from 1 to %(count)s", count=MAX_QUANTITY))
    return value


def apply_for_line(session: Session, actor: User | None, account_id: int, *,
                   qualification_id, supplier_id, instance_id, number_type, quantity,
                   note="") -> LineApplication:
    """A new application. The qualification must be the account's, approved and for the
    supplier; the supplier must offer the type (virtual mobile: at least its batch);
    the instance must be the account's."""
    _check_owner(actor, account_id)
    errors = FieldErrors()
    qualification = _row(session, Qualification, qualification_id)
    if qualification is None or qualification.account_id != account_id:
        errors.add("qualification", N_("choose one of the account's qualifications"))
    elif qualification.state is not QualificationState.APPROVED:
        errors.add("qualification", N_("the qualification is not approved"))
    supplier = _row(session, Supplier, supplier_id)
    if supplier is None:
        errors.add("supplier", N_("choose a supplier from the list"))
    elif qualification is not None and supplier not in qualification.suppliers:
        errors.add("supplier", N_("the qualification is not for %(name)s: add the supplier "
                                  "to it first", name=supplier.name))
    instance = _row(session, Instance, instance_id)
    if instance is None or instance.account_id != account_id:
        errors.add("instance", N_("choose one of the account's instances"))
    kind = errors.check("number_type", _line_type, number_type)
    count = errors.check("quantity", _quantity, quantity)
    if supplier is not None and kind is not None:
        if kind.value not in supplier.number_types:
            errors.add("number_type", N_("%(name)s does not offer %(type_value)s numbers",
                                         name=supplier.name, type_value=kind.value))
        elif kind is NumberType.VIRTUAL_MOBILE and count is not None and \
                count < supplier.virtual_mobile_batch:
            errors.add("quantity", N_("virtual mobile numbers come in batches of at least "
                                      "%(count)s", count=supplier.virtual_mobile_batch))
    if not isinstance(note, str) or len(note) > NOTE_MAX:
        errors.add("note", N_("at most %(count)s characters", count=NOTE_MAX))
    errors.raise_if_any()
    application = LineApplication(
        account_id=account_id, qualification_id=qualification.id, supplier_id=supplier.id,
        instance_id=instance.id, number_type=kind, quantity=count, note=note.strip(),
        state=ApplicationState.SUBMITTED, numbers=[], created_at=utcnow())
    session.add(application)
    _log(application, "submitted", actor)
    session.flush()
    return application


def _log(application: LineApplication, action: str, actor: User | None,
         remark: str | None = None) -> None:
    application.history.append(LineApplicationEvent(
        action=action, actor=actor.name if actor else "operator", remark=remark,
        at=utcnow()))


def review_application(session: Session, actor: User | None, application: LineApplication,
                       decision, remark) -> LineApplication:
    """A reviewer approves (it goes to the supplier) or rejects (saying why)."""
    check_reviewer(actor)
    if application.state is not ApplicationState.SUBMITTED:
        raise Conflict(N_("only a submitted application can be reviewed"))
    state, remark = review_decision(decision, remark)
    application.state = ApplicationState(state.value)
    application.remark = remark
    _log(application, state.value, actor, remark)
    session.flush()
    return application


def _check_supplier(actor: User | None, application: LineApplication) -> None:
    if actor is None:
        return
    if actor.role is not Role.SUPPLIER or actor.supplier_id != application.supplier_id:
        raise NotFound(N_("no such application"))


def deliver(session: Session, actor: User | None, application: LineApplication,
            digits) -> LineApplication:
    """The supplier's numbers for an approved application: exactly the quantity asked,
    each of the type, none in use. They become the account's, in the application's
    instance, provided by the supplier (its policy applies to calls out with them)."""
    _check_supplier(actor, application)
    if application.state is not ApplicationState.APPROVED:
        raise Conflict(N_("only an approved application can be delivered"))
    errors = FieldErrors()
    if not isinstance(digits, list) or not all(isinstance(d, str) for d in digits):
        raise Invalid(N_("a list of numbers"), fields={"numbers": N_("a list of numbers")})
    digits = [d.strip() for d in digits if d.strip()]
    if len(digits) != application.quantity or len(set(digits)) != len(digits):
        errors.add("numbers", N_("%(count)s different numbers were asked for",
                                 count=application.quantity))
    for number in digits:
        errors.check("numbers", check_digits, number, application.number_type)
    errors.raise_if_any()
    for number in digits:
        try:
            added = add_number(session, application.account_id, number,
                               application.number_type)
        except Conflict as error:
            raise Conflict(error.message, fields={"numbers": error.message}) from None
        added.instance_id = application.instance_id
        added.supplier_id = application.supplier_id
    application.state, application.numbers = ApplicationState.DELIVERED, digits
    _log(application, "delivered", actor, ", ".join(digits))
    session.flush()
    mark_pbx_changed(session)  # the instance has new numbers to answer
    return application


def get_application(session: Session, actor: User | None, ident) -> LineApplication:
    """For its account's owner, a reviewer, the supplier it is sent to (once approved)."""
    found = _row(session, LineApplication, ident)
    if found is None:
        raise NotFound(N_("no such application"))
    if actor is None or is_reviewer(actor):
        return found
    if actor.role is Role.SUPPLIER and actor.account_id is None:  # a supplier's staff
        _check_supplier(actor, found)
        if found.state in (ApplicationState.SUBMITTED, ApplicationState.REJECTED):
            raise NotFound(N_("no such application"))
        return found
    _check_owner(actor, found.account_id)
    return found


def list_applications(session: Session, actor: User | None, account_id: int,
                      state: ApplicationState | None = None) -> list[LineApplication]:
    """The account's applications in a state (None: all), oldest first."""
    _check_owner(actor, account_id)
    query = select(LineApplication).where(LineApplication.account_id == account_id)
    if state is not None:
        query = query.where(LineApplication.state == state)
    return list(session.scalars(query.order_by(LineApplication.id)))


def supplier_applications(session: Session, actor: User | None,
                          supplier_id: int) -> list[LineApplication]:
    """What reviewers sent to the supplier: approved (to deliver) and delivered."""
    if actor is not None and (actor.role is not Role.SUPPLIER or
                              actor.supplier_id != supplier_id):
        raise Forbidden(N_("only the supplier's own staff see its applications"))
    return list(session.scalars(select(LineApplication).where(
        LineApplication.supplier_id == supplier_id,
        LineApplication.state.in_([ApplicationState.APPROVED, ApplicationState.DELIVERED]))
        .order_by(LineApplication.id)))


def review_queue(session: Session, actor: User | None,
                 state: ApplicationState | None = ApplicationState.SUBMITTED
                 ) -> list[LineApplication]:
    check_reviewer(actor)
    query = select(LineApplication).order_by(LineApplication.id)
    if state is not None:
        query = query.where(LineApplication.state == state)
    return list(session.scalars(query))


def application_json(application: LineApplication) -> dict:
    """One serializer for the CLI's --json and the API."""
    a = application
    return {"id": a.id, "account_id": a.account_id, "qualification": a.qualification_id,
            "company_name": a.qualification.company_name, "supplier": a.supplier.name,
            "supplier_id": a.supplier_id, "instance": a.instance_id,
            "number_type": a.number_type.value, "quantity": a.quantity, "note": a.note,
            "state": a.state.value, "remark": a.remark, "numbers": list(a.numbers),
            "created_at": a.created_at.isoformat(),
            "history": [{"action": h.action, "actor": h.actor, "remark": h.remark,
                         "at": h.at.isoformat()} for h in a.history]}
