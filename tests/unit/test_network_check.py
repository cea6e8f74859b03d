"""The agents' network check: the ports follow the settings, the verdict the requirements."""
from __future__ import annotations

from dataclasses import replace

import pytest

from engine.errors import Invalid
from engine.network.service import (KBPS_PER_AGENT, Measurement, parse_measurement,
                                    required_ports, verdict)
from engine.settings import load_settings

GOOD = {"round_trip_ms": 12.5, "jitter_ms": 1.0, "loss_percent": 0, "download_kbps": 50_000,
        "upload_kbps": 20_000}


def test_ports_are_computed_from_the_settings(tmp_path):
    settings = load_settings({"CCC_VAR_DIR": str(tmp_path), "CCC_WEB_PORT": "8443",
                              "CCC_PBX_HTTP_PORT": "8089", "CCC_RTP_PORTS": "20000-20999"})
    assert [(p.kind, p.protocol, p.ports) for p in required_ports(settings)] == [
        ("web", "TCP", "8443"), ("websocket", "TCP", "8089"), ("media", "UDP", "20000-20999")]
    one = required_ports(replace(settings, rtp_start=30000, rtp_end=30000))[2]
    assert one.ports == "30000"


def test_a_good_line_is_ready():
    assert KBPS_PER_AGENT == 200
    assert verdict(parse_measurement(GOOD)) == []


@pytest.mark.parametrize("changes, missed", [
    ({"round_trip_ms": 100}, ["round_trip"]),
    ({"round_trip_ms": 99.9}, []),
    ({"loss_percent": 0.5}, ["loss"]),
    ({"loss_percent": 0.49}, []),
    ({"download_kbps": 199}, ["bandwidth"]),
    ({"upload_kbps": 150}, ["bandwidth"]),
    ({"upload_kbps": 200}, []),
    ({"round_trip_ms": None}, ["voice"]),
    ({"round_trip_ms": 250, "loss_percent": 3, "download_kbps": 10}, ["round_trip", "loss",
                                                                      "bandwidth"]),
])
def test_each_requirement_missed_is_named(changes, missed):
    assert verdict(parse_measurement({**GOOD, **changes})) == missed


@pytest.mark.parametrize("field, value", [
    ("download_kbps", None), ("upload_kbps", "100"), ("round_trip_ms", -1),
    ("loss_percent", float("nan")), ("jitter_ms", 10**12), ("download_kbps", True),
    ("round_trip_ms", [1])])
def test_figures_of_the_wrong_shape_are_refused_by_field(field, value):
    with pytest.raises(Invalid) as refused:
        parse_measurement({**GOOD, field: value})
    assert list(refused.value.fields) == [field]


def test_a_body_that_is_not_an_object_is_refused():
    for body in ([], "x", None, 3):
        with pytest.raises(Invalid):
            parse_measurement(body)
    assert isinstance(parse_measurement(GOOD), Measurement)
