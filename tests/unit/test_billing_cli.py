"""``ccc billing`` through click's CliRunner, on a throw-away SQLite database."""
from __future__ import annotations

import json

from engine.billing.detail import USAGE_HEADER
from engine.uow import transaction
from tests.unit.billing_support import add_call, existed_since_january
from tests.unit.test_cli import SALES, ccc, ccc_json, settings, snapshot  # noqa: F401


def calls(settings, *specs):  # noqa: F811
    from engine.instances.service import get_instance
    with transaction(settings) as session:
        sales = get_instance(session, "sales.acme")
        for start, seconds in specs:
            add_call(session, sales, start, seconds)


def prepare(ccc, settings):  # noqa: F811
    ccc("account", "create", "acme", "--plan", "payg")
    ccc(*SALES)
    with transaction(settings) as session:
        existed_since_january(session)
    calls(settings, ("2026-11-10 10:00:00", 5), ("2026-11-10 11:00:00", 65))


def test_rate_bill_and_pay(ccc, settings):  # noqa: F811
    prepare(ccc, settings)
    assert ccc_json(ccc, "billing", "rate", "--month", "2026-11") == [
        {"account": "acme", "month": "2026-11", "calls": 2}]
    ccc("billing", "discount", "set", "--account", "acme", "--percent", "20", "--from", "2026-11")
    bill = ccc_json(ccc, "billing", "bill", "--account", "acme", "--month", "2026-11")
    outbound = next(line for line in bill["lines"] if line["billing_item"] == "Landline_Outbound")
    assert outbound == {"billing_item": "Landline_Outbound", "unit_price": "0.15",
                        "price_unit": "CNY/minute", "usage": 3, "usage_unit": "minute",
                        "original_price": "0.45", "discount": "0.09", "amount_payable": "0.36",
                        "amount_unpaid": "0.36"}
    assert bill["amount_payable"] == bill["amount_unpaid"] == "24.38"  # 30 rent, 20% off
    assert ccc("billing", "pay", "--account", "acme", "--month", "2026-11", "--amount",
               "4.38").stdout == "payment of 4.38 CNY recorded for acme 2026-11\n"
    csv_text = ccc("billing", "bill", "--account", "acme", "--month", "2026-11", "--csv").stdout
    assert csv_text.splitlines()[0] == ("billing_item,unit_price,price_unit,usage,usage_unit,"
                                        "original_price,discount,amount_payable,amount_unpaid")
    table = ccc("billing", "bill", "--account", "acme", "--month", "2026-11").stdout
    assert "unpaid 20.00" in table.splitlines()[-1]


def test_usage_export_and_download_again(ccc, settings, tmp_path):  # noqa: F811
    prepare(ccc, settings)
    out = tmp_path / "usage.csv"
    result = ccc("billing", "usage-export", "--account", "acme", "--month", "2026-11",
                 "--instance", "sales.acme", "-o", str(out))
    assert result.stdout == f"export 1: 2 rows written to {out}\n"
    assert out.read_text().splitlines()[0] == ",".join(USAGE_HEADER)
    [listed] = ccc_json(ccc, "billing", "exports", "list", "--account", "acme")
    assert (listed["rows"], listed["month"], listed["instance_id"]) == (2, "2026-11", 1)
    ccc("billing", "exports", "download", "1", "-o", str(tmp_path / "again.csv"))
    assert (tmp_path / "again.csv").read_bytes() == out.read_bytes()


def test_tariffs_packages_and_discounts_are_managed(ccc, settings):  # noqa: F811
    prepare(ccc, settings)
    tariffs = ccc_json(ccc, "billing", "tariff", "list", "--plan", "seat")
    assert {"plan": "seat", "item": "CallCenterSoftware", "variant": "", "tier_from": 0,
            "unit_price": "150.00", "unit": "seat-month"} in tariffs
    assert ccc("billing", "tariff", "set", "--plan", "seat", "--item", "Landline_Outbound",
               "--price", "0.12").stdout == "seat Landline_Outbound from 0: 0.12 CNY/minute\n"
    package = ccc_json(ccc, "billing", "package", "add", "--account", "acme", "--direction",
                       "outbound", "--minutes", "2", "--from", "2026-11-01", "--until",
                       "2026-11-30")
    assert package == [{"id": 1, "direction": "outbound", "minutes": 2,
                        "valid_from": "2026-11-01", "valid_until": "2026-11-30"}]
    bill = ccc_json(ccc, "billing", "bill", "--account", "acme", "--month", "2026-11")
    assert [(line["billing_item"], line["usage"]) for line in bill["lines"]][1:3] == [
        ("Landline_Outbound (voice package)", 2), ("Landline_Outbound", 1)]
    ccc("billing", "discount", "set", "--account", "acme", "--percent", "12.5")
    assert len(ccc_json(ccc, "billing", "discount", "list", "--account", "acme")) == 1


def test_mistakes_print_one_line_and_write_nothing(ccc, settings, tmp_path):  # noqa: F811
    prepare(ccc, settings)
    ccc("billing", "rate", "--month", "2026-11")
    before = snapshot(settings)
    out = tmp_path / "x.csv"
    for args, message in [
        (["billing", "rate", "--month", "2026-13"], "invalid month '2026-13'"),
        (["billing", "bill", "--account", "nobody", "--month", "2026-11"], "unknown account"),
        (["billing", "pay", "--account", "acme", "--month", "2026-11", "--amount", "1e9"],
         "exceeds the unpaid"),
        (["billing", "pay", "--account", "acme", "--month", "2026-11", "--amount", "-1"],
         "invalid amount"),
        (["billing", "usage-export", "--account", "acme", "--month", "2026-11", "--item", "X",
          "-o", str(out)], "unknown billing item 'X'"),
        (["billing", "exports", "download", "7", "-o", str(out)], "no usage export 7"),
        (["billing", "usage-export", "--account", "acme", "--month", "2026-11", "-o",
          str(tmp_path / "nowhere" / "x.csv")], "no directory"),
        (["billing", "discount", "set", "--account", "acme", "--percent", "abc"],
         "invalid discount"),
        (["billing", "package", "add", "--account", "acme", "--direction", "up", "--minutes",
          "5", "--from", "2026-11-01", "--until", "2026-11-30"], "invalid direction"),
        (["billing", "tariff", "set", "--plan", "gold", "--item", "Inbound_400", "--price", "1"],
         "invalid plan"),
        (["billing", "bill", "--account", "acme", "--month", "2026-11", "--json", "--csv"],
         "choose one of"),
    ]:
        result = ccc(*args, ok=False)
        assert result.exit_code == 1, (args, result.output)
        assert result.stderr.splitlines() == [f"Error: {result.stderr[7:].strip()}"]
        assert message in result.stderr, (args, result.stderr)
    assert snapshot(settings) == before and not out.exists()
    assert json.loads(ccc("billing", "exports", "list", "--json").stdout) == []
