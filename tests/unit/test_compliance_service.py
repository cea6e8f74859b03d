"""The outbound decision against the database: which numbers an agent may show, the
400 rule, the supplier's policy, and the attempts the caps count (kept durably)."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from engine.accounts.industry import set_industry
from engine.accounts.models import Account

from engine.agents.service import create_agent
from engine.compliance.models import OutboundAttempt
from engine.compliance.rules import Refusal
from engine.compliance.service import decide_committed, decide_outbound
from engine.db import get_engine
from engine.errors import Conflict, Invalid, NotFound
from engine.numbers.models import Number
from engine.numbers.service import set_marketing
from engine.skillgroups.service import create_skill_group
from engine.suppliers.service import (create_supplier, get_supplier, set_number_supplier,
                                      supplier_json, update_supplier)
from tests.factories import add_account, add_instance

SALES, HOTLINE = "01012345678", "4001234567"
MONDAY_NOON = datetime(2026, 12, 7, 4, 0)  # 12:00 in Shanghai
CALLEE = "13912345678"


@pytest.fixture
def center(session):
    """Sales (i1): alice in default (bound to the Sales number), bob in vip only;
    Hotline (i2) with its 400 number; supplier metro provides the Sales number."""
    add_account(session)
    sales = add_instance(session).instance
    hotline = add_instance(session, name="Hotline", domain="hotline.acme",
                           number=HOTLINE, number_type="400", admin="carol").instance
    create_skill_group(session, sales, "vip")
    create_agent(session, sales, "bob", "1002", skill_groups={"vip": 1})
    metro = create_supplier(session, "metro", "Asia/Shanghai")
    set_number_supplier(session, number(session, SALES), metro)
    return {"sales": sales, "hotline": hotline, "metro": metro}


def number(session, digits: str) -> Number:
    return session.scalar(select(Number).where(Number.digits == digits))


def decide(session, center, agent="1001", caller_id=SALES, callee=CALLEE, live=1,
           now=MONDAY_NOON, instance="sales"):
    return decide_outbound(session, center[instance].id, agent, caller_id, callee, live,
                           now).refusal


def test_an_agent_may_show_only_numbers_of_its_own_skill_groups(session, center):
    assert decide(session, center) is None
    assert decide(session, center, agent="1002") is Refusal.NOT_PERMITTED  # vip: no number
    assert decide(session, center, agent="1999") is Refusal.NOT_PERMITTED  # no such agent
    # Another instance's number, even for an agent of that instance's own extension.
    assert decide(session, center, instance="hotline") is Refusal.NOT_PERMITTED
    assert decide(session, center, caller_id="01099999999") is Refusal.NOT_PERMITTED


def test_a_call_no_agent_placed_may_use_any_number_of_the_instance(session, center):
    """A caller an agent transferred to an outside number: the instance's number."""
    assert decide(session, center, agent=None) is None
    assert decide(session, center, agent=None, instance="hotline") is Refusal.NOT_PERMITTED


def test_a_400_number_never_calls_out(session, center):
    carol = "1001"
    assert decide(session, center, agent=carol, caller_id=HOTLINE, instance="hotline",
                  ) in (Refusal.NOT_PERMITTED, Refusal.INBOUND_ONLY)
    assert decide(session, center, agent=None, caller_id=HOTLINE, instance="hotline") \
        is Refusal.INBOUND_ONLY


def test_each_decision_is_kept_and_the_caps_count_the_calls_that_went_out(session, center):
    update_supplier(session, center["metro"], calls_per_day=1)
    assert decide(session, center, callee="+86" + CALLEE) is None
    assert decide(session, center, now=MONDAY_NOON + timedelta(hours=1)) \
        is Refusal.FREQUENCY_CAP
    # A refused attempt is kept but does not count: after Shanghai's midnight, allowed.
    assert decide(session, center, now=MONDAY_NOON + timedelta(hours=12, minutes=1)) is None
    attempts = session.scalars(select(OutboundAttempt).order_by(OutboundAttempt.id)).all()
    assert [(a.callee, a.refusal, a.agent_extension) for a in attempts] == [
        ("+8613912345678", None, "1001"), ("+8613912345678", "frequency_cap", "1001"),
        ("+8613912345678", None, "1001")]
    # Another callee, and the same callee from another number, are counted apart.
    assert decide(session, center, callee="13912345679",
                  now=MONDAY_NOON + timedelta(hours=12, minutes=2)) is None


def test_the_suppliers_policy_applies_and_a_number_without_one_has_the_default(session,
                                                                             center):
    update_supplier(session, center["metro"], calling_hours="mon-fri 09:00-18:00",
                    blocked_regions=["Xinjiang"], concurrency=3)
    assert decide(session, center, now=MONDAY_NOON + timedelta(hours=7)) \
        is Refusal.OUTSIDE_HOURS                                   # 19:00 in Shanghai
    assert decide(session, center, callee="09912345678") is Refusal.BLOCKED_REGION
    assert decide(session, center, live=4) is Refusal.CONCURRENCY
    assert decide(session, center, live=3) is None
    set_number_supplier(session, number(session, SALES), None)
    assert decide(session, center, now=MONDAY_NOON + timedelta(hours=7)) is None
    assert decide(session, center, live=20) is None
    assert decide(session, center, live=21) is Refusal.CONCURRENCY


@pytest.mark.parametrize("fields, field", [
    ({"time_zone": "Mars/Olympus"}, "time_zone"),
    ({"time_zone": "../../etc/passwd"}, "time_zone"),
    ({"calling_hours": "weekdays 9-5"}, "calling_hours"),
    ({"calling_hours": "mon 09:00-25:00"}, "calling_hours"),
    ({"calls_per_day": 0}, "calls_per_day"),
    ({"calls_per_24h": 10**20}, "calls_per_24h"),
    ({"calls_per_48h": True}, "calls_per_48h"),
    ({"concurrency": -1}, "concurrency"),
    ({"blocked_regions": ["Tibet;Xinjiang"]}, "blocked_regions"),
    ({"blocked_regions": ["x" * 65]}, "blocked_regions"),
    ({"blocked_regions": "Tibet"}, "blocked_regions"),
    ({"name": "metro&co"}, "name"),
])
def test_a_bad_policy_field_is_named_and_nothing_changes(session, center, fields, field):
    before = supplier_json(center["metro"])
    with pytest.raises(Invalid) as error:
        update_supplier(session, center["metro"], **fields)
    assert field in error.value.fields
    assert supplier_json(center["metro"]) == before


def test_supplier_names_are_unique_and_looked_up_exactly(session, center):
    with pytest.raises(Conflict):
        create_supplier(session, "metro", "UTC")
    with pytest.raises(NotFound):
        get_supplier(session, "Metro")


def test_a_marketing_numbers_supplier_may_refuse_the_accounts_industry(session, center):
    account = session.get(Account, center["sales"].account_id)
    update_supplier(session, center["metro"], refused_industries=["finance", "health_beauty"])
    assert decide(session, center) is None              # not a marketing number: no limit
    set_marketing(session, number(session, SALES), True)
    # An industry never declared cannot show it is not a refused one: refused.
    assert decide(session, center, callee="13912345670") is Refusal.INDUSTRY
    set_industry(session, account, "education")
    assert decide(session, center, callee="13912345671") is None
    set_industry(session, account, "finance")
    assert decide(session, center, callee="13912345672") is Refusal.INDUSTRY
    update_supplier(session, center["metro"], refused_industries=[])
    assert decide(session, center, callee="13912345673") is None
    with pytest.raises(Invalid) as error:
        update_supplier(session, center["metro"], refused_industries=["casinos"])
    assert "refused_industries" in error.value.fields
    with pytest.raises(Invalid):
        set_industry(session, account, "finance; drop table")
    assert account.industry == "finance"


class RaceAtInsert:
    """A connection whose insert is preceded by a whole other decision: the two read the
    same facts, as two calls decided at the same moment do."""

    def __init__(self, connection, competitor):
        self.connection, self.competitor = connection, competitor

    def execute(self, statement, *args):
        if statement.is_insert and self.competitor:
            self.competitor(), setattr(self, "competitor", None)
        return self.connection.execute(statement, *args)


def allowed_attempts(session, center) -> int:
    return session.scalar(select(func.count()).select_from(OutboundAttempt).where(
        OutboundAttempt.instance_id == center["sales"].id, OutboundAttempt.refusal.is_(None)))


def test_two_decisions_for_one_callee_at_once_cannot_both_pass_a_cap(session, center,
                                                                     settings):
    update_supplier(session, center["metro"], calls_per_day=1)
    session.commit()
    engine = get_engine(settings.database_url)
    args = (center["sales"].id, "1001", SALES, CALLEE, 1, MONDAY_NOON)
    competitor = []
    with pytest.raises(IntegrityError):
        with engine.begin() as connection:
            decide_outbound(RaceAtInsert(connection, lambda: competitor.append(
                decide_committed(engine, *args))), *args)
    assert competitor[0].allowed
    # The loser is decided again (what the AGI route does): now it counts the winner.
    assert decide_committed(engine, *args).refusal is Refusal.FREQUENCY_CAP
    session.expire_all()
    assert allowed_attempts(session, center) == 1


def test_many_decisions_in_threads_allow_one_call_a_day(session, center, settings):
    update_supplier(session, center["metro"], calls_per_day=1)
    session.commit()
    engine = get_engine(settings.database_url)
    args = (center["sales"].id, None, SALES, "13900000001", 1, MONDAY_NOON)
    with ThreadPoolExecutor(6) as pool:
        decisions = list(pool.map(lambda _: decide_committed(engine, *args), range(6)))
    assert sum(d.allowed for d in decisions) == 1
    assert {d.refusal for d in decisions if not d.allowed} == {Refusal.FREQUENCY_CAP}
