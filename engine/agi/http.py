"""The IVR's HTTP call: POST the call's context as JSON, read a JSON object back.

The standard library's client runs in the thread pool, so a slow server never blocks
the event loop that serves every other call; the caller waits at most ``timeout``.
"""
from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from engine.ivr.actions import HttpRequest, HttpResult

MAX_RESPONSE = 64 * 1024  # a reply is a few variables, not a download


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect would turn the POST into a GET to a host the flow never named.
    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def allowed_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _post(url: str, body: dict, timeout: float) -> HttpResult:
    data = json.dumps(body, separators=(",", ":")).encode()
    request = urllib.request.Request(url, data=data, method="POST", headers={
        "Content-Type": "application/json", "Accept": "application/json",
        "User-Agent": "ccc-ivr"})
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            status, payload = response.status, response.read(MAX_RESPONSE + 1)
    except urllib.error.HTTPError as error:  # a 4xx/5xx answer is still an answer
        status, payload = error.code, error.read(MAX_RESPONSE + 1)
    except (OSError, ValueError):  # refused, timed out, bad TLS, malformed URL...
        return HttpResult(None, None)
    return HttpResult(status, _json_object(payload))


def _json_object(payload: bytes) -> dict | None:
    if len(payload) > MAX_RESPONSE:
        return None
    try:
        value = json.loads(payload)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


async def perform(action: HttpRequest) -> HttpResult:
    """Do the request in a worker thread; no answer within the timeout is no answer."""
    if not allowed_url(action.url):
        return HttpResult(None, None)
    loop = asyncio.get_running_loop()
    work = loop.run_in_executor(None, _post, action.url, action.body, action.timeout)
    try:
        # The socket timeout bounds each read; this bounds the whole exchange.
        return await asyncio.wait_for(work, action.timeout + 0.5)
    except asyncio.TimeoutError:
        return HttpResult(None, None)
