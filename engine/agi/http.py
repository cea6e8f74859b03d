"""The IVR's HTTP call: POST the call's context as JSON, read a JSON object back.

The standard library's client runs in the thread pool, so a slow server never blocks
the event loop that serves every other call; the caller waits at most ``timeout``.

A flow is written by an instance's administrator, not by the operator: it may call
public addresses only. Loopback, private, link-local and other non-global addresses
(this host's AMI, database and admin pages, the operator's own network) are refused
unless the operator allows them (``CCC_IVR_HTTP_ALLOW``, address ranges). The name is
resolved once, every address it gives is checked, and the connection goes to the
address that was checked, so DNS cannot answer differently in between.
"""
from __future__ import annotations

import asyncio
import http.client
import ipaddress
import json
import socket
import urllib.error
import urllib.request
from collections.abc import Sequence
from urllib.parse import urlsplit

from engine.pools import HTTP
from engine.ivr.actions import HttpRequest, HttpResult

MAX_RESPONSE = 64 * 1024  # a reply is a few variables, not a download


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect would turn the POST into a GET to a host the flow never named.
    def redirect_request(self, *args, **kwargs):
        return None


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def allowed_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def checked_address(host: str, port: int, allow: Sequence[Network] = ()) -> str | None:
    """The address to connect to for ``host``, or None when any address it resolves to
    is not a public one (and not in ``allow``)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return None
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not addresses or not all(a.is_global or any(a in net for net in allow)
                                for a in addresses):
        return None
    return str(addresses[0])


def _opener(address: str) -> urllib.request.OpenerDirector:
    """An opener whose connections go to ``address`` whatever the URL's host resolves to
    next (TLS still checks the certificate against the host name)."""
    class Http(http.client.HTTPConnection):
        def connect(self):
            self.sock = socket.create_connection((address, self.port), self.timeout)

    class Https(http.client.HTTPSConnection):
        def connect(self):
            sock = socket.create_connection((address, self.port), self.timeout)
            self.sock = self._context.wrap_socket(sock, server_hostname=self.host)

    class HttpHandler(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(Http, req)

    class HttpsHandler(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(Https, req, context=self._context)
    return urllib.request.build_opener(_NoRedirect, HttpHandler, HttpsHandler)


def _post(url: str, body: dict, timeout: float, allow: Sequence[Network]) -> HttpResult:
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:  # a port that is not a number, or out of range
        return HttpResult(None, None)
    address = checked_address(parts.hostname, port, allow)
    if address is None:
        return HttpResult(None, None)
    data = json.dumps(body, separators=(",", ":")).encode()
    request = urllib.request.Request(url, data=data, method="POST", headers={
        "Content-Type": "application/json", "Accept": "application/json",
        "User-Agent": "ccc-ivr"})
    try:
        with _opener(address).open(request, timeout=timeout) as response:
            status, payload = response.status, response.read(MAX_RESPONSE + 1)
    except urllib.error.HTTPError as error:  # a 4xx/5xx answer is still an answer
        status, payload = error.code, error.read(MAX_RESPONSE + 1)
    except (OSError, ValueError, http.client.HTTPException):  # refused, timed out, bad TLS...
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


async def perform(action: HttpRequest, allow: Sequence[Network] = ()) -> HttpResult:
    """Do the request in a worker thread; no answer within the timeout is no answer.
    ``allow``: non-public address ranges the operator lets flows call."""
    if not allowed_url(action.url):
        return HttpResult(None, None)
    loop = asyncio.get_running_loop()
    work = loop.run_in_executor(HTTP, _post, action.url, action.body, action.timeout, allow)
    try:
        # The socket timeout bounds each read; this bounds the whole exchange.
        return await asyncio.wait_for(work, action.timeout + 0.5)
    except asyncio.TimeoutError:
        return HttpResult(None, None)
