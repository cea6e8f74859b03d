"""The modules of a flow document: their outlets, defaults and limits (FORMAT.md's table).

One table that the interpreter, the validator and the tests read, so a module's outlets
can't differ between what runs and what is checked.
"""
from __future__ import annotations

from dataclasses import dataclass

FORMAT = 1
KEYS = tuple("0123456789*#")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
OPERATORS = ("equals", "not_equals", "starts_with", "contains", "less_than", "greater_than",
             "is_empty")
BUILTIN_VARIABLES = ("caller", "dialled", "instance")
# The product's own sounds (sounds/): present in every instance, never in its library.
PRODUCT_SOUNDS = frozenset({"welcome", "unavailable", "call-refused"})
UNAVAILABLE = "unavailable"  # played before a polite end of the call

MAX_STEPS = 100  # node entries per session; a flow that loops without end hangs up

# Bounds on every wait, so a caller never waits in silence without end.
MAX_INPUT_TIMEOUT = 30
MAX_RETRIES = 5
MAX_HTTP_TIMEOUT = 10
MAX_RECORD_SECONDS = 300
MAX_COLLECT_DIGITS = 32
MAX_TRANSFER_TIMEOUT = 3600


@dataclass(frozen=True)
class Module:
    required: tuple[str, ...] = ()  # outlets a node must have an edge for (no_way_out)
    optional: tuple[str, ...] = ()  # outlets that may be left out (a polite end or a hang-up)
    keys: bool = False              # menu: outlets "0".."9", "*", "#" too (one at least)
    speaks: bool = False            # has prompt/text
    prompt_required: bool = False
    waits_for_caller: bool = False  # caller input: breaks a silent cycle
    ends_session: bool = False      # terminal: its outlets are taken in a later session

    @property
    def outlets(self) -> tuple[str, ...]:
        return self.required + self.optional + (KEYS if self.keys else ())


MODULES: dict[str, Module] = {
    "start": Module(required=("next",)),
    "hangup": Module(ends_session=True),
    "play": Module(optional=("next",), speaks=True, prompt_required=True),
    "menu": Module(optional=("invalid", "timeout"), keys=True, speaks=True,
                   prompt_required=True, waits_for_caller=True),
    "collect": Module(required=("next",), optional=("invalid",), speaks=True,
                      waits_for_caller=True),
    "time_condition": Module(required=("open", "closed")),
    "condition": Module(required=("true", "false")),
    "set_variable": Module(required=("next",)),
    "transfer_skill_group": Module(optional=("overflow", "after"), ends_session=True),
    "transfer_agent": Module(optional=("no_answer", "after"), ends_session=True),
    "transfer_external": Module(optional=("failed",), ends_session=True),
    "goto_flow": Module(),
    "voicemail": Module(optional=("next",), speaks=True, waits_for_caller=True),
    "survey": Module(optional=("next",), speaks=True, prompt_required=True,
                     waits_for_caller=True),
    "http": Module(required=("ok",), optional=("error",)),
}

# Defaults of the fields FORMAT.md gives one.
DEFAULTS = {
    "menu": {"timeout": 5, "retries": 2},
    "collect": {"min_digits": 1, "terminator": "#", "timeout": 5, "retries": 1},
    "time_condition": {"timezone": "UTC", "rules": [], "holidays": [], "open_dates": []},
    "transfer_agent": {"timeout": 30},
    "transfer_external": {"timeout": 60},
    "voicemail": {"max_seconds": 60},
    "survey": {"timeout": 5},
    "http": {"timeout": 3, "set": {}},
    "hangup": {"reason": ""},
}


def field(node: dict, name: str):
    """A node's field, or the module's default for it (None when it has none)."""
    if name in node:
        return node[name]
    return DEFAULTS.get(node.get("type"), {}).get(name)
