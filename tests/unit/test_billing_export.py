"""The usage-detail CSV: exact header, one row per call, filters, neutralised cells."""
from __future__ import annotations

from datetime import datetime

import pytest

from engine.billing.export import download, export_usage, list_exports
from engine.billing.rating import rate_month
from engine.errors import Invalid, NotFound
from tests.unit.billing_support import HOTLINE, SUPPORT, add_call, build_accounts, month

HEADER_LINE = (
    "account id (UID),call start time,landline inbound minutes,landline outbound minutes,"
    "400 inbound minutes,instance id,platform fee minutes (pay-as-you-go),"
    "SIP line maintenance fee,consumption.portal.export.oms.CCC.CallStartTime,"
    "consumption.portal.export.oms.CCC.CallEndTime,consumption.portal.export.oms.CCC.Caller,"
    "consumption.portal.export.oms.CCC.Callee\n")


def epoch(cst: str) -> int:
    return int(datetime.fromisoformat(cst + "+08:00").timestamp())


@pytest.fixture
def world(session):
    world = build_accounts(session)
    add_call(session, world["sales"], "2026-11-10 10:00:00", 5, direction="inbound",
             caller="=HYPERLINK(\"http://x\")")
    add_call(session, world["sales"], "2026-11-10 10:30:00", 65, callee="+8613900139000")
    add_call(session, world["hotline"], "2026-11-30 23:59:00", 61, direction="inbound",
             number=HOTLINE, caller="@SUM(A1)")
    add_call(session, world["sales"], "2026-11-11 09:00:00", 30, answered=False)
    add_call(session, world["support"], "2026-11-12 09:00:00", 30, number=SUPPORT)
    rate_month(session, month("2026-11"))
    return world


def export(session, tmp_path, world, **filters):
    record = export_usage(session, tmp_path / "exports", world["acme"], month("2026-11"),
                          **filters)
    return record, (tmp_path / "exports" / record.file_name).read_bytes().decode()


def test_the_header_row_is_exactly_the_specified_one(session, world, tmp_path):
    _, text = export(session, tmp_path, world)
    assert text.splitlines(keepends=True)[0] == HEADER_LINE


def test_one_row_per_connected_call_in_the_order_calls_started(session, world, tmp_path):
    record, text = export(session, tmp_path, world)
    sales, hotline = world["sales"].id, world["hotline"].id
    first, second, third = (epoch(t) for t in ("2026-11-10 10:00:00", "2026-11-10 10:30:00",
                                                 "2026-11-30 23:59:00"))
    assert first == 1794276000  # the moment is 02:00 UTC
    # A call ends 2 s (ringing) + its billable seconds after it starts.
    assert text.splitlines()[1:] == [
        f"1,2026-11-10 10:00:00,1,0,0,{sales},1,0,{first},{first + 7},"
        "\"'=HYPERLINK(\"\"http://x\"\")\",01012345678",
        f"1,2026-11-10 10:30:00,0,2,0,{sales},2,0,{second},{second + 67},01012345678,"
        "'+8613900139000",
        f"1,2026-11-30 23:59:00,0,0,2,{hotline},2,0,{third},{third + 63},'@SUM(A1),4001234567",
    ]
    assert (record.rows, record.size) == (3, len(text.encode()))


@pytest.mark.parametrize(("filters", "rows"), [
    ({"item": "Inbound_400"}, 1), ({"item": "Landline_Outbound"}, 1),
    ({"item": "CallCenterSoftware"}, 3), ({"item": "NumberRent"}, 0),
    ({"item": "RecordStorage"}, 3), ({"instance": "sales"}, 2), ({"instance": "hotline"}, 1),
    ({"instance": "sales", "item": "Inbound_400"}, 0),
])
def test_filters_by_instance_and_item(session, world, tmp_path, filters, rows):
    filters = dict(filters)  # the parameter is shared by both databases' runs
    if "instance" in filters:
        filters["instance"] = world[filters["instance"]]
    record, text = export(session, tmp_path, world, **filters)
    assert record.rows == rows == len(text.splitlines()) - 1


def test_bad_filters_are_refused(session, world, tmp_path):
    with pytest.raises(Invalid, match="unknown billing item"):
        export(session, tmp_path, world, item="Minutes")
    with pytest.raises(Invalid, match="not one of acme's"):
        export(session, tmp_path, world, instance=world["support"])


def test_an_export_is_recorded_and_downloaded_again_byte_for_byte(session, world, tmp_path):
    progress = []
    record = export_usage(session, tmp_path / "exports", world["acme"], month("2026-11"),
                          progress=progress.append)
    assert sum(progress) == 3
    assert [e.id for e in list_exports(session, world["acme"])] == [record.id]
    download(session, tmp_path / "exports", record.id, tmp_path / "again.csv")
    original = (tmp_path / "exports" / record.file_name).read_bytes()
    assert (tmp_path / "again.csv").read_bytes() == original
    with pytest.raises(NotFound):
        download(session, tmp_path / "exports", 999, tmp_path / "x.csv")
    assert not (tmp_path / "x.csv").exists()


def test_each_line_is_what_pythons_csv_module_writes(session, tmp_path):
    """The database writes the lines; for any caller text they must read back as the
    neutralised value, quoted as csv.writer quotes (and a lone carriage return too,
    which csv.writer leaves bare when lines end in a newline)."""
    import csv
    import io

    from engine.billing.detail import FORMULA_STARTS
    world = build_accounts(session)
    callers = ["a,b", 'say "hi"', "two\nlines", "cr\rhere", "", "-1", "\ttab", "+86 138",
               "=1+1", "@x", "' quoted", "中文名", "plain"]
    for n, caller in enumerate(callers):
        add_call(session, world["sales"], f"2026-11-10 10:{n:02d}:00", 30,
                 direction="inbound", caller=caller)
    rate_month(session, month("2026-11"))
    _, text = export(session, tmp_path, world)
    rows = list(csv.reader(io.StringIO(text, newline="")))[1:]
    expected = ["'" + c if c[:1] in FORMULA_STARTS else c for c in callers]
    assert [row[10] for row in rows] == expected
    assert len(rows) == len(callers)
    for row in rows:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow(row)
        written = buffer.getvalue() if "\r" not in row[10] else buffer.getvalue().replace(
            row[10], f'"{row[10]}"')
        assert "\n" + written in text


def test_fractions_of_a_second_are_dropped_alike_on_both_databases(session, tmp_path):
    world = build_accounts(session)
    add_call(session, world["sales"], "2026-11-10 10:00:59.999999", 58)  # ends 10:01:59.999999
    rate_month(session, month("2026-11"))
    _, text = export(session, tmp_path, world)
    cells = text.splitlines()[1].split(",")
    assert cells[1] == "2026-11-10 10:00:59"
    assert (int(cells[8]), int(cells[9])) == (epoch("2026-11-10 10:00:59"),
                                              epoch("2026-11-10 10:01:59"))


def test_the_instance_filter_is_one_of_the_accounts_own(session, world):
    from engine.billing.export import account_instance
    assert account_instance(session, world["acme"], None) is None
    assert account_instance(session, world["acme"], world["hotline"].id) is world["hotline"]
    for other in (world["support"].id, 999_999):  # another account's, or none: same words
        with pytest.raises(Invalid) as refused:
            account_instance(session, world["acme"], other)
        assert refused.value.fields == {"instance": f"no instance {other} in acme"}


def test_an_export_is_found_for_its_own_account_only(session, world, tmp_path):
    from engine.billing.export import get_export
    record, _ = export(session, tmp_path, world)
    assert get_export(session, tmp_path / "exports", record.id, world["acme"]) is record
    with pytest.raises(NotFound, match=f"no usage export {record.id}$"):
        get_export(session, tmp_path / "exports", record.id, world["beta"])
