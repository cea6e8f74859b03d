"""How the pages name the engine's enumerations (the database keeps the values).

In English a page shows the value itself, as the CLI and the API do ("payg",
"instance_admin"); the catalogues give each value its name in other languages.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from engine.accounts.models import BillingPlan, Role
from engine.numbers.models import NumberType
from engine.recording.policy import INSTANCE_POLICIES, SKILL_GROUP_POLICIES, RecordingPolicy

ROLES = {Role.OWNER: _l("owner"), Role.INSTANCE_ADMIN: _l("instance_admin"),
         Role.SUPERVISOR: _l("supervisor"),
         Role.AGENT: _l("agent"), Role.SUPPLIER: _l("supplier"), Role.REVIEWER: _l("reviewer")}
PLANS = {BillingPlan.PAYG: _l("payg"), BillingPlan.SEAT: _l("seat")}
NUMBER_TYPES = {NumberType.LANDLINE: _l("landline"), NumberType.N400: _l("400"),
                NumberType.N95: _l("95"), NumberType.VIRTUAL_MOBILE: _l("virtual mobile"),
                NumberType.INTERNATIONAL: _l("international")}


RECORDING_POLICIES = {
    RecordingPolicy.ALL: _l("record every call"), RecordingPolicy.NONE: _l("record no call"),
    RecordingPolicy.ON_DEMAND: _l("record on the agent's demand"),
    RecordingPolicy.INHERIT: _l("as the instance says")}


def recording_options(for_skill_group: bool = False) -> list[tuple[str, str]]:
    """(value, name) of the recording policies an instance (or a skill group) may have."""
    return [(p.value, str(RECORDING_POLICIES[p]))
            for p in (SKILL_GROUP_POLICIES if for_skill_group else INSTANCE_POLICIES)]


def recording_name(policy: RecordingPolicy) -> str:
    return str(RECORDING_POLICIES.get(policy, policy.value))


FLOW_STATES = {"draft": _l("draft"), "published": _l("published")}


def flow_state_name(state: str) -> str:
    return str(FLOW_STATES.get(state, state))


# The default break codes' names (engine/agentstate/breakcodes.py), shown in the page's
# language while an administrator has not renamed them; other names are shown as named.
BREAK_CODE_NAMES = {"Rest": _l("Rest"), "Meal": _l("Meal"), "Meeting": _l("Meeting"),
                    "Training": _l("Training")}


def break_code_name(code: str, name: str) -> str:
    if name == code and code in BREAK_CODE_NAMES:
        return str(BREAK_CODE_NAMES[code])
    return name


def role_name(role: Role) -> str:
    return str(ROLES.get(role, role.value))


def plan_name(plan: BillingPlan) -> str:
    return str(PLANS.get(plan, plan.value))


def number_type_name(number_type: NumberType | str) -> str:
    number_type = NumberType(number_type)
    return str(NUMBER_TYPES.get(number_type, number_type.value))


def number_type_options() -> list[tuple[str, str]]:
    """(value, name) for a select, in the enumeration's order."""
    return [(t.value, number_type_name(t)) for t in NumberType]


# Qualifications and line applications.
CHOICES = {
    "limited_company": _l("limited company"), "joint_stock_company": _l("joint-stock company"),
    "partnership": _l("partnership"), "state_owned": _l("state-owned enterprise"),
    "public_institution": _l("public institution"),
    "sole_proprietorship": _l("sole proprietorship"),
    "resident_id": _l("resident ID card"), "passport": _l("passport"),
    "hk_macao_permit": _l("Hong Kong/Macao permit"), "taiwan_permit": _l("Taiwan permit"),
    "submitted": _l("submitted"), "approved": _l("approved"), "rejected": _l("rejected"),
    "delivered": _l("delivered"), "resubmitted": _l("resubmitted"),
    "supplier_added": _l("supplier added"),
}


def choice_name(value) -> str:
    """The page's word for a value of the supply side's enumerations (or the history's
    actions); an unknown value is shown as it is."""
    value = getattr(value, "value", value)
    return str(CHOICES.get(value, value))


def choice_options(values) -> list[tuple[str, str]]:
    return [(v.value, choice_name(v)) for v in values]


# A bill line is named by its billing item's code (as the CSV and the API name it),
# followed by the item in the page's words. The key is the line's first word.
BILL_ITEMS = {
    "CallCenterSoftware": _l("call center platform fee"),
    "Landline_Inbound": _l("landline inbound minutes"),
    "Landline_Outbound": _l("landline outbound minutes"),
    "Inbound_400": _l("400 inbound minutes"),
    "RecordStorage": _l("recording storage"),
    "NumberRent": _l("number rent"),
    "Purchase_400": _l("400 number purchase: three months of its tier's minimum monthly "
                       "spend, paid up front"),
    "MinimumSpend_400": _l("400 number minimum monthly spend: the shortfall of its calls"),
}


def bill_item_name(billing_item: str) -> str:
    """The words for a bill line's item ('' for a code the pages do not know)."""
    code = billing_item.split(" ", 1)[0]
    return str(BILL_ITEMS[code]) if code in BILL_ITEMS else ""


def install(app) -> None:
    app.jinja_env.globals.update(choice_name=choice_name, role_name=role_name, plan_name=plan_name,
                                 flow_state_name=flow_state_name,
                                 break_code_name=break_code_name,
                                 number_type_name=number_type_name,
                                 recording_name=recording_name, bill_item_name=bill_item_name)
