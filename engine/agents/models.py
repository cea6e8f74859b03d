from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base, utcnow
from engine.instances.models import Instance
from engine.skillgroups.models import SkillGroup


class Agent(Base):
    """A seat: SIP credentials for a softphone, membership in skill groups."""

    __tablename__ = "agent"
    __table_args__ = (UniqueConstraint("instance_id", "extension"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    extension: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(64))
    sip_secret: Mapped[str] = mapped_column(String(64))
    # The workbench sign-in; none until an administrator sets one or an invitation is used.
    password_hash: Mapped[str | None] = mapped_column(String(256))

    instance: Mapped[Instance] = relationship()
    memberships: Mapped[list["AgentSkillGroup"]] = relationship(
        back_populates="agent", cascade="all, delete-orphan")

    @property
    def sip_username(self) -> str:
        # Unique on the shared PBX: two instances may both have extension 1001.
        return f"{self.instance.pbx_key}-{self.extension}"


class AgentSkillGroup(Base):
    __tablename__ = "agent_skill_group"

    agent_id: Mapped[int] = mapped_column(
        ForeignKey("agent.id", ondelete="CASCADE"), primary_key=True)
    skill_group_id: Mapped[int] = mapped_column(
        ForeignKey("skill_group.id", ondelete="CASCADE"), primary_key=True)
    level: Mapped[int] = mapped_column(default=1)  # 1 (best) .. 10; becomes the queue penalty

    agent: Mapped[Agent] = relationship(back_populates="memberships")
    skill_group: Mapped[SkillGroup] = relationship()


class AgentInvitation(Base):
    """A one-time link with which an agent chooses a workbench password.

    Only a hash of the token is kept: the database alone does not let anyone in.
    """

    __tablename__ = "agent_invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agent.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    agent: Mapped[Agent] = relationship()


class DedicatedAgent(Base):
    """A customer's number tied to one agent of the instance (its dedicated agent).

    Inbound calls from that number ring the agent first while it is READY, then go on
    through the flow as usual. The number is matched exactly as the carrier presents it.
    """

    __tablename__ = "dedicated_agent"
    # The unique pair is also the index the IVR's one look-up per queue handoff uses.
    __table_args__ = (UniqueConstraint("instance_id", "customer_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"))
    customer_number: Mapped[str] = mapped_column(String(21))  # DIAL_NUMBER_RE: +, 3-20 digits
    agent_id: Mapped[int] = mapped_column(ForeignKey("agent.id", ondelete="CASCADE"),
                                          index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    agent: Mapped[Agent] = relationship()


class SeatPeriod(Base):
    """One period a seat (an agent's extension in an instance) existed: the bill's seat
    lines follow these, not the agents that exist when the month is rated."""

    __tablename__ = "seat_period"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"),
                                             index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agent.id", ondelete="SET NULL"))
    extension: Mapped[str] = mapped_column(String(8))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]  # None: the seat is still there
