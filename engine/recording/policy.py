"""Which calls are recorded: an instance's policy, and a skill group's, which may inherit it.

Kept apart from the service so the rendering of the dialplan and the agent's controls
read the same rule without importing each other.
"""
from __future__ import annotations

import enum


class RecordingPolicy(str, enum.Enum):
    ALL = "all"              # every connected call, from the agent's answer to the end
    NONE = "none"            # no call
    ON_DEMAND = "on-demand"  # only what the agent starts (and does not pause)
    INHERIT = "inherit"      # a skill group's: whatever its instance says


INSTANCE_POLICIES = (RecordingPolicy.ALL, RecordingPolicy.NONE, RecordingPolicy.ON_DEMAND)
SKILL_GROUP_POLICIES = (RecordingPolicy.INHERIT, *INSTANCE_POLICIES)


def effective(instance_policy: RecordingPolicy,
              group_policy: RecordingPolicy | None = None) -> RecordingPolicy:
    """The policy a call follows: its skill group's, unless the group inherits (or the
    call reached no group, such as a call straight to an agent): then the instance's."""
    if group_policy is None or group_policy is RecordingPolicy.INHERIT:
        return instance_policy
    return group_policy


def parse(value, allowed: tuple[RecordingPolicy, ...]) -> RecordingPolicy:
    """A policy from the faces' text; ValueError for anything else (a field error)."""
    for policy in allowed:
        if value == policy.value or value is policy:
            return policy
    raise ValueError(", ".join(p.value for p in allowed))
