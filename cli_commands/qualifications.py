"""``ccc platform-user``, ``ccc qualification``, ``ccc application``: the supply side as
the platform's operator sees it (every account's; the operator may review and deliver
for a supplier), with the rules of the web pages."""
from __future__ import annotations

import json
from pathlib import Path

import click

from cli_commands.common import AppState, emit, json_option

password_option = click.option("--password", required=True, prompt=True, hide_input=True,
                               help="At least 10 characters, not a common one, no name in it.")
FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _read(path: Path | None) -> bytes | None:
    return path.read_bytes() if path else None


def _fields(path: Path) -> dict:
    """A qualification's fields from a JSON object file (the API's field names)."""
    try:
        fields = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise click.ClickException(f"{path.name} is not a JSON file: {error}") from None
    if not isinstance(fields, dict):
        raise click.ClickException(f"{path.name} must hold a JSON object")
    return fields


def _supplier_ids(session, names) -> list[int]:
    from engine.suppliers.service import get_supplier
    return [get_supplier(session, name).id for name in names]


def _listed(app: AppState, account_name, state: str, kind, of_account, of_every_account,
            to_json) -> list[dict]:
    """The rows of one account (by name) in a state, or of every account (the review
    queue); ``state`` is a value of ``kind`` or 'all'."""
    from engine.accounts.service import get_account
    wanted = None if state == "all" else kind(state)
    with app.transaction() as session:
        if account_name:
            found = of_account(session, None, get_account(session, account_name).id, wanted)
        else:
            found = of_every_account(session, None, wanted)
        return [to_json(row) for row in found]


def _show(row: dict, as_json: bool, history: bool = False) -> None:
    """One row as JSON, or a line a field (and its review history's steps, if asked)."""
    if as_json:
        click.echo(json.dumps(row, indent=2, ensure_ascii=False))
        return
    for key, value in row.items():
        if key != "history":
            click.echo(f"{key}: {'' if value is None else value}")
    for step in row["history"] if history else []:
        click.echo(f"  {step['at']} {step['action']} by {step['actor']}"
                   + (f": {step['remark']}" if step["remark"] else ""))


# ---- platform users ------------------------------------------------------------------

@click.group("platform-user")
def platform_user() -> None:
    """Reviewers and suppliers' staff: platform users of no account."""


@platform_user.command("create")
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice(["reviewer", "supplier"]))
@click.option("--supplier", "supplier_name", help="The supplier (for its staff).")
@password_option
@click.pass_obj
def platform_user_create(app: AppState, name, role, supplier_name, password) -> None:
    """Add a reviewer, or a supplier's staff member (they sign in with no account)."""
    from engine.accounts.platform import create_platform_user
    from engine.suppliers.service import get_supplier
    with app.transaction() as session:
        supplier = get_supplier(session, supplier_name) if supplier_name else None
        created = create_platform_user(session, name, role, password, supplier)
        click.echo(f"platform user {created.name} created ({created.role.value})")


@platform_user.command("list")
@json_option
@click.pass_obj
def platform_user_list(app: AppState, as_json) -> None:
    """Every platform user."""
    from engine.accounts.platform import list_platform_users, platform_user_json
    with app.transaction() as session:
        rows = [platform_user_json(u) for u in list_platform_users(session)]
    emit(rows, as_json, ["id", "name", "role", "supplier", "disabled"])


@platform_user.command("token")
@click.option("--name", required=True)
@click.pass_obj
def platform_user_token(app: AppState, name) -> None:
    """A new API token for a platform user (shown once)."""
    from engine.accounts.platform import create_platform_token
    with app.transaction() as session:
        click.echo(create_platform_token(session, name))


# ---- qualifications --------------------------------------------------------------------

@click.group()
def qualification() -> None:
    """Enterprise qualifications of the accounts, and their review."""


@qualification.command("list")
@click.option("--account", "account_name", help="One account's (default: the review queue).")
@click.option("--state", type=click.Choice(["submitted", "approved", "rejected", "all"]),
              default="submitted", show_default=True)
@json_option
@click.pass_obj
def qualification_list(app: AppState, account_name, state, as_json) -> None:
    """Qualifications of one account, or of every account in a state."""
    from engine.qualifications import service
    from engine.qualifications.models import QualificationState
    rows = _listed(app, account_name, state, QualificationState, service.list_qualifications,
                   service.review_queue, service.qualification_json)
    emit(rows, as_json, ["id", "account_id", "company_name", "location", "state", "remark"])


@qualification.command("show")
@click.option("--id", "ident", type=int, required=True)
@json_option
@click.pass_obj
def qualification_show(app: AppState, ident, as_json) -> None:
    """One qualification with its review history."""
    from engine.qualifications import service
    with app.transaction() as session:
        row = service.qualification_json(service.get_qualification(session, None, ident))
    _show(row, as_json, history=True)


@qualification.command("submit")
@click.option("--account", "account_name", required=True)
@click.option("--fields", "fields_file", type=FILE, required=True,
              help="JSON object: company_name, location, company_type, credit_code, "
                   "valid_until or no_fixed_term, representative_name, ... (the API's names).")
@click.option("--supplier", "suppliers", multiple=True, required=True, help="Repeat.")
@click.option("--id-front", type=FILE, required=True, help="JPEG, PNG or GIF, at most 5 MB.")
@click.option("--id-back", type=FILE, required=True)
@click.pass_obj
def qualification_submit(app: AppState, account_name, fields_file, suppliers, id_front,
                         id_back) -> None:
    """Submit a qualification for an account (as its owner would)."""
    from engine.accounts.service import get_account
    from engine.qualifications.service import submit_qualification
    fields = _fields(fields_file)
    with app.transaction() as session:
        fields["suppliers"] = _supplier_ids(session, suppliers)
        created = submit_qualification(session, None, get_account(session, account_name).id,
                                       fields, {"id_front": _read(id_front),
                                                "id_back": _read(id_back)})
        click.echo(f"qualification {created.id} submitted")


@qualification.command("resubmit")
@click.option("--id", "ident", type=int, required=True)
@click.option("--fields", "fields_file", type=FILE, required=True)
@click.option("--id-front", type=FILE)
@click.option("--id-back", type=FILE)
@click.pass_obj
def qualification_resubmit(app: AppState, ident, fields_file, id_front, id_back) -> None:
    """Correct a rejected qualification and submit it again."""
    from engine.qualifications import service
    fields = _fields(fields_file)
    with app.transaction() as session:
        found = service.get_qualification(session, None, ident)
        service.resubmit_qualification(session, None, found, fields,
                                       {"id_front": _read(id_front), "id_back": _read(id_back)})
        click.echo(f"qualification {ident} resubmitted")


@qualification.command("review")
@click.option("--id", "ident", type=int, required=True)
@click.option("--decision", required=True, type=click.Choice(["approved", "rejected"]))
@click.option("--remark", default="", help="Needed to reject: what must be corrected.")
@click.pass_obj
def qualification_review(app: AppState, ident, decision, remark) -> None:
    """Approve or reject a submitted qualification."""
    from engine.qualifications import service
    with app.transaction() as session:
        found = service.get_qualification(session, None, ident)
        service.review_qualification(session, None, found, decision, remark)
        click.echo(f"qualification {ident} {decision}")


@qualification.command("add-supplier")
@click.option("--id", "ident", type=int, required=True)
@click.option("--supplier", "suppliers", multiple=True, required=True, help="Repeat.")
@click.pass_obj
def qualification_add_supplier(app: AppState, ident, suppliers) -> None:
    """Add suppliers to an approved qualification."""
    from engine.qualifications import service
    with app.transaction() as session:
        found = service.get_qualification(session, None, ident)
        service.add_suppliers(session, None, found, _supplier_ids(session, suppliers))
        click.echo(f"qualification {ident}: suppliers {', '.join(suppliers)} added")


# ---- line applications -----------------------------------------------------------------

@click.group()
def application() -> None:
    """Third-party line applications: apply, review, deliver."""


@application.command("list")
@click.option("--account", "account_name", help="One account's (default: the review queue).")
@click.option("--state", type=click.Choice(["submitted", "approved", "rejected", "delivered",
                                            "all"]), default="all", show_default=True)
@json_option
@click.pass_obj
def application_list(app: AppState, account_name, state, as_json) -> None:
    """Applications of one account, or of every account."""
    from engine.applications import service
    from engine.applications.models import ApplicationState
    rows = _listed(app, account_name, state, ApplicationState, service.list_applications,
                   service.review_queue, service.application_json)
    emit(rows, as_json, ["id", "account_id", "supplier", "number_type", "quantity", "state",
                         "numbers"])


@application.command("show")
@click.option("--id", "ident", type=int, required=True)
@json_option
@click.pass_obj
def application_show(app: AppState, ident, as_json) -> None:
    """One application with its history."""
    from engine.applications import service
    with app.transaction() as session:
        row = service.application_json(service.get_application(session, None, ident))
    _show(row, as_json)


@application.command("create")
@click.option("--account", "account_name", required=True)
@click.option("--qualification", "qualification_id", type=int, required=True)
@click.option("--supplier", "supplier_name", required=True)
@click.option("--instance", "domain", required=True, help="The instance's access domain.")
@click.option("--number-type", required=True,
              help="landline, 95, virtual_mobile or international.")
@click.option("--quantity", type=int, required=True)
@click.option("--note", default="")
@click.pass_obj
def application_create(app: AppState, account_name, qualification_id, supplier_name, domain,
                       number_type, quantity, note) -> None:
    """Apply for a third-party line for an account (as its owner would)."""
    from engine.accounts.service import get_account
    from engine.applications.service import apply_for_line
    from engine.instances.service import get_instance
    from engine.suppliers.service import get_supplier
    with app.transaction() as session:
        created = apply_for_line(
            session, None, get_account(session, account_name).id,
            qualification_id=qualification_id,
            supplier_id=get_supplier(session, supplier_name).id,
            instance_id=get_instance(session, domain).id, number_type=number_type,
            quantity=quantity, note=note)
        click.echo(f"application {created.id} submitted")


@application.command("review")
@click.option("--id", "ident", type=int, required=True)
@click.option("--decision", required=True, type=click.Choice(["approved", "rejected"]))
@click.option("--remark", default="")
@click.pass_obj
def application_review(app: AppState, ident, decision, remark) -> None:
    """Approve (it goes to the supplier) or reject an application."""
    from engine.applications import service
    with app.transaction() as session:
        found = service.get_application(session, None, ident)
        service.review_application(session, None, found, decision, remark)
        click.echo(f"application {ident} {decision}")


@application.command("deliver")
@click.option("--id", "ident", type=int, required=True)
@click.option("--number", "numbers", multiple=True, required=True, help="Repeat.")
@click.pass_obj
def application_deliver(app: AppState, ident, numbers) -> None:
    """Deliver an approved application's numbers (for its supplier): they become the
    account's, in the instance applied for."""
    from engine.applications import service
    with app.transaction() as session:
        found = service.get_application(session, None, ident)
        service.deliver(session, None, found, list(numbers))
        click.echo(f"application {ident} delivered: {', '.join(numbers)}")
