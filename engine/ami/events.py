"""The AMI events ``ccc serve`` listens to, the one list of their names.

The PBX sends its AMI account these and no other (an event filter in manager.conf): a
call raises a dozen channel events (new channel, each state, caller id, account code,
hang-up requests...) that nothing here reads, and each one cost the PBX its formatting
and ``ccc serve`` its parsing, on every call. A listener for an event missing here would
never hear it: tests/unit/test_ami_events.py checks the listeners against this list.
"""
from __future__ import annotations

LISTENED = (
    # a call ended: its record is in the journal (ingestion wakes)
    "Cdr",
    # agents' states (engine/agentstate/tracker.py)
    "QueueMemberAdded", "QueueMemberRemoved", "QueueMemberStatus", "QueueMemberPause",
    "QueueMemberPenalty", "QueueMemberRinginuse", "AgentComplete", "DialBegin", "DialEnd",
    "Hangup",
    # the hold log (engine/reports/holds.py)
    "Hold", "Unhold",
)
