"""The PBX's call journal: parsing its lines, merging rows into calls, ingesting them.

The sample lines are the PBX's own (cdr_custom with the mapping rendered from
dialplan_templates/asterisk/cdr_custom.conf.j2): text fields quoted, times in
epoch seconds with microseconds, zero for "never".
"""
from __future__ import annotations

import copy
import itertools
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, func, select

from engine.calls.journal import COLUMNS, parse_line, read_new_lines
from engine.calls.merge import REFUSALS, MergedCall, agent_of, merge_row
from engine.calls.models import CallRecord, Direction, IngestCursor
from engine.calls.service import ingest
from engine.uow import transaction
from tests.factories import add_account, add_instance

# ---- real lines, as Asterisk wrote them ------------------------------------------------

INBOUND_ANSWERED = (
    '"e2e-1795476031.0","e2e-1795476031.0","0","i1","13800138000","01012345678",'
    '"ccc-i1-inbound","PJSIP/trunk-carrier-00000000","PJSIP/i1-1001-00000001","Queue",'
    '1795476031.013334,1795476031.013630,1795476037.019469,"ANSWERED",'
    '"dir=inbound&inst=i1&num=01012345678"')
OUTBOUND_ANSWERED = (
    '"e2e-1795476063.3","e2e-1795476063.3","2","i1","01012345678","13900139000",'
    '"ccc-i1-agents","PJSIP/i1-1001-00000002","PJSIP/trunk-carrier-00000003","Dial",'
    '1795476063.226947,1795476063.232090,1795476066.239922,"ANSWERED",'
    '"dir=outbound&inst=i1&agent=1001&num=01012345678"')
OUTBOUND_REFUSED = (
    '"e2e-1795476081.6","e2e-1795476081.6","4","i2","1001","13900139000",'
    '"ccc-i2-agents","PJSIP/i2-1001-00000004","","Hangup",'
    '1795476081.327533,0.000000,1795476083.884419,"NO ANSWER",'
    '"dir=outbound&inst=i2&agent=1001&refused=no_caller_id"')

INBOUND_TAG = "dir=inbound&inst=i1&num=01012345678"


def journal_line(linkedid="e2e-1795476100.0", uniqueid=None, sequence="0", accountcode="i1",
                 src="13800138000", dst="01012345678", dcontext="ccc-i1-inbound",
                 channel="PJSIP/trunk-carrier-00000010", dstchannel="", lastapp="Queue",
                 start=1795476100.0, answer=0.0, end=1795476110.0, disposition="ANSWERED",
                 userfield=INBOUND_TAG) -> str:
    """A line shaped exactly as the rendered cdr_custom mapping writes it."""
    def quote(text: str) -> str:
        return '"' + text.replace('"', '""') + '"'
    text = [linkedid, uniqueid or linkedid, sequence, accountcode, src, dst, dcontext,
            channel, dstchannel, lastapp]
    times = [f"{value:.6f}" for value in (start, answer, end)]
    return ",".join([*map(quote, text), *times, quote(disposition), quote(userfield)])


def at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc).replace(tzinfo=None)


def merged(*lines: str) -> MergedCall:
    rows = [parse_line(line) for line in lines]
    assert None not in rows
    call = MergedCall(pbx_call_id=rows[0].linkedid)
    for row in rows:
        merge_row(call, row)
    return call


# A queue call that rang three agents: 1001 answered, 1002 and 1003 did not.
QUEUE_CALL = "e2e-1795476200.7"
QUEUE_ROWS = [
    journal_line(QUEUE_CALL, sequence="7", dstchannel="PJSIP/i1-1001-0000000b",
                 start=1795476200.1, answer=1795476200.2, end=1795476230.9),
    journal_line(QUEUE_CALL, sequence="8", dstchannel="PJSIP/i1-1002-0000000c",
                 start=1795476205.0, answer=0.0, end=1795476212.0, disposition="NO ANSWER"),
    journal_line(QUEUE_CALL, sequence="9", dstchannel="PJSIP/i1-1003-0000000d",
                 start=1795476205.0, answer=0.0, end=1795476212.0, disposition="NO ANSWER"),
]
# The PBX answered (welcome prompt), the queue rang 1001 and 1002, the caller hung up.
ABANDONED_CALL = "e2e-1795476300.9"
ABANDONED_ROWS = [
    journal_line(ABANDONED_CALL, sequence="10", lastapp="Queue",
                 start=1795476300.0, answer=1795476300.5, end=1795476321.0),
    journal_line(ABANDONED_CALL, sequence="11", dstchannel="PJSIP/i1-1001-0000000e",
                 start=1795476303.0, end=1795476321.0, disposition="NO ANSWER"),
    journal_line(ABANDONED_CALL, sequence="12", dstchannel="PJSIP/i1-1002-0000000f",
                 start=1795476303.0, end=1795476321.0, disposition="NO ANSWER"),
]


# ---- parsing -----------------------------------------------------------------------------

def test_an_inbound_line_parses_into_every_column():
    row = parse_line(INBOUND_ANSWERED)
    assert (row.linkedid, row.uniqueid, row.sequence) == ("e2e-1795476031.0",) * 2 + ("0",)
    assert (row.accountcode, row.src, row.dst) == ("i1", "13800138000", "01012345678")
    assert row.dcontext == "ccc-i1-inbound"
    assert row.channel == "PJSIP/trunk-carrier-00000000"
    assert row.dstchannel == "PJSIP/i1-1001-00000001"
    assert (row.lastapp, row.disposition) == ("Queue", "ANSWERED")
    assert row.start == datetime(2026, 11, 23, 23, 20, 31, 13334)
    assert row.answer == datetime(2026, 11, 23, 23, 20, 31, 13630)
    assert row.end == datetime(2026, 11, 23, 23, 20, 37, 19469)
    assert row.userfield == {"dir": "inbound", "inst": "i1", "num": "01012345678"}


def test_a_zero_or_empty_answer_time_means_never_answered():
    assert parse_line(OUTBOUND_REFUSED).answer is None
    empty = OUTBOUND_REFUSED.replace(",0.000000,", ",,")
    assert parse_line(empty).answer is None and parse_line(empty).end is not None


def test_quotes_inside_a_field_survive():
    row = parse_line(journal_line(src='say "hi", twice'))
    assert row.src == 'say "hi", twice' and row.userfield["num"] == "01012345678"


def test_the_journal_columns_match_the_rendered_mapping():
    from provisioning.templates import TEMPLATE_DIR as TEMPLATES
    text = (TEMPLATES / "cdr_custom.conf.j2").read_text()
    [mapping] = [line for line in text.splitlines() if line.startswith("ccc.csv =>")]
    assert tuple(re.findall(r"CDR\((\w+)", mapping)) == COLUMNS


@pytest.mark.parametrize("line", [
    "",
    "garbage",
    "\x00\x00\x00",
    '"e2e-1","e2e-1","0"',                                   # too few columns
    INBOUND_ANSWERED + ',"extra"',                           # too many
    INBOUND_ANSWERED[:-1],                                   # last quote missing
    INBOUND_ANSWERED[:-12],                                  # cut inside the userfield
    INBOUND_ANSWERED[: INBOUND_ANSWERED.index("1795476037")],  # cut in the times
    INBOUND_ANSWERED.replace("1795476031.013334", "soon"),   # not a time
    INBOUND_ANSWERED.replace("1795476031.013334", "nan"),
    INBOUND_ANSWERED.replace("1795476031.013334", "inf"),    # out of any calendar
    INBOUND_ANSWERED.replace("1795476031.013334", "1e30"),
], ids=["empty", "garbage", "nul", "short", "long", "unclosed-quote", "cut-userfield",
        "cut-times", "word-time", "nan", "inf", "huge"])
def test_a_line_that_is_not_a_complete_record_is_skipped(line):
    assert parse_line(line) is None


# ---- reading the journal -----------------------------------------------------------------

def test_only_complete_lines_are_read_and_the_half_line_waits(tmp_path):
    journal = tmp_path / "ccc.csv"
    journal.write_text(INBOUND_ANSWERED + "\n" + OUTBOUND_ANSWERED[:50])
    lines, position = read_new_lines(journal, 0)
    assert lines == [INBOUND_ANSWERED]
    assert position == len(INBOUND_ANSWERED) + 1
    assert read_new_lines(journal, position) == ([], position)  # still half a line

    with open(journal, "a") as out:
        out.write(OUTBOUND_ANSWERED[50:] + "\n")
    lines, position = read_new_lines(journal, position)
    assert lines == [OUTBOUND_ANSWERED]
    assert position == journal.stat().st_size


def test_positions_count_bytes_not_characters(tmp_path):
    journal = tmp_path / "ccc.csv"
    first = journal_line(src="张三")
    journal.write_text(first + "\n" + OUTBOUND_ANSWERED + "\n", encoding="utf-8")
    lines, position = read_new_lines(journal, 0)
    assert lines == [first, OUTBOUND_ANSWERED] and position == journal.stat().st_size
    lines, _ = read_new_lines(journal, len((first + "\n").encode()))
    assert lines == [OUTBOUND_ANSWERED]


def test_only_a_newline_ends_a_line(tmp_path):
    # A caller name may carry any character; Unicode line separators are not line ends.
    journal = tmp_path / "ccc.csv"
    odd = journal_line(src="a\u2028b\x85c\x0cd")
    journal.write_text(odd + "\n", encoding="utf-8")
    lines, _ = read_new_lines(journal, 0)
    assert lines == [odd] and parse_line(lines[0]).src == "a\u2028b\x85c\x0cd"


def test_a_journal_that_shrank_is_read_again_from_the_start(tmp_path):
    journal = tmp_path / "ccc.csv"
    journal.write_text(INBOUND_ANSWERED + "\n" + OUTBOUND_ANSWERED + "\n")
    _, position = read_new_lines(journal, 0)
    journal.write_text(OUTBOUND_REFUSED + "\n")  # rotated: a new, shorter file
    lines, new_position = read_new_lines(journal, position)
    assert lines == [OUTBOUND_REFUSED] and new_position == len(OUTBOUND_REFUSED) + 1


def test_a_missing_journal_reads_as_nothing_yet(tmp_path):
    assert read_new_lines(tmp_path / "absent.csv", 123) == ([], 123)


# ---- merging rows into a call --------------------------------------------------------------

def test_an_inbound_call_answered_by_an_agent():
    call = merged(INBOUND_ANSWERED)
    assert call.direction == "inbound" and call.instance_key == "i1"
    assert call.number == call.callee == "01012345678"
    assert call.caller == "13800138000"
    assert call.agent_extension == "1001"
    assert call.disposition == "answered"
    assert call.billable_seconds == 7  # 6.0058 s from answer to end: a started second counts
    assert call.refusal_reason is None


def test_the_agent_who_answered_a_queue_call_is_the_one_recorded():
    call = merged(*QUEUE_ROWS)
    assert call.agent_extension == "1001" and call.disposition == "answered"
    assert call.started_at == at(1795476200.1)
    assert call.answered_at == at(1795476200.2)
    assert call.ended_at == at(1795476230.9)
    assert call.billable_seconds == 31


def test_a_call_the_pbx_answered_but_no_agent_took_is_abandoned():
    call = merged(*ABANDONED_ROWS)
    assert call.outcome == "answered"          # the PBX answered: the carrier bills it
    assert call.disposition == "abandoned"     # but no agent ever talked to the caller
    assert call.agent_extension is None
    assert call.billable_seconds == 21         # 20.5 s from the PBX's answer


def test_a_call_the_flow_itself_ended_is_completed_in_the_ivr_not_abandoned():
    # An information line: the flow plays and hangs up (the dialplan tags it end=ivr).
    call = merged(journal_line("e2e-1795476350.0", lastapp="Hangup", start=1795476350.0,
                               answer=1795476350.2, end=1795476362.0,
                               userfield=INBOUND_TAG + "&end=ivr"))
    assert call.outcome == "answered" and call.disposition == "completed_in_ivr"
    assert call.billable_seconds == 12


TRANSFERRED_CALL = "e2e-1795476400.1"
# The IVR answered, then dialled an outside number through the trunk, which answered.
TRANSFERRED_ROWS = [
    journal_line(TRANSFERRED_CALL, sequence="13", lastapp="Dial",
                 dstchannel="PJSIP/carrier-00000011",
                 start=1795476400.0, answer=1795476400.4, end=1795476431.0),
]


# An attended transfer, as the PBX journaled it: agent 1002 answered a queue call, consulted
# agent 1003 (a Local channel the engine originated), cancelled once and consulted again,
# then completed: the caller talked to 1003. (The consulting leg's dialling half, ';2',
# keeps no record: the transfer context disables it.)
ATTENDED = "e2e-1796282883.0"
ATTENDED_ROWS = [
    journal_line(ATTENDED, "e2e-1796282883.0", "0", dst="h1002", dcontext="ccc-i1-conference",
                 channel="PJSIP/trunk-carrier-00000000", dstchannel="PJSIP/i1-1002-00000001",
                 start=1796282883.057011, answer=1796282883.058076, end=1796282888.393062),
    # the first consultation, cancelled: 1003 talked to 1002 only
    journal_line(ATTENDED, "e2e-1796282888.2", "6", accountcode="", src="1003", dst="1003",
                 dcontext="ccc-i1-transfer", lastapp="Bridge",
                 channel="Local/1003@ccc-i1-transfer-00000000;1",
                 dstchannel="PJSIP/i1-1002-00000001", start=1796282888.404557,
                 answer=1796282888.404557, end=1796282889.422023, userfield=""),
    # 1002's leg while it consulted: its source is the agent's extension, not the caller;
    # the PBX joined the two bridged channels' user fields with ';'
    journal_line(ATTENDED, "e2e-1796282886.1", "8", src="1002", dst="w1002",
                 dcontext="ccc-i1-conference", lastapp="AppQueue",
                 channel="PJSIP/i1-1002-00000001", dstchannel="PJSIP/trunk-carrier-00000000",
                 start=1796282889.422129, answer=1796282889.422129, end=1796282891.563062,
                 userfield=";" + INBOUND_TAG),
    # the second, completed: its Local half is bridged with the caller's trunk channel
    journal_line(ATTENDED, "e2e-1796282891.10", "9", accountcode="", src="1003", dst="1003",
                 dcontext="ccc-i1-transfer", lastapp="Bridge",
                 channel="Local/1003@ccc-i1-transfer-00000001;1", start=1796282891.564099,
                 answer=1796282891.575205, end=1796282891.578591, userfield=""),
    journal_line(ATTENDED, "e2e-1796282891.10", "15", accountcode="", src="1003", dst="1003",
                 dcontext="ccc-i1-transfer", lastapp="Bridge",
                 channel="Local/1003@ccc-i1-transfer-00000001;1",
                 dstchannel="PJSIP/trunk-carrier-00000000", start=1796282892.442046,
                 answer=1796282892.442046, end=1796282897.584195),
]


def test_an_attended_transfer_keeps_both_agents_in_order():
    call = merged(*ATTENDED_ROWS)
    assert call.agents == {"1002": at(1796282883.058076), "1003": at(1796282892.442046)}
    assert call.agent_extension == "1002" and call.disposition == "answered"
    assert call.caller == "13800138000" and call.number == "01012345678"
    # Order-free: the same rows in any order give the same call.
    assert merged(*ATTENDED_ROWS[::-1]).agents == call.agents


def test_a_cancelled_consultation_does_not_count_the_consulted_agent():
    call = merged(*ATTENDED_ROWS[:3])
    assert list(call.agents) == ["1002"]


def test_a_local_leg_to_an_outside_number_is_no_agent():
    row = journal_line(ATTENDED, src="1002", dcontext="ccc-i1-transfer", lastapp="Bridge",
                       channel="Local/13900139000@ccc-i1-transfer-00000001;1",
                       dstchannel="PJSIP/trunk-carrier-00000000", start=1796282892.4,
                       answer=1796282892.4, end=1796282897.5)
    assert merged(ATTENDED_ROWS[0], row).agents == {"1002": at(1796282883.058076)}


def test_an_attended_transfer_ingested_row_by_row_keeps_both_agents(settings, session):
    from engine.calls.service import agents_of
    add_account(session)
    add_instance(session)
    for line in ATTENDED_ROWS[::-1]:
        write_journal(settings, line + "\n")
        ingest(session, settings)
    [record] = records(session)
    assert agents_of(session, [record]) == {record.id: ["1002", "1003"]}
    assert record.agent_extension == "1002"


def test_an_inbound_call_transferred_outside_and_answered_there_is_answered():
    call = merged(*TRANSFERRED_ROWS)
    assert call.agent_extension is None and call.answered_outside
    assert call.disposition == "answered"
    assert merged(*TRANSFERRED_ROWS, *ABANDONED_ROWS[1:]).disposition == "answered"


def test_an_inbound_call_nobody_answered_is_not_abandoned():
    call = merged(journal_line(disposition="NO ANSWER"))
    assert call.disposition == "no_answer" and call.billable_seconds == 0


@pytest.mark.parametrize("rows", [QUEUE_ROWS, ABANDONED_ROWS], ids=["answered", "abandoned"])
def test_merging_is_order_independent(rows):
    results = [merged(*order) for order in itertools.permutations(rows)]
    assert len(results) == 6
    assert all(result == results[0] for result in results), results


@pytest.mark.parametrize("lines", [
    [INBOUND_ANSWERED], [OUTBOUND_ANSWERED], [OUTBOUND_REFUSED], QUEUE_ROWS, ABANDONED_ROWS])
def test_merging_a_row_again_changes_nothing(lines):
    call = merged(*lines)
    for line in lines:
        before = copy.deepcopy(call)
        merge_row(call, parse_line(line))
        assert call == before


def test_an_outbound_call_shows_the_instance_number():
    call = merged(OUTBOUND_ANSWERED)
    assert call.direction == "outbound" and call.instance_key == "i1"
    assert call.caller == call.number == "01012345678"  # the caller ID the callee saw
    assert call.callee == "13900139000"
    assert call.agent_extension == "1001"
    assert call.disposition == "answered"
    assert call.billable_seconds == 4  # 3.0078 s


def test_an_internal_call_names_both_extensions():
    call = merged(journal_line(src="1001", dst="1002", dcontext="ccc-i1-agents",
                               channel="PJSIP/i1-1001-00000020",
                               dstchannel="PJSIP/i1-1002-00000021", lastapp="Dial",
                               answer=1795476102.0, userfield="dir=internal&inst=i1&agent=1001"))
    assert call.direction == "internal" and call.instance_key == "i1"
    assert (call.caller, call.callee, call.agent_extension) == ("1001", "1002", "1001")
    assert call.disposition == "answered" and call.billable_seconds == 8


@pytest.mark.parametrize("disposition", ["NO ANSWER", "FAILED", "ANSWERED"])
def test_a_refused_call_is_refused_whatever_the_pbx_says(disposition):
    call = merged(OUTBOUND_REFUSED.replace('"NO ANSWER"', f'"{disposition}"'))
    assert call.disposition == "refused"
    assert call.refusal_reason == REFUSALS["no_caller_id"]
    assert "400 numbers are inbound only" in call.refusal_reason
    assert call.instance_key == "i2" and call.agent_extension == "1001"
    assert call.callee == "13900139000" and call.number is None
    assert call.answered_at is None and call.billable_seconds == 0


def test_refusal_reasons_are_written_out():
    no_trunk = merged(OUTBOUND_REFUSED.replace("refused=no_caller_id", "refused=no_trunk"))
    assert no_trunk.refusal_reason == "no carrier trunk is configured"
    other = merged(OUTBOUND_REFUSED.replace("refused=no_caller_id", "refused=hours"))
    assert other.refusal_reason == "hours" and other.disposition == "refused"


@pytest.mark.parametrize("talk, seconds", [
    (0, 0),
    (0.000001, 1),
    (2.5, 3),
    (3.5, 4),       # no rounding half to even: 2.5 and 3.5 both go up
    (6.005839, 7),
    (60, 60),
    (60.4, 61),     # the 61st second started, so billing sees a second minute begin
    (-1, 0),        # a clock step back never makes a negative duration
])
def test_billable_seconds_count_every_started_second(talk, seconds):
    answered = datetime(2026, 11, 23, 23, 20, 31, 13630)
    call = MergedCall("x", started_at=answered - timedelta(seconds=3), answered_at=answered,
                      ended_at=answered + timedelta(seconds=talk))
    assert call.billable_seconds == seconds


def test_an_unanswered_call_bills_nothing():
    assert MergedCall("x", started_at=at(1795476000), ended_at=at(1795476050)).billable_seconds == 0


@pytest.mark.parametrize("channel, extension", [
    ("PJSIP/i1-1001-00000001", "1001"), ("PJSIP/i12-123456-0000abcd", "123456"),
    ("PJSIP/i1-1001-web-0000000a", "1001"), ("PJSIP/i1-1001-webx-0000000a", None),
    ("PJSIP/i1-1001-web-0000002a", "1001"), ("PJSIP/i1-1001-web2-0000002a", None),
    ("PJSIP/trunk-carrier-00000000", None), ("", None), ("Local/1001@x-00000001;1", None)])
def test_agent_of_a_channel(channel, extension):
    assert agent_of(channel) == extension


# ---- ingestion into the database -------------------------------------------------------------

def write_journal(settings, text: str) -> None:
    settings.cdr_file.parent.mkdir(parents=True, exist_ok=True)
    with open(settings.cdr_file, "a", encoding="utf-8") as journal:
        journal.write(text)


def records(session) -> list[CallRecord]:
    return list(session.scalars(select(CallRecord).order_by(CallRecord.pbx_call_id)))


def as_dict(record: CallRecord) -> dict:
    return {column: getattr(record, column) for column in (
        "pbx_call_id", "instance_id", "number", "direction", "caller", "callee", "started_at",
        "answered_at", "ended_at", "billable_seconds", "disposition", "agent_extension",
        "refusal_reason")}


def test_ingesting_twice_stores_one_record(settings, session):
    add_account(session)
    sales = add_instance(session).instance
    write_journal(settings, INBOUND_ANSWERED + "\n")
    assert ingest(session, settings) == 1
    assert ingest(session, settings) == 0  # nothing new
    [record] = records(session)
    assert record.pbx_call_id == "e2e-1795476031.0" and record.instance_id == sales.id
    assert record.direction is Direction.INBOUND
    assert (record.caller, record.callee, record.number) == (
        "13800138000", "01012345678", "01012345678")
    assert record.agent_extension == "1001" and record.disposition == "answered"
    assert record.started_at == datetime(2026, 11, 23, 23, 20, 31, 13334)
    assert record.billable_seconds == 7


def test_reading_the_journal_again_from_the_start_changes_nothing(settings):
    write_journal(settings, "\n".join([INBOUND_ANSWERED, OUTBOUND_ANSWERED, OUTBOUND_REFUSED,
                                       *QUEUE_ROWS, *ABANDONED_ROWS]) + "\n")
    with transaction(settings) as session:
        assert ingest(session, settings) == 5
        first = [as_dict(r) for r in records(session)]
    with transaction(settings) as session:
        session.get(IngestCursor, str(settings.cdr_file)).position = 0  # replay it all
    with transaction(settings) as session:
        assert ingest(session, settings) == 5
        assert [as_dict(r) for r in records(session)] == first
        assert session.scalar(select(func.count()).select_from(CallRecord)) == 5


def test_a_half_written_row_waits_until_it_is_complete(settings, session):
    write_journal(settings, OUTBOUND_ANSWERED[:70])
    assert ingest(session, settings) == 0
    assert records(session) == []
    write_journal(settings, OUTBOUND_ANSWERED[70:])  # complete, but no newline yet
    assert ingest(session, settings) == 0
    write_journal(settings, "\n")
    assert ingest(session, settings) == 1
    [record] = records(session)
    assert record.pbx_call_id == "e2e-1795476063.3" and record.direction is Direction.OUTBOUND
    assert record.caller == "01012345678" and record.callee == "13900139000"


@pytest.mark.parametrize("split", [1, 2])
@pytest.mark.parametrize("rows", [QUEUE_ROWS, ABANDONED_ROWS, QUEUE_ROWS[::-1]],
                         ids=["answered", "abandoned", "answered-reversed"])
def test_a_call_ingested_in_two_batches_ends_as_in_one(settings, session, rows, split):
    add_account(session)
    add_instance(session)
    write_journal(settings, "\n".join(rows[:split]) + "\n")
    assert ingest(session, settings) == 1
    write_journal(settings, "\n".join(rows[split:]) + "\n")
    assert ingest(session, settings) == 1
    [in_two] = [as_dict(r) for r in records(session)]

    whole = MergedCall(pbx_call_id=rows[0].split('"')[1])
    for line in rows:
        merge_row(whole, parse_line(line))
    assert in_two["disposition"] == whole.disposition
    assert in_two["agent_extension"] == whole.agent_extension
    assert (in_two["started_at"], in_two["answered_at"], in_two["ended_at"]) == (
        whole.started_at, whole.answered_at, whole.ended_at)
    assert in_two["billable_seconds"] == whole.billable_seconds
    assert (in_two["caller"], in_two["callee"], in_two["number"]) == (
        whole.caller, whole.callee, whole.number)


def test_batches_and_one_read_store_the_same_records(settings, tmp_path):
    """The same journal, read in one go and read line by line, gives equal records."""
    from dataclasses import replace
    lines = [INBOUND_ANSWERED, OUTBOUND_ANSWERED, OUTBOUND_REFUSED, *QUEUE_ROWS,
             *ABANDONED_ROWS]
    one_go = replace(settings, pbx_root=tmp_path / "one-go")
    write_journal(one_go, "\n".join(lines) + "\n")
    with transaction(one_go) as session:
        ingest(session, one_go)
    with transaction(one_go) as session:
        expected = [as_dict(r) for r in records(session)]
        session.execute(delete(CallRecord))
    for line in lines:
        write_journal(settings, line + "\n")
        with transaction(settings) as session:
            ingest(session, settings)
    with transaction(settings) as session:
        assert [as_dict(r) for r in records(session)] == expected


def test_a_refused_call_is_stored_with_its_reason(settings, session):
    add_account(session)
    add_instance(session)
    hotline = add_instance(session, name="Hotline", domain="hotline.acme", number="4001234567",
                           number_type="400", admin="carol").instance
    write_journal(settings, OUTBOUND_REFUSED + "\n")
    ingest(session, settings)
    [record] = records(session)
    assert record.instance_id == hotline.id and record.direction is Direction.OUTBOUND
    assert record.disposition == "refused" and record.answered_at is None
    assert "400 numbers are inbound only" in record.refusal_reason
    assert record.callee == "13900139000" and record.agent_extension == "1001"


def test_garbage_in_the_journal_does_not_stop_ingestion(settings, session):
    long_caller = journal_line("e2e-1795476400.1", src="9" * 200)
    write_journal(settings, "\n".join([
        "garbage", INBOUND_ANSWERED.replace("1795476031.013334", "inf"), long_caller,
        '"unterminated', journal_line("x" * 65), INBOUND_ANSWERED]) + "\n")
    assert ingest(session, settings) == 2
    stored = {r.pbx_call_id: r for r in records(session)}
    assert set(stored) == {"e2e-1795476031.0", "e2e-1795476400.1"}
    assert stored["e2e-1795476400.1"].caller == "9" * 64  # cut to the column, not fatal
    assert stored["e2e-1795476031.0"].instance_id is None  # instance i1 does not exist here
