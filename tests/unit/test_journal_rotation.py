"""Following a journal across its rotations: every line read once, none skipped."""
from __future__ import annotations

import os
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import select

from engine.calls.models import IngestCursor
from engine.journals.cursor import read_journal
from engine.journals.follow import Place, inode_of, read, rotated_files
from engine.journals.rotation import due, prune, rotate, rotated_name
from engine.reports.models import QueueEvent
from engine.jobs import Ingestor
from engine.uow import transaction
from engine.skillgroups.models import SkillGroup
from tests.factories import add_account, add_instance

NOW = datetime(2026, 12, 3, 18, 0, 0)


def append(path, *lines):
    with open(path, "a", encoding="utf-8") as out:
        out.write("".join(line + "\n" for line in lines))


def read_all(path, place, into):
    lines, place = read(path, place)
    into.extend(lines)
    return place


def test_the_rotated_file_is_read_to_its_end_before_the_new_one(tmp_path):
    journal, seen = tmp_path / "queue_log", []
    append(journal, "1", "2")
    place = read_all(journal, Place(None, 0), seen)
    append(journal, "3")
    rotated = rotate(journal, NOW)
    # The writer has not reopened yet: it goes on in the renamed file, the reader too.
    append(rotated, "4")
    place = read_all(journal, place, seen)
    assert seen == ["1", "2", "3", "4"] and place.inode == inode_of(rotated.stat())
    append(rotated, "5")        # the last line before the writer moves on
    append(journal, "6")        # the writer's new file
    place = read_all(journal, place, seen)
    assert seen == ["1", "2", "3", "4", "5", "6"]
    assert place == Place(inode_of(journal.stat()), journal.stat().st_size)
    assert read(journal, place) == ([], place)


def test_a_half_written_line_waits_and_a_rotated_files_cut_line_is_not_a_line(tmp_path):
    journal, seen = tmp_path / "ccc.csv", []
    journal.write_text("a\nb")
    place = read_all(journal, Place(None, 0), seen)
    assert seen == ["a"] and place.position == 2
    rotated = rotate(journal, NOW)
    place = read_all(journal, place, seen)
    assert seen == ["a"]        # "b" may still be completed in the renamed file
    with open(rotated, "a") as out:
        out.write("c\nd")       # "bc" completed; "d" cut by a crash
    append(journal, "e")
    place = read_all(journal, place, seen)
    assert seen == ["a", "bc", "e"]


def test_two_rotations_between_reads_are_read_in_order(tmp_path):
    journal, seen = tmp_path / "queue_log", []
    append(journal, "1")
    place = read_all(journal, Place(None, 0), seen)
    append(journal, "2")
    first = rotate(journal, NOW)
    append(journal, "3")
    second = rotate(journal, NOW)
    assert second.name == f"{first.name}-1"
    append(journal, "4")
    os.utime(second, ns=(first.stat().st_mtime_ns + 1000,) * 2)  # written after the first
    place = read_all(journal, place, seen)
    assert seen == ["1", "2", "3", "4"]


def test_files_rotated_and_read_before_are_not_read_again(tmp_path):
    journal, seen = tmp_path / "queue_log", []
    append(journal, "old")
    old = rotate(journal, NOW)
    os.utime(old, ns=(1, 1))
    append(journal, "1")
    place = read_all(journal, Place(inode_of(journal.stat()), 0), seen)
    append(journal, "2")
    rotate(journal, datetime(2026, 12, 4))
    append(journal, "3")
    read_all(journal, place, seen)
    assert seen == ["1", "2", "3"]


def test_a_journal_truncated_in_place_is_read_again_from_its_start(tmp_path):
    journal, seen = tmp_path / "ccc.csv", []
    append(journal, "one", "two")
    place = read_all(journal, Place(None, 0), seen)
    journal.write_text("three\n")   # same file, shorter: copytruncate's doing
    read_all(journal, place, seen)
    assert seen == ["one", "two", "three"]


def test_a_lost_rotated_file_leaves_the_reader_on_the_new_one(tmp_path):
    journal, seen = tmp_path / "ccc.csv", []
    append(journal, "1")
    place = read_all(journal, Place(None, 0), seen)
    rotated = rotate(journal, NOW)
    append(journal, "2")
    rotated.unlink()            # by hand, unread: its lines are lost, the rest is not
    assert read(journal, place)[0] == ["2"]


def test_due_by_size_or_new_day_and_never_when_empty(tmp_path):
    journal = tmp_path / "ccc.csv"
    assert not due(journal, 10, True)          # absent
    journal.write_text("")
    assert not due(journal, 10, True)          # empty
    journal.write_text("12345\n")
    assert not due(journal, 10, False) and not due(journal, 0, False)
    assert due(journal, 6, False) and due(journal, 0, True)


def test_rotated_names_are_stamped_and_never_taken(tmp_path):
    journal = tmp_path / "queue_log"
    assert rotated_name(journal, NOW).name == "queue_log.20261203-180000"
    rotated_name(journal, NOW).write_text("x")
    assert rotated_name(journal, NOW).name == "queue_log.20261203-180000-1"


def test_pruning_keeps_the_newest_and_never_an_unread_file(tmp_path):
    journal = tmp_path / "queue_log"
    made = []
    for day in range(5):
        append(journal, str(day))
        made.append(rotate(journal, datetime(2026, 12, day + 1)))
        os.utime(made[-1], ns=(day * 10**9,) * 2)
    reading = inode_of(made[1].stat())     # the reader is still on the second
    assert prune(journal, 2, reading) == [made[0]]
    assert prune(journal, 1, None) == made[1:4]
    assert [p for p, _ in rotated_files(journal)] == [made[4]]
    assert prune(journal, 0, None) == []


# ---- the cursor in the database, and ccc serve's ingestor -----------------------------

def test_the_cursor_keeps_file_and_offset_across_sessions(settings, tmp_path):
    journal = tmp_path / "queue_log"
    append(journal, "1", "2")
    with transaction(settings) as session:
        assert read_journal(session, journal) == ["1", "2"]
    rotated = rotate(journal, NOW)
    append(rotated, "3")
    append(journal, "4")
    with transaction(settings) as session:
        assert read_journal(session, journal) == ["3", "4"]
        cursor = session.get(IngestCursor, str(journal))
        assert (cursor.inode, cursor.position) == (inode_of(journal.stat()), 2)


def test_serve_rotates_by_size_and_ingests_every_event_once(settings):
    settings = replace(settings, journal_rotate_bytes=300, journal_rotate_daily=False,
                       journal_keep=0)
    with transaction(settings) as session:
        add_account(session)
        instance = add_instance(session).instance
        queue = session.scalars(select(SkillGroup).where(
            SkillGroup.instance_id == instance.id)).first().queue_name
    ingestor = Ingestor(settings)
    log = settings.queue_log
    log.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"{1796263200 + n}|c{n}|{queue}|NONE|ENTERQUEUE||1380013800{n % 10}|1"
             for n in range(40)]
    writer = open(log, "a", encoding="utf-8")   # the PBX keeps its queue log open
    try:
        for number, line in enumerate(lines):
            if not log.exists():                # what `logger reload` does
                writer.close()
                writer = open(log, "a", encoding="utf-8")
            writer.write(line + "\n")
            writer.flush()
            if number % 3 == 0:
                ingestor._ingest_once()
        writer.close()
        writer = open(log, "a", encoding="utf-8")
        ingestor._ingest_once()
        ingestor._ingest_once()
    finally:
        writer.close()
    assert len(rotated_files(log)) >= 3
    with transaction(settings) as session:
        stored = session.scalars(select(QueueEvent.call_id)).all()
    assert sorted(stored) == sorted(f"c{n}" for n in range(40))


def test_serve_rotates_daily_on_the_billing_clock_only_what_it_reads(settings):
    settings = replace(settings, journal_rotate_bytes=0, journal_rotate_daily=True)
    journal = settings.cdr_file
    journal.parent.mkdir(parents=True, exist_ok=True)
    append(journal, "a call")
    ingestor = Ingestor(settings)
    ingestor._ingest_once()
    assert rotated_files(journal) == []              # the same day: nothing to do
    ingestor._day -= timedelta(days=1)
    ingestor._ingest_once()
    [(rotated, _)] = rotated_files(journal)
    assert rotated.read_text() == "a call\n" and not journal.exists()
    append(journal, "the next call")                 # the writer's new file
    ingestor._day -= timedelta(days=1)
    ingestor._ingest_once()                          # read first, then rotated again
    assert len(rotated_files(journal)) == 2
    with transaction(settings) as session:
        cursor = session.get(IngestCursor, str(journal))
        assert cursor.inode == inode_of(rotated_files(journal)[-1][1])
