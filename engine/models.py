"""Every model, imported in one place so Alembic and the tests see the whole schema."""
from engine.accounts.models import Account, ApiToken, BillingPlan, Role, SignInFailure, User
from engine.applications.models import ApplicationState, LineApplication, LineApplicationEvent
from engine.agents.models import (Agent, AgentInvitation, AgentSkillGroup, DedicatedAgent,
                                  SeatPeriod)
from engine.agentstate.models import AgentStateChange, BreakCode
from engine.audio.models import AudioFile
from engine.billing.models import (
    ContractDiscount, MonthlyCharge, NumberMinutes, PackageMonthUse, PackageUse, Payment,
    RatedUsage, RatingRun, Tariff, UsageExport, UsageTotal, VoicePackage,
)
from engine.callcontrol.models import CallNote, SupervisionLog
from engine.compliance.models import OutboundAttempt
from engine.calls.models import CallRecord, Direction, IngestCursor
from engine.db import Base
from engine.documents.models import Document
from engine.instances.models import Instance
from engine.ivr.models import FlowState, IvrFlow, IvrFlowVersion
from engine.numbers.models import (
    Number, NumberReminder, NumberRental, NumberSkillGroup, NumberType,
)
from engine.numbers.pool_models import NumberPurchase, NumberTier, PoolNumber
from engine.qualifications.models import (
    Qualification, QualificationReview, QualificationState, QualificationSupplier,
)
from engine.recording.models import Recording
from engine.reports.models import QueueCall, QueueEvent
from engine.security.models import Ban
from engine.skillgroups.models import SkillGroup
from engine.suppliers.models import Supplier, SupplierAgreement
from engine.trunks.models import Trunk

__all__ = [
    "Account", "Agent", "AgentInvitation", "AgentSkillGroup", "AgentStateChange",
    "BreakCode", "CallNote", "ApiToken", "DedicatedAgent", "AudioFile", "Ban", "Base",
    "BillingPlan",
    "CallRecord", "Direction", "FlowState", "IngestCursor", "Instance", "IvrFlow",
    "IvrFlowVersion", "Number",
    "NumberPurchase", "NumberReminder", "NumberRental", "NumberSkillGroup", "NumberTier",
    "NumberType",
    "PoolNumber", "OutboundAttempt", "QueueCall", "QueueEvent", "SeatPeriod",
    "Recording", "Role",
    "SignInFailure", "SkillGroup", "SupervisionLog", "Supplier", "Trunk", "User",
    "ContractDiscount", "MonthlyCharge", "PackageUse", "Payment", "RatedUsage", "RatingRun",
    "Tariff", "UsageExport", "VoicePackage", "NumberMinutes", "PackageMonthUse", "UsageTotal",
    "ApplicationState", "Document", "LineApplication", "LineApplicationEvent",
    "Qualification", "QualificationReview", "QualificationState", "QualificationSupplier",
    "SupplierAgreement",
]
