from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base, utcnow, value_enum
from engine.suppliers.models import Supplier


class QualificationState(str, enum.Enum):
    SUBMITTED = "submitted"   # waiting for a reviewer
    APPROVED = "approved"
    REJECTED = "rejected"     # the owner corrects it and submits it again


class CompanyType(str, enum.Enum):
    LIMITED = "limited_company"
    JOINT_STOCK = "joint_stock_company"
    PARTNERSHIP = "partnership"
    STATE_OWNED = "state_owned"
    PUBLIC_INSTITUTION = "public_institution"
    SOLE_PROPRIETORSHIP = "sole_proprietorship"  # known, so it can be refused by name


class IdType(str, enum.Enum):
    RESIDENT_ID = "resident_id"
    PASSPORT = "passport"
    HK_MACAO_PERMIT = "hk_macao_permit"
    TAIWAN_PERMIT = "taiwan_permit"


class Qualification(Base):
    """An account's enterprise qualification: the company, its legal representative and
    the business the numbers are for, reviewed by the platform's reviewers."""

    __tablename__ = "qualification"
    __table_args__ = (UniqueConstraint("account_id", "company_name", "location"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"),
                                            index=True)
    company_name: Mapped[str] = mapped_column(String(128))
    location: Mapped[str] = mapped_column(String(128))
    company_type: Mapped[CompanyType] = mapped_column(value_enum(CompanyType, "company_type",
                                                                 32))
    credit_code: Mapped[str] = mapped_column(String(18))
    # A company with no fixed term is stored as valid for 10 years from its submission.
    valid_until: Mapped[date]
    no_fixed_term: Mapped[bool] = mapped_column(default=False)
    representative_name: Mapped[str] = mapped_column(String(64))
    representative_mobile: Mapped[str] = mapped_column(String(11))
    id_type: Mapped[IdType] = mapped_column(value_enum(IdType, "id_type", 32))
    id_number: Mapped[str] = mapped_column(String(32))
    id_valid_until: Mapped[date]
    id_front_id: Mapped[int] = mapped_column(ForeignKey("document.id"))
    id_back_id: Mapped[int] = mapped_column(ForeignKey("document.id"))
    business_description: Mapped[str] = mapped_column(Text)
    intended_use: Mapped[str] = mapped_column(Text)
    scenario: Mapped[str] = mapped_column(Text)
    sample_script: Mapped[str] = mapped_column(Text)
    state: Mapped[QualificationState] = mapped_column(
        value_enum(QualificationState, "qualification_state"))
    remark: Mapped[str | None] = mapped_column(Text)  # the last review's
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewed_at: Mapped[datetime | None]

    suppliers: Mapped[list[Supplier]] = relationship(
        secondary="qualification_supplier", order_by="Supplier.name")
    history: Mapped[list["QualificationReview"]] = relationship(
        order_by="QualificationReview.id", cascade="all, delete-orphan")


class QualificationSupplier(Base):
    """A supplier the qualification is for (more may be added once it is approved)."""

    __tablename__ = "qualification_supplier"

    qualification_id: Mapped[int] = mapped_column(
        ForeignKey("qualification.id", ondelete="CASCADE"), primary_key=True)
    supplier_id: Mapped[int] = mapped_column(
        ForeignKey("supplier.id", ondelete="CASCADE"), primary_key=True)


class QualificationReview(Base):
    """One step of a qualification's history: submitted, resubmitted, approved, rejected
    (with the reviewer's remark), a supplier added. Kept for good."""

    __tablename__ = "qualification_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    qualification_id: Mapped[int] = mapped_column(
        ForeignKey("qualification.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    remark: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)
