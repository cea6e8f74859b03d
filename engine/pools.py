"""Threads by kind of work, so that slow work cannot starve call setup.

asyncio's default executor has a handful of threads (CPUs + 4). A flow's HTTP request
waits up to its timeout, a first text-to-speech rendering runs espeak-ng and sox, and
ingestion or the guard can wait seconds on a busy database: sharing those threads, a
burst of any of them would leave new calls waiting for a thread in silence. Each kind
has its own pool; threads start only when first used.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

# The database questions of call setup (engine/agi/lookups.py).
CALL_SETUP = ThreadPoolExecutor(8, thread_name_prefix="call-setup-db")
# A flow's HTTP requests: each bounded by its own timeout (at most 10 s).
HTTP = ThreadPoolExecutor(16, thread_name_prefix="ivr-http")
# Text-to-speech renderings (each text once, then a cached file).
SPEECH = ThreadPoolExecutor(2, thread_name_prefix="ivr-speech")
# ccc serve's own upkeep: ingestion, recordings, the guard, agents' state log.
BACKGROUND = ThreadPoolExecutor(4, thread_name_prefix="background")
