"""The report figures' definitions, on hand-made queue log events and state changes."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from engine.reports.metrics import (
    AgentCalls, Outcome, QueueLogEvent, StateChange, agent_figures, queue_visits, refused_calls,
    skill_group_figures, state_periods, work_by_skill_group,
)

T0 = datetime(2026, 12, 3, 2, 0, 0)
SALES, SUPPORT = "i1-q1", "i1-q2"
GROUP_OF = {SALES: 1, SUPPORT: 2}


def ev(seconds, call, event, *data, queue=SALES, agent=None) -> QueueLogEvent:
    return QueueLogEvent(at=T0 + timedelta(seconds=seconds), call_id=call, queue=queue,
                         skill_group_id=GROUP_OF[queue], agent=agent, event=event,
                         data=tuple(str(d) for d in data))


def answered(call, start, wait, talk, agent="1001", queue=SALES):
    """A caller who waited ``wait`` s, then talked ``talk`` s with ``agent``."""
    return [ev(start, call, "ENTERQUEUE", "", "13800138000", 1, queue=queue),
            ev(start + wait, call, "CONNECT", wait, f"{call}-agent", 2, queue=queue, agent=agent),
            ev(start + wait + talk, call, "COMPLETECALLER", wait, talk, 1, queue=queue,
               agent=agent)]


def abandoned(call, start, wait, queue=SALES):
    return [ev(start, call, "ENTERQUEUE", "", "13800138001", 1, queue=queue),
            ev(start + wait, call, "ABANDON", 1, 1, wait, queue=queue)]


def figures(events, queue=SALES, **kwargs):
    visits = [v for v in queue_visits(events) if v.queue == queue]
    return skill_group_figures(visits, **kwargs)


def test_an_answered_and_an_abandoned_call():
    got = figures(answered("c1", 0, wait=8, talk=30) + abandoned("c2", 2, wait=12))
    assert got["CallsOffered"] == 2
    assert got["CallsHandled"] == 1
    assert got["CallsAbandoned"] == 1 and got["CallsAbandonedInQueue"] == 1
    assert got["CallsAbandonedRinging"] == 0 and got["CallsAbandonedShort"] == 0
    assert got["HandleRate"] == 0.5 and got["AbandonRate"] == 0.5
    assert got["AverageWaitTime"] == 8.0       # over handled calls only
    assert got["AverageAbandonTime"] == 12.0
    assert got["AverageTalkTime"] == 30.0
    assert got["AverageHandleTime"] == 30.0    # no after-call work given
    assert got["AverageHoldTime"] == 0.0       # no hold given: a call never held


def test_no_calls_gives_no_rates_rather_than_zero():
    got = figures([])
    assert got["CallsOffered"] == 0
    assert got["HandleRate"] is None and got["ServiceLevel"] is None
    assert got["AverageWaitTime"] is None and got["AverageHandleTime"] is None


def test_service_level_counts_calls_answered_within_the_groups_threshold_over_offered():
    events = (answered("c1", 0, wait=5, talk=10) + answered("c2", 0, wait=20, talk=10)
              + answered("c3", 0, wait=21, talk=10) + abandoned("c4", 0, wait=9))
    assert figures(events)["ServiceLevel"] == 0.5            # 2 of 4 within 20 s
    assert figures(events, service_level_seconds=30)["ServiceLevel"] == 0.75
    assert figures(events, service_level_seconds=4)["ServiceLevel"] == 0.0


def test_a_call_overflowing_from_one_group_to_another_is_offered_to_both_handled_in_one():
    events = [ev(0, "c1", "ENTERQUEUE", "", "138", 1),
              ev(60, "c1", "EXITWITHTIMEOUT", 1, 1, 60),
              *answered("c1", 60, wait=4, talk=25, queue=SUPPORT)]
    sales, support = figures(events, SALES), figures(events, SUPPORT)
    assert sales["CallsOffered"] == 1 and sales["CallsHandled"] == 0
    assert sales["CallsTimeout"] == 1 and sales["CallsAbandoned"] == 0
    assert support["CallsOffered"] == 1 and support["CallsHandled"] == 1
    assert support["CallsOverflowedIn"] == 1 and sales["CallsOverflowedIn"] == 0
    assert support["AverageWaitTime"] == 4.0  # its wait in the group that answered


def test_an_abandon_within_five_seconds_is_reported_apart_and_not_in_the_abandon_rate():
    got = figures(abandoned("c1", 0, wait=4) + abandoned("c2", 0, wait=5)
                  + answered("c3", 0, wait=1, talk=9) + answered("c4", 0, wait=1, talk=9))
    assert got["CallsAbandonedShort"] == 1
    assert got["CallsAbandoned"] == 1      # the 5 s one is a real abandon
    assert got["AbandonRate"] == 0.25
    assert got["CallsOffered"] == 4


def test_an_abandon_while_an_agent_rang_is_split_from_one_in_queue():
    events = [ev(0, "c1", "ENTERQUEUE", "", "138", 1),
              ev(9, "c1", "RINGCANCELED", 3000, agent="1001"),
              ev(9, "c1", "ABANDON", 1, 1, 9),
              *abandoned("c2", 0, wait=7)]
    got = figures(events)
    assert got["CallsAbandoned"] == 2
    assert got["CallsAbandonedRinging"] == 1 and got["CallsAbandonedInQueue"] == 1


def test_a_caller_who_leaves_by_key_press_is_neither_handled_nor_abandoned():
    events = [ev(0, "c1", "ENTERQUEUE", "", "138", 1), ev(15, "c1", "EXITWITHKEY", 1, 1, 1, 15)]
    [visit] = queue_visits(events)
    assert visit.outcome is Outcome.KEY and visit.key == "1" and visit.wait_seconds == 15
    got = figures(events)
    assert got["CallsExitedByKey"] == 1 and got["CallsOffered"] == 1
    assert got["CallsAbandoned"] == 0 and got["CallsAbandonedShort"] == 0
    assert got["CallsHandled"] == 0 and got["AbandonRate"] == 0.0


def test_a_call_transferred_to_another_group_is_offered_there_too():
    events = [*answered("c1", 0, wait=3, talk=0)[:2],
              ev(40, "c1", "BLINDTRANSFER", "q2", "ccc-i1-transfer", 3, 37, 1, agent="1001"),
              ev(41, "c1", "ENTERQUEUE", "", "138", 1, queue=SUPPORT)]
    sales, support = figures(events, SALES), figures(events, SUPPORT)
    assert sales["CallsHandled"] == 1 and sales["AverageTalkTime"] == 37.0
    assert support["CallsOffered"] == 1 and support["CallsTransferredIn"] == 1
    assert support["CallsWaiting"] == 1     # nobody answered it yet


def test_a_call_still_talking_is_handled_but_not_yet_in_the_talk_time():
    events = answered("c1", 0, wait=2, talk=50) + answered("c2", 0, wait=6, talk=0)[:2]
    got = figures(events)
    assert got["CallsHandled"] == 2 and got["AverageWaitTime"] == 4.0
    assert got["AverageTalkTime"] == 50.0


def test_a_call_reaching_a_group_nobody_is_signed_in_to_is_blocked_and_still_offered():
    # The dialplan logs BLOCKED, then the caller joins and waits: here until it times out.
    events = [ev(0, "c1", "BLOCKED"), ev(0, "c1", "ENTERQUEUE", "", "138", 1),
              ev(30, "c1", "EXITWITHTIMEOUT", 1, 1, 30), *answered("c2", 40, wait=1, talk=1)]
    got = figures(events, refused=len(refused_calls(events)))
    assert got["CallsBlocked"] == 1 and got["CallsOffered"] == 2
    assert got["CallsTimeout"] == 1 and got["CallsHandled"] == 1


def test_hold_is_taken_out_of_talk_and_handle_time_is_talk_hold_and_work():
    # Two calls of 100 s and 60 s connected; the first was held 30 s of its 100.
    events = answered("c1", 0, wait=2, talk=100) + answered("c2", 10, wait=4, talk=60)
    visits = queue_visits(events)
    got = skill_group_figures(visits, work_seconds=[20.0, 20.0], hold_seconds={"c1": 30.0})
    assert got["AverageTalkTime"] == 65.0       # (100 - 30 + 60) / 2
    assert got["AverageHoldTime"] == 15.0       # 30 / 2 calls
    assert got["AverageWorkTime"] == 20.0
    assert got["AverageHandleTime"] == 100.0    # 65 + 15 + 20
    agent = agent_figures(AgentCalls.of(visits, hold_seconds={"c1": 30.0}), [])
    assert (agent["AverageTalkTime"], agent["AverageHoldTime"]) == (65.0, 15.0)
    assert (agent["TalkTime"], agent["HoldTime"]) == (130.0, 30.0)


def test_a_hold_of_a_call_still_talking_waits_for_its_end():
    events = answered("c1", 0, wait=2, talk=100)[:2]
    got = skill_group_figures(queue_visits(events), hold_seconds={"c1": 30.0})
    assert got["CallsHandled"] == 1 and got["AverageHoldTime"] is None


def test_events_of_a_call_that_entered_before_the_events_given_are_left_out():
    events = answered("c1", 0, wait=5, talk=9)[1:] + abandoned("c2", 0, wait=6)
    assert [v.call_id for v in queue_visits(events)] == ["c2"]


def test_a_wait_missing_from_the_log_is_taken_from_the_times():
    events = [ev(0, "c1", "ENTERQUEUE", "", "138", 1), ev(11, "c1", "ABANDON", 1, 1, "")]
    assert queue_visits(events)[0].wait_seconds == 11.0


# ---- agent state periods --------------------------------------------------------------

def change(minutes, state, agent="1001", code=None):
    return StateChange(agent=agent, state=state, at=T0 + timedelta(minutes=minutes),
                       break_code=code)


def test_a_state_lasts_until_the_next_change_and_is_cut_at_the_period():
    changes = [change(-30, "READY"), change(10, "BREAK", code="Meal"), change(40, "READY"),
               change(70, "OFFLINE")]
    periods = state_periods(changes, T0, T0 + timedelta(minutes=60))
    assert [(p.state, p.break_code, p.seconds) for p in periods] == [
        ("READY", None, 600.0), ("BREAK", "Meal", 1800.0), ("READY", None, 1200.0)]


def test_agent_occupancy_is_talk_and_work_over_signed_in_time():
    changes = [change(0, "READY"), change(1, "RINGING"), change(2, "TALKING"),
               change(7, "WORKING"), change(9, "READY"), change(20, "BREAK", code="Rest"),
               change(30, "OFFLINE")]
    periods = state_periods(changes, T0, T0 + timedelta(hours=1))
    visits = queue_visits(answered("c1", 30, wait=30, talk=300))
    got = agent_figures(visits, periods, rang_unanswered=2)
    assert got["SignedInTime"] == 1800.0               # OFFLINE is not signed in
    assert got["OccupancyRate"] == round((300 + 120) / 1800, 4)
    assert got["StateTime"]["TALKING"] == 300.0 and got["StateTime"]["READY"] == 720.0
    assert got["BreakTime"] == {"Rest": 600.0}
    assert got["CallsHandled"] == 1 and got["CallsRingNoAnswer"] == 2
    assert got["AverageWorkTime"] == 120.0
    assert got["AverageHandleTime"] == 420.0           # talk + hold (none) + work
    assert got["AverageWaitTime"] == 30.0


def test_after_call_work_counts_for_the_group_of_the_agents_last_call():
    events = (answered("c1", 0, wait=2, talk=60, queue=SALES)
              + answered("c2", 200, wait=2, talk=60, queue=SUPPORT))
    changes = [change(0, "READY"), change(62 / 60, "WORKING"), change(92 / 60, "READY"),
               change(262 / 60, "WORKING"), change(322 / 60, "READY")]
    visits = queue_visits(events)
    periods = state_periods(changes, T0, T0 + timedelta(hours=1))
    work = work_by_skill_group(periods, visits)
    assert [p.seconds for p in work[1]] == [30.0] and [p.seconds for p in work[2]] == [60.0]
    support = [v for v in visits if v.queue == SUPPORT]
    got = skill_group_figures(support, work_seconds=[p.seconds for p in work[2]])
    assert got["AverageWorkTime"] == 60.0 and got["AverageHandleTime"] == 120.0


@pytest.mark.parametrize("agent_figure", ["OccupancyRate", "AverageWorkTime",
                                          "AverageHandleTime"])
def test_an_agent_with_no_time_or_calls_has_no_rates(agent_figure):
    assert agent_figures([], [])[agent_figure] is None
