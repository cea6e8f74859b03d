"""A call center under test: the real `ccc` command, Asterisk, `ccc serve` and SIPp.

Everything runs as separate processes, as an operator would run them, on loopback
addresses of their own: the PBX on 127.0.0.1, the carrier on 127.0.0.2, agents on
127.0.0.3 and up (PJSIP tells a trunk from an agent by source address).
"""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from engine.ami.client import AmiError, ami_command, ami_session
from engine.settings import load_settings
from engine.uow import transaction

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
BIN = Path(sys.executable).parent
# Every port a test run uses moves by this offset, so two checkouts can run their
# integration tests at once on one machine without taking each other's ports.
PORT_OFFSET = int(os.environ.get("CCC_TEST_PORT_OFFSET", "0"))
PBX_IP = "127.0.0.1"


def _udp_bound(address: tuple[str, int]) -> bool:
    """Whether a UDP socket is bound to ``address`` (read from /proc: probing by binding
    it would race with the process about to take it)."""
    ip, port = address
    wanted = f"{socket.inet_aton(ip)[::-1].hex().upper()}:{port:04X}"
    with open("/proc/net/udp") as table:
        return any(line.split()[1] == wanted for line in list(table)[1:])


def _wait_bound(address: tuple[str, int], process: subprocess.Popen, limit: float = 10) -> None:
    """A SIPp started on a loaded host takes a moment to bind: a call sent to a phone
    before then is refused by the host and the agent counts as not answering."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and process.poll() is None:
        if _udp_bound(address):
            return
        time.sleep(0.05)


def local(ip: str, port: int) -> tuple[str, int]:
    """A SIPp party's address: its own loopback IP, its port moved by the run's offset."""
    return (ip, port + PORT_OFFSET)


CARRIER = local("127.0.0.2", 5070)
CARRIER_HOST = f"{CARRIER[0]}:{CARRIER[1]}"


def flow(*nodes: dict, edges: list[tuple] = ()) -> dict:
    """An IVR flow document: start -> the first node, then edges given as
    (from, to[, outlet])."""
    first = [{"from": "start", "to": nodes[0]["id"]}]
    return {"format": 1, "nodes": [{"id": "start", "type": "start"}, *nodes],
            "edges": first + [{"from": e[0], "to": e[1], **({"when": e[2]} if len(e) > 2 else {})}
                              for e in edges]}


@dataclass
class Sipp:
    process: subprocess.Popen
    messages: Path
    name: str

    def wait(self, timeout: float = 40) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"SIPp {self.name} did not finish in {timeout}s") from None

    def assert_success(self, timeout: float = 40) -> None:
        code = self.wait(timeout)
        assert code == 0, f"SIPp {self.name} failed (exit {code}):\n{self.log()}\n{self.output()}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def log(self) -> str:
        return self.messages.read_text(errors="replace") if self.messages.exists() else ""

    def output(self) -> str:
        out = self.messages.with_suffix(".out")
        return out.read_text(errors="replace")[-3000:] if out.exists() else ""

    def requests(self, method: str) -> list[str]:
        """Each SIP request of that method SIPp saw or sent, as text."""
        blocks = self.log().split("\n\n")
        return [b.strip() for b in blocks if b.strip().startswith(method + " ")]


@dataclass
class CallCenter:
    env: dict[str, str]
    workdir: Path
    output: Path
    serve_process: subprocess.Popen | None = None
    sipps: list[Sipp] = field(default_factory=list)

    # ---- the ccc command ------------------------------------------------------------
    def ccc(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([str(BIN / "ccc"), *args], env=self.env, cwd=self.workdir,
                                capture_output=True, text=True, timeout=120)
        if check and result.returncode != 0:
            raise AssertionError(f"ccc {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
        return result

    def ccc_json(self, *args: str):
        return json.loads(self.ccc(*args, "--json").stdout)

    def start_serve(self) -> None:
        """Start ``ccc serve``; ready when its FastAGI port answers. On a loaded host its
        start (imports, the PBX's state) takes seconds: a minute is allowed, and a serve
        that did not come up is stopped, never left behind holding the run's ports."""
        log = open(self.output / "serve.log", "a")
        self.serve_process = subprocess.Popen([str(BIN / "ccc"), "serve", "--no-web"],
                                              env=self.env, cwd=self.workdir, stdout=log,
                                              stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", int(self.env["CCC_AGI_PORT"]))) == 0:
                    return
            if self.serve_process.poll() is not None:
                self.serve_process = None
                raise AssertionError("ccc serve exited at start (see serve.log)")
            time.sleep(0.1)
        self.stop_serve()
        raise AssertionError("ccc serve did not open its FastAGI port within 60 s")

    def kill_serve(self) -> None:
        """``ccc serve`` dies at once (SIGKILL): no cleanup, its sockets closed by the
        kernel, as after a crash or the out-of-memory killer."""
        if self.serve_process and self.serve_process.poll() is None:
            self.serve_process.kill()
            self.serve_process.wait()
        self.serve_process = None

    def stop_serve(self) -> None:
        if self.serve_process and self.serve_process.poll() is None:
            self.serve_process.send_signal(signal.SIGTERM)
            try:
                self.serve_process.wait(15)
            except subprocess.TimeoutExpired:
                self.serve_process.kill()
                self.serve_process.wait()
        self.serve_process = None

    # ---- SIPp ---------------------------------------------------------------------------
    def sipp(self, name: str, scenario: str, local: tuple[str, int], service: str = "",
             *extra: str, calls: int = 1) -> Sipp:
        messages = self.output / f"sipp-{name}-{len(self.sipps)}.log"
        port = self.env["CCC_SIP_PORT"]
        argv = ["sipp", "-sf", str(SCENARIOS / scenario), "-i", local[0], "-p", str(local[1]),
                "-m", str(calls), "-trace_msg", "-message_file", str(messages),
                "-timeout", "40s", "-timeout_error", "-nostdin",
                # Each run's media ports: a block of 400 from here (a shard's offset is a
                # multiple of 100), so a test's extra SIPp stays inside its own block.
                "-mp", str(16000 + 4 * PORT_OFFSET)]
        if service:
            argv += ["-s", service]
        argv += [*extra, f"{PBX_IP}:{port}"]
        with open(messages.with_suffix(".out"), "w") as out:
            process = subprocess.Popen(argv, cwd=self.output, stdout=out,
                                       stderr=subprocess.STDOUT)
        run = Sipp(process, messages, name)
        self.sipps.append(run)
        _wait_bound(local, process)
        return run

    def register(self, agent: dict, local: tuple[str, int], ready: bool = True) -> None:
        """The agent's softphone registers from ``local``; back once the PBX counts the
        agent available (what a queue asks before ringing it). ``ready``: the agent
        also signs in to all its skill groups with that phone and is READY."""
        username = agent["sip_username"]
        for attempt in range(3):
            run = self.sipp(f"register-{username}", "register.xml", local, username,
                            "-au", username, "-ap", agent["sip_password"])
            if run.wait(15) != 0 and attempt < 2:
                # Seen under load: SIPp resent its REGISTER before the challenge came,
                # the PBX challenged both, and the second 401 reached a scenario that
                # waited for the 200 ("unexpected message"). The PBX is fine: again.
                continue
            run.assert_success(0)
            if self._available(username, within=3.0):
                if ready:
                    self.agent_state(agent, "ready", "--device", "sip")
                return
            # Seen under load: a contact added just after the endpoint was created by a
            # reload, while the endpoint stays "Unavailable" until the next REGISTER.
        raise AssertionError(f"{username} registered but the PBX never counted it available")

    def sign_out_everyone(self) -> None:
        """Every queue member leaves: the PBX keeps members across its restarts, and the
        test site's PBX is shared by the modules of a run, so a module starts afresh."""
        from engine.agentstate import pbx

        async def work(client):
            for found in (await pbx.memberships(client)).values():
                for membership in found:
                    await pbx.remove(client, membership.queue, membership.interface)
        with ThreadPoolExecutor(1) as pool:  # a browser test's loop may run in this thread
            pool.submit(ami_session, load_settings(self.env), work).result(30)

    def logged_states(self, agent: dict, times: bool = False) -> list[tuple]:
        """The agent's durable state log (what ccc serve wrote), oldest first: (state,
        break code), with the time it was logged as a third item if ``times``."""
        from sqlalchemy import select

        from engine.agents.models import Agent
        from engine.agentstate.models import AgentStateChange
        from engine.instances.models import Instance
        key = agent["sip_username"].rsplit("-", 1)[0]
        with transaction(load_settings(self.env)) as db:
            return [(row.state, row.break_code) + ((row.at,) if times else ())
                    for row in db.scalars(
                select(AgentStateChange).join(Agent, Agent.id == AgentStateChange.agent_id)
                .where(Agent.instance_id == Instance.id_from_pbx_key(key),
                       Agent.extension == agent["extension"]).order_by(AgentStateChange.id))]

    def wait_logged(self, agent: dict, state: str, code: str | None = None,
                    timeout: float = 10) -> list[tuple[str, str | None]]:
        """Wait until the agent's last logged state is ``state`` (with ``code``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            log = self.logged_states(agent)
            if log and log[-1] == (state, code):
                return log
            time.sleep(0.1)
        raise AssertionError(f"{agent['extension']} never logged {state} {code or ''}: "
                             f"{self.logged_states(agent)}")

    def domain_of(self, agent: dict) -> str:
        """The access domain of the instance an agent (as ccc prints it) belongs to."""
        from engine.instances.models import Instance
        key = agent["sip_username"].rsplit("-", 1)[0]
        with transaction(load_settings(self.env)) as db:
            return db.get(Instance, Instance.id_from_pbx_key(key)).domain

    def agent_state(self, agent: dict, *args: str) -> dict:
        """``ccc agent state`` for this agent (show, or ready/break/offline and options)."""
        return self.ccc_json("agent", "state", *args, "--instance", self.domain_of(agent),
                             "--extension", agent["extension"])

    def _available(self, username: str, within: float) -> bool:
        settings = load_settings(self.env)
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            # In a thread: a browser test's Playwright keeps an event loop running in
            # this one, and ami_command runs its own.
            with ThreadPoolExecutor(1) as pool:
                try:
                    text = pool.submit(ami_command, settings,
                                       f"pjsip show endpoint {username}").result(15)
                except AmiError:
                    text = ""
            state = re.search(rf"^\s*Endpoint:\s+{re.escape(username)}\S*\s+(\S.*?)\s{{2,}}",
                              text, re.M)
            if state and state.group(1) != "Unavailable":
                return True
            time.sleep(0.2)
        return False

    def answering_agent(self, local: tuple[str, int]) -> Sipp:
        """The signed-in softphone at ``local`` waits for a call, answers it."""
        run = self.sipp("agent-answers", "answer.xml", local)
        time.sleep(0.3)  # let it bind before a call can reach it
        return run

    def carrier_calls(self, number: str, caller: str, talk_ms: int) -> Sipp:
        return self.sipp("carrier-calls", "call.xml", CARRIER, number, "-key", "caller", caller,
                         "-d", str(talk_ms))

    def ivr_caller(self, number: str, caller: str, steps: list[tuple[str, object]],
                   pbx_hangs_up: bool = False, name: str = "ivr-caller",
                   origin: tuple[str, int] = CARRIER, *extra: str) -> Sipp:
        """A carrier call to ``number`` that presses keys and speaks (caller_scenario).
        ``origin``: any port of the carrier's address is the carrier to the PBX."""
        scenario = self.output / f"{name}-{len(self.sipps)}.xml"
        scenario.write_text(caller_scenario(steps, pbx_hangs_up))
        return self.sipp(name, str(scenario), origin, number, "-key", "caller", caller, *extra)

    def agent_hangs_up_after(self, local: tuple[str, int], talk_ms: int, *extra: str) -> Sipp:
        """The signed-in softphone at ``local`` answers, talks, then hangs up first."""
        run = self.sipp("agent-hangs-up", "answer_hangup.xml", local, "", "-d", str(talk_ms),
                        *extra)
        time.sleep(0.3)  # let it bind before a call can reach it
        return run

    def publish_flow(self, domain: str, name: str, document: dict,
                     bind: str | None = None) -> None:
        """Publish ``document`` as the next version of flow ``name`` (and bind a number)."""
        path = self.output / f"flow-{name}.json"
        path.write_text(json.dumps(document))
        # The operator's commands: import saves the draft (creating the flow the first
        # time), publish makes it the next version, bind points the number at the flow.
        self.ccc("ivr", "import", "--instance", domain, "--flow", name, str(path))
        self.ccc("ivr", "publish", "--instance", domain, name)
        if bind:
            self.ccc("ivr", "bind", "--instance", domain, bind, name)

    def kill_sipps(self) -> None:
        for run in self.sipps:
            if run.process.poll() is None:
                run.process.kill()
                run.process.wait()

    # ---- the PBX's own view ---------------------------------------------------------------
    def pbx_command(self, command: str, timeout: float = 15) -> str:
        """A PBX console command over AMI (in a thread: a browser test's loop may run in
        this one, and ami_command runs its own)."""
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(ami_command, load_settings(self.env), command).result(timeout)

    def queue_callers(self) -> dict[str, int]:
        """How many callers wait in each of the PBX's queues now (``queue show``)."""
        text = self.pbx_command("queue show")
        return {name: int(count) for name, count in
                re.findall(r"^(\S+) has (\d+) calls? ", text, re.M)}

    def queue_of(self, domain: str, group: str = "default") -> str:
        """The PBX queue of an instance's skill group."""
        groups = self.ccc_json("skillgroup", "list", "--instance", domain)
        return next(g["queue"] for g in groups if g["name"] == group)

    # ---- call records ---------------------------------------------------------------------
    def records_of(self, callers: set[str] | list[str]) -> list[dict]:
        """Every stored call record whose caller is one of ``callers``, read from the
        database itself (``cdr list`` shows the newest thousand of the whole run)."""
        from sqlalchemy import select

        from engine.calls.models import CallRecord
        with transaction(load_settings(self.env)) as db:
            return [{"id": r.pbx_call_id, "caller": r.caller, "instance_id": r.instance_id,
                     "disposition": r.disposition, "agent": r.agent_extension,
                     "direction": r.direction.value, "start": r.started_at,
                     "answer": r.answered_at, "end": r.ended_at,
                     "billable_seconds": r.billable_seconds}
                    for r in db.scalars(select(CallRecord)
                                        .where(CallRecord.caller.in_(list(callers))))]

    def wait_for_records(self, callers: set[str] | list[str], timeout: float = 30) -> list[dict]:
        """The records of ``callers`` once each of them has one (or what there is when
        ``timeout`` runs out: the test then says which calls have none)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.records_of(callers)
            if {r["caller"] for r in found} >= set(callers) or time.monotonic() > deadline:
                return found
            time.sleep(0.5)

    def call_records(self) -> list[dict]:
        return self.ccc_json("cdr", "list", "--limit", "1000")

    def wait_for_record(self, predicate, timeout: float = 15) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for record in self.call_records():
                if predicate(record):
                    return record
            time.sleep(0.5)
        raise AssertionError(f"no matching call record within {timeout}s: {self.call_records()}")


def wait_for(predicate, what: str = "condition", timeout: float = 15.0,
             every: float = 0.2):
    """Polls until predicate() gives a true value and returns it; fails naming what was
    awaited. PBX and browser states change on their own clocks, so tests wait on them
    rather than sleeping a guessed time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"never within {timeout}s: {what}")


_LOCK_HOLDER = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
db.execute("BEGIN IMMEDIATE")
db.execute("CREATE TABLE held_by_a_test (x)")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
db.execute("ROLLBACK")
"""


def lock_sqlite(url: str, seconds: float) -> subprocess.Popen:
    """Another process takes the write lock of the SQLite database of ``url`` (as a long
    migration or a bulk import would) and holds it for ``seconds``: nobody else can write
    meanwhile. (Readers go on: in WAL mode, which ccc uses, an exclusive lock cannot be
    had while ccc's processes keep the database open.) Back once the lock is held."""
    holder = subprocess.Popen([sys.executable, "-c", _LOCK_HOLDER,
                               url.removeprefix("sqlite:///"), str(seconds)],
                              stdout=subprocess.PIPE, text=True)
    if holder.stdout.readline().strip() != "locked":
        holder.kill()
        raise AssertionError("the database could not be locked")
    return holder


class Listener:
    """A UDP socket on a SIP party's address that answers nothing and keeps what arrives:
    a phone that must not ring, a carrier that must not be called, an attacker's server."""

    def __init__(self, address: tuple[str, int]):
        self.address = address
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(address)
        self.socket.settimeout(0.2)
        self.received: list[str] = []
        self._open = True
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while self._open:
            try:
                data, _ = self.socket.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            self.received.append(data.decode("utf-8", errors="replace"))

    def close(self) -> list[str]:
        """Stop listening; return every message that arrived."""
        self._open = False
        self._thread.join()
        self.socket.close()
        return self.received


def environment(workdir: Path, database_url: str, site: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCC_")}
    # The PBX's media ports: 400 (200 calls at once, as the fault tests' ten calls a
    # second hold), a block of its own per run (a shard's offset is a multiple of 100).
    rtp = 23000 + 4 * PORT_OFFSET
    env.update(CCC_VAR_DIR=str(workdir / "var"), CCC_DATABASE_URL=database_url,
               CCC_PBX_SITE=site, CCC_SIP_BIND=PBX_IP, CCC_SIP_PORT=str(25160 + PORT_OFFSET),
               CCC_AMI_PORT=str(25138 + PORT_OFFSET), CCC_AGI_PORT=str(24673 + PORT_OFFSET),
               CCC_RTP_PORTS=f"{rtp}-{rtp + 399}", CCC_WEB_PORT=str(28180 + PORT_OFFSET),
               # the PBX's HTTP server: the browsers' softphones' WebSocket
               CCC_PBX_HTTP_BIND=PBX_IP, CCC_PBX_HTTP_PORT=str(28188 + PORT_OFFSET),
               # ccc serve's Prometheus metrics
               CCC_METRICS_PORT=str(28186 + PORT_OFFSET),
               # Tests that fail sign-ins on purpose (strangers, wrong passwords) must
               # not get their address banned; test_sip_bans.py sets its own threshold.
               CCC_BAN_AFTER="100000",
               # The IVR tests' HTTP lookup server listens on this host.
               CCC_IVR_HTTP_ALLOW="127.0.0.1/32")
    if "CCC_PBX_ROOT" in os.environ:
        env["CCC_PBX_ROOT"] = os.environ["CCC_PBX_ROOT"]
    return env


# ---- an IVR caller: keys (RFC 2833) and speech, played as RTP by SIPp --------------------

SIP_TESTER = Path("/usr/share/sip-tester")
KEY_FILES = {**{str(d): f"dtmf_2833_{d}.pcap" for d in range(10)},
             "*": "dtmf_2833_star.pcap", "#": "dtmf_2833_pound.pcap"}
# The key recordings are slices of one RTP stream: Asterisk drops a key whose sequence
# numbers are below the previous key's, so within a call keys must come in this order.
KEY_ORDER = "123456789*#0"
SPEECH = SIP_TESTER / "g711a.pcap"  # 7 s of A-law speech
SPEECH_MS = 7100

_CALLER_HEAD = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<!-- Generated by tests/integration/callcenter.py: a carrier caller in an IVR. -->
<scenario name="ivr caller">
  <send retrans="500">
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[caller]@[local_ip]:[local_port]>;tag=[pid]SIPpTag09[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: [cseq] INVITE
      Contact: <sip:[caller]@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 8 101
      a=rtpmap:8 PCMA/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-15

    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rrs="true"/>
  <send>
    <![CDATA[
      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[caller]@[local_ip]:[local_port]>;tag=[pid]SIPpTag09[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      [routes]
      CSeq: [cseq] ACK
      Content-Length: 0

    ]]>
  </send>
"""

_CALLER_HANGS_UP = """  <send retrans="500">
    <![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[caller]@[local_ip]:[local_port]>;tag=[pid]SIPpTag09[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      [routes]
      CSeq: [cseq] BYE
      Contact: <sip:[caller]@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200"/>
</scenario>
"""

_PBX_HANGS_UP = """  <recv request="BYE"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
</scenario>
"""


def _play(pcap: Path) -> str:
    return f'  <nop><action><exec play_pcap_audio="{pcap}"/></action></nop>\n'


def caller_scenario(steps: list[tuple[str, object]], pbx_hangs_up: bool) -> str:
    """SIPp XML for a caller who, once answered, does ``steps`` in order:
    ("pause", ms), ("keys", "24#") pressed 400 ms apart (KEY_ORDER), ("speak", None) 7 s of
    speech, ("play", (pcap, ms)) an RTP recording of that length; then hangs up, or waits
    for the PBX to hang up."""
    body, pressed = [], ""
    for kind, value in steps:
        if kind == "pause":
            body.append(f'  <pause milliseconds="{int(value)}"/>\n')
        elif kind == "keys":
            pressed += str(value)
            order = [KEY_ORDER.index(k) for k in pressed]
            if any(a >= b for a, b in zip(order, order[1:], strict=False)):
                raise ValueError(f"keys {pressed!r} are not in the order {KEY_ORDER!r}")
            # A pause between keys, none after the last: the PBX may hang up at once.
            body.append('  <pause milliseconds="400"/>\n'.join(
                _play(SIP_TESTER / KEY_FILES[key]) for key in str(value)))
        elif kind == "speak":
            body += [_play(SPEECH), f'  <pause milliseconds="{SPEECH_MS}"/>\n']
        elif kind == "play":  # (pcap file, its length in ms): any recording, played whole
            pcap, ms = value
            body += [_play(Path(pcap)), f'  <pause milliseconds="{int(ms)}"/>\n']
        else:
            raise ValueError(f"unknown caller step {kind!r}")
    return _CALLER_HEAD + "".join(body) + (_PBX_HANGS_UP if pbx_hangs_up else _CALLER_HANGS_UP)


def sign_in_page(page, base: str, account: str, user: str, password: str) -> None:
    """Sign a browser page in at the web admin (account '' for platform users)."""
    page.goto(base + "/sign-in")
    page.get_by_label("Account").fill(account)
    page.get_by_label("User").fill(user)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
