"""Concurrent answered calls with media on the real PBX, until audio loss passes 0.1 %:
(a) the same Asterisk with a static dialplan (Answer, Dial the echo agent) beside (b) a
ccc number whose published flow queues the caller to a skill group of registered echo
agents (FastAGI, the queue, the agents' state machinery, call-record ingestion).

    .venv/bin/python bench/media_bench.py [--levels 50,100,150,200,250,300]
        [--talk 25] [--lead-in 3] [--setup-rate 25] [--port-offset N]
        [--database sqlite|postgres] [--keep]

The site is bench/callpath_bench.py's (the operator's ``ccc`` commands, the shared PBX
root, ``ccc serve --no-web``), with a flow that hands every call to the skill group
``default``, and a tenth more agents than the highest level has calls (``ccc agent
import``). Every agent's SIP endpoint registers from one address (bench/sip_register.py)
and signs in READY; one SIPp UAS on that address answers every call of every agent and
echoes its RTP (``-rtp_echo``: one socket, each packet
sent back to where it came from). Path (a) dials that same SIPp through the carrier
trunk's endpoint (same codecs, direct_media=no, rtp_symmetric=yes as the agents').

Callers: a SIPp carrier UAC whose calls each play one RTP stream (``play_pcap_audio``)
of ``--lead-in`` seconds of plain tone, then ``--talk`` seconds of marked packets, then
hang up. At each level N, N calls are placed at ``--setup-rate`` per second (all up at
once from the last call's setup until the first call's end), both paths in turn, each
path stopping at the first level it does not hold.

Audio loss is counted by the kernel, per leg, on the loopback interface (bench/rtp_legs.py):
marked packets from the callers to the PBX (sent), from the PBX to the agents, back from
the agents, and from the PBX to the callers (returned). loss = 1 - returned / sent. It is
trustworthy because (1) the packets are counted where they travel, not by the PBX or the
load generator about themselves; (2) a packet is found by its payload, which only the
caller puts there and the PBX forwards unchanged (A-law on every leg): the PBX's ringing
and the unmarked lead-in (the queue, the agent's answer, the PBX learning each party's
media address) are never counted; (3) the counting is the kernel's, in a BPF filter, with
no user-space reader to fall behind, and ``self_check`` proves it at start: a known
number of marked packets, sent faster than any leg carries them at the highest level
(500 calls: 25,000 a second), must be counted exactly, to the port and from it. A lost
packet is one the PBX (or the echo) did not pass on; the legs in between say on which
side: the PBX's own loss, both ways, is 1 - (to agents / sent) x (returned / echoed),
and the echo agents' 1 - echoed / to agents.
The echo agents are the test's equipment, not the system measured: a level is judged by
the PBX's loss, and the end-to-end figure is printed beside it. The host's own drops of
loopback packets (/proc/net/softnet_stat) and the PBX's media sockets' full-buffer drops
(/proc/net/udp, sampled while the calls are up) are printed beside each level, and the
CPU the load generators (the two SIPp) spent: the figures hold only while they keep up. Jitter
(bench/rtp_jitter.py): RFC 3550 interarrival jitter of a sixteenth of the calls, from the
kernel's arrival times, as the callers sent their streams and as they came back; what
the PBX and the echo add is the difference (the callers' own SIPp, on a busy host, sends
late too).

A level is held when every call was answered by an echo agent, all N were up at once,
every marked packet of every call was sent (the load was offered whole), ccc serve sent
none to the dialplan's fallback and every call's record arrived (path (b)), and the PBX's
loss is under 0.1 %. CPU per call-second: the Asterisk's and ``ccc serve``'s user+system
time over the level, divided by calls answered times the call's length.

Run the real measurement alone on the machine (it uses all of it), e.g.

    .venv/bin/python bench/media_bench.py --port-offset 3000

(about 90 s a level for both paths at 300 calls; a few minutes in all). Develop at ten or
twenty calls: ``--levels 10,20 --talk 8``. Past 450 calls give ``--rtp-ports`` more than
2,000 ports. Everything shares one host: on two cores the echo SIPp (one thread for every
call) starts losing packets before the PBX does, from 250 to 350 calls even at nice -10,
which is why the PBX's own loss decides.

Needs root (packet sockets; SIPp's play_pcap_audio sends through a raw socket).
"""
from __future__ import annotations

import argparse
import csv
import os
import socket
import subprocess
import resource
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import rtp_jitter, rtp_legs, rtp_pcap, sip_register  # noqa: E402
from bench.callpath_bench import (FLOW_NUMBER, STATIC_NUMBER, Bench,  # noqa: E402
                                  cpu_seconds)

DOMAIN = "bench.example"
AGENT_NAME = "Echo agent"
LOSS_BOUND = 0.001
FLOW = {"format": 1,
        "nodes": [{"id": "start", "type": "start"},
                  {"id": "queue", "type": "transfer_skill_group", "skill_group": "default"}],
        "edges": [{"from": "start", "to": "queue"}]}

ECHO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<!-- Generated by bench/media_bench.py: every agent's phone. Answers at once with its
     echo socket (-rtp_echo on -mp) as the media address; the PBX hangs up. -->
<scenario name="echo agents">
  <recv request="INVITE" crlf="true"/>
  <send retrans="500">
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag12[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 8
      a=rtpmap:8 PCMA/8000

    ]]>
  </send>
  <recv request="ACK" crlf="true"/>
  <recv request="BYE"/>
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


@dataclass
class Level:
    path: str
    calls: int
    placed: int = 0
    succeeded: int = 0
    failed: int = 0
    answered: int = 0       # calls the echo agents answered
    peak: int = 0           # most calls the callers had up at once
    fallback: int = 0
    records: int = 0
    legs: dict[str, int] = field(default_factory=dict)
    expected: int = 0       # marked packets the succeeded calls' recording holds
    pbx_cpu: float = 0.0
    serve_cpu: float = 0.0
    call_seconds: float = 0.0
    host_drops: int = 0     # loopback packets the host dropped (softnet backlog)
    socket_drops: int = 0   # datagrams dropped at the PBX's full media sockets
    jitter_sent: tuple[int, float, float] = (0, 0.0, 0.0)      # streams, mean, most (ms)
    jitter_returned: tuple[int, float, float] = (0, 0.0, 0.0)
    caller_cpu: float = 0.0  # the load generators: the callers' SIPp
    echo_cpu: float = 0.0    # and the echo agents' SIPp

    @property
    def loss(self) -> float:
        """End to end: marked packets sent that never came back."""
        return 1 - self._passed("returned", "sent")

    @property
    def pbx_loss(self) -> float:
        """The PBX's own, both directions: what it did not pass on to the agents of what
        the callers sent, and to the callers of what the agents echoed."""
        return 1 - self._passed("to_agents", "sent") * self._passed("returned", "echoed")

    @property
    def echo_loss(self) -> float:
        """The test's echo agents': what reached them and was not sent back."""
        return 1 - self._passed("echoed", "to_agents")

    def _passed(self, out: str, into: str) -> float:
        return self.legs.get(out, 0) / self.legs[into] if self.legs.get(into) else 0.0

    @property
    def held(self) -> bool:
        lost_records = self.path == "ccc" and (self.fallback or self.records < self.placed)
        # Held only if offered whole: every packet the calls' recording holds was sent
        # (a starved SIPp sends late, and a call not up sends nothing).
        return (self.placed == self.calls and self.failed == 0
                and self.answered >= self.calls and self.peak >= self.calls
                and not lost_records and self.legs.get("sent", 0) >= self.expected
                and self.pbx_loss < LOSS_BOUND)

    def per_call_second(self, cpu: float) -> float:
        return cpu / self.call_seconds * 1000 if self.call_seconds else 0.0

    def line(self) -> str:
        legs = self.legs
        extra = (f" {self.fallback} fallback {self.records} records"
                 if self.path == "ccc" else "")
        return (f"{self.path:6} {self.calls:>4} calls: peak {self.peak:>4} up, "
                f"{self.answered:>4} answered by agents, {self.failed} failed{extra}; "
                f"packets sent {legs.get('sent', 0)} (expected {self.expected}), "
                f"to agents {legs.get('to_agents', 0)}, echoed {legs.get('echoed', 0)}, "
                f"returned {legs.get('returned', 0)}: loss {self.loss:.3%} (PBX "
                f"{self.pbx_loss:.3%}, echo {self.echo_loss:.3%}); "
                f"PBX {self.per_call_second(self.pbx_cpu):.2f} ms, serve "
                f"{self.per_call_second(self.serve_cpu):.2f} ms CPU per call-second; "
                f"jitter (mean/most of {self.jitter_returned[0]} calls) sent "
                f"{self.jitter_sent[1]:.1f}/{self.jitter_sent[2]:.1f} ms, returned "
                f"{self.jitter_returned[1]:.1f}/{self.jitter_returned[2]:.1f} ms; "
                f"SIPp callers {self.per_call_second(self.caller_cpu):.2f} ms, echo "
                f"{self.per_call_second(self.echo_cpu):.2f} ms; drops: host "
                f"{self.host_drops}, PBX sockets {self.socket_drops}  "
                f"{'held' if self.held else 'NOT held'}")


def softnet_drops() -> int:
    """Packets the host dropped from its per-CPU input backlogs (loopback traffic
    passes through them), all CPUs."""
    return sum(int(line.split()[1], 16)
               for line in Path("/proc/net/softnet_stat").read_text().splitlines())


class SocketDrops:
    """Datagrams the kernel dropped because one of the PBX's media sockets was full
    (its reader, Asterisk, fell behind), sampled from /proc/net/udp while the calls are
    up: a call's sockets close at its end, and their counts with them."""

    def __init__(self, ports: range):
        self.ports = ports
        self.seen: dict[str, int] = {}   # socket inode: its drops
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        for table in ("/proc/net/udp", "/proc/net/udp6"):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) in self.ports:
                    self.seen[fields[9]] = max(self.seen.get(fields[9], 0), int(fields[-1]))

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self._sample()

    def __enter__(self) -> SocketDrops:
        self._sample()
        self.before = dict(self.seen)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    @property
    def drops(self) -> int:
        return sum(count - self.before.get(inode, 0) for inode, count in self.seen.items())


def sipp_rows(stats: Path) -> list[dict[str, str]]:
    if not stats.exists():
        return []
    return list(csv.DictReader(stats.open(), delimiter=";"))


class MediaBench(Bench):
    def __init__(self, args):
        super().__init__(args)
        harness = self.harness
        self.agent_address = harness.local("127.0.0.3", 5090)
        self.caller_media = 16000 + 4 * harness.PORT_OFFSET
        self.agent_media = self.caller_media + 100
        self.echo = None
        self.agents: list[dict] = []
        self.legs: dict[str, rtp_legs.Leg] = {}
        self.jitter: dict[str, rtp_jitter.Jitter] = {}
        first, last = (int(port) for port in args.rtp_ports.split("-"))
        self.rtp_ports = range(first, last + 1)

    # ---- the site ---------------------------------------------------------------------
    def provision(self) -> None:
        from engine.migrate import upgrade
        if self.args.database == "postgres":
            from tests.conftest import postgres_database
            self.database = postgres_database()
            url = self.database.__enter__()
        else:
            url = f"sqlite:///{self.workdir / 'ccc.sqlite3'}"
            upgrade(url)
        env = self.harness.environment(self.workdir, url, self.site)
        env["CCC_RTP_PORTS"] = self.args.rtp_ports
        self.cc = cc = self.harness.CallCenter(env, self.workdir, self.output)
        cc.ccc("account", "create", "bench", "--plan", "payg")
        cc.ccc("trunk", "create", "--name", "carrier", "--host", self.harness.CARRIER_HOST)
        cc.ccc("instance", "create", "--account", "bench", "--name", "Bench",
               "--domain", DOMAIN, "--number", FLOW_NUMBER,
               "--number-type", "landline", "--admin", "admin")
        cc.publish_flow(DOMAIN, "queue", FLOW, bind=FLOW_NUMBER)
        people = self.output / "agents.csv"
        people.write_text("name\n" + "".join(f"{AGENT_NAME} {n}\n"
                                             for n in range(1, self.args.agents + 1)))
        cc.ccc("agent", "import", str(people), "--instance", DOMAIN)
        cc.ccc("pbx", "start")
        self.agents = [a for a in cc.ccc_json("agent", "list", "--instance", DOMAIN,
                                              "--show-secrets")
                       if a["name"].startswith(AGENT_NAME)]
        self.register_agents()
        self.static_dialplan()
        cc.start_serve()
        self.sign_in_agents()
        self.start_echo()
        self.scenario = self.output / "caller.xml"
        recording = self.output / "caller.pcap"
        self.marked = rtp_pcap.write(recording, self.args.lead_in, self.args.talk)
        self.call_seconds = self.args.lead_in + self.args.talk + 1
        self.scenario.write_text(self.harness.caller_scenario(
            [("play", (recording, self.call_seconds * 1000))], pbx_hangs_up=False))
        for name, port, source in (("sent", self.caller_media, True),
                                   ("to_agents", self.agent_media, False),
                                   ("echoed", self.agent_media, True),
                                   ("returned", self.caller_media, False)):
            self.legs[name] = rtp_legs.Leg(port, source)
        self.jitter = {"sent": rtp_jitter.Jitter(self.caller_media, toward=False),
                       "returned": rtp_jitter.Jitter(self.caller_media, toward=True)}

    def register_agents(self) -> None:
        """Every agent's endpoint registers with the echo SIPp's address as its contact.
        (SIPp's [authentication] takes one user and password for the whole process.)"""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as phone:
            phone.bind(self.agent_address)
            phone.settimeout(2)
            pbx = (self.harness.PBX_IP, int(self.cc.env["CCC_SIP_PORT"]))
            for agent in self.agents:
                sip_register.register(phone, pbx, agent["sip_username"],
                                      agent["sip_password"])

    def static_dialplan(self) -> None:
        """Path (a): answer, then dial the echo SIPp through the carrier's endpoint."""
        from engine.ami.client import ami_command
        from engine.settings import load_settings
        settings = load_settings(self.cc.env)
        ip, port = self.agent_address
        for priority, app in enumerate(
                ("Answer()", f"Dial(PJSIP/trunk-carrier/sip:echo@{ip}:{port},30)",
                 "Hangup()"), start=1):
            ami_command(settings, f"dialplan add extension {STATIC_NUMBER},{priority},{app} "
                        "into ccc-from-carrier replace")
        shown = ami_command(settings, f"dialplan show {STATIC_NUMBER}@ccc-from-carrier")
        if "Dial" not in shown:
            raise SystemExit(f"the static dialplan was not added:\n{shown}")

    def sign_in_agents(self) -> None:
        """Every agent READY on its SIP phone, as ``ccc agent state ready`` does it."""
        from engine.agents.service import get_agent
        from engine.agentstate import service
        from engine.instances.service import get_instance
        from engine.settings import load_settings
        from engine.uow import transaction
        settings = load_settings(self.cc.env)
        with transaction(settings) as db:
            instance = get_instance(db, DOMAIN)
            for found in self.agents:
                agent = get_agent(db, instance, found["extension"])
                if not service.get_ready(settings, agent, None, "sip").queues:
                    raise SystemExit(f"agent {found['extension']} could not sign in")

    def start_echo(self) -> None:
        scenario = self.output / "echo.xml"
        scenario.write_text(ECHO)
        ip, port = self.agent_address
        self.echo_stats = self.output / "echo.csv"
        # Ahead of the PBX for the CPU: the echo is one thread reading one socket for
        # every call, and a starved one overflows its socket's buffer (seen at 250 calls
        # on two cores: the PBX had passed every packet, the echo lost 0.14 %).
        argv = ["nice", "-n", "-10",
                "sipp", "-sf", str(scenario), "-i", ip, "-p", str(port), "-mi", ip,
                "-mp", str(self.agent_media), "-rtp_echo", "-nostdin",
                "-trace_stat", "-stf", str(self.echo_stats), "-fd", "1",
                f"{self.harness.PBX_IP}:{self.cc.env['CCC_SIP_PORT']}"]
        out = open(self.output / "echo.out", "w")
        self.echo = subprocess.Popen(argv, cwd=self.output, stdout=out,
                                     stderr=subprocess.STDOUT)
        self.harness._wait_bound(self.agent_address, self.echo)

    def echo_answered(self) -> int:
        rows = sipp_rows(self.echo_stats)
        return int(rows[-1]["SuccessfulCall(C)"]) + int(rows[-1]["CurrentCall"]) if rows else 0

    def close(self) -> None:
        for leg in [*self.legs.values(), *self.jitter.values()]:
            leg.close()
        if self.echo is not None and self.echo.poll() is None:
            self.echo.kill()
            self.echo.wait()
        super().close()

    # ---- one level --------------------------------------------------------------------
    def level(self, path: str, calls: int) -> Level:
        number = STATIC_NUMBER if path == "static" else FLOW_NUMBER
        result = Level(path, calls)
        stats = self.output / f"{path}-{calls}.csv"
        pbx_pid, serve_pid = self.pids()
        records, fallbacks = self.record_count(), self.fallbacks()
        answered = self.echo_answered()
        host_drops = softnet_drops()
        echo_cpu = cpu_seconds(self.echo.pid)
        callers_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
        for leg in self.legs.values():
            leg.reset()
        for sampler in self.jitter.values():
            sampler.take()
        pbx_cpu, serve_cpu = cpu_seconds(pbx_pid), cpu_seconds(serve_pid)
        rate = min(calls, self.args.setup_rate)
        carrier = self.harness.CARRIER
        argv = ["sipp", "-sf", str(self.scenario), "-i", carrier[0], "-p", str(carrier[1]),
                "-s", number, "-key", "caller", "13800000000",
                "-r", str(rate), "-rp", "1000", "-m", str(calls), "-l", str(calls),
                "-recv_timeout", "30000", "-timeout", f"{self.call_seconds * 3 + 60:.0f}s",
                "-nostdin", "-trace_stat", "-stf", str(stats), "-fd", "1",
                "-mp", str(self.caller_media),
                f"{self.harness.PBX_IP}:{self.cc.env['CCC_SIP_PORT']}"]
        with (open(stats.with_suffix(".out"), "w") as out,
              SocketDrops(self.rtp_ports) as sockets):
            subprocess.run(argv, cwd=self.output, stdout=out, stderr=subprocess.STDOUT,
                           timeout=self.call_seconds * 3 + 120)
            time.sleep(1)  # the last echoes home, the echo SIPp's statistics written
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        result.caller_cpu = (after.ru_utime + after.ru_stime
                             - callers_cpu.ru_utime - callers_cpu.ru_stime)
        result.echo_cpu = cpu_seconds(self.echo.pid) - echo_cpu
        result.socket_drops = sockets.drops
        result.legs = {name: leg.count() for name, leg in self.legs.items()}
        result.jitter_sent = self.jitter["sent"].take()
        result.jitter_returned = self.jitter["returned"].take()
        pbx_after = cpu_seconds(pbx_pid)
        rows = sipp_rows(stats)
        if rows:
            result.succeeded = int(rows[-1]["SuccessfulCall(C)"])
            result.failed = int(rows[-1]["FailedCall(C)"])
            result.peak = max(int(row["CurrentCall"]) for row in rows)
        result.placed = result.succeeded + result.failed
        result.expected = result.succeeded * self.marked
        result.answered = self.echo_answered() - answered
        result.host_drops = softnet_drops() - host_drops
        result.records = self.await_records(records, result.placed)
        result.serve_cpu = cpu_seconds(serve_pid) - serve_cpu
        result.pbx_cpu = pbx_after - pbx_cpu
        result.fallback = self.fallbacks() - fallbacks
        result.call_seconds = result.answered * self.call_seconds
        time.sleep(2)  # the last calls' channels gone before the next level
        return result

    def await_records(self, before: int, placed: int) -> int:
        """Call records that arrived for this level (each call journaled, then ingested:
        a few seconds at most; none new for 5 s ends the wait)."""
        deadline, last, steady = time.monotonic() + 30, -1, time.monotonic()
        while time.monotonic() < deadline:
            now = self.record_count() - before
            if now >= placed:
                break
            if now != last:
                last, steady = now, time.monotonic()
            elif time.monotonic() - steady > 5:
                break
            time.sleep(0.2)
        return self.record_count() - before


def report(results: dict[str, list[Level]]) -> None:
    names = {"static": "(a) static dialplan", "ccc": "(b) ccc flow -> queue -> agents"}
    print(f"\nConcurrent answered calls with echoed media (loss bound {LOSS_BOUND:.1%})")
    best = {}
    for path, levels in results.items():
        print(f"\n{names[path]}")
        print(f"{'calls':>6} {'peak':>5} {'answered':>8} {'sent':>9} {'returned':>9} "
              f"{'loss %':>7} {'PBX %':>7} {'echo %':>7} {'jitter ms':>10} {'PBX ms/cs':>9} "
              f"{'serve ms/cs':>11}  held")
        for level in levels:
            print(f"{level.calls:>6} {level.peak:>5} {level.answered:>8} "
                  f"{level.legs.get('sent', 0):>9} {level.legs.get('returned', 0):>9} "
                  f"{level.loss * 100:>7.3f} {level.pbx_loss * 100:>7.3f} "
                  f"{level.echo_loss * 100:>7.3f} "
                  f"{f'{level.jitter_sent[1]:.1f}>{level.jitter_returned[1]:.1f}':>10} "
                  f"{level.per_call_second(level.pbx_cpu):>9.2f} "
                  f"{level.per_call_second(level.serve_cpu):>11.2f}  "
                  f"{'yes' if level.held else 'NO'}")
        held = [level.calls for level in levels if level.held]
        best[path] = max(held) if held else 0
        if levels and all(level.held for level in levels):
            print(f"every level tried was held: the limit is above {levels[-1].calls}")
    print("\nhighest concurrency held: " + ", ".join(f"{names[p]} {best[p]}" for p in best))
    if best.get("static") and "ccc" in best:
        print(f"ratio (b)/(a): {best['ccc'] / best['static']:.2f}")
    print("(loss: end to end; PBX: the PBX's own, both ways, which decides 'held'; echo: the "
          "test's echo agents'. ms/cs: CPU milliseconds per call-second; jitter: RFC 3550 "
          "interarrival jitter, mean of the sampled calls, as sent > as returned)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--levels", default="50,100,150,200,250,300",
                        help="concurrent calls to try, rising, comma-separated")
    parser.add_argument("--paths", default="static,ccc", help="static, ccc or both")
    parser.add_argument("--talk", type=float, default=25.0,
                        help="seconds of counted (marked) audio per call")
    parser.add_argument("--lead-in", type=float, default=3.0,
                        help="seconds of uncounted audio first: the call reaches its agent")
    parser.add_argument("--setup-rate", type=int, default=25, help="new calls per second")
    parser.add_argument("--agents", type=int,
                        help="echo agents (default: a tenth more than the highest level)")
    parser.add_argument("--port-offset", type=int,
                        default=int(os.environ.get("CCC_TEST_PORT_OFFSET", "0")))
    parser.add_argument("--rtp-ports", help="the PBX's media ports (four per call up; "
                        "default: 2,000 from 23000 + 4 x the port offset)")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--keep", action="store_true", help="keep the site and its logs")
    args = parser.parse_args()
    levels = [int(n) for n in args.levels.split(",")]
    paths = [p for p in args.paths.split(",") if p]
    # A tenth more agents than calls: an agent whose last call's end the queue has not
    # yet seen is not rung, and the call would wait for another.
    args.agents = args.agents or max(levels) + max(levels) // 10
    if not args.rtp_ports:
        start = 23000 + 4 * args.port_offset
        args.rtp_ports = f"{start}-{start + 1999}"
    sent, to_port, from_port, pace = rtp_legs.self_check(16000 + 4 * args.port_offset + 50)
    print(f"packet counter self-check: {to_port} and {from_port} of {sent} marked packets "
          f"counted at {pace:,.0f} packets/s", flush=True)
    if not sent == to_port == from_port:
        raise SystemExit("the packet counter is wrong: no figure would be true")
    bench = MediaBench(args)
    results: dict[str, list[Level]] = {path: [] for path in paths}
    try:
        bench.provision()
        pbx_idle, serve_idle = bench.idle()
        print(f"{len(bench.agents)} echo agents ready; idle: PBX {pbx_idle:.1f} ms/s, "
              f"ccc serve {serve_idle:.1f} ms/s of CPU; {bench.marked} marked packets "
              f"per call", flush=True)
        for calls in levels:
            for path in paths:
                if results[path] and not results[path][-1].held:
                    continue
                level = bench.level(path, calls)
                results[path].append(level)
                print(level.line(), flush=True)
            if all(results[p] and not results[p][-1].held for p in paths):
                break
    finally:
        bench.close()
    report(results)


if __name__ == "__main__":
    main()
