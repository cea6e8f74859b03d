"""The IVR's HTTP call against a real local server: answers, timeouts, refusals."""
from __future__ import annotations

import asyncio
import ipaddress
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from engine.agi.http import checked_address, perform
from engine.ivr.actions import HttpRequest, HttpResult


class _Service(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's naming)
        posted = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path == "/slow":
            time.sleep(2)
        if self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/echo")
            self.end_headers()
            return
        status, body = {"/echo": (200, json.dumps({"got": posted}).encode()),
                        "/text": (200, b"not json"),
                        "/list": (200, b"[1, 2]"),
                        "/broken": (503, b'{"error": "down"}')}.get(self.path, (404, b""))
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def base():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Service)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


# The test server listens on loopback, which flows may call only when the operator
# allows it (CCC_IVR_HTTP_ALLOW); most tests here allow it.
LOOPBACK = (ipaddress.ip_network("127.0.0.1/32"),)


def post(url: str, timeout: float = 1.0, allow=LOOPBACK) -> HttpResult:
    return asyncio.run(perform(HttpRequest(url, {"caller": "1380", "variables": {"a": "1"}},
                                           timeout), allow))


def test_the_context_is_posted_as_json_and_the_object_comes_back(base):
    assert post(f"{base}/echo") == HttpResult(200, {"got": {"caller": "1380",
                                                            "variables": {"a": "1"}}})


def test_an_error_status_is_an_answer_with_its_body(base):
    assert post(f"{base}/broken") == HttpResult(503, {"error": "down"})


@pytest.mark.parametrize("path", ["/text", "/list"])
def test_a_body_that_is_not_a_json_object_is_none(base, path):
    assert post(f"{base}{path}") == HttpResult(200, None)


def test_a_redirect_is_not_followed(base):
    # Following it would resend the caller's data to a place the flow never named.
    assert post(f"{base}/moved").status == 302


def test_no_answer_within_the_timeout_is_no_answer_and_the_wait_is_bounded(base):
    started = time.monotonic()
    assert post(f"{base}/slow", timeout=0.5) == HttpResult(None, None)
    assert time.monotonic() - started < 1.5


def test_the_event_loop_keeps_running_while_a_request_waits(base):
    async def both():
        ticks = 0

        async def tick():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.05)
                ticks += 1
        ticker = asyncio.create_task(tick())
        await perform(HttpRequest(f"{base}/slow", {}, 0.5), LOOPBACK)
        ticker.cancel()
        return ticks
    assert asyncio.run(both()) >= 5


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/x", "file:///etc/passwd", "http:///nohost",
                                 "javascript:alert(1)"])
def test_only_http_and_https_urls_are_called(url):
    assert post(url) == HttpResult(None, None)


def test_a_refused_connection_is_no_answer():
    import socket
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert post(f"http://127.0.0.1:{port}/") == HttpResult(None, None)


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:{port}/echo", "http://localhost:{port}/echo", "http://[::1]:{port}/echo",
    "http://127.1:{port}/echo", "http://2130706433:{port}/echo", "http://10.0.0.1:{port}/",
    "http://192.168.1.1:{port}/", "http://169.254.169.254:{port}/latest/meta-data",
    "http://0.0.0.0:{port}/echo", "http://100.64.0.1:{port}/", "http://[fe80::1]:{port}/",
    "http://[::ffff:127.0.0.1]:{port}/echo"])
def test_a_flow_may_not_call_this_host_or_a_private_network(base, url):
    """Without the operator's leave, loopback, private, link-local and other non-public
    addresses are refused however they are spelled; the test server on loopback, which
    answers when allowed, gets nothing."""
    port = base.rsplit(":", 1)[1]
    assert post(url.format(port=port), allow=()) == HttpResult(None, None)
    assert post(f"{base}/echo", allow=()) == HttpResult(None, None)
    assert post(f"{base}/echo").status == 200  # the same server, allowed


def test_only_the_allowed_range_opens(base):
    other = (ipaddress.ip_network("10.0.0.0/8"),)
    assert post(f"{base}/echo", allow=other) == HttpResult(None, None)
    assert checked_address("127.0.0.1", 80, other) is None
    assert checked_address("127.0.0.1", 80, LOOPBACK) == "127.0.0.1"
    assert checked_address("no-such-host.invalid", 80, LOOPBACK) is None
