"""``ccc billing tariff|discount|package``: the data that prices calls (engine.billing)."""
from __future__ import annotations

import click

from cli_commands.common import AppState, emit, json_option


@click.group()
def tariff() -> None:
    """The tariff table: prices per plan, item and tier."""


@tariff.command("list")
@click.option("--plan", help="payg or seat (default: both).")
@json_option
@click.pass_obj
def tariff_list(app: AppState, plan, as_json) -> None:
    """The tariff table: prices by plan, item and tier."""
    from engine.billing.money import show
    from engine.billing.tariffs import list_tariffs
    with app.transaction() as session:
        rows = [{"plan": t.plan.value, "item": t.item, "variant": t.variant,
                 "tier_from": t.tier_from, "unit_price": show(t.unit_price), "unit": t.unit}
                for t in list_tariffs(session, plan)]
    emit(rows, as_json, ["plan", "item", "variant", "tier_from", "unit_price", "unit"])


@tariff.command("set")
@click.option("--plan", required=True)
@click.option("--item", required=True)
@click.option("--price", required=True, help="CNY per unit, up to 4 decimals.")
@click.option("--variant", default="", help="Number type, for NumberRent.")
@click.option("--tier-from", default=0, show_default=True, help="First unit of the tier.")
@click.pass_obj
def tariff_set(app: AppState, plan, item, price, variant, tier_from) -> None:
    """Set a price (per plan, item and tier); bills use it from then on."""
    from engine.billing.money import show
    from engine.billing.tariffs import set_price
    with app.transaction() as session:
        row = set_price(session, plan, item, price, variant, tier_from)
        click.echo(f"{row.plan.value} {row.item} {row.variant} from {row.tier_from}: "
                   f"{show(row.unit_price)} CNY/{row.unit}".replace("  ", " "))


@click.group()
def discount() -> None:
    """Contract discounts per account."""


@discount.command("set")
@click.option("--account", "account_name", required=True)
@click.option("--percent", required=True, help="e.g. 20 for 20% off.")
@click.option("--from", "month_text", help="First month it applies to (default: this one).")
@click.pass_obj
def discount_set(app: AppState, account_name, percent, month_text) -> None:
    """Set an account's contract discount from a month on."""
    from engine.accounts.service import get_account
    from engine.billing.contracts import set_discount
    from engine.billing.periods import Month
    from engine.db import utcnow
    offset = app.settings.billing_utc_offset_minutes
    with app.transaction() as session:
        month = (Month.parse(month_text, offset) if month_text
                 else Month.containing(utcnow(), offset))
        row = set_discount(session, get_account(session, account_name), percent, month)
        click.echo(f"{account_name}: {row.percent}% off from {row.valid_from}")


@discount.command("list")
@click.option("--account", "account_name", required=True)
@json_option
@click.pass_obj
def discount_list(app: AppState, account_name, as_json) -> None:
    """An account's contract discounts."""
    from engine.accounts.service import get_account
    from engine.billing.contracts import list_discounts
    with app.transaction() as session:
        rows = [{"valid_from": d.valid_from, "percent": str(d.percent)}
                for d in list_discounts(session, get_account(session, account_name))]
    emit(rows, as_json, ["valid_from", "percent"])


@click.group()
def package() -> None:
    """Prepaid voice packages (minutes consumed before per-minute charges)."""


def _package_row(p) -> dict:
    return {"id": p.id, "direction": p.direction, "minutes": p.minutes,
            "valid_from": str(p.valid_from), "valid_until": str(p.valid_until)}


@package.command("add")
@click.option("--account", "account_name", required=True)
@click.option("--direction", required=True, help="inbound or outbound.")
@click.option("--minutes", required=True, type=int)
@click.option("--from", "valid_from", required=True, help="First day, YYYY-MM-DD.")
@click.option("--until", "valid_until", required=True, help="Last day, YYYY-MM-DD.")
@json_option
@click.pass_obj
def package_add(app: AppState, account_name, direction, minutes, valid_from, valid_until,
                as_json) -> None:
    """Add a prepaid voice package (minutes by direction, valid between dates)."""
    from engine.accounts.service import get_account
    from engine.billing.contracts import add_package
    with app.transaction() as session:
        row = _package_row(add_package(session, get_account(session, account_name), direction,
                                       minutes, valid_from, valid_until))
    emit([row], as_json, list(row))


@package.command("list")
@click.option("--account", "account_name", required=True)
@json_option
@click.pass_obj
def package_list(app: AppState, account_name, as_json) -> None:
    """An account's voice packages: direction, minutes and validity."""
    from engine.accounts.service import get_account
    from engine.billing.contracts import list_packages
    with app.transaction() as session:
        rows = [_package_row(p) for p in list_packages(session, get_account(session,
                                                                             account_name))]
    emit(rows, as_json, ["id", "direction", "minutes", "valid_from", "valid_until"])
