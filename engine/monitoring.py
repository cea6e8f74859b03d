"""Figures read when Prometheus scrapes ``ccc serve``'s ``/metrics``: each queue's
callers and agents as the PBX has them now, how far ingestion is behind the PBX's
journals, and the last configuration apply (whichever process made it).

Collectors, not gauges kept up to date: a scrape (every 15 s or so) asks the PBX once
over AMI, and nothing is computed between scrapes.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from prometheus_client.core import GaugeMetricFamily

from engine.agentstate.states import derive
from engine.ami.client import AmiError, ami_action
from engine.settings import Settings
from engine.wallboard.board import STATES, memberships, waiting_callers


def queue_figures(events: list[dict]) -> dict[str, dict]:
    """Per queue: callers waiting, the longest wait, agents by state (pure)."""
    queues = {e.get("Queue", ""): {"waiting": 0, "longest": 0, "agents": Counter()}
              for e in events if e.get("Event") == "QueueParams"}
    for caller in waiting_callers(events):
        found = queues.setdefault(caller.queue, {"waiting": 0, "longest": 0,
                                                 "agents": Counter()})
        found["waiting"] += 1
        found["longest"] = max(found["longest"], caller.seconds)
    for member in memberships(events).values():
        # The agent's one state (all its memberships together), counted in each queue.
        state = derive(member).state.value
        for membership in member:
            if membership.queue in queues:
                queues[membership.queue]["agents"][state] += 1
    return queues


class QueueCollector:
    def __init__(self, settings: Settings):
        self.settings = settings

    def collect(self):
        up = GaugeMetricFamily("ccc_pbx_up", "Whether the PBX answered AMI at this scrape")
        waiting = GaugeMetricFamily("ccc_queue_calls_waiting", "Callers in the queue now",
                                    labels=["queue"])
        longest = GaugeMetricFamily("ccc_queue_longest_wait_seconds",
                                    "How long the queue's longest-waiting caller has waited",
                                    labels=["queue"])
        agents = GaugeMetricFamily("ccc_queue_agents", "Agents signed in to the queue, by "
                                   "state", labels=["queue", "state"])
        try:
            events = ami_action(self.settings, {"Action": "QueueStatus"}, timeout=5.0)
        except AmiError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        for queue, found in sorted(queue_figures(events).items()):
            waiting.add_metric([queue], found["waiting"])
            longest.add_metric([queue], found["longest"])
            for state in STATES:
                if state != "OFFLINE":  # signed-in members only: never offline
                    agents.add_metric([queue, state], found["agents"].get(state, 0))
        yield from (up, waiting, longest, agents)


class IngestionCollector:
    """``lag()`` gives, per journal, (unread bytes, seconds since ingestion last had
    read all of it; 0 when it has)."""

    def __init__(self, lag: Callable[[], dict[str, tuple[int, float]]]):
        self.lag = lag

    def collect(self):
        unread = GaugeMetricFamily("ccc_ingestion_unread_bytes", "Bytes the PBX journaled "
                                   "that ingestion has not read yet", labels=["journal"])
        behind = GaugeMetricFamily("ccc_ingestion_lag_seconds", "Seconds since ingestion "
                                   "last caught up with the journal (0: it has)",
                                   labels=["journal"])
        for journal, (size, seconds) in sorted(self.lag().items()):
            unread.add_metric([journal], size)
            behind.add_metric([journal], seconds)
        yield from (unread, behind)


class ApplyCollector:
    """The last configuration apply of the site, by any process (``ccc`` too)."""

    def __init__(self, settings: Settings):
        self.marker = settings.site_dir / "apply.last"

    def collect(self):
        when = GaugeMetricFamily("ccc_config_last_apply_timestamp_seconds",
                                 "When the site's configuration was last applied (Unix time)")
        live = GaugeMetricFamily("ccc_config_last_apply_live", "Whether the last apply "
                                 "went live on the PBX (0: written for its next start)")
        try:
            text = self.marker.read_text().split()
            stamp = self.marker.stat().st_mtime
        except OSError:
            return
        when.add_metric([], stamp)
        live.add_metric([], 1 if text[-1:] == ["live"] else 0)
        yield from (when, live)
