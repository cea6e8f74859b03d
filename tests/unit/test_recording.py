"""Call recording without a PBX: which policy a call follows, how the dialplan applies it,
and how finished recordings are registered with their calls and kept per instance."""
from __future__ import annotations

import os
import struct
import time
from datetime import datetime

import pytest
from sqlalchemy import select

from engine.calls.models import CallRecord, Direction
from engine.errors import Invalid, NotFound
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
    from engine.serve import RecordingCollector
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
