"""``ccc billing``: tariffs, rating, bills, payments, usage exports (thin: engine.billing)."""
from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import click

from cli_commands.common import AppState, emit, json_option


def _month(app: AppState, text: str):
    from engine.billing.periods import Month
    return Month.parse(text, app.settings.billing_utc_offset_minutes)


def _account(session, name: str):
    from engine.accounts.service import get_account
    return get_account(session, name)


@click.group()
def billing() -> None:
    """Tariffs, rating, monthly bills, payments and usage-detail exports."""


@billing.command("rate")
@click.option("--month", "month_text", required=True, help="YYYY-MM on the billing clock.")
@click.option("--account", "account_name", help="One account (default: every account).")
@json_option
@click.pass_obj
def rate(app: AppState, month_text, account_name, as_json) -> None:
    """Rate a month's call records (again): idempotent."""
    from engine.billing.rating import rate_month
    with app.transaction() as session:
        month = _month(app, month_text)
        account = _account(session, account_name) if account_name else None
        rows = [vars(r) for r in rate_month(session, month, account)]
    emit(rows, as_json, ["account", "month", "calls"])


@billing.command("bill")
@click.option("--account", "account_name", required=True)
@click.option("--month", "month_text", required=True, help="YYYY-MM on the billing clock.")
@json_option
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV.")
@click.pass_obj
def bill(app: AppState, account_name, month_text, as_json, as_csv) -> None:
    """The monthly bill (the month is rated first if calls came in since it last was)."""
    from engine.billing.bills import BILL_COLUMNS, bill, bill_csv, bill_dict
    from engine.billing.money import show
    if as_json and as_csv:
        raise click.ClickException("choose one of --json and --csv")
    with app.transaction() as session:
        result = bill(session, _account(session, account_name), _month(app, month_text))
    if as_json:
        click.echo(json.dumps(bill_dict(result), indent=2))
    elif as_csv:
        click.echo(bill_csv(result), nl=False)
    else:
        emit([line.as_row() for line in result.lines], False, list(BILL_COLUMNS))
        click.echo(f"total payable {show(result.payable)} CNY, paid {show(result.paid)}, "
                   f"unpaid {show(result.unpaid)} (plan {result.plan}, "
                   f"discount {result.discount_percent}%)")


@billing.command("pay")
@click.option("--account", "account_name", required=True)
@click.option("--month", "month_text", required=True)
@click.option("--amount", required=True, help="CNY, e.g. 12.34")
@click.option("--reference", default="", help="The bank's or cashier's reference.")
@click.pass_obj
def pay(app: AppState, account_name, month_text, amount, reference) -> None:
    """Record a payment against a month's bill."""
    from engine.billing.bills import pay
    from engine.billing.money import show
    with app.transaction() as session:
        payment = pay(session, _account(session, account_name), _month(app, month_text),
                      amount, reference)
        click.echo(f"payment of {show(payment.amount)} CNY recorded for {account_name} "
                   f"{payment.month}")


@billing.command("usage-export")
@click.option("--account", "account_name", required=True)
@click.option("--month", "month_text", required=True)
@click.option("--instance", "domain", help="Only this instance (its access domain).")
@click.option("--item", help="Only calls with this billing item, e.g. Inbound_400.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              required=True, help="The CSV file to write.")
@click.pass_obj
def usage_export(app: AppState, account_name, month_text, domain, item, output) -> None:
    """Export the usage detail (one row per call, the usage-detail columns); recorded for later."""
    from engine.billing.export import export_usage
    from engine.instances.service import get_instance
    if not output.parent.is_dir():
        raise click.ClickException(f"no directory {output.parent} for {output.name}")
    with contextlib.ExitStack() as stack:
        bar = None

        def start(total: int) -> None:
            nonlocal bar
            bar = stack.enter_context(click.progressbar(length=total, label="exporting",
                                                        file=sys.stderr))

        with app.transaction() as session:
            instance = get_instance(session, domain) if domain else None
            record = export_usage(session, exports_dir_of(app),
                                  _account(session, account_name), _month(app, month_text),
                                  instance, item, progress=lambda n: bar.update(n),
                                  on_total=start)
    _deliver(app, record, output)


def _deliver(app: AppState, record, output: Path) -> None:
    from engine.billing.export import copy_to
    try:
        copy_to(exports_dir_of(app) / record.file_name, output)
    except OSError as error:
        raise click.ClickException(f"export {record.id} is recorded, but {output} could not "
                                   f"be written: {error.strerror}") from None
    click.echo(f"export {record.id}: {record.rows} rows written to {output}")


@billing.group("exports")
def exports() -> None:
    """Usage exports made earlier."""


@exports.command("list")
@click.option("--account", "account_name")
@json_option
@click.pass_obj
def exports_list(app: AppState, account_name, as_json) -> None:
    """Past usage exports, each downloadable again."""
    from engine.billing.export import list_exports
    with app.transaction() as session:
        account = _account(session, account_name) if account_name else None
        rows = [{"id": e.id, "account_id": e.account_id, "month": e.month,
                 "instance_id": e.instance_id, "item": e.item, "rows": e.rows, "size": e.size,
                 "sha256": e.sha256, "created_at": e.created_at}
                for e in list_exports(session, account)]
    emit(rows, as_json, ["id", "account_id", "month", "instance_id", "item", "rows",
                         "created_at"])


@exports.command("download")
@click.argument("export_id", type=int)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.pass_obj
def exports_download(app: AppState, export_id, output) -> None:
    """Write an earlier export again, exactly as it was made."""
    from engine.billing.export import get_export
    with app.transaction() as session:
        record = get_export(session, exports_dir_of(app), export_id)
    _deliver(app, record, output)


def exports_dir_of(app: AppState) -> Path:
    from engine.billing.export import exports_dir
    return exports_dir(app.settings.var_dir)


# The data that prices calls has its own module, to keep each one small.
from cli_commands.billing_admin import discount, package, tariff  # noqa: E402

for _group in (tariff, discount, package):
    billing.add_command(_group)
