from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base


class QueueEvent(Base):
    """One line of the PBX's queue log: a caller entered, was connected, abandoned...

    The line's digest is its identity, so reading the log again (after an outage, or a
    log replaced and read from its start) adds nothing: a line written twice byte for
    byte says nothing the first one did not.
    """

    __tablename__ = "queue_event"
    # By instance and time for reading a period; by instance, event and time for the
    # few kinds a report counts straight from the events (refusals, rings unanswered).
    __table_args__ = (Index("ix_queue_event_instance_at", "instance_id", "at"),
                      Index("ix_queue_event_instance_event_at", "instance_id", "event", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    line_digest: Mapped[str] = mapped_column(String(40), unique=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"))
    # None once the group is deleted; the queue name still says which one it was.
    skill_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("skill_group.id", ondelete="SET NULL"))
    queue: Mapped[str] = mapped_column(String(80))
    agent_extension: Mapped[str | None] = mapped_column(String(8))
    event: Mapped[str] = mapped_column(String(24))
    call_id: Mapped[str | None] = mapped_column(String(64), index=True)  # caller's uniqueid
    at: Mapped[datetime]
    # The event's own fields, as Asterisk names them in its queue_log table.
    data1: Mapped[str] = mapped_column(String(80), default="")
    data2: Mapped[str] = mapped_column(String(80), default="")
    data3: Mapped[str] = mapped_column(String(80), default="")
    data4: Mapped[str] = mapped_column(String(80), default="")
    data5: Mapped[str] = mapped_column(String(80), default="")


class QueueCall(Base):
    """One call's stay in one skill group's queue (a visit), as the queue log tells it:
    when it entered, how it left, how long it waited and talked.

    Rebuilt by ingestion from the call's queue events with ``metrics.queue_visits``
    each time the call has new ones, so the reports sum months of calls in the
    database instead of replaying every event.
    """

    __tablename__ = "queue_call"
    __table_args__ = (UniqueConstraint("call_id", "queue", "entered_at"),
                      Index("ix_queue_call_instance_entered_at", "instance_id", "entered_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"))
    skill_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("skill_group.id", ondelete="SET NULL"))
    queue: Mapped[str] = mapped_column(String(80))
    call_id: Mapped[str] = mapped_column(String(64))
    entered_at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String(16))      # metrics.Outcome
    agent_extension: Mapped[str | None] = mapped_column(String(8))
    wait_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    talk_seconds: Mapped[float | None] = mapped_column(Float)  # None while talking
    rang_agent: Mapped[bool] = mapped_column(default=False)
    exit_key: Mapped[str | None] = mapped_column(String(8))
    transferred_in: Mapped[bool] = mapped_column(default=False)
    overflowed_in: Mapped[bool] = mapped_column(default=False)


class CallHold(Base):
    """One time an agent put a call on hold, from hold to retrieve, as the PBX announced
    it (AMI Hold and Unhold on the agent's channel: the phone's or the page's re-INVITE).

    The PBX keeps no durable trace of holds (neither its queue log, its call records nor
    its channel event log time them), so ``ccc serve`` writes each one here when it ends;
    a hold under way while ``ccc serve`` was down is not counted. Keyed by the agent's
    channel and the hold's start, so writing one twice keeps one row.
    """

    __tablename__ = "call_hold"
    __table_args__ = (UniqueConstraint("channel_uniqueid", "started_at"),
                      Index("ix_call_hold_instance_started_at", "instance_id", "started_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"))
    pbx_call_id: Mapped[str] = mapped_column(String(64), index=True)  # the call's linkedid
    channel_uniqueid: Mapped[str] = mapped_column(String(64))
    agent_extension: Mapped[str] = mapped_column(String(8))
    started_at: Mapped[datetime]
    seconds: Mapped[float] = mapped_column(Float)


class IvrSession(Base):
    """One run of an IVR flow for a call, written once by the AGI server when the run
    ends: the nodes the call passed, the keys chosen at each, and how the run ended (a
    target handed to the dialplan, a hang-up by the flow, the caller hanging up).

    A call that comes back to the flow (after a queue overflowed, after its agent hung
    up) has one row per run. Keyed by the caller's channel and the run's start, so a
    row written twice is kept once.
    """

    __tablename__ = "ivr_session"
    __table_args__ = (UniqueConstraint("pbx_call_id", "started_at"),
                      Index("ix_ivr_session_instance_started_at", "instance_id", "started_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"))
    # None once the flow is deleted; the report then names it by its id.
    flow_id: Mapped[int | None] = mapped_column(ForeignKey("ivr_flow.id", ondelete="SET NULL"))
    flow_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("ivr_flow_version.id", ondelete="SET NULL"))
    pbx_call_id: Mapped[str] = mapped_column(String(64))  # the caller's channel uniqueid
    number: Mapped[str] = mapped_column(String(24), default="")  # the number dialled
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime]
    # The nodes passed, '/'-joined, each "node" or "node:keys" (the menu keys pressed
    # there), as the agent's pop-up shows it; the last is where the run ended.
    trail: Mapped[str] = mapped_column(String(1024), default="")
    outcome: Mapped[str] = mapped_column(String(16))  # engine.reports.ivr.IvrOutcome
