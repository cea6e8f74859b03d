"""Bans from the PBX's security log: parsing its lines, the window, the rules."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from engine.errors import Invalid, NotFound
from engine.security.log import parse_line
from engine.security.models import Ban
from engine.security.service import (Tally, active_addresses, lift, list_bans,
                                     read_security_log, record_failures)
from provisioning.render import render_files
from tests.factories import add_trunk

# Lines as res_security_log wrote them on the PBX.
CHALLENGE_FAILED = (
    '[2026-12-02 15:01:06.910] SECURITY[18372] res_security_log.c: SecurityEvent='
    '"ChallengeResponseFailed",EventTV="2026-12-02T15:01:06.910+0000",Severity="Error",'
    'Service="PJSIP",EventVersion="1",AccountID="<unknown>",SessionID="1-18639@127.0.0.9",'
    'LocalAddress="IPV4/UDP/127.0.0.1/25160",RemoteAddress="IPV4/UDP/127.0.0.9/5130",'
    'Challenge="1796223666/dd56",Response="1b5e",ExpectedResponse=""')
INVALID_ACCOUNT = (
    '[2026-12-02 15:01:06.909] SECURITY[18372] res_security_log.c: SecurityEvent='
    '"InvalidAccountID",EventTV="2026-12-02T15:01:06.908+0800",Severity="Error",'
    'Service="PJSIP",EventVersion="1",AccountID="trunk-carrier",SessionID="1-1@x",'
    'LocalAddress="IPV4/UDP/127.0.0.1/25160",RemoteAddress="IPV6/UDP/[2001:db8::7]/5060"')
SUCCESS = (
    '[2026-12-02 14:59:33.450] SECURITY[18025] res_security_log.c: SecurityEvent='
    '"SuccessfulAuth",EventTV="2026-12-02T14:59:33.450+0000",Severity="Informational",'
    'Service="PJSIP",EventVersion="1",AccountID="i1-1001",SessionID="1-1@127.0.0.3",'
    'LocalAddress="IPV4/UDP/127.0.0.1/25160",RemoteAddress="IPV4/UDP/127.0.0.3/5081"')


def test_failed_sign_ins_are_read_with_address_account_and_time():
    failure = parse_line(CHALLENGE_FAILED)
    assert (failure.event, failure.address, failure.account) == (
        "ChallengeResponseFailed", "127.0.0.9", "<unknown>")
    assert failure.at == datetime(2026, 12, 2, 15, 1, 6, 910000)
    other = parse_line(INVALID_ACCOUNT)
    assert other.address == "2001:db8::7" and other.account == "trunk-carrier"
    assert other.at == datetime(2026, 12, 2, 7, 1, 6, 908000)  # +08:00 to UTC


@pytest.mark.parametrize("line", [
    SUCCESS, CHALLENGE_FAILED.replace("ChallengeResponseFailed", "ChallengeSent"),
    CHALLENGE_FAILED.replace("127.0.0.9/5130", "not-an-ip/5130"),
    CHALLENGE_FAILED.replace("2026-12-02T15", "yesterday"),
    CHALLENGE_FAILED[:120], "", "random text", 'SecurityEvent="FailedACL"'])
def test_anything_else_is_not_a_failure(line):
    assert parse_line(line) is None


def test_the_tally_forgets_what_left_the_window():
    tally, start = Tally(timedelta(seconds=60)), datetime(2026, 12, 2, 12, 0, 0)
    assert [tally.add("10.0.0.1", start + timedelta(seconds=s)) for s in (0, 30, 59)] == [1, 2, 3]
    assert tally.add("10.0.0.1", start + timedelta(seconds=61)) == 3  # the first left
    assert tally.add("10.0.0.2", start) == 1


def failures(address: str, count: int, at: datetime):
    base = parse_line(CHALLENGE_FAILED)
    return [replace(base, address=address, at=at + timedelta(milliseconds=n))
            for n in range(count)]


@pytest.fixture
def guarded(settings):
    return replace(settings, ban_after=5, ban_within=60, ban_seconds=600)


def test_an_address_is_banned_at_the_threshold_once_and_for_a_while(guarded, session):
    now = datetime.utcnow()
    tally = Tally(timedelta(seconds=guarded.ban_within))
    assert record_failures(session, guarded, tally, failures("10.0.0.9", 4, now), now) == []
    [ban] = record_failures(session, guarded, tally, failures("10.0.0.9", 3, now), now)
    assert ban.address == "10.0.0.9" and ban.failures == 5
    assert ban.expires_at == now + timedelta(seconds=600)
    assert active_addresses(session, now) == ["10.0.0.9"]
    # More failures while banned make no second ban; the ban ends when it expires.
    assert record_failures(session, guarded, tally, failures("10.0.0.9", 9, now), now) == []
    assert len(session.scalars(select(Ban)).all()) == 1
    assert active_addresses(session, now + timedelta(seconds=601)) == []


def test_old_lines_read_again_ban_nobody(guarded, session):
    now = datetime.utcnow()
    old = failures("10.0.0.9", 50, now - timedelta(seconds=61))
    assert record_failures(session, guarded, Tally(timedelta(seconds=60)), old, now) == []


def test_the_carriers_address_is_never_banned(guarded, session):
    add_trunk(session)  # the carrier at 127.0.0.2
    now = datetime.utcnow()
    tally = Tally(timedelta(seconds=60))
    assert record_failures(session, guarded, tally, failures("127.0.0.2", 50, now), now) == []


def test_a_ban_is_rendered_as_a_pjsip_acl_and_lifted(guarded, session):
    now = datetime.utcnow()
    record_failures(session, guarded, Tally(timedelta(seconds=60)),
                    failures("10.0.0.9", 5, now), now)
    pjsip = render_files(session, guarded)["pjsip.conf"]
    assert "[ccc-bans]\ntype=acl\ndeny=10.0.0.9\n" in pjsip
    assert lift(session, "10.0.0.9") == 1
    assert "ccc-bans" not in render_files(session, guarded)["pjsip.conf"]
    assert list_bans(session) == [] and len(list_bans(session, include_past=True)) == 1
    with pytest.raises(NotFound, match="no ban in force on 10.0.0.9"):
        lift(session, "10.0.0.9")
    with pytest.raises(Invalid, match="invalid address"):
        lift(session, "10.0.0.9\n[evil]")


def test_the_log_is_read_from_where_the_last_read_stopped(guarded, session):
    log = guarded.security_log
    log.parent.mkdir(parents=True, exist_ok=True)
    stamp = datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    line = CHALLENGE_FAILED.replace("2026-12-02T15:01:06.910+0000", stamp) + "\n"
    log.write_text(line * 4)
    tally = Tally(timedelta(seconds=60))
    assert read_security_log(session, guarded, tally) == []
    with log.open("a") as out:
        out.write(line + line[:50])  # the fifth failure, and a line still being written
    [ban] = read_security_log(session, guarded, tally)
    assert ban.address == "127.0.0.9" and ban.failures == 5
    assert read_security_log(session, guarded, tally) == []


def test_the_guard_asks_the_database_only_when_something_may_have_changed(
        guarded, session, monkeypatch):
    """``ccc serve``'s guard: a pass when the log grew or a ban ends, not every second; a
    new ban is applied even when the addresses in force look unchanged (an operator's
    lift applies the configuration behind the guard's back)."""
    import engine.jobs
    applied = []
    monkeypatch.setattr(engine.jobs, "apply", lambda _session, _settings: applied.append(1))
    now = [datetime.utcnow()]
    guard = engine.jobs.Guard(guarded, clock=lambda: now[0])
    log = guarded.security_log
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("")
    assert guard.due()
    assert guard._once() == [] and len(applied) == 1  # the bans in force (none) rendered
    assert not guard.due()  # nothing new: no transaction

    stamp = now[0].strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    line = CHALLENGE_FAILED.replace("2026-12-02T15:01:06.910+0000", stamp) + "\n"
    log.write_text(line * 5)
    assert guard.due()
    assert guard._once() == ["127.0.0.9"] and len(applied) == 2
    assert not guard.due()
    now[0] += timedelta(seconds=guarded.ban_seconds + 1)  # the ban ends: rendered without it
    assert guard.due()

    now[0] -= timedelta(seconds=guarded.ban_seconds + 1)
    lift(session, "127.0.0.9")  # the operator's lift (it applies on its own)
    session.commit()
    guard.tally = Tally(timedelta(seconds=guarded.ban_within))
    with log.open("a") as out:
        out.write(line * 5)
    assert guard._once() == ["127.0.0.9"]
    assert len(applied) == 3  # banned again: applied though the list reads the same
