"""Errors of the IVR services (DomainErrors: every face shows them as one message)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from engine.errors import Invalid
from engine.messages import N_

if TYPE_CHECKING:
    from engine.ivr.models import IvrFlow
    from engine.ivr.validation import FlowProblem


class FlowInvalid(Invalid):
    """Publishing refused: ``problems`` say what to fix, each on its node."""

    def __init__(self, flow: IvrFlow, problems: list[FlowProblem]):
        self.problems = problems
        first = problems[0].text() if problems else N_("no document")
        if len(problems) > 1:
            message = N_("flow %(flow)r is not valid: %(problem)s (and %(more)s more)",
                         flow=flow.name, problem=first, more=len(problems) - 1)
        else:
            message = N_("flow %(flow)r is not valid: %(problem)s", flow=flow.name, problem=first)
        super().__init__(message)
