from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base, utcnow, value_enum
from engine.instances.models import Instance


class FlowState(str, enum.Enum):
    DRAFT = "draft"
    PUBLISHED = "published"


class IvrFlow(Base):
    __tablename__ = "ivr_flow"
    __table_args__ = (UniqueConstraint("instance_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))

    instance: Mapped[Instance] = relationship()
    versions: Mapped[list["IvrFlowVersion"]] = relationship(
        back_populates="flow", order_by="IvrFlowVersion.id", cascade="all, delete-orphan")


class IvrFlowVersion(Base):
    """A draft, or an immutable published version (numbered 1, 2, ...)."""

    __tablename__ = "ivr_flow_version"
    __table_args__ = (
        UniqueConstraint("flow_id", "version"),
        # At most one draft per flow, even when the web editor and the CLI save at once.
        Index("uq_ivr_flow_version_one_draft", "flow_id", unique=True,
              sqlite_where=text("state = 'draft'"), postgresql_where=text("state = 'draft'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    flow_id: Mapped[int] = mapped_column(ForeignKey("ivr_flow.id", ondelete="CASCADE"))
    version: Mapped[int | None]  # None while a draft
    state: Mapped[FlowState] = mapped_column(value_enum(FlowState, "flow_state"))
    definition: Mapped[str] = mapped_column(Text)  # the flow document, JSON
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    flow: Mapped[IvrFlow] = relationship(back_populates="versions")
