"""``ccc supplier``: the carriers that provide numbers and the restrictions they put on
outbound calls from them (calling hours, caps per callee, blocked regions, concurrency).
Platform-wide: the operator of the platform manages them."""
from __future__ import annotations

import json

import click

from cli_commands.common import AppState, emit, json_option

COLUMNS = ["name", "time_zone", "calling_hours", "calls_per_day", "calls_per_24h",
           "calls_per_48h", "blocked_regions", "concurrency", "refused_industries"]


@click.group()
def supplier() -> None:
    """Number suppliers and their restriction policies."""


def _cap(value: str | None):
    """'' (or 'none') clears a cap; anything else must be a whole number."""
    if value is None:
        return None
    text = value.strip().lower()
    if text in ("", "none"):
        return ""
    if not text.isascii() or not text.isdigit():
        return value  # the service names the field and the rule
    return int(text)


def _policy_options(function):
    options = [
        click.option("--time-zone", help="IANA time zone of the calling hours and days, "
                                         "e.g. Asia/Shanghai."),
        click.option("--calling-hours", help="e.g. 'mon-fri 09:00-20:00; sat 10:00-18:00' "
                                             "('' for any hour)."),
        click.option("--calls-per-day", help="Calls to one callee per calendar day ('' none)."),
        click.option("--calls-per-24h", help="Calls to one callee in any 24 hours ('' none)."),
        click.option("--calls-per-48h", help="Calls to one callee in any 48 hours ('' none)."),
        click.option("--blocked-region", "blocked_regions", multiple=True,
                     help="A callee region refused (repeat; e.g. Xinjiang, Tibet, 北京)."),
        click.option("--no-blocked-regions", is_flag=True, help="Block no region."),
        click.option("--concurrency", help="Outbound calls at once per number ('' for 20)."),
        click.option("--refused-industry", "refused_industries", multiple=True,
                     help="An industry not served on marketing numbers (repeat; e.g. "
                          "finance, health_beauty, value_added_services)."),
        click.option("--no-refused-industries", is_flag=True, help="Refuse no industry."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _changes(time_zone, calling_hours, calls_per_day, calls_per_24h, calls_per_48h,
             blocked_regions, no_blocked_regions, concurrency, refused_industries=(),
             no_refused_industries=False) -> dict:
    changes = {"time_zone": time_zone, "calling_hours": calling_hours,
               "calls_per_day": _cap(calls_per_day), "calls_per_24h": _cap(calls_per_24h),
               "calls_per_48h": _cap(calls_per_48h), "concurrency": _cap(concurrency)}
    changes = {k: v for k, v in changes.items() if v is not None}
    if blocked_regions or no_blocked_regions:
        changes["blocked_regions"] = list(blocked_regions)
    if refused_industries or no_refused_industries:
        changes["refused_industries"] = list(refused_industries)
    return changes


@supplier.command("create")
@click.option("--name", required=True)
@_policy_options
@click.pass_obj
def supplier_create(app: AppState, name, time_zone, **policy) -> None:
    """Add a supplier and its restriction policy."""
    from engine.suppliers.service import create_supplier
    if not time_zone:
        raise click.ClickException("--time-zone is required (e.g. Asia/Shanghai)")
    changes = _changes(time_zone, **policy)
    changes.pop("time_zone")
    with app.transaction() as session:
        created = create_supplier(session, name, time_zone, **changes)
        click.echo(f"supplier {created.name} created")


@supplier.command("update")
@click.option("--name", required=True)
@click.option("--new-name")
@_policy_options
@click.pass_obj
def supplier_update(app: AppState, name, new_name, **policy) -> None:
    """Change a supplier's name or policy; the next outbound call follows it."""
    from engine.suppliers.service import get_supplier, update_supplier
    changes = _changes(**policy)
    if new_name is not None:
        changes["name"] = new_name
    with app.transaction() as session:
        found = update_supplier(session, get_supplier(session, name), **changes)
        click.echo(f"supplier {found.name} updated")


@supplier.command("show")
@click.option("--name", required=True)
@json_option
@click.pass_obj
def supplier_show(app: AppState, name, as_json) -> None:
    """One supplier: its policy, offer, published agreement and the numbers it provides."""
    from engine.suppliers.portal import published_json
    from engine.suppliers.service import get_supplier, number_digits
    with app.transaction() as session:
        found = get_supplier(session, name)
        row = published_json(session, found, number_digits(session, found))
    if as_json:
        click.echo(json.dumps(row, indent=2, ensure_ascii=False))
        return
    for key in COLUMNS + ["numbers"]:
        value = row[key]
        value = ", ".join(value) if isinstance(value, list) else value
        click.echo(f"{key}: {'' if value is None else value}")


@supplier.command("list")
@json_option
@click.pass_obj
def supplier_list(app: AppState, as_json) -> None:
    """Every supplier and its policy."""
    from engine.suppliers.portal import published_json
    from engine.suppliers.service import list_suppliers
    with app.transaction() as session:
        rows = [published_json(session, s) for s in list_suppliers(session)]
    if not as_json:
        rows = [r | {"blocked_regions": ",".join(r["blocked_regions"]),
                     "refused_industries": ",".join(r["refused_industries"])} for r in rows]
    emit(rows, as_json, COLUMNS)


@supplier.command("assign")
@click.option("--number", "digits", required=True, help="The number's digits.")
@click.option("--supplier", "name", required=True, help="The supplier ('' for none).")
@click.pass_obj
def supplier_assign(app: AppState, digits, name) -> None:
    """Say which supplier provides a number: its policy applies to calls out with it."""
    from sqlalchemy import select

    from engine.errors import NotFound
    from engine.numbers.models import Number
    from engine.suppliers.service import get_supplier, set_number_supplier
    with app.transaction() as session:
        number = session.scalar(select(Number).where(Number.digits == digits))
        if number is None:
            raise NotFound(f"no number {digits}")
        set_number_supplier(session, number, get_supplier(session, name) if name else None)
        click.echo(f"number {digits}: supplier {name or 'none'}")


# ---- what the supplier's portal sets (the operator may set it for the supplier) -------

@supplier.command("agreement")
@click.option("--name", required=True)
@click.option("--company-name", required=True)
@click.option("--usage-scenarios", default="")
@click.option("--restrictions", default="")
@click.option("--price-description", default="")
@click.option("--file", "pdf", type=click.Path(exists=True, dir_okay=False),
              help="The agreement, a PDF of at most 5 MB (needed the first time).")
@click.pass_obj
def supplier_agreement(app: AppState, name, pdf, **fields) -> None:
    """Publish the supplier's service agreement."""
    from pathlib import Path

    from engine.suppliers.portal import publish_agreement
    from engine.suppliers.service import get_supplier
    with app.transaction() as session:
        publish_agreement(session, None, get_supplier(session, name), fields,
                          Path(pdf).read_bytes() if pdf else None)
        click.echo(f"agreement of {name} published")


@supplier.command("offer")
@click.option("--name", required=True)
@click.option("--number-type", "number_types", multiple=True,
              help="A type offered (repeat): landline, 400, 95, virtual_mobile, international.")
@click.option("--barred-industry", "barred_industries", multiple=True,
              help="An industry its marketing numbers do not serve (repeat).")
@click.option("--virtual-mobile-batch", type=int, help="Numbers a batch, at least 5.")
@click.option("--virtual-mobile-concurrency", type=int, help="Calls at once a number, 3-5.")
@click.pass_obj
def supplier_offer(app: AppState, name, number_types, barred_industries,
                   virtual_mobile_batch, virtual_mobile_concurrency) -> None:
    """Set what the supplier offers: number types, industries not served, virtual-mobile
    batches."""
    from engine.suppliers.portal import update_policy
    from engine.suppliers.service import get_supplier
    changes = {"number_types": list(number_types) or None,
               "barred_industries": list(barred_industries) or None,
               "virtual_mobile_batch": virtual_mobile_batch,
               "virtual_mobile_concurrency": virtual_mobile_concurrency}
    with app.transaction() as session:
        update_policy(session, None, get_supplier(session, name),
                      {k: v for k, v in changes.items() if v is not None})
        click.echo(f"offer of {name} updated")
