"""Every dialplan channel variable the engine reads or sets: one source of names.

Templates receive this module as ``var`` and the AGI routes import it, so a name can't
drift between the dialplan and Python.
"""
ACTION = "CCC_ACTION"              # what the IVR decided: queue | hangup
QUEUE = "CCC_QUEUE"                # the queue to wait in, when ACTION is queue
QUEUE_TIMEOUT = "CCC_QUEUE_TIMEOUT"
HANGUP_REASON = "CCC_HANGUP_REASON"
FLOW_VERSION = "CCC_FLOW_VERSION"  # the published flow version this call runs
CALLER_ID = "CCC_CALLERID"         # set on each agent's endpoint: number shown when calling out
AGENT = "CCC_AGENT"                # set on each agent's endpoint: the agent's extension
REFUSAL = "CCC_REFUSAL"            # why an outbound call is refused, when it is
AGI_URL = "CCC_AGI"                # global: where the FastAGI server listens
SOUNDS = "CCC_SOUNDS"              # global: the product's prompts as the PBX sees them

ACTION_QUEUE = "queue"
ACTION_HANGUP = "hangup"
