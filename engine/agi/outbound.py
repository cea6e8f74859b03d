"""The FastAGI route that decides each outbound call before the dialplan dials it.

The dialplan passes the instance (its own rendered key) and the number's live call
count (GROUP_COUNT, this call included); the agent and the caller ID are read from the
channel, where the agent's endpoint and the click-to-dial context put them. Only an
allowed decision sets ``CCC_OUTBOUND``; whatever fails here leaves it unset, and the
dialplan then refuses the call: outbound calls fail closed.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone

from engine import variables as var
from engine.agi.channel import AgiChannel
from engine.agi.lookups import DEADLINE
from engine.compliance.service import decide_committed
from engine.errors import DomainError
from engine.instances.models import Instance
from engine.pools import CALL_SETUP
from engine.validation import DIAL_NUMBER_RE, EXTENSION_RE

log = logging.getLogger(__name__)


class OutboundRoutes:
    def __init__(self, engine):
        self.engine = engine  # the database engine: the decision opens its own transactions

    async def outbound(self, channel: AgiChannel) -> None:
        """Decide the call to agi_extension; set the decision or the refusal."""
        headers = channel.headers
        instance_id = Instance.id_from_pbx_key(headers.get("agi_arg_1"))
        live_calls, callee = headers.get("agi_arg_2", ""), headers.get("agi_extension", "")
        caller_id = await channel.get_variable(var.CALLER_ID) or ""
        agent = await channel.get_variable(var.AGENT) or None
        if instance_id is None or not live_calls.isdigit() or \
                not DIAL_NUMBER_RE.fullmatch(callee) or not caller_id.isdigit() or \
                (agent is not None and not EXTENSION_RE.fullmatch(agent)):
            raise DomainError(f"malformed outbound request: instance {headers.get('agi_arg_1')!r}"
                              f", live {live_calls!r}, callee {callee!r}, caller ID "
                              f"{caller_id!r}, agent {agent!r}")
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        # On call setup's own threads and within its deadline: past it the call is
        # refused (the session fails and the dialplan refuses), never left waiting.
        decision = await asyncio.wait_for(asyncio.get_running_loop().run_in_executor(
            CALL_SETUP, decide_committed, self.engine, instance_id, agent, caller_id, callee,
            int(live_calls), now), DEADLINE)
        if decision.allowed:
            await channel.set_variable(var.DECISION, var.DECISION_ALLOW)
        else:
            await channel.set_variable(var.REFUSAL, decision.refusal.value)
        log.info("outbound call %s from %s (agent %s) to %s: %s", headers.get("agi_uniqueid"),
                 caller_id, agent, callee,
                 "allowed" if decision.allowed else decision.refusal.value)
