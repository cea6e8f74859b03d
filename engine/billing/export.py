"""The usage-detail export: one CSV row per rated call, streamed to a file that
is recorded and kept, so it can be downloaded again exactly as it was written.

Rating has written each call's line (engine.billing.detail); the export reads them
with a streaming cursor in partitions and writes partition by partition, so memory
stays flat whatever the month's size and Python only joins strings.
"""
from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import false, func, literal, select
from sqlalchemy.orm import Session

from engine.accounts.models import Account, BillingPlan
from engine.billing import rating
from engine.billing.detail import USAGE_HEADER
from engine.billing.models import Item, RatedUsage, UsageExport
from engine.billing.periods import Month
from engine.errors import Invalid, NotFound
from engine.instances.models import Instance
from engine.messages import N_

PARTITION = 50_000


def usage_query(account: Account, month: Month, instance_id: int | None = None,
                item: str | None = None):
    """The export's lines (written by rating), in the order the calls started."""
    query = (select(RatedUsage.detail)
             .where(RatedUsage.account_id == account.id, RatedUsage.month == month.key)
             .order_by(RatedUsage.started_at, RatedUsage.call_record_id))
    if instance_id is not None:
        query = query.where(RatedUsage.instance_id == instance_id)
    return query.where(_item_filter(account, item)) if item else query


def _item_filter(account: Account, item: str):
    if item in (Item.LANDLINE_INBOUND.value, Item.LANDLINE_OUTBOUND.value,
                Item.INBOUND_400.value):
        return RatedUsage.item == item
    if item == Item.PLATFORM.value:  # platform minutes are per call on payg only
        return literal(account.plan is BillingPlan.PAYG)
    if item == Item.RECORD_STORAGE.value:
        return RatedUsage.recorded
    if item in (Item.NUMBER_RENT.value, Item.PURCHASE_400.value,
                Item.MINIMUM_SPEND_400.value):  # monthly or once, no call
        return false()
    message = N_("unknown billing item %(item)r: choose one of %(choices)s", item=item,
                 choices=", ".join(i.value for i in Item))
    raise Invalid(message, fields={"item": message})


def export_usage(session: Session, exports_dir: Path, account: Account, month: Month,
                 instance: Instance | None = None, item: str | None = None,
                 progress: Callable[[int], None] | None = None,
                 on_total: Callable[[int], None] | None = None) -> UsageExport:
    """Write the usage detail of an account's month (filtered) and record the export.

    The month is rated first if calls came in since it last was, as for its bill.
    """
    if instance is not None and instance.account_id != account.id:
        message = N_("instance %(domain)r is not one of %(account_name)s's",
                     domain=instance.domain, account_name=account.name)
        raise Invalid(message, fields={"instance": message})
    rating.rate_new_calls(session, account, month)
    query = usage_query(account, month, instance.id if instance else None, item)
    if on_total is not None:
        on_total(session.scalar(select(func.count()).select_from(query.subquery())))
    record = UsageExport(account_id=account.id, month=month.key, item=item, rows=0, size=0,
                         instance_id=instance.id if instance else None, sha256="", file_name="")
    session.add(record)
    session.flush()
    record.file_name = f"usage-{record.id}-{account.id}-{month.key}.csv"
    exports_dir.mkdir(parents=True, exist_ok=True)
    final = exports_dir / record.file_name
    partial = final.with_suffix(".partial")
    try:
        record.rows, record.size, record.sha256 = _write(session, query, partial, progress)
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    session.flush()
    return record


def _write(session: Session, query, path: Path, progress) -> tuple[int, int, str]:
    digest, size, rows = hashlib.sha256(), 0, 0
    with open(path, "wb") as out:
        for text, count in _chunks(session, query):
            data = text.encode("utf-8")
            digest.update(data)
            out.write(data)
            size, rows = size + len(data), rows + count
            if progress is not None and count:
                progress(count)
    return rows, size, digest.hexdigest()


def _chunks(session: Session, query):
    """(text, lines) per partition; the header goes out first."""
    yield ",".join(USAGE_HEADER) + "\n", 0
    for partition in _partitions(session, query):
        yield "\n".join(partition) + "\n", len(partition)


def _partitions(session: Session, query):
    """Lists of lines straight from the driver's cursor (a server-side one on
    PostgreSQL, so the month never sits in memory): one text column needs none of
    SQLAlchemy's row machinery, which would cost more than the rest of the export."""
    connection = session.connection()
    compiled = query.compile(dialect=connection.dialect,
                             compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    raw = connection.connection.dbapi_connection
    if connection.dialect.name == "postgresql":
        cursor = raw.cursor(name="usage_export")
        cursor.itersize = PARTITION
    else:
        cursor = raw.cursor()
        params = [params[name] for name in compiled.positiontup]
    try:
        cursor.execute(str(compiled), params)
        while partition := cursor.fetchmany(PARTITION):
            yield [row[0] for row in partition]
    finally:
        cursor.close()


def list_exports(session: Session, account: Account | None = None) -> list[UsageExport]:
    query = select(UsageExport).order_by(UsageExport.id)
    if account is not None:
        query = query.where(UsageExport.account_id == account.id)
    return list(session.scalars(query))


def account_instance(session: Session, account: Account, instance_id: int | None
                     ) -> Instance | None:
    """The instance an export is narrowed to, by id: one of the account's, or refused on
    the ``instance`` field with the same words whether it is another account's or none at
    all (a user learns nothing of other accounts)."""
    if instance_id is None:
        return None
    instance = session.get(Instance, instance_id)
    if instance is None or instance.account_id != account.id:
        message = N_("no instance %(instance_id)s in %(account_name)s",
                     instance_id=instance_id, account_name=account.name)
        raise Invalid(message, fields={"instance": message})
    return instance


def get_export(session: Session, exports_dir: Path, export_id: int,
               account: Account | None = None) -> UsageExport:
    """A recorded export whose file is still there to be downloaded again; given an
    account, only one of its own (another account's is not found, as a missing one)."""
    record = session.get(UsageExport, export_id)
    if record is None or (account is not None and record.account_id != account.id):
        raise NotFound(N_("no usage export %(export_id)s", export_id=export_id))
    if not (exports_dir / record.file_name).is_file():
        raise NotFound(N_("the file of usage export %(export_id)s is gone from %(exports_dir)s",
                          export_id=export_id, exports_dir=exports_dir))
    return record


def download(session: Session, exports_dir: Path, export_id: int, destination: Path
             ) -> UsageExport:
    """Copy a recorded export, byte for byte, to ``destination``."""
    record = get_export(session, exports_dir, export_id)
    copy_to(exports_dir / record.file_name, destination)
    return record


def copy_to(source: Path, destination: Path) -> None:
    """Copy through a temporary name: a failed copy leaves no half-written file."""
    partial = destination.with_name(destination.name + ".partial")
    try:
        shutil.copyfile(source, partial)
        os.replace(partial, destination)
    finally:
        partial.unlink(missing_ok=True)


def exports_dir(var_dir: Path) -> Path:
    return var_dir / "exports"
