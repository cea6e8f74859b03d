"""Errors of the IVR services (DomainErrors: every face shows them as one message)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from engine.errors import Invalid

if TYPE_CHECKING:
    from engine.ivr.models import IvrFlow
    from engine.ivr.validation import FlowProblem


class FlowInvalid(Invalid):
    """Publishing refused: ``problems`` say what to fix, each on its node."""

    def __init__(self, flow: IvrFlow, problems: list[FlowProblem]):
        self.problems = problems
        first = problems[0] if problems else "no document"
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"flow {flow.name!r} is not valid: {first}{more}")
