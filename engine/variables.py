"""Every dialplan channel variable the engine reads or sets: one source of names.

Templates receive this module as ``var`` and the AGI routes import it, so a name can't
drift between the dialplan and Python.
"""
from engine.agentstate.states import RINGING_TIMEOUT
from engine.compliance.rules import Refusal

ACTION = "CCC_ACTION"              # what the IVR decided: one of the ACTION_* values below
QUEUE = "CCC_QUEUE"                # the queue to wait in, when ACTION is queue
QUEUE_TIMEOUT = "CCC_QUEUE_TIMEOUT"
# The caller's dedicated agent's device (PJSIP/...), set with a queue handoff only when
# that agent was READY: the dialplan rings it first, then clears it.
DEDICATED_AGENT = "CCC_DEDICATED_AGENT"
DIAL_AGENT = "CCC_DIAL_AGENT"      # the agent's endpoint to ring, when ACTION is agent
DIAL_NUMBER = "CCC_DIAL_NUMBER"    # the external number to call, when ACTION is external
DIAL_TIMEOUT = "CCC_DIAL_TIMEOUT"  # seconds to ring an agent or an external number
FLOW_VERSION = "CCC_FLOW_VERSION"  # the published flow version this call runs (kept on resume)
FLOW_VARIABLES = "CCC_FLOW_VARS"   # the flow's variables, JSON, carried across a resume
ON_FAILED = "CCC_ON_FAILED"        # node to resume at: overflow / no answer / dial failed
ON_AFTER = "CCC_ON_AFTER"          # node to resume at: the agent hung up first
RESUME_AT = "CCC_RESUME_AT"        # set by the dialplan: the node the resume route starts at
RESUMES = "CCC_RESUMES"            # how many times this call came back to the IVR
IVR_PATH = "CCC_IVR_PATH"          # the IVR nodes the call passed, '/'-joined (the agent sees it)
CALLER_ID = "CCC_CALLERID"         # set on each agent's endpoint: number shown when calling out
AGENT = "CCC_AGENT"                # set on each agent's endpoint: the agent's extension
REFUSAL = "CCC_REFUSAL"            # why an outbound call is refused, when it is
# The outbound decision: DECISION_ALLOW when the call may go out. Anything else (unset
# because the AGI server or the database failed) refuses it.
DECISION = "CCC_OUTBOUND"
DECISION_ALLOW = "allow"
# Every refusal the decision may give, as the dialplan checks it before it reaches the
# call record or names a prompt (sounds/refused-<reason>.wav).
REFUSAL_CODES = "|".join(r.value for r in Refusal)
REFUSAL_UNAVAILABLE = Refusal.UNAVAILABLE.value
# A call record's tag (CDR userfield key): the IVR's transfer to an outside number was
# refused by the outbound decision, for this reason; the caller went on in the flow.
TRANSFER_REFUSED = "transfer_refused"
DIALLED = "CCC_DIALLED"            # an inbound call: the instance's number the caller dialled
# Call recording, on the caller's channel: the policy of the skill group (or instance) the
# call is with now (all, none, on-demand), and the id of its MixMonitor while recording
# (MixMonitor's i() option sets it); PAUSED is 1 while the agent has paused it.
RECORDING_POLICY = "CCC_RECORDING_POLICY"
RECORDING = "CCC_RECORDING"
RECORDING_PAUSED = "CCC_RECORDING_PAUSED"
# Supervision, on the supervisor's leg the engine originates: the agent's channel to spy
# on (checked by the engine, and for shape again by the dialplan), the supervision log
# row the leg reports its answer and hang-up to, and ChanSpy's options for the mode.
SPY_CHANNEL = "CCC_SPY_CHANNEL"
SUPERVISION = "CCC_SUPERVISION"
SPY_OPTIONS = "CCC_SPY_OPTIONS"
AGI_URL = "CCC_AGI"                # global: where the FastAGI server listens
SOUNDS = "CCC_SOUNDS"              # global: the product's prompts as the PBX sees them

# The pause reason of an agent who let a call ring out (BREAK, RingingTimeout): the
# dialplan gives it when a dedicated agent does not answer, as the queue's autopause does.
PAUSE_RINGING_TIMEOUT = RINGING_TIMEOUT

ACTION_QUEUE = "queue"
ACTION_AGENT = "agent"
ACTION_EXTERNAL = "external"
ACTION_HANGUP = "hangup"

# Routes of the FastAGI server the dialplan calls.
ROUTE_INBOUND = "inbound"
ROUTE_RESUME = "resume"
ROUTE_OUTBOUND = "outbound"
ROUTE_SUPERVISION = "supervision"  # arguments: STARTED or ENDED, the log row id
SUPERVISION_STARTED, SUPERVISION_ENDED = "started", "ended"

# The PBX's group (GROUP()) that counts each number's live outbound calls: every
# outbound call joins it under its caller ID before it is decided.
OUTBOUND_GROUP = "ccc-outbound"

# The supervisor's leg enters its instance's supervise context at one of these fixed
# extensions, the mode (the dialplan gives each its ChanSpy options).
SUPERVISE_EXTENSIONS = ("listen", "whisper", "barge")

# Where each new channel to an agent's phone goes before it rings (Dial and Queue option
# b): it adds a SIP header naming the number the caller dialled, for the agent's screen.
RING_AGENT = "ccc-ring-agent"
DIALLED_HEADER = "X-CCC-Dialled"

# The subroutine that applies a recording policy to the caller's channel (ARG1: the
# instance's key); one extension per policy. Not "on-demand": a dialplan extension
# ignores '-', so the names are plain words.
RECORD = "ccc-record"
RECORD_ALL, RECORD_NONE, RECORD_ON_DEMAND = "all", "none", "ondemand"
RECORD_EXTENSIONS = {"all": RECORD_ALL, "none": RECORD_NONE, "on-demand": RECORD_ON_DEMAND}

# A flow that keeps coming back (queue overflow into the same queue, say) is cut off
# after this many returns: the caller hears "unavailable" instead of waiting for ever.
MAX_RESUMES = 20
