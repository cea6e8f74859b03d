"""``ccc number pool|buy|documents|route|marketing|renewal|rentals|reminders|
dismiss-reminder``: 400 numbers from the pool by tier, their purchase, routing, the
marketing flag of a number, its rental periods, auto-renewal and the reminders of terms
about to end (beside ``ccc number list``)."""
from __future__ import annotations

from datetime import datetime, timezone

import click

from cli_commands.common import AppState, emit, json_option


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _number(session, account_id: int, digits: str):
    from sqlalchemy import select

    from engine.errors import NotFound
    from engine.numbers.models import Number
    number = session.scalar(select(Number).where(Number.digits == digits,
                                                 Number.account_id == account_id))
    if number is None:
        raise NotFound(f"no number {digits} in this account")
    return number


@click.group("pool")
def pool() -> None:
    """The platform's pool of 400 numbers, by tier."""


@pool.command("list")
@click.option("--tier", help="Only this tier (standard, preferred, select, gold, platinum, "
                             "vip, vvip).")
@json_option
@click.pass_obj
def pool_list(app: AppState, tier, as_json) -> None:
    """Free 400 numbers and their tier's minimum monthly spend (CNY)."""
    from engine.numbers.pool import available, tiers
    with app.transaction() as session:
        spend = {t.name: str(t.minimum_monthly_spend) for t in tiers(session)}
        rows = [{"digits": p.digits, "tier": p.tier, "minimum_monthly_spend": spend[p.tier]}
                for p in available(session, tier)]
    emit(rows, as_json, ["digits", "tier", "minimum_monthly_spend"])


@pool.command("add")
@click.option("--number", "digits", required=True)
@click.option("--tier", required=True)
@click.pass_obj
def pool_add(app: AppState, digits, tier) -> None:
    """Offer a 400 number for sale in a tier (the platform's operators)."""
    from engine.numbers.pool import add_to_pool
    with app.transaction() as session:
        add_to_pool(session, digits, tier)
    click.echo(f"400 number {digits} in the pool ({tier})")


@click.command("buy")
@click.option("--account", "account_name", required=True)
@click.option("--number", "digits", required=True)
@json_option
@click.pass_obj
def buy(app: AppState, account_name, digits, as_json) -> None:
    """Buy a free pool number: three months of its tier now; the handler's documents
    are due within seven days or the number goes back to the pool."""
    from engine.accounts.service import get_account
    from engine.numbers.pool import buy as buy_number
    from engine.numbers.pool import purchase_json
    with app.transaction() as session:
        row = purchase_json(buy_number(session, get_account(session, account_name).id, digits,
                                       _now()), digits)
    emit([row], as_json, ["digits", "tier", "months", "amount", "documents_due_at"])


@click.command("documents")
@click.option("--account", "account_name", required=True)
@click.option("--number", "digits", required=True)
@click.pass_obj
def documents(app: AppState, account_name, digits) -> None:
    """Record that the handler's documents for a bought 400 number are in."""
    from engine.accounts.service import get_account
    from engine.numbers.pool import purchase_of, submit_documents
    with app.transaction() as session:
        account = get_account(session, account_name)
        submit_documents(session, purchase_of(session, account.id, digits), _now())
    click.echo(f"400 number {digits}: documents in, the number is kept")


@click.command("route")
@click.option("--account", "account_name", required=True)
@click.option("--number", "digits", required=True)
@click.option("--instance", "domain", required=True)
@click.pass_obj
def route(app: AppState, account_name, digits, domain) -> None:
    """Route the account's number to one of its instances (before binding a flow)."""
    from engine.accounts.service import get_account
    from engine.instances.service import get_instance
    from engine.numbers.service import set_routing
    with app.transaction() as session:
        account = get_account(session, account_name)
        set_routing(session, None, _number(session, account.id, digits),
                    get_instance(session, domain).id)
    click.echo(f"number {digits} routed to {domain}")


def _flag_command(name: str):
    """``ccc number NAME --account A --number N on|off``."""
    def command(function):
        for decorate in (click.pass_obj, click.argument("flag", type=click.Choice(["on", "off"])),
                         click.option("--number", "digits", required=True),
                         click.option("--account", "account_name", required=True),
                         click.command(name)):
            function = decorate(function)
        return function
    return command


def _set_flag(app: AppState, account_name, digits, flag, change, missing: str = "") -> None:
    """``change(session, number, on)`` on the account's number; a change that answers None
    had nothing to change (``missing`` says what)."""
    from engine.accounts.service import get_account
    with app.transaction() as session:
        account = get_account(session, account_name)
        if change(session, _number(session, account.id, digits), flag == "on") is None:
            raise click.ClickException(missing)


@_flag_command("marketing")
def marketing(app: AppState, account_name, digits, flag) -> None:
    """Mark a number as making marketing calls (its supplier's industry limits apply)."""
    from engine.numbers.service import set_marketing
    _set_flag(app, account_name, digits, flag, set_marketing)
    click.echo(f"number {digits}: marketing {flag}")


@_flag_command("renewal")
def renewal(app: AppState, account_name, digits, flag) -> None:
    """Renew the number's rental term a month at a time when it expires (auto-renewal)."""
    from engine.numbers.rentals import set_auto_renew
    _set_flag(app, account_name, digits, flag,
              lambda session, number, on: set_auto_renew(session, None, number, on),
              f"number {digits} has no rental")
    click.echo(f"number {digits}: auto-renewal {flag}")


@click.command("rentals")
@click.option("--account", "account_name", required=True)
@json_option
@click.pass_obj
def rentals(app: AppState, account_name, as_json) -> None:
    """The account's number rental periods, newest first (the bills' number rent)."""
    from sqlalchemy import select

    from engine.accounts.service import get_account
    from engine.numbers.models import NumberRental
    from engine.numbers.rentals import rental_json
    with app.transaction() as session:
        account = get_account(session, account_name)
        rows = [rental_json(r) for r in session.scalars(
            select(NumberRental).where(NumberRental.account_id == account.id)
            .order_by(NumberRental.starts_at.desc(), NumberRental.id.desc()))]
    emit(rows, as_json, ["digits", "starts_at", "ends_at", "auto_renew", "reminded_at"])


@click.command("reminders")
@click.option("--account", "account_name", required=True)
@click.option("--all", "show_all", is_flag=True, help="The dismissed ones too.")
@json_option
@click.pass_obj
def reminders(app: AppState, account_name, show_all, as_json) -> None:
    """Reminders of rental terms ending within a week without auto-renewal (one per term,
    written by ccc serve), soonest first; those not dismissed unless --all."""
    from engine.accounts.service import get_account
    from engine.numbers.reminders import reminder_json
    from engine.numbers.reminders import reminders as account_reminders
    with app.transaction() as session:
        account = get_account(session, account_name)
        rows = [reminder_json(r) for r in account_reminders(session, None, account.id,
                                                             dismissed=show_all)]
    emit(rows, as_json, ["id", "digits", "ends_at", "created_at", "dismissed_at",
                         "dismissed_by"])


@click.command("dismiss-reminder")
@click.option("--account", "account_name", required=True)
@click.argument("reminder_id")
@click.pass_obj
def dismiss_reminder(app: AppState, account_name, reminder_id) -> None:
    """Dismiss one of the account's number reminders (for all its owners)."""
    from engine.accounts.service import get_account
    from engine.numbers.reminders import dismiss
    with app.transaction() as session:
        account = get_account(session, account_name)
        ident = int(reminder_id) if reminder_id.isascii() and reminder_id.isdigit() \
            else reminder_id  # anything else is no reminder's id: the engine says so
        digits = dismiss(session, None, account.id, ident, _now()).digits
    click.echo(f"reminder {reminder_id} ({digits}) dismissed")


COMMANDS = (pool, buy, documents, route, marketing, renewal, rentals, reminders,
            dismiss_reminder)
