"""The reports' rows as the CLI and the API give them: JSON as built, CSV flattened.

One serializer for every face, so ``ccc report ... --csv`` and the API's CSV agree.
"""
from __future__ import annotations

import csv
import io

SKILL_GROUP_COLUMNS = (
    "interval_start", "skill_group", "skill_group_id", "service_level_seconds",
    "CallsOffered", "CallsHandled", "CallsAbandoned", "CallsAbandonedInQueue",
    "CallsAbandonedRinging", "CallsAbandonedShort", "CallsTimeout", "CallsExitedByKey",
    "CallsExitedEmpty", "CallsWaiting", "CallsBlocked", "CallsTransferredIn",
    "CallsOverflowedIn", "HandleRate", "AbandonRate", "ServiceLevel", "AverageWaitTime",
    "AverageAbandonTime", "AverageTalkTime", "AverageHoldTime", "AverageWorkTime",
    "AverageHandleTime")
AGENT_COLUMNS = (
    "interval_start", "agent", "agent_name", "CallsHandled", "CallsRingNoAnswer",
    "AverageWaitTime", "AverageTalkTime", "AverageHoldTime", "AverageWorkTime",
    "AverageHandleTime", "TalkTime", "HoldTime", "WorkTime", "SignedInTime", "OccupancyRate")
IVR_COLUMNS = ("interval_start", "flow", "flow_id", "node", "CallsEntered", "CallsReached",
               "CallsDropped", "CallsCompleted")
NUMBER_COLUMNS = ("interval_start", "number", "direction", "Calls", "CallsAnswered",
                  "CallsAbandoned", "CallsCompletedInIvr", "CallsUnanswered", "AnswerRate",
                  "AverageDuration", "BillableTime")
# The states an agent can be in while signed in, each a column of its time.
STATE_COLUMNS = ("READY", "RINGING", "DIALING", "TALKING", "WORKING", "BREAK")
# What the CLI shows in its table; the JSON and CSV carry every column.
SKILL_GROUP_SUMMARY = ("interval_start", "skill_group", "CallsOffered", "CallsHandled",
                       "CallsAbandoned", "CallsAbandonedShort", "CallsTimeout", "ServiceLevel",
                       "AverageWaitTime", "AverageTalkTime", "AverageHandleTime")
AGENT_SUMMARY = ("interval_start", "agent", "CallsHandled", "AverageTalkTime",
                 "AverageHoldTime", "AverageWorkTime", "AverageHandleTime", "SignedInTime",
                 "OccupancyRate")
IVR_SUMMARY = ("interval_start", "flow", "node", "CallsReached", "CallsDropped",
               "CallsCompleted", "KeyPresses")
NUMBER_SUMMARY = ("interval_start", "number", "direction", "Calls", "CallsAnswered",
                  "CallsAbandoned", "CallsCompletedInIvr", "AverageDuration")


def agent_flat(row: dict) -> dict:
    """An agent row with its time by state and by break code as columns of their own."""
    flat = {column: row.get(column) for column in AGENT_COLUMNS}
    for state in STATE_COLUMNS:
        flat[f"StateTime.{state}"] = row["StateTime"].get(state, 0.0)
    for code, seconds in row["BreakTime"].items():
        flat[f"BreakTime.{code or '-'}"] = seconds
    return flat


def report_csv(rows: list[dict], columns: tuple[str, ...]) -> str:
    """CSV with a header; the columns given first, then any a row adds (break codes)."""
    header = list(columns)
    for row in rows:
        header += [key for key in row if key not in header]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, header, lineterminator="\n", restval="")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def skill_group_csv(rows: list[dict]) -> str:
    return report_csv(rows, SKILL_GROUP_COLUMNS)


def agent_csv(rows: list[dict]) -> str:
    return report_csv([agent_flat(row) for row in rows],
                      AGENT_COLUMNS + tuple(f"StateTime.{s}" for s in STATE_COLUMNS))


def ivr_flat(row: dict) -> dict:
    """An IVR row with the presses of each key as a column of its own."""
    flat = {column: row.get(column) for column in IVR_COLUMNS}
    for key, count in row["KeyPresses"].items():
        flat[f"KeyPresses.{key}"] = count
    return flat


def ivr_csv(rows: list[dict]) -> str:
    return report_csv([ivr_flat(row) for row in rows], IVR_COLUMNS)


def number_csv(rows: list[dict]) -> str:
    return report_csv(rows, NUMBER_COLUMNS)
