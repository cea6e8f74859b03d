"""Builders for billing tests: two accounts (payg acme, seat beta) and call records."""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from sqlalchemy import update

from engine.agents.models import SeatPeriod
from engine.agents.service import create_agent
from engine.billing.periods import Month
from engine.calls.models import CallRecord, Direction
from engine.numbers.models import NumberRental
from tests.factories import add_account, add_instance

SALES, HOTLINE, SUPPORT = "01012345678", "4001234567", "01087654321"
SINCE = datetime(2026, 1, 1)
_ids = itertools.count(1)
CST = timedelta(hours=8)  # the default billing clock


def month(text: str) -> Month:
    return Month.parse(text)


def existed_since_january(session) -> None:
    """Every number and seat there is now has existed since the start of the year (the
    months billed in these tests): bills charge what existed during the month."""
    for model in (NumberRental, SeatPeriod):
        session.execute(update(model).values(starts_at=SINCE))


def build_accounts(session) -> dict:
    """acme (payg): Sales (landline), Hotline (400). beta (seat): Support with 2 agents."""
    add_account(session, "acme", "payg")
    sales = add_instance(session).instance
    hotline = add_instance(session, name="Hotline", domain="hotline.acme", number=HOTLINE,
                           number_type="400", admin="carol").instance
    add_account(session, "beta", "seat")
    support = add_instance(session, account="beta", name="Support", domain="support.beta",
                           number=SUPPORT, admin="dave").instance
    create_agent(session, support, "erin")
    session.flush()
    existed_since_january(session)
    return {"sales": sales, "hotline": hotline, "support": support,
            "acme": sales.account, "beta": support.account}


def add_call(session, instance, local_start: str, seconds: int, direction: str = "outbound",
             number: str = SALES, answered: bool = True, agent: str | None = "1001",
             caller: str | None = None, callee: str = "13900139000",
             recorded: bool | None = None) -> CallRecord:
    """A call starting at ``local_start`` on the billing clock (CST), ``seconds`` long."""
    start = datetime.fromisoformat(local_start) - CST
    record = CallRecord(
        pbx_call_id=f"test-{next(_ids)}", instance_id=instance.id, number=number,
        direction=Direction(direction), caller=caller if caller is not None else (
            number if direction == "outbound" else "13800138000"),
        callee=callee if direction == "outbound" else number, started_at=start,
        answered_at=start + timedelta(seconds=2) if answered else None,
        ended_at=start + timedelta(seconds=2 + seconds), billable_seconds=seconds if answered
        else 0, disposition="answered" if answered else "no_answer",
        agent_extension=agent if answered else None,
        # A call an agent answered is recorded (unless a test says not).
        recorded=(answered and agent is not None) if recorded is None else recorded)
    session.add(record)
    session.flush()
    return record


def lines(bill) -> list[tuple]:
    """(item, unit price, usage, original, discount, payable) of each bill line, as text."""
    return [(line.billing_item, str(line.unit_price), line.usage, str(line.original_price),
             str(line.discount), str(line.amount_payable)) for line in bill.lines]
