"""A phone's voice for tests that must tell who hears whom: an RTP peer that sends a
steady tone of its own (A-law, 20 ms packets) and measures how loud each other party's
tone is in what it receives. It presses keys as RFC 4733 events in its own stream.

SIPp does a phone's signalling (scenarios call_rtp.xml, answer_rtp*.xml, whose SDP names
this peer's port). The endpoints use symmetric RTP, so the peer sends and receives on one
socket, to the PBX's media address: where its first packet came from, or the SDP in
SIPp's message log, whichever is known first.
"""
from __future__ import annotations

import math
import re
import socket
import struct
import threading
import time
from collections import deque
from pathlib import Path

RATE = 8000
FRAME = 160  # 20 ms
# RFC 4733 events: payload type 101, as call_rtp.xml offers it; the event codes of keys.
EVENT_TYPE = 101
EVENTS = "0123456789*#"


def alaw_encode(sample: int) -> int:
    sign = 0x80 if sample >= 0 else 0x00
    magnitude = min(sample if sample >= 0 else -sample - 1, 32635)
    if magnitude >= 256:
        exponent = (magnitude >> 8).bit_length()
        value = (exponent << 4) | ((magnitude >> (exponent + 3)) & 0x0F)
    else:
        value = magnitude >> 4
    return (value | sign) ^ 0x55


def _alaw_decode(code: int) -> int:
    code ^= 0x55
    exponent, mantissa = (code >> 4) & 0x07, code & 0x0F
    magnitude = (mantissa << 4) + 8 if exponent == 0 else \
        ((mantissa << 4) + 0x108) << (exponent - 1)
    return magnitude if code & 0x80 else -magnitude


DECODE = [_alaw_decode(c) for c in range(256)]


def tone_frames(frequency: int, amplitude: int = 8000) -> list[bytes]:
    """One second of a whole-hertz tone, as 50 A-law payloads (it loops seamlessly)."""
    samples = bytes(alaw_encode(int(amplitude * math.sin(2 * math.pi * frequency * n / RATE)))
                    for n in range(RATE))
    return [samples[i:i + FRAME] for i in range(0, RATE, FRAME)]


def level(samples: list[int], frequency: int) -> float:
    """The amplitude of the tone at ``frequency`` in these samples (one DFT bin)."""
    if not samples:
        return 0.0
    step = 2 * math.pi * frequency / RATE
    real = sum(s * math.cos(step * n) for n, s in enumerate(samples))
    imaginary = sum(s * math.sin(step * n) for n, s in enumerate(samples))
    return 2 * math.hypot(real, imaginary) / len(samples)


# The loudness (RMS of the samples) above which a packet is sound: A-law silence decodes
# to +-8, a prompt's speech and the PBX's tones to hundreds or thousands.
AUDIBLE = 150.0


def loudness(payload: bytes) -> float:
    if not payload:
        return 0.0
    return math.sqrt(sum(DECODE[b] ** 2 for b in payload) / len(payload))


def pbx_media(log: Path, own_port: int) -> tuple[str, int] | None:
    """The PBX's RTP address from the SDP it sent (SIPp's message log), once it has."""
    text = log.read_text(errors="replace") if log.exists() else ""
    hosts = re.findall(r"^\s*c=IN IP4 (\S+)", text, re.M)
    ports = [int(p) for p in re.findall(r"^\s*m=audio (\d+) ", text, re.M)]
    theirs = [p for p in ports if p != own_port]
    return (hosts[-1] if hosts else "127.0.0.1", theirs[-1]) if theirs else None


class RtpPeer:
    """Sends ``frequency`` (0: silence) to the PBX once its address is known, and keeps
    the last seconds of what arrives, decoded."""

    def __init__(self, address: tuple[str, int], frequency: int, sip_log: Path,
                 keep_seconds: float = 3.0):
        self.address, self.sip_log = address, sip_log
        self.frames = tone_frames(frequency) if frequency else [bytes([0xD5]) * FRAME] * 50
        self.received: deque[tuple[float, bytes]] = deque(maxlen=int(keep_seconds * 50))
        self.packets = 0
        # Key presses waiting to be sent: one (event, duration, end, first) a packet.
        self.events: deque[tuple[int, int, bool, bool] | None] = deque()
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(address)
        self.socket.settimeout(0.02)
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        remote, sequence, started, sent, pressed_at = None, 0, time.monotonic(), 0, 0
        ssrc = (hash(self.address) & 0x7FFFFFFF) or 1
        while self.running:
            try:
                data, source = self.socket.recvfrom(2048)
                if len(data) > 12 and data[1] & 0x7F == 8:
                    self.received.append((time.monotonic(), data[12:]))
                    self.packets += 1
                    # Symmetric RTP: where the PBX sends from is where it listens.
                    remote = remote or source
            except (TimeoutError, socket.timeout):
                pass
            if remote is None:
                remote = pbx_media(self.sip_log, self.address[1])
                started, sent = time.monotonic(), 0
                continue
            # Paced by the clock, not by the loop: 50 packets a second, on a busy host too.
            while sent < (time.monotonic() - started) * 50:
                event = self.events.popleft() if self.events else None
                if event is None:
                    header = struct.pack("!BBHII", 0x80, 8, sequence & 0xFFFF,
                                         (sent * FRAME) & 0xFFFFFFFF, ssrc)
                    packet = header + self.frames[sent % 50]
                else:
                    # A key's packets replace the tone's for its length; all carry the
                    # timestamp of its start, the first one marked.
                    code, duration, end, first = event
                    pressed_at = sent * FRAME if first else pressed_at
                    header = struct.pack("!BBHII", 0x80, EVENT_TYPE | (0x80 if first else 0),
                                         sequence & 0xFFFF, pressed_at & 0xFFFFFFFF, ssrc)
                    packet = header + struct.pack("!BBH", code, (0x80 if end else 0) | 10,
                                                  duration)
                self.socket.sendto(packet, remote)
                sequence, sent = sequence + 1, sent + 1

    def press(self, keys: str, gap_ms: int = 400) -> None:
        """Press ``keys`` (RFC 4733 events): each 100 ms long, its end sent three times as
        the RFC asks, ``gap_ms`` of the tone before the next."""
        for n, key in enumerate(keys):
            if n:
                self.events.extend([None] * (gap_ms // 20))
            code = EVENTS.index(key)
            self.events.extend((code, step * FRAME, False, step == 1) for step in range(1, 5))
            self.events.extend([(code, 5 * FRAME, True, False)] * 3)

    def say(self, frequency: int) -> None:
        """Send ``frequency`` from now on (the next packet already)."""
        self.frames = tone_frames(frequency)

    def hears(self, frequency: int, seconds: float = 1.0) -> float:
        """How loud ``frequency`` was in what arrived over the last ``seconds``."""
        since = time.monotonic() - seconds
        payload = b"".join(p for at, p in list(self.received) if at >= since)
        return level([DECODE[b] for b in payload], frequency)

    def hears_between(self, frequency: int, since: float, until: float) -> float:
        """How loud ``frequency`` was at its loudest half second between two moments."""
        frames = [p for at, p in list(self.received) if since <= at <= until]
        windows = (b"".join(frames[i:i + 25]) for i in range(0, len(frames), 25))
        return max((level([DECODE[b] for b in w], frequency) for w in windows), default=0.0)

    def audible(self, since: float, floor: float = AUDIBLE) -> list[float]:
        """When each packet that carried sound arrived (monotonic time), from ``since``:
        a prompt, a tone, music; not silence, not comfort noise."""
        return [at for at, payload in list(self.received)
                if at >= since and loudness(payload) > floor]

    def longest_quiet(self, since: float, until: float, floor: float = AUDIBLE) -> float:
        """The longest stretch between ``since`` and ``until`` in which nothing audible
        arrived (no packet at all counts as quiet, as it does for the caller)."""
        marks = [since, *(at for at in self.audible(since, floor) if at <= until), until]
        return max(b - a for a, b in zip(marks, marks[1:], strict=False))

    def close(self) -> None:
        self.running = False
        self.thread.join(2)
        self.socket.close()
