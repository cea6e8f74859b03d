"""Call recording without a PBX: which policy a call follows, how the dialplan applies it,
and how finished recordings are registered with their calls and kept per instance."""
from __future__ import annotations

import os
import struct
import time
from datetime import datetime

import pytest
from sqlalchemy import func, select

from engine.calls.models import CallRecord, Direction
from engine.errors import Conflict, Invalid, NotFound
from engine.instances.service import update_instance
from engine.recording import service
from engine.recording.policy import RecordingPolicy as P, effective
from engine.skillgroups.service import create_skill_group, update_skill_group
from provisioning.render import extensions_context
from provisioning.templates import render
from tests.factories import add_account, add_instance


@pytest.mark.parametrize("instance, group, expected", [
    (P.NONE, None, P.NONE), (P.ALL, None, P.ALL), (P.ON_DEMAND, P.INHERIT, P.ON_DEMAND),
    (P.ALL, P.INHERIT, P.ALL), (P.ALL, P.NONE, P.NONE), (P.NONE, P.ALL, P.ALL),
    (P.NONE, P.ON_DEMAND, P.ON_DEMAND)])
def test_a_skill_group_says_otherwise_or_inherits_its_instance(instance, group, expected):
    assert effective(instance, group) is expected


@pytest.fixture
def centers(session):
    add_account(session)
    sales = add_instance(session).instance
    hotline = add_instance(session, name="Hotline", domain="hotline.acme",
                           number="4001234567", number_type="400", admin="carol").instance
    return sales, hotline


def recording_section(session, settings, key: str) -> list[str]:
    text = render("extensions.conf", **extensions_context(session, settings))
    return text.split(f"[ccc-{key}-recording]\n", 1)[1].split("\n\n", 1)[0].splitlines()


def test_the_dialplan_applies_each_groups_policy(session, settings, centers):
    sales, _ = centers
    cards = create_skill_group(session, sales, "cards")
    default = next(g for g in sales_groups(session, sales) if g.name == "default")
    update_instance(session, "sales.acme", recording="on-demand")
    update_skill_group(session, cards, "cards", "rrmemory", 300, recording="all")
    assert recording_section(session, settings, "i1") == [
        f"exten => {default.id},1,Gosub(ccc-record,ondemand,1(i1))", " same => n,Return()",
        f"exten => {cards.id},1,Gosub(ccc-record,all,1(i1))", " same => n,Return()",
        "exten => agent,1,Gosub(ccc-record,ondemand,1(i1))", " same => n,Return()",
        "; A group deleted since the IVR named it: the call goes on as it was.",
        "exten => _X!,1,Return()"]
    # Hotline keeps its own default: nothing recorded.
    assert "exten => agent,1,Gosub(ccc-record,none,1(i2))" in recording_section(
        session, settings, "i2")


def sales_groups(session, instance):
    from engine.skillgroups.service import list_skill_groups
    return list_skill_groups(session, instance)


def test_policies_are_refused_by_field_when_unknown(session, centers):
    sales, _ = centers
    with pytest.raises(Invalid) as refused:
        update_instance(session, "sales.acme", recording="inherit")  # a group's word only
    assert "recording" in refused.value.fields
    group = sales_groups(session, sales)[0]
    for bad in ("always", "", ["all"], 1):
        with pytest.raises(Invalid) as refused:
            update_skill_group(session, group, group.name, "rrmemory", 300, recording=bad)
        assert "recording" in refused.value.fields


def add_call(session, instance, call_id: str) -> CallRecord:
    record = CallRecord(pbx_call_id=call_id, instance_id=instance.id,
                        direction=Direction.INBOUND, caller="13800138000",
                        callee="01012345678", started_at=datetime(2026, 12, 1, 8),
                        disposition="answered", agent_extension="1001")
    session.add(record)
    session.flush()
    return record


def write_wav(settings, key: str, call_id: str, seconds: int, age: float = 10):
    folder = settings.recordings_dir / key
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{call_id}.wav"
    path.write_bytes(wav_header(service.BYTES_PER_SECOND * seconds)
                     + bytes(service.BYTES_PER_SECOND * seconds))
    os.utime(path, (time.time() - age, time.time() - age))
    return path


def wav_header(data_bytes: int) -> bytes:
    """The 44 bytes MixMonitor writes in front of 8 kHz 16-bit mono audio; the PBX fills
    in the sizes only when it closes the file (0 while it writes)."""
    return (b"RIFF" + struct.pack("<I", data_bytes + 36) + b"WAVEfmt "
            + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16)
            + b"data" + struct.pack("<I", data_bytes))


def test_a_recording_is_registered_once_its_call_ended_and_the_file_settled(
        session, settings, centers):
    sales, _ = centers
    write_wav(settings, "i1", "pbx-1.1", 3)
    assert service.collect(session, settings) == 0  # no call record yet: the call is up
    record = add_call(session, sales, "pbx-1.1")
    write_wav(settings, "i1", "pbx-1.2", 2, age=0)   # still being written
    add_call(session, sales, "pbx-1.2")
    assert service.collect(session, settings) == 1
    assert record.recorded is True
    assert service.collect(session, settings) == 0  # idempotent
    [row] = service.list_recordings(session, sales)
    assert (row.pbx_call_id, row.seconds, row.caller) == ("pbx-1.1", 3, "13800138000")
    assert "path" not in row.as_dict() and str(settings.site_dir) not in str(row.as_dict())
    assert service.read(session, settings, sales, row.id)[:4] == b"RIFF"


def test_another_instance_or_a_hostile_id_finds_nothing(session, settings, centers):
    sales, hotline = centers
    add_call(session, sales, "pbx-2.1")
    write_wav(settings, "i1", "pbx-2.1", 1)
    # A file dropped under another instance's folder for Sales' call is not Hotline's.
    write_wav(settings, "i2", "pbx-2.1", 1)
    assert service.collect(session, settings) == 1
    [row] = service.list_recordings(session, sales)
    assert service.list_recordings(session, hotline) == []
    for hostile in (row.id, str(row.id), -1, 0, 2 ** 64, True, None, "../i1/pbx-2.1"):
        with pytest.raises(NotFound):
            service.read(session, settings, hotline, hostile)
        with pytest.raises(NotFound):
            service.get_recording(session, hotline, hostile)
    with pytest.raises(ValueError):
        service.file_of(settings, "i1", "../../etc/passwd")


def test_ccc_serve_registers_recordings_and_leaves_a_lone_file_alone(settings, centers,
                                                                     session):
    from engine.jobs import RecordingCollector
    from engine.uow import transaction
    sales, _ = centers
    add_call(session, sales, "pbx-3.1")
    session.commit()
    write_wav(settings, "i1", "pbx-3.1", 1)
    write_wav(settings, "i1", "pbx-3.2", 1, age=60)  # no call of ours will ever claim it
    collector = RecordingCollector(settings)
    assert collector._once() == 1
    assert collector.waiting == {settings.recordings_dir / "i1" / "pbx-3.2.wav"}
    assert not collector._due(collector.seen)  # nothing new: no database pass
    settings.cdr_file.parent.mkdir(parents=True, exist_ok=True)
    settings.cdr_file.write_text("a call ended\n")
    assert collector._due(collector.seen)       # a call ended: look again
    with transaction(settings) as db:
        assert db.scalar(select(CallRecord.recorded).where(
            CallRecord.pbx_call_id == "pbx-3.1")) is True


# ---- a file the PBX is still writing ------------------------------------------------------

def test_a_file_whose_header_the_pbx_has_not_completed_is_never_registered_nor_served(
        session, settings, centers):
    """MixMonitor writes the WAV header's sizes when it closes the file: while they are 0
    the call is still being recorded, however long the file has been quiet (no audio
    flowing for a while, with the call's record already there after a transfer)."""
    sales, _ = centers
    add_call(session, sales, "pbx-4.1")
    path = write_wav(settings, "i1", "pbx-4.1", 2, age=60)
    data = path.read_bytes()
    path.write_bytes(wav_header(0)[:4] + bytes(4) + wav_header(0)[8:40] + bytes(4) + data[44:])
    os.utime(path, (time.time() - 60, time.time() - 60))
    assert not service.whole(path)
    assert service.collect(session, settings) == 0
    path.write_bytes(data)  # the PBX closed it
    os.utime(path, (time.time() - 60, time.time() - 60))
    assert service.whole(path) and service.collect(session, settings) == 1
    [row] = service.list_recordings(session, sales)
    # Recorded again (an agent started the call's recording once more): refused while
    # the PBX writes, then served whole, as long as it now is.
    path.write_bytes(wav_header(0) + bytes(service.BYTES_PER_SECOND * 5))
    with pytest.raises(Conflict) as refused:
        service.read(session, settings, sales, row.id)
    assert "still being written" in str(refused.value)
    path.write_bytes(wav_header(service.BYTES_PER_SECOND * 5)
                     + bytes(service.BYTES_PER_SECOND * 5))
    assert len(service.read(session, settings, sales, row.id)) == 44 + 80000
    assert service.get_recording(session, sales, row.id).seconds == 5
    for broken in (b"", b"RIFF", b"RIFX" + data[4:], data[:44] + data[44:-2]):
        path.write_bytes(broken)
        assert not service.whole(path), broken[:8]


# ---- search ---------------------------------------------------------------------------------

@pytest.fixture
def searchable(session, settings, centers):
    """Sales' calls: two days, two callers, two agents, one queued in cards."""
    from engine.reports.models import QueueCall
    sales, hotline = centers
    cards = create_skill_group(session, sales, "cards")
    other = create_skill_group(session, hotline, "elsewhere")
    calls = {"a": ("13800138000", "1001", datetime(2026, 12, 1, 8)),    # day 1 (+08:00)
             "b": ("13911112222", "1002", datetime(2026, 12, 1, 20)),   # day 2 on the site
             "c": ("13800138000", "1002", datetime(2026, 12, 2, 9))}
    for key, (caller, agent, start) in calls.items():
        record = add_call(session, sales, f"pbx-5.{key}")
        record.caller, record.agent_extension, record.started_at = caller, agent, start
        write_wav(settings, "i1", f"pbx-5.{key}", 1)
    session.add(QueueCall(instance_id=sales.id, skill_group_id=cards.id, queue="i1-q1",
                          call_id="pbx-5.b", entered_at=datetime(2026, 12, 1, 20),
                          outcome="handled"))
    session.flush()
    assert service.collect(session, settings) == 3
    return sales, hotline, cards, other


def found(session, instance, **given) -> list[str]:
    search = service.parse_search(session, instance, 480, **given)
    return sorted(r.pbx_call_id[-1] for r in service.list_recordings(session, instance, search))


def test_recordings_are_searched_by_day_number_agent_and_skill_group(session, searchable):
    sales, hotline, cards, _ = searchable
    assert found(session, sales) == ["a", "b", "c"]
    # Days on the site's clock (UTC+8): 20:00 UTC on the 1st is the 2nd there.
    assert found(session, sales, from_day="2026-12-01", to_day="2026-12-02") == ["a"]
    assert found(session, sales, from_day="2026-12-02") == ["b", "c"]
    assert found(session, sales, to_day="2026-12-02") == ["a"]
    assert found(session, sales, number="1111") == ["b"]          # a part of the caller
    assert found(session, sales, number="01012345678") == ["a", "b", "c"]  # the dialled
    assert found(session, sales, number="+8613800") == []
    assert found(session, sales, agent="1002") == ["b", "c"]
    assert found(session, sales, skill_group_id=str(cards.id)) == ["b"]
    assert found(session, sales, skill_group="cards") == ["b"]
    assert found(session, sales, agent="1002", number="138", from_day="2026-12-02") == ["c"]
    assert found(session, hotline) == [] and found(session, hotline, number="138") == []


@pytest.mark.parametrize("given, field", [
    ({"from_day": "2026-13-01"}, "from"), ({"to_day": "yesterday"}, "to"),
    ({"from_day": "2026-12-02", "to_day": "2026-12-01"}, "to"),
    ({"number": "138%"}, "number"), ({"number": "_"}, "number"), ({"number": "1" * 40}, "number"),
    ({"number": "１３８"}, "number"), ({"agent": "1001' OR 1=1"}, "agent"),
    ({"agent": "٣٠٠١"}, "agent"), ({"skill_group_id": "1;2"}, "skill_group"),
    ({"skill_group_id": "99999999999999999999999"}, "skill_group"),
    ({"skill_group": "nobody's"}, "skill_group")])
def test_a_bad_search_names_its_field(session, searchable, given, field):
    sales, *_ = searchable
    with pytest.raises(Invalid) as refused:
        service.parse_search(session, sales, 480, **given)
    assert field in refused.value.fields


def test_another_instances_skill_group_is_no_skill_group(session, searchable):
    sales, hotline, cards, other = searchable
    for instance, group in ((sales, other), (hotline, cards)):
        with pytest.raises(Invalid) as refused:
            service.parse_search(session, instance, 480, skill_group_id=str(group.id))
        assert "skill_group" in refused.value.fields
        with pytest.raises(Invalid):
            service.parse_search(session, instance, 480, skill_group=group.name)


# ---- retention, purge, storage -------------------------------------------------------------

def test_a_retention_period_is_a_number_of_days(session, centers):
    from engine.accounts.service import get_account
    from engine.recording.retention import set_retention
    acme = get_account(session, "acme")
    assert set_retention(session, acme, 30).recording_retention_days == 30
    assert set_retention(session, acme, 0).recording_retention_days is None
    for bad in (-1, 36501, 2 ** 70, 1.5, "30", True, [30]):
        with pytest.raises(Invalid) as refused:
            set_retention(session, acme, bad)
        assert "recording_retention_days" in refused.value.fields
    assert acme.recording_retention_days is None


def test_recordings_older_than_the_period_are_purged_at_the_clocks_time(
        session, settings, searchable):
    from datetime import timedelta

    from engine.accounts.service import get_account
    from engine.recording.models import Recording
    from engine.recording.retention import purge, set_retention, storage
    sales, *_ = searchable
    acme = get_account(session, "acme")
    rows = {r.pbx_call_id: r for r in session.scalars(select(Recording))}
    registered = rows["pbx-5.a"].created_at
    rows["pbx-5.c"].created_at = registered + timedelta(days=5)
    before = storage(session, acme)
    assert (before.recordings, before.size_bytes, before.seconds, before.minutes) == (
        3, 3 * (44 + 16000), 3, 1)
    # No period: kept whatever the date.
    assert purge(session, settings, registered + timedelta(days=9999)).purged == 0
    set_retention(session, acme, 30)
    assert purge(session, settings, registered + timedelta(days=29, hours=23)).purged == 0
    # The file of b is already gone: its row is purged all the same.
    (settings.recordings_dir / rows["pbx-5.b"].path).unlink()
    done = purge(session, settings, registered + timedelta(days=30, minutes=1))
    assert (done.purged, done.failed) == (2, 0)
    assert [r.pbx_call_id for r in service.list_recordings(session, sales)] == ["pbx-5.c"]
    assert not (settings.recordings_dir / rows["pbx-5.a"].path).exists()
    assert (settings.recordings_dir / rows["pbx-5.c"].path).exists()
    with pytest.raises(NotFound):
        service.read(session, settings, sales, rows["pbx-5.a"].id)
    after = storage(session, acme)
    assert (after.recordings, after.seconds) == (1, 1)
    # The call keeps its history (its bill was rated on it), and a file the PBX left
    # under the same name is not registered again.
    assert session.scalar(select(CallRecord.recorded).where(
        CallRecord.pbx_call_id == "pbx-5.a")) is True
    write_wav(settings, "i1", "pbx-5.a", 1)
    assert service.collect(session, settings) == 0
    assert service.waiting_files(session, settings) == set()


def test_a_file_that_cannot_be_deleted_keeps_its_row_for_the_next_purge(
        session, settings, searchable):
    from datetime import timedelta

    from engine.accounts.service import get_account
    from engine.recording.models import Recording
    from engine.recording.retention import purge, set_retention
    sales, *_ = searchable
    set_retention(session, get_account(session, "acme"), 1)
    row = session.scalar(select(Recording).where(Recording.pbx_call_id == "pbx-5.a"))
    path = settings.recordings_dir / row.path
    path.unlink()
    path.mkdir()  # unlink() fails on it, as on a file the process may not delete
    done = purge(session, settings, row.created_at + timedelta(days=2))
    assert (done.purged, done.failed) == (2, 1) and row.purged_at is None
    path.rmdir()
    assert purge(session, settings, row.created_at + timedelta(days=2)).purged == 1


def test_a_purge_is_limited_to_an_account_or_an_instance(session, settings, searchable):
    from datetime import timedelta

    from engine.accounts.service import get_account
    from engine.recording.models import Recording
    from engine.recording.retention import purge, set_retention
    sales, hotline, *_ = searchable
    set_retention(session, get_account(session, "acme"), 1)
    later = session.scalar(select(func.max(Recording.created_at))) + timedelta(days=2)
    assert purge(session, settings, later, instance=hotline).purged == 0
    add_account(session, "globex")
    assert purge(session, settings, later, account=get_account(session, "globex")).purged == 0
    assert purge(session, settings, later, account=get_account(session, "acme"),
                 instance=sales).purged == 3


def test_ccc_serve_purges_with_its_clock(settings, centers, session):
    from datetime import timedelta

    from engine.accounts.service import get_account
    from engine.recording.retention import set_retention
    from engine.jobs import RetentionJob
    sales, _ = centers
    add_call(session, sales, "pbx-6.1")
    write_wav(settings, "i1", "pbx-6.1", 1)
    service.collect(session, settings)
    set_retention(session, get_account(session, "acme"), 7)
    session.commit()
    from engine.db import utcnow
    now = utcnow()
    assert RetentionJob(settings, clock=lambda: now + timedelta(days=6))._once() == 0
    assert RetentionJob(settings, clock=lambda: now + timedelta(days=7, minutes=1))._once() == 1
    assert not (settings.recordings_dir / "i1" / "pbx-6.1.wav").exists()
