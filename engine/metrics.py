"""What ``ccc serve`` tells operators about itself, in Prometheus' text format.

The instruments live here, on one registry of their own (not the library's global one,
so importing this module twice in tests never registers a name twice); the engine's
modules count into them and ``ccc serve`` serves the registry on ``/metrics``
(engine/jobs.py). Figures read at scrape time (queues, ingestion lag, the last
configuration apply) are collectors that the composition root registers.
"""
from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

CALLS = Counter("ccc_calls", "Inbound calls that reached the IVR, by outcome of the "
                "IVR session (completed, or handed to the dialplan's fallback)",
                ["outcome"], registry=REGISTRY)
FAILURES = Counter("ccc_failures", "Failures of ccc serve's work, by kind: an IVR session "
                   "that fell back, ingestion, recordings, the guard, the AMI connection, the "
                   "supervision log's reconciliation",
                   ["kind"], registry=REGISTRY)
AGI_SECONDS = Histogram("ccc_agi_session_seconds", "How long a FastAGI session took, from "
                        "its headers to its end (prompts and key presses included)",
                        ["route"], registry=REGISTRY,
                        buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
                                 120, 300))
INGESTED = Counter("ccc_ingested", "Journal entries ingested: call records stored or "
                   "updated, queue events added", ["journal"], registry=REGISTRY)
APPLIES = Counter("ccc_config_applies", "Configuration applies by this process, by result: "
                  "live, written (the PBX is down), unchanged, failed (rolled back or "
                  "refused)", ["result"], registry=REGISTRY)
JOURNAL_FREE = Gauge("ccc_journal_free_bytes", "Free bytes on the disk of each of the PBX's "
                     "durable journals (call records, queue log)", ["journal"],
                     registry=REGISTRY)
RECORDS_AT_RISK = Gauge("ccc_records_at_risk", "1 while a journal's disk is full or nearly "
                        "(under ccc_journal_free_bytes' reserve): the PBX cannot write the "
                        "records of the calls that end, and they are lost", ["journal"],
                        registry=REGISTRY)
