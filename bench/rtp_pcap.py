"""A caller's voice for SIPp's ``play_pcap_audio``: a pcap file of one G.711 A-law RTP
stream (20 ms packets), a lead-in whose packets are plain tone, then marked packets whose
payload starts with MARK.

The lead-in covers what happens before the caller is bridged to an agent (the queue, the
ringing, the PBX learning each party's media address): those packets are not counted.
Every marked packet is counted on each leg it crosses (bench/rtp_legs.py), found by its
payload, which the PBX forwards unchanged between two A-law parties. SIPp replays the
packets at their recorded times and rewrites only addresses and ports.
"""
from __future__ import annotations

import math
import struct
from pathlib import Path

from tests.integration.rtp import alaw_encode  # the tests' RTP peers' encoder

MARK = b"\x63\x63\x63\x21"   # the first payload bytes of a counted packet
PAYLOAD_TYPE = 8             # PCMA
FRAME = 160                  # samples (bytes) per 20 ms packet at 8 kHz
PACKETS_PER_SECOND = 50


def _tone(frequency: int = 440, amplitude: int = 6000) -> bytes:
    """One second of a whole-hertz tone in A-law: it loops without a click."""
    return bytes(alaw_encode(int(amplitude * math.sin(2 * math.pi * frequency * n / 8000)))
                 for n in range(8000))


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _frame(rtp: bytes, sport: int, dport: int) -> bytes:
    """An Ethernet/IPv4/UDP frame around an RTP packet (127.0.0.1 to itself: SIPp
    replaces the addresses and ports with the call's)."""
    udp = struct.pack("!HHHH", sport, dport, 8 + len(rtp), 0) + rtp
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0,
                     bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]))
    ip = ip[:10] + struct.pack("!H", _checksum(ip)) + ip[12:]
    return b"\0" * 12 + b"\x08\x00" + ip + udp


def write(path: Path, lead_in_s: float, marked_s: float) -> int:
    """Write the stream to ``path``; the number of marked packets in it."""
    tone = _tone()
    lead = round(lead_in_s * PACKETS_PER_SECOND)
    marked = round(marked_s * PACKETS_PER_SECOND)
    with open(path, "wb") as out:
        # pcap header: magic, version 2.4, zone, accuracy, snap length, Ethernet
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for n in range(lead + marked):
            offset = (n % PACKETS_PER_SECOND) * FRAME
            payload = tone[offset:offset + FRAME]
            if n >= lead:
                payload = MARK + payload[len(MARK):]
            elif payload.startswith(MARK):  # never: a tone sample is not the mark
                raise ValueError("the tone begins with the mark")
            rtp = struct.pack("!BBHII", 0x80, PAYLOAD_TYPE | (0x80 if n == 0 else 0),
                              n & 0xFFFF, n * FRAME, 0x0CCC0001) + payload
            frame = _frame(rtp, 6000, 6000)
            at_us = n * 20_000
            out.write(struct.pack("<IIII", at_us // 1_000_000, at_us % 1_000_000,
                                  len(frame), len(frame)))
            out.write(frame)
    return marked
