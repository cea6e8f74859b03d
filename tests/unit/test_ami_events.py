"""The PBX sends ``ccc serve`` only the AMI events of engine/ami/events.py: every listener
must be on that list, and the rendered manager.conf must filter on exactly it."""
from __future__ import annotations

import re

import provisioning.site
from engine.agentstate.tracker import AgentTracker
from engine.ami.events import LISTENED
from engine.reports.holds import HoldLog
from provisioning.site import static_files


class Listening:
    """Stands in for an AmiClient: keeps the event names listened to."""

    def __init__(self):
        self.names: list[str] = []

    def on_event(self, pattern: str, _callback) -> None:
        self.names.append(pattern)


def test_every_event_listened_to_is_one_the_pbx_sends(settings):
    client = Listening()
    AgentTracker(settings).attach(client)
    HoldLog(settings).attach(client)
    client.on_event("Cdr", None)  # ccc serve's listen_ami: a call ended, ingest
    assert client.names and set(client.names) <= set(LISTENED)
    assert set(LISTENED) <= set(client.names)  # and none sent for nothing


def test_manager_conf_includes_those_events_and_no_other(settings, monkeypatch):
    monkeypatch.setattr(provisioning.site, "ami_secret", lambda _settings: "s" * 24)
    text = static_files(settings)["manager.conf"]
    filtered = re.findall(r"^eventfilter\(action\(include\),name\((\w+)\)\) =$", text, re.M)
    assert filtered == list(LISTENED)
    assert len(re.findall(r"^eventfilter", text, re.M)) == len(LISTENED)  # no other filter
