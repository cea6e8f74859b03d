"""The agents' network check: the requirements, the ports to open, the verdict.

The page measures in the agent's browser (a call to the PBX's echo test for round-trip
time, jitter and loss; a download and an upload to the web app for bandwidth) and asks
for the verdict here, so the requirements live in one place.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from engine.errors import Invalid
from engine.phones.service import websocket_port
from engine.settings import Settings

# Per agent: voice (G.711 with its packet overhead, both ways) plus the workbench page.
VOICE_KBPS = 100
WORKBENCH_KBPS = 100
KBPS_PER_AGENT = VOICE_KBPS + WORKBENCH_KBPS
MAX_ROUND_TRIP_MS = 100
MAX_LOSS_PERCENT = 0.5
# Bounds of the bandwidth probe, so one check costs an agent's line about 3 MB.
DOWNLOAD_BYTES = 2 * 1024 * 1024
UPLOAD_BYTES = 1024 * 1024
# How long the page listens to the echo.
ECHO_MEASURE_SECONDS = 10


@dataclass(frozen=True)
class Port:
    """Something the agent's network must let through to the call center."""

    kind: str       # "web", "websocket" or "media": the page names each in words
    protocol: str   # "TCP" or "UDP"
    low: int
    high: int

    @property
    def ports(self) -> str:
        return str(self.low) if self.low == self.high else f"{self.low}-{self.high}"


def required_ports(settings: Settings) -> list[Port]:
    """The ports an agent's browser reaches, from the settings in force."""
    return [Port("web", "TCP", settings.web_port, settings.web_port),
            Port("websocket", "TCP", websocket_port(settings), websocket_port(settings)),
            Port("media", "UDP", settings.rtp_start, settings.rtp_end)]


@dataclass(frozen=True)
class Measurement:
    """What the page measured; None: the echo call gave no figure."""

    round_trip_ms: float | None
    jitter_ms: float | None
    loss_percent: float | None
    download_kbps: float
    upload_kbps: float


FIELDS = ("round_trip_ms", "jitter_ms", "loss_percent", "download_kbps", "upload_kbps")
OPTIONAL = {"round_trip_ms", "jitter_ms", "loss_percent"}
# Far beyond any real figure; a larger one is a broken or forged request.
LIMIT = 1e9


def parse_measurement(data: object) -> Measurement:
    """The page's figures, each a finite number from 0 to 1e9 (or null where allowed)."""
    if not isinstance(data, dict):
        raise Invalid("the figures must be a JSON object")
    errors, values = {}, {}
    for name in FIELDS:
        value = data.get(name)
        if value is None and name in OPTIONAL:
            values[name] = None
        elif (isinstance(value, bool) or not isinstance(value, int | float)
              or not math.isfinite(value) or not 0 <= value <= LIMIT):
            errors[name] = f"{name} must be a number from 0 to {LIMIT:.0f}"
        else:
            values[name] = float(value)
    if errors:
        raise Invalid("invalid figures", errors)
    return Measurement(**values)


def verdict(figures: Measurement) -> list[str]:
    """The requirements the figures miss, in the page's order (empty: ready to work)."""
    missed = []
    if figures.round_trip_ms is None or figures.loss_percent is None:
        missed.append("voice")  # the echo call did not carry media
    else:
        if figures.round_trip_ms >= MAX_ROUND_TRIP_MS:
            missed.append("round_trip")
        if figures.loss_percent >= MAX_LOSS_PERCENT:
            missed.append("loss")
    if min(figures.download_kbps, figures.upload_kbps) < KBPS_PER_AGENT:
        missed.append("bandwidth")
    return missed
