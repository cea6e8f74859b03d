from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.accounts.models import Account
from engine.db import Base, utcnow, value_enum
from engine.recording.policy import RecordingPolicy


class Instance(Base):
    """One call center of an account; every PBX object it owns is named from ``pbx_key``."""

    __tablename__ = "instance"
    __table_args__ = (UniqueConstraint("account_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    domain: Mapped[str] = mapped_column(String(253), unique=True)  # immutable once created
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # An agent who lets a queue call ring out goes to BREAK (RingingTimeout), so the
    # queue stops offering calls to someone who is not there.
    ringing_timeout_break: Mapped[bool] = mapped_column(default=True, server_default=true())
    # Which calls are recorded (all, none, on the agent's demand); a skill group may say
    # otherwise. None by default: recording is a choice, and its storage is billed.
    recording: Mapped[RecordingPolicy] = mapped_column(
        value_enum(RecordingPolicy, "recording_policy"), default=RecordingPolicy.NONE,
        server_default=RecordingPolicy.NONE.value)

    account: Mapped[Account] = relationship()

    @property
    def pbx_key(self) -> str:
        return self.pbx_key_for(self.id)

    @staticmethod
    def pbx_key_for(instance_id: int) -> str:
        # Derived from the id, which never changes, so renaming nothing can break the PBX.
        return f"i{instance_id}"

    @staticmethod
    def id_from_pbx_key(key: str | None) -> int | None:
        """The instance id a PBX key names, or None for anything else."""
        if not key or not key.startswith("i") or not key[1:].isdigit():
            return None
        return int(key[1:])
