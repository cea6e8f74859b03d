"""Supervision's rules without a PBX: who may supervise which instance and from which
seat, the refusal of forged identifiers before anything reaches the PBX (and with
nothing logged), the supervisor's leg reporting to its own instance's log row only, and
the faces (page, API) answering 404 for an instance the user was not given.

The world: tests/unit/webadmin_world.py (the PBX is not running there). The calls
themselves are supervised on the real PBX in tests/integration/test_supervision.py.
"""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from engine import access
from engine.accounts.models import Role, User
from engine.accounts.service import find_or_create_user
from engine.agents.service import create_agent
from engine.callcontrol import supervision
from engine.callcontrol.models import SupervisionLog, SupervisionMode
from engine.errors import Forbidden, Invalid, NotFound
from engine.instances.models import Instance
from engine.uow import transaction
from tests.unit.webadmin_world import PASSWORD, signed_in, sqlite_world

__all__ = ["sqlite_world"]


@pytest.fixture
def world(sqlite_world):
    """sue: a supervisor given Sales (a seat there, extension returned as sue_seat)."""
    with transaction(sqlite_world.settings) as db:
        sales = db.get(Instance, sqlite_world.ids["acme_instance"])
        sue = find_or_create_user(db, sales.account, "sue", Role.SUPERVISOR, password=PASSWORD)
        seat = create_agent(db, sales, "sue", user_id=sue.id)
        sqlite_world.ids["sue_seat"] = seat.extension
    return sqlite_world


def users(db) -> dict[str, User]:
    return {u.name: u for u in db.scalars(select(User))}


def test_who_may_supervise_which_instance(world):
    ids = world.ids
    with transaction(world.settings) as db:
        found = users(db)
        sales, hotline, support = (db.get(Instance, ids[k]) for k in (
            "acme_instance", "acme_hotline", "globex_instance"))
        allowed = {(name, instance.name) for name in ("olivia", "alice", "carol", "sue",
                                                      "rita", "mallory")
                   for instance in (sales, hotline, support)
                   if access.may_supervise(db, found[name], instance)}
    # The owner every instance of the account; administrators and supervisors the
    # instances they have a seat in; a reviewer none; nobody another account's.
    assert allowed == {("olivia", "Sales"), ("olivia", "Hotline"), ("alice", "Sales"),
                       ("carol", "Hotline"), ("sue", "Sales"), ("mallory", "Support")}


def _supervise(world, user: str | None, instance_key: str, mode="listen", agent=None,
               seat=None, device="sip"):
    with transaction(world.settings) as db:
        actor = users(db)[user] if user else None
        instance = db.get(Instance, world.ids[instance_key])
        bob = "1002"
        return supervision.supervise(db, world.settings, actor, instance, mode,
                                     agent if agent is not None else bob,
                                     seat if seat is not None else world.ids["sue_seat"],
                                     device)


@pytest.mark.parametrize("user, instance_key, changes, error, field", [
    ("sue", "acme_hotline", {}, NotFound, None),             # not given Hotline
    ("rita", "acme_instance", {}, Forbidden, None),          # a reviewer supervises nothing
    ("mallory", "acme_instance", {}, NotFound, None),        # another account
    ("sue", "acme_instance", {"agent": "1002&PJSIP/i2-1001"}, NotFound, "agent"),
    ("sue", "acme_instance", {"agent": "1001@ccc-i2-agents"}, NotFound, "agent"),
    ("sue", "acme_instance", {"agent": 1002}, NotFound, "agent"),
    ("sue", "acme_instance", {"agent": "9999"}, NotFound, "agent"),
    ("sue", "acme_instance", {"seat": "i1-1001-web"}, NotFound, "supervisor"),
    ("sue", "acme_instance", {"mode": "spy,qB"}, Invalid, "mode"),
    ("sue", "acme_instance", {"device": "PJSIP/i1-1002"}, Invalid, "device"),
    ("sue", "acme_instance", {"seat": "1001"}, Forbidden, None),   # alice's seat, not hers
    ("sue", "acme_instance", {"agent": "sue"}, Invalid, "supervisor"),  # her own call
])
def test_forged_requests_are_refused_before_the_pbx_and_leave_no_log(
        world, user, instance_key, changes, error, field):
    if changes.get("agent") == "sue":
        changes = {"agent": world.ids["sue_seat"]}
    with pytest.raises(error) as refused:
        _supervise(world, user, instance_key, **changes)
    if field:
        assert field in refused.value.fields
    with transaction(world.settings) as db:
        assert db.scalar(select(func.count()).select_from(SupervisionLog)) == 0


def test_a_valid_request_reaches_the_pbx_and_writes_nothing_when_it_is_down(world):
    """Everything checked, the PBX is asked; unreachable, the act is not logged."""
    from engine.ami.client import AmiError
    with pytest.raises(AmiError):
        _supervise(world, "sue", "acme_instance")
    with transaction(world.settings) as db:
        assert db.scalar(select(func.count()).select_from(SupervisionLog)) == 0


def test_the_supervisor_s_leg_reports_to_its_own_instance_s_row_only(world):
    sales_key = f"ccc-{Instance.pbx_key_for(world.ids['acme_instance'])}-supervise"
    hotline_key = f"ccc-{Instance.pbx_key_for(world.ids['acme_hotline'])}-supervise"
    with transaction(world.settings) as db:
        row = SupervisionLog(instance_id=world.ids["acme_instance"], user_name="sue",
                             supervisor_extension="1003", agent_extension="1002",
                             pbx_call_id="1.1", mode=SupervisionMode.WHISPER)
        db.add(row)
        db.flush()
        log_id = str(row.id)
    at = datetime(2026, 12, 3, 9, 0, 0)
    with transaction(world.settings) as db:
        with pytest.raises(ValueError):  # a leg of another instance's context
            supervision.record_leg(db, log_id, "started", hotline_key, at)
        for forged in ("1;DROP", "", "-1", "9" * 30):
            with pytest.raises(ValueError):
                supervision.record_leg(db, forged, "started", sales_key, at)
        assert not supervision.record_leg(db, "424242", "started", sales_key, at)
        assert supervision.record_leg(db, log_id, "started", sales_key, at)
        assert supervision.record_leg(db, log_id, "ended", sales_key,
                                      at.replace(second=42))
        # A second report changes nothing: the first answer and end stand.
        supervision.record_leg(db, log_id, "ended", sales_key, at.replace(minute=5))
    with transaction(world.settings) as db:
        shown = supervision.log_as_dict(db.get(SupervisionLog, int(log_id)))
    assert (shown["mode"], shown["duration_seconds"]) == ("whisper", 42)
    assert shown["started_at"] == "2026-12-03T09:00:00Z"


def test_the_page_and_the_api_show_only_instances_given(world):
    ids = world.ids
    client = signed_in(world, "sue")
    page = client.get(f"/instances/{ids['acme_instance']}/supervision")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'<option value="{ids["sue_seat"]}"' in text  # her own seat only
    assert '<option value="1001"' not in text
    assert "The PBX is not reachable" in text  # no PBX in unit tests: said, not a 500
    assert client.get(f"/instances/{ids['acme_hotline']}/supervision").status_code == 404
    # The tab is there for roles that supervise; a reviewer has none and is refused.
    agents = f"/instances/{ids['acme_instance']}/agents"
    assert ">Supervision</a>" in client.get(agents).get_data(as_text=True)
    reviewer = signed_in(world, "rita")
    assert ">Supervision</a>" not in reviewer.get(agents).get_data(as_text=True)
    assert reviewer.get(f"/instances/{ids['acme_instance']}/supervision").status_code == 403
    refused = client.post(f"/instances/{ids['acme_instance']}/supervision", data={
        "csrf_token": _csrf(client, ids), "act": "listen:1002&PJSIP/x",
        "supervisor": ids["sue_seat"], "device": "sip"})
    assert refused.status_code == 422
    assert 'id="agent-error"' in refused.get_data(as_text=True)
    api = world.app().test_client()
    headers = {"Authorization": f"Bearer {world.tokens['alice']}"}
    assert api.get(f"/api/v1/instances/{ids['acme_instance']}/supervision/log",
                   headers=headers).get_json() == []
    assert api.get(f"/api/v1/instances/{ids['acme_hotline']}/supervision/log",
                   headers=headers).status_code == 404
    assert api.post(f"/api/v1/instances/{ids['acme_hotline']}/supervision/listen",
                    headers=headers, json={"agent": "1001", "supervisor": "1001"}
                    ).status_code == 404


def _csrf(client, ids) -> str:
    from tests.unit.webadmin_world import csrf_from
    return csrf_from(client, f"/instances/{ids['acme_instance']}/supervision")


# ---- the supervision log after ccc serve was down ------------------------------------------

class FakePbx:
    """Answers the two CLI commands the reconciliation sends, as the PBX prints them: the
    concise channel list, and one channel's variables. Records what was asked."""

    def __init__(self, legs: dict[str, str]):
        self.legs = legs  # channel name -> its CCC_SUPERVISION value
        self.asked: list[str] = []

    async def command(self, command: str) -> str:
        self.asked.append(command)
        if command == "core show channels concise":
            lines = [f"{name}!ccc-i1-supervise!spy!4!Up!ChanSpy!x!1003!!!3!42!!1.{n}"
                     for n, name in enumerate(self.legs)]
            lines.append("PJSIP/i1-1002-0000000a!ccc-i1-agents!s!1!Up!AppQueue!!1002!!!3!50!!2.1")
            return "\n".join(lines) + "\n"
        name = command.removeprefix("core show channel ")
        return (f" -- General --\n           Name: {name}\n       LinkedID: 1.9\n"
                f"      Variables:\nCCC_SPY_CHANNEL=PJSIP/i1-1002-0000000a\n"
                f"CCC_SUPERVISION={self.legs[name]}\n")


def _rows(world, now: datetime) -> dict[str, int]:
    """Log rows of Sales, by what they stand for."""
    from datetime import timedelta
    old, young = now - timedelta(minutes=10), now - timedelta(seconds=20)
    made = {
        "gone": dict(mode=SupervisionMode.LISTEN, requested_at=old, started_at=old),
        "live": dict(mode=SupervisionMode.WHISPER, requested_at=old, started_at=old),
        "never answered": dict(mode=SupervisionMode.BARGE, requested_at=old),
        "young": dict(mode=SupervisionMode.LISTEN, requested_at=young),
        "young, answered": dict(mode=SupervisionMode.WHISPER, requested_at=young,
                                started_at=young),
        "takeover": dict(mode=SupervisionMode.TAKEOVER, requested_at=old),
        "ended": dict(mode=SupervisionMode.LISTEN, requested_at=old, started_at=old,
                      ended_at=old.replace(second=30) if old.second < 30 else old)}
    with transaction(world.settings) as db:
        for name, fields in made.items():
            row = SupervisionLog(instance_id=world.ids["acme_instance"], user_name="sue",
                                 supervisor_extension="1003", agent_extension="1002",
                                 pbx_call_id="1.9", **fields)
            db.add(row)
            db.flush()
            made[name] = row.id
    return made


def test_rows_whose_leg_is_gone_are_ended_when_found_and_flagged(world):
    """Only rows whose leg should be on the PBX (answered, or asked for long enough
    ago), not take-overs (no leg), not ended ones, and not those whose leg is there."""
    import asyncio

    from engine.jobs import SupervisionReconciler
    now = datetime(2026, 12, 3, 10, 0, 0)
    rows = _rows(world, now)
    pbx = FakePbx({"PJSIP/i1-1003-0000000b": str(rows["live"]),
                   "PJSIP/i1-1003-web-0000000c": "not a number"})
    found_at = datetime(2026, 12, 3, 10, 0, 7)
    # The clock is read as the pass starts, then when the legs have been found gone.
    reconciler = SupervisionReconciler(world.settings, clock=iter([now, found_at]).__next__)
    closed = asyncio.run(reconciler.once(pbx))
    assert sorted(closed) == sorted([rows["gone"], rows["never answered"],
                                     rows["young, answered"]])
    assert pbx.asked[0] == "core show channels concise"
    # Only the supervise context's channels are looked into, by the name the PBX gave.
    assert pbx.asked[1:] == ["core show channel PJSIP/i1-1003-0000000b",
                             "core show channel PJSIP/i1-1003-web-0000000c"]
    with transaction(world.settings) as db:
        shown = {name: supervision.log_as_dict(db.get(SupervisionLog, row_id))
                 for name, row_id in rows.items()}
    assert shown["gone"]["ended_at"] == "2026-12-03T10:00:07Z" and shown["gone"]["end_found"]
    assert shown["gone"]["duration_seconds"] == 607
    assert shown["never answered"]["end_found"] and \
        shown["never answered"]["duration_seconds"] is None
    for name in ("live", "young", "takeover"):
        assert shown[name]["ended_at"] is None and not shown[name]["end_found"], name
    assert not shown["ended"]["end_found"]
    # Nothing left to wait for (but the live and the young): the PBX is not asked again.
    later = SupervisionReconciler(world.settings, clock=lambda: now)
    quiet = FakePbx({})
    with transaction(world.settings) as db:
        waiting = supervision.unended(db, now)
    assert sorted(waiting) == [rows["live"]]
    assert asyncio.run(later.once(quiet)) == [rows["live"]]  # its leg is gone by now
    assert asyncio.run(later.once(quiet)) == []
    assert quiet.asked == ["core show channels concise"]  # the second pass asked nothing


def test_a_leg_that_reports_its_end_after_being_found_gone_changes_nothing(world):
    now = datetime(2026, 12, 3, 10, 0, 0)
    rows = _rows(world, now)
    with transaction(world.settings) as db:
        assert supervision.close_gone(db, [rows["gone"]], set(), now) == [rows["gone"]]
        assert supervision.close_gone(db, [rows["gone"]], set(), now) == []
        key = f"ccc-{Instance.pbx_key_for(world.ids['acme_instance'])}-supervise"
        supervision.record_leg(db, str(rows["gone"]), "ended", key, now.replace(hour=11))
        assert db.get(SupervisionLog, rows["gone"]).ended_at == now


# ---- the wallboard: supervisors of their instances -----------------------------------------

def test_a_supervisor_sees_the_wallboard_of_the_instances_given_only(world):
    ids = world.ids
    client = signed_in(world, "sue")
    sales, hotline = ids["acme_instance"], ids["acme_hotline"]
    page = client.get(f"/instances/{sales}/wallboard")
    assert page.status_code == 200 and 'id="wallboard-text"' in page.get_data(as_text=True)
    assert ">Wallboard</a>" in client.get(f"/instances/{sales}/agents").get_data(as_text=True)
    for path in (f"/instances/{hotline}/wallboard", f"/instances/{hotline}/wallboard/events",
                 f"/instances/{ids['globex_instance']}/wallboard"):
        assert client.get(path).status_code == 404, path
    # A reviewer sees no tab and is refused; an agent too.
    reviewer = signed_in(world, "rita")
    assert ">Wallboard</a>" not in reviewer.get(f"/instances/{sales}/agents").get_data(
        as_text=True)
    assert reviewer.get(f"/instances/{sales}/wallboard").status_code == 403
    with transaction(world.settings) as db:
        from tests.factories import add_token
        token = add_token(db, "acme", "sue")
    api = world.app().test_client()
    headers = {"Authorization": f"Bearer {token}"}
    base = "/api/v1/instances/{}/realtime"
    # Allowed: it goes on to ask the PBX, which does not run here (503, not 403).
    for path in (base.format(sales), base.format(sales) + "/agents",
                 base.format(sales) + f"/skillgroups/{ids['acme_group']}"):
        answer = api.get(path, headers=headers)
        assert answer.status_code == 503, path
    for path in (base.format(hotline), base.format(hotline) + "/agents",
                 base.format(ids["globex_instance"])):
        answer = api.get(path, headers=headers)
        assert answer.status_code == 404 and set(answer.get_json()) == {"error"}, path
    with transaction(world.settings) as db:
        found = users(db)
        hotline_instance = db.get(Instance, hotline)
        with pytest.raises(NotFound):
            access.check_see_wallboard(db, found["sue"], hotline_instance)
        with pytest.raises(Forbidden):
            access.check_see_wallboard(db, found["rita"], hotline_instance)
        # An administrator of another instance of the account: refused as before.
        with pytest.raises(Forbidden):
            access.check_see_wallboard(db, found["alice"], hotline_instance)
