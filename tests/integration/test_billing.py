"""Real calls through Asterisk become bill lines, on both plans.

Configured (conftest): account acme (pay-as-you-go) with instance Sales (landline
01012345678, agent alice). Here: agent bob in Sales; account beta (per-seat monthly)
with instance Support (landline 01087654321, agents dave and erin). Four calls at
once: the carrier calls Sales and Support (12 s from the answer, answered by alice and
dave after the welcome prompt), bob and erin call out (about 65 s). Each plan's bill
must gain a 1-minute inbound line and a 2-minute outbound line at its own prices.

The PBX's journal is shared by every module and both databases, so earlier calls may
be billed too: the test compares the bills before and after its own calls.
"""
from __future__ import annotations

import time
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from engine.billing.detail import USAGE_HEADER
from engine.billing.periods import Month
from tests.integration.callcenter import CARRIER, PORT_OFFSET, local

ALICE, BOB = local("127.0.0.3", 5080), local("127.0.0.5", 5100)
DAVE, ERIN = local("127.0.0.6", 5110), local("127.0.0.7", 5120)
SALES_NUMBER, SUPPORT_NUMBER = "01012345678", "01087654321"
LONG = ("-timeout", "110s")  # a 65-second call outlives SIPp's default 40 s limit
PRICES = {"acme": {"Landline_Inbound": "0.03", "Landline_Outbound": "0.15"},
          "beta": {"Landline_Inbound": "0.00", "Landline_Outbound": "0.11"}}


def media(n: int) -> tuple[str, str]:
    # SIPps sharing a loopback address (the carrier's) each need their own RTP ports.
    return ("-mp", str(16000 + 4 * PORT_OFFSET + 40 + 8 * n))


@pytest.fixture(scope="module")
def agents(callcenter):
    cc = callcenter
    cc.ccc("account", "create", "beta", "--plan", "seat")
    support = cc.ccc_json("instance", "create", "--account", "beta", "--name", "Support",
                          "--domain", "support.beta", "--number", SUPPORT_NUMBER,
                          "--number-type", "landline", "--admin", "dave")
    return {"alice": cc.instances["sales"]["admin_agent"],
            # level 10: the queue rings alice and dave (level 1) first
            "bob": cc.ccc_json("agent", "create", "--instance", "sales.acme", "--name", "bob",
                               "--skill-group", "default:10"),
            "dave": support["admin_agent"],
            "erin": cc.ccc_json("agent", "create", "--instance", "support.beta",
                                "--name", "erin", "--skill-group", "default:10")}


def bill(cc, account: str, month: str) -> dict:
    cc.ccc("billing", "rate", "--month", month)
    return cc.ccc_json("billing", "bill", "--account", account, "--month", month)


def usage(result: dict) -> dict[str, tuple[int, Decimal, str]]:
    """Per item: minutes, amount payable, unit price."""
    return {line["billing_item"]: (line["usage"], Decimal(line["amount_payable"]),
                                   line["unit_price"]) for line in result["lines"]}


def test_real_calls_become_bill_lines_on_both_plans(callcenter, agents, tmp_path):
    cc, tag = callcenter, callcenter.tag
    sales_caller, support_caller = f"1380013800{tag}", f"1380013810{tag}"
    callees = {"bob": f"1390013900{tag}", "erin": f"1390013910{tag}"}
    month = Month.containing(datetime.now(timezone.utc).replace(tzinfo=None)).key
    for name, phone in (("alice", ALICE), ("bob", BOB), ("dave", DAVE), ("erin", ERIN)):
        cc.register(agents[name], phone)
    cc.ccc("cdr", "ingest")
    before = {account: usage(bill(cc, account, month)) for account in ("acme", "beta")}

    # bob and erin call out first: busy, they are not rung by their queues afterwards.
    carrier = cc.sipp("carrier-answers", "answer.xml", CARRIER, "", *LONG, *media(0), calls=2)
    time.sleep(0.3)
    outbound = [cc.sipp(f"{name}-calls-out", "call.xml", phone, callees[name],
                        "-key", "caller", agents[name]["sip_username"],
                        "-au", agents[name]["sip_username"],
                        "-ap", agents[name]["sip_password"], "-d", "65000", *LONG)
                for name, phone in (("bob", BOB), ("erin", ERIN))]
    answering = [cc.sipp(f"{name}-answers", "answer.xml", phone, "", *LONG)
                 for name, phone in (("alice", ALICE), ("dave", DAVE))]
    time.sleep(2)
    inbound = [cc.sipp(f"carrier-calls-{n}", "call.xml", local("127.0.0.2", 5072 + 2 * n),
                       # 12 s: the welcome prompt (4.2 s) and the queue come first, slower
                       # under load; still one started minute on the bill
                       number, "-key", "caller", caller, "-d", "12000", *LONG, *media(n + 1))
               for n, (number, caller) in enumerate(((SALES_NUMBER, sales_caller),
                                                     (SUPPORT_NUMBER, support_caller)))]
    for run in inbound + answering + outbound + [carrier]:
        run.assert_success(timeout=110)

    for caller in (sales_caller, support_caller):
        cc.wait_for_record(lambda r, caller=caller: r["caller"] == caller)
    for callee in callees.values():
        cc.wait_for_record(lambda r, callee=callee: r["callee"] == callee)
    for account in ("acme", "beta"):
        after = usage(bill(cc, account, month))
        for item, minutes in (("Landline_Inbound", 1), ("Landline_Outbound", 2)):
            old_minutes, old_amount, _ = before[account].get(item, (0, Decimal(0), ""))
            new_minutes, new_amount, price = after[item]
            assert (new_minutes - old_minutes, price) == (minutes, PRICES[account][item]), (
                account, item, before[account], after)
            assert new_amount - old_amount == Decimal(price) * minutes

    # The seat plan instance's usage detail: one row per call, minutes in their columns.
    out = tmp_path / "support.csv"
    cc.ccc("billing", "usage-export", "--account", "beta", "--month", month,
           "--instance", "support.beta", "-o", str(out))
    header, *rows = [line.split(",") for line in out.read_text().splitlines()]
    assert tuple(header) == USAGE_HEADER
    by_party = {party: row for row in rows for party in (row[10], row[11])}
    assert by_party[support_caller][2:5] == ["1", "0", "0"]
    assert by_party[callees["erin"]][2:5] == ["0", "2", "0"]


def test_a_pool_purchase_is_on_a_bill_shown_before_it_until_serve_gives_it_back(callcenter):
    """Configured: a gold 400 number in the pool. Done: acme's bill of this month is shown
    (`ccc billing bill`, which rates it); acme buys the number; the bill is shown again
    with no call in between; the purchase's documents come due and `ccc serve` (restarted:
    its numbers' round runs at start) gives the number back. Observed: the second bill
    carries Purchase_400 (3 x 2,500) and the number's rent, its CSV too; after the
    release the purchase is gone from the bill and the number is free in the pool."""
    from sqlalchemy import select

    from engine.db import utcnow
    from engine.numbers.pool_models import NumberPurchase
    from engine.settings import load_settings
    from engine.uow import transaction
    from tests.integration.callcenter import wait_for
    cc, digits = callcenter, "4008006001"
    month = Month.containing(utcnow()).key
    shown = ("billing", "bill", "--account", "acme", "--month", month)
    before = cc.ccc_json(*shown)
    assert not [line for line in before["lines"] if digits in line["billing_item"]]
    cc.ccc("number", "pool", "add", "--number", digits, "--tier", "gold")
    cc.ccc("number", "buy", "--account", "acme", "--number", digits)
    after = cc.ccc_json(*shown)
    lines = {line["billing_item"]: line for line in after["lines"]}
    purchase = lines[f"Purchase_400 {digits}"]
    assert (purchase["unit_price"], purchase["usage"], purchase["amount_payable"]) == (
        "2500.00", 3, "7500.00")
    assert [p["digits"] for p in after["number_purchases"]] == [digits]
    assert lines["NumberRent 400"]["usage"] >= 1
    assert Decimal(after["amount_payable"]) >= Decimal(before["amount_payable"]) + 7500
    assert f"Purchase_400 {digits},2500.00,CNY/month,3,month,7500.00" in cc.ccc(
        *shown, "--csv").stdout

    with transaction(load_settings(cc.env)) as db:
        bought = db.scalar(select(NumberPurchase).where(NumberPurchase.released_at.is_(None),
                                                        NumberPurchase.months == 3,
                                                        NumberPurchase.tier == "gold"))
        bought.documents_due_at = utcnow()
    cc.stop_serve()
    cc.start_serve()
    wait_for(lambda: digits in [p["digits"] for p in cc.ccc_json("number", "pool", "list")],
             "the number back in the pool", timeout=30)
    released = cc.ccc_json(*shown)
    assert f"Purchase_400 {digits}" not in [line["billing_item"] for line in released["lines"]]
    assert released["number_purchases"] == []
