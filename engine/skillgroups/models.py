from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base, value_enum
from engine.instances.models import Instance
from engine.recording.policy import RecordingPolicy


class SkillGroup(Base):
    __tablename__ = "skill_group"
    __table_args__ = (UniqueConstraint("instance_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    strategy: Mapped[str] = mapped_column(String(16), default="rrmemory")
    wait_timeout: Mapped[int] = mapped_column(default=300)  # seconds a caller may queue
    # After-call work: seconds an agent is not offered calls after one of this group's.
    wrap_up_seconds: Mapped[int] = mapped_column(default=0, server_default="0")
    # The service level counts calls answered within this many seconds of entering.
    service_level_seconds: Mapped[int] = mapped_column(default=20, server_default="20")
    # Where a caller goes after waiting wait_timeout in vain: another group of the instance.
    overflow_id: Mapped[int | None] = mapped_column(
        ForeignKey("skill_group.id", ondelete="SET NULL"))

    # Which of the group's calls are recorded; 'inherit' follows the instance.
    recording: Mapped[RecordingPolicy] = mapped_column(
        value_enum(RecordingPolicy, "recording_policy"), default=RecordingPolicy.INHERIT,
        server_default=RecordingPolicy.INHERIT.value)

    instance: Mapped[Instance] = relationship()
    overflow: Mapped["SkillGroup | None"] = relationship(remote_side=[id])

    @property
    def queue_name(self) -> str:
        return f"{self.instance.pbx_key}-q{self.id}"
