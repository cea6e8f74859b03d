"""Counting RTP packets per leg on the loopback interface, in the kernel.

Each leg (packets *to* or *from* one UDP port, whose payload starts with the caller's
mark: bench/rtp_pcap.py) is a packet socket on ``lo`` with a classic BPF filter. The
filter runs in the kernel on every IPv4 packet received on ``lo``; the kernel counts
each packet the filter accepts (PACKET_STATISTICS: tp_packets, which includes the packets
dropped because the socket's queue was full). Nothing is read in Python: the count
costs no user-space time and does not depend on this process keeping up.

A socket bound to ETH_P_IP sees a packet once, on its way in (a loopback packet is seen
twice only by ETH_P_ALL sockets, also on its way out). ``self_check`` sends a known
number of marked packets, faster than any call load here, and demands that count.
"""
from __future__ import annotations

import ctypes
import socket
import struct
import time

from bench.rtp_pcap import MARK

ETH_P_IP = 0x0800
SOL_PACKET = 263
PACKET_STATISTICS = 6
SO_ATTACH_FILTER = 26

# Classic BPF opcodes
LDB_ABS, LDH_ABS, LDX_MSH = 0x30, 0x28, 0xB1
LDH_IND, LDW_IND = 0x48, 0x40
JEQ, JSET, RET = 0x15, 0x45, 0x06
SAMPLE_MASK = 0x1E  # port bits 1-4 clear: one in sixteen of a PBX's even RTP ports


def program(port: int, source: bool, sampled_port_at: int | None = None,
            keep: int = 1) -> list[tuple[int, int, int, int]]:
    """IPv4, UDP, not a fragment, source (or destination) port ``port``, payload after
    the 12-byte RTP header starting with MARK; with ``sampled_port_at`` (0: source port,
    2: destination), only if that port's bits 1-4 are clear. The socket is SOCK_DGRAM:
    offset 0 is the IP header. Accepted packets keep ``keep`` bytes."""
    mark = struct.unpack("!I", MARK)[0]
    drop = "drop"
    code: list[tuple] = [
        (LDB_ABS, 0, 0, 9),                     # IP protocol
        (JEQ, 0, drop, 17),                     # UDP
        (LDH_ABS, 0, 0, 6),                     # flags and fragment offset
        (JSET, drop, 0, 0x1FFF),                # a later fragment
        (LDX_MSH, 0, 0, 0),                     # X = IP header length
        (LDH_IND, 0, 0, 0 if source else 2),    # the port
        (JEQ, 0, drop, port)]
    if sampled_port_at is not None:
        code += [(LDH_IND, 0, 0, sampled_port_at), (JSET, drop, 0, SAMPLE_MASK)]
    code += [(LDW_IND, 0, 0, 8 + 12),           # the first payload word
             (JEQ, 0, drop, mark),
             (RET, 0, 0, keep)]
    end = len(code)                             # "drop" is the instruction after these
    resolved = [(op, end - i - 1 if jt == drop else jt, end - i - 1 if jf == drop else jf, k)
                for i, (op, jt, jf, k) in enumerate(code)]
    return resolved + [(RET, 0, 0, 0)]


def attach(sock: socket.socket, code: list[tuple[int, int, int, int]]) -> ctypes.Array:
    """Attach a classic BPF program; the buffer returned must outlive the socket."""
    buffer = (ctypes.c_ubyte * (8 * len(code)))()
    ctypes.memmove(buffer, b"".join(struct.pack("HBBI", *i) for i in code), 8 * len(code))
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER,
                    struct.pack("HL", len(code), ctypes.addressof(buffer)))
    return buffer


class Leg:
    """Marked packets sent to or from one port, counted since ``reset``."""

    def __init__(self, port: int, source: bool):
        self.port, self.source = port, source
        # Protocol 0: no packet reaches the socket until it is bound, below. A socket
        # opened for ETH_P_IP takes every IPv4 packet at once, before its filter is
        # attached (the self-check caught a few strangers that way).
        self.socket = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, 0)
        self._filter = attach(self.socket, program(port, source))
        self.socket.bind(("lo", ETH_P_IP))
        self.total = 0
        self.drained = 0

    def _take(self) -> int:
        # Reading the statistics resets them: keep the running total here.
        packets, _drops = struct.unpack(
            "II", self.socket.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8))
        self.total += packets
        return self.total

    def reset(self) -> None:
        self._take()
        self.total = 0

    def count(self) -> int:
        return self._take()

    def close(self) -> None:
        self.socket.close()


def self_check(port: int, packets: int = 20000) -> tuple[int, int, int, float]:
    """Send ``packets`` marked RTP packets from ``port`` + 1 to ``port`` on loopback (and
    as many unmarked ones, which must not count) as fast as Python can: (sent, counted to
    the port, counted from the other, packets per second). Nothing listens on ``port``:
    the packets are counted on their way in."""
    to_port, from_port = Leg(port, source=False), Leg(port + 1, source=True)
    out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    out.bind(("127.0.0.1", port + 1))
    header = struct.pack("!BBHII", 0x80, 8, 0, 0, 1)
    marked, plain = header + MARK + bytes(156), header + bytes(160)
    started = time.monotonic()
    for _ in range(packets):
        out.sendto(marked, ("127.0.0.1", port))
        out.sendto(plain, ("127.0.0.1", port))
    seconds = time.monotonic() - started
    time.sleep(0.2)
    counted = to_port.count(), from_port.count()
    for leg in (to_port, from_port):
        leg.close()
    out.close()
    return packets, *counted, 2 * packets / seconds
