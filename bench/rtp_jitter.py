"""Interarrival jitter (RFC 3550, 6.4.1) of a sample of the calls' marked RTP streams,
on one leg, from the kernel's arrival time of each packet on the loopback interface.

All callers share one media port, so a call's stream is told by the PBX's port for it:
the destination port on the way in, the source port on the way back. A call is sampled
when that port's bits 1-4 are zero (the PBX's RTP ports are even): a sixteenth of the
calls, so that this reader (Python, one thread) keeps up and takes little of the CPU it
measures; a packet it misses would show as jitter, and its socket's drops are reported.
"""
from __future__ import annotations

import socket
import struct
import threading

from bench import rtp_legs

SO_TIMESTAMPNS = 35
SO_RCVBUFFORCE = 33


class Jitter:
    """Reads the sampled streams of one leg in a thread; ``take`` gives the figures
    since the last ``take`` and starts afresh."""

    def __init__(self, port: int, toward: bool):
        self.socket = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, 0)
        # 60 bytes kept: the IP, UDP and RTP headers.
        self._filter = rtp_legs.attach(self.socket, rtp_legs.program(
            port, source=not toward, sampled_port_at=0 if toward else 2, keep=60))
        self.socket.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.socket.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 1 << 24)
        self.socket.bind(("lo", rtp_legs.ETH_P_IP))
        self.socket.settimeout(0.5)
        self.pbx_port_at = 20 if toward else 22   # the PBX's port in the IP packet
        self.streams: dict[int, list] = {}        # PBX port: [arrival, rtp ts, J, n]
        self.lock = threading.Lock()
        self.open = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while self.open:
            try:
                data, ancillary, _, _ = self.socket.recvmsg(64, 64)
            except (TimeoutError, OSError):
                continue
            arrival = next((struct.unpack("qq", d[:16]) for level, kind, d in ancillary
                            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS), None)
            if arrival is None or len(data) < 40:
                continue
            at = arrival[0] + arrival[1] / 1e9
            port = struct.unpack_from("!H", data, self.pbx_port_at)[0]
            stamp = struct.unpack_from("!I", data, 32)[0]
            with self.lock:
                stream = self.streams.get(port)
                if stream is None or stamp < stream[1]:  # a new call on this port
                    self.streams[port] = [at, stamp, 0.0, 0]
                    continue
                transit = (at - stream[0]) - ((stamp - stream[1]) & 0xFFFFFFFF) / 8000
                stream[2] += (abs(transit) - stream[2]) / 16
                stream[0], stream[1], stream[3] = at, stamp, stream[3] + 1

    def take(self) -> tuple[int, float, float]:
        """Streams sampled, their mean and largest final jitter in milliseconds; and
        starts afresh."""
        with self.lock:
            figures = [s[2] * 1000 for s in self.streams.values() if s[3] > 50]
            self.streams = {}
        if not figures:
            return 0, 0.0, 0.0
        return len(figures), sum(figures) / len(figures), max(figures)

    def dropped(self) -> int:
        return struct.unpack("II", self.socket.getsockopt(rtp_legs.SOL_PACKET,
                                                          rtp_legs.PACKET_STATISTICS, 8))[1]

    def close(self) -> None:
        self.open = False
        self.thread.join()
        self.socket.close()
