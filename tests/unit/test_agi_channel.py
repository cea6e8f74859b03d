"""The FastAGI connection itself: the handshake's guards, replies in pieces, a PBX that
goes away, and a stop that ends the sessions still going.

Asterisk's side is a real socket (a socket pair) driven byte by byte where it matters;
the server side is the ``AgiApplication`` the process serves, with a route of the test's.
"""
from __future__ import annotations

import asyncio
import socket

import pytest
import uvloop

from engine.agi import channel as agi_channel
from engine.agi.channel import AgiChannel, AgiHangup
from engine.agi.server import AgiApplication


@pytest.fixture(params=["asyncio", "uvloop"])
def run(request):
    """Each case on both loops: ccc serve's (uvloop) and the standard library's."""
    return uvloop.run if request.param == "uvloop" else asyncio.run


HEADERS = b"agi_network: yes\nagi_network_script: probe\nagi_uniqueid: 1764130000.7\n\n"


async def connect(app: AgiApplication):
    """Asterisk's end of a new connection to ``app``."""
    ours, theirs = socket.socketpair()
    await asyncio.get_running_loop().connect_accepted_socket(app.connection, ours)
    return await asyncio.open_connection(sock=theirs)


def app_with(route) -> tuple[AgiApplication, list]:
    app, started = AgiApplication(), []

    async def probe(channel: AgiChannel) -> None:
        started.append(channel)
        await route(channel)
    app.add_route("probe", probe)
    return app, started


async def ended(reader: asyncio.StreamReader) -> bytes:
    """What the server sends until it closes the connection (fails if it does not)."""
    return await asyncio.wait_for(reader.read(), 5)


def test_a_connection_closed_before_its_headers_end_starts_no_session(run):
    async def main() -> None:
        app, started = app_with(lambda channel: asyncio.sleep(0))
        reader, writer = await connect(app)
        writer.write(b"agi_network: yes\n")  # a port probe: no blank line, then gone
        writer.close()
        await asyncio.sleep(0.1)
        assert started == [] and not app.sessions
    run(main())


def test_headers_that_never_end_are_dropped_after_the_header_timeout(run, monkeypatch):
    monkeypatch.setattr(agi_channel, "HEADER_TIMEOUT", 0.2)

    async def main() -> None:
        app, started = app_with(lambda channel: asyncio.sleep(0))
        reader, writer = await connect(app)
        writer.write(b"agi_network: yes\n")
        assert await ended(reader) == b""  # closed by the server, nothing said
        assert started == []
        writer.close()
    run(main())


def test_a_header_block_past_its_limit_is_dropped(run):
    async def main() -> None:
        app, started = app_with(lambda channel: asyncio.sleep(0))
        reader, writer = await connect(app)
        writer.write(b"agi_x: " + b"y" * agi_channel.HEADER_LIMIT + b"\n")
        assert await ended(reader) == b""
        assert started == []
        writer.close()
    run(main())


def test_headers_and_replies_arriving_in_pieces_read_as_whole_lines(run):
    async def route(channel: AgiChannel) -> None:
        assert channel.headers["agi_uniqueid"] == "1764130000.7"
        assert await channel.get_variable("A") == "x (y)"
        assert await channel.get_variable("B") is None
        assert await channel.get_variable("C") == "z"

    async def main() -> None:
        app, started = app_with(route)
        reader, writer = await connect(app)
        for byte in HEADERS:  # one byte a write: the blank line comes last
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(0)
        assert await reader.readline() == b"GET VARIABLE A\n"
        writer.write(b"200 result=1 (x ")
        await asyncio.sleep(0.05)
        writer.write(b"(y))\n")
        assert await reader.readline() == b"GET VARIABLE B\n"
        # A "Trying" line and the reply, then the next reply early, in one piece.
        writer.write(b"100 result=0 Trying...\n200 result=0\n")
        assert await reader.readline() == b"GET VARIABLE C\n"
        writer.write(b"200 result=1 (z)\n")
        assert await ended(reader) == b""
        if app.sessions:
            await asyncio.wait(set(app.sessions))
        assert len(started) == 1 and started[0].hung_up is False
        writer.close()
    run(main())


def test_asterisk_closing_mid_session_is_a_hangup(run):
    outcome = []

    async def route(channel: AgiChannel) -> None:
        try:
            await channel.command("STREAM", "FILE", "welcome", '""')
        except AgiHangup as error:
            outcome.append((str(error), channel.hung_up))

    async def main() -> None:
        app, _started = app_with(route)
        reader, writer = await connect(app)
        writer.write(HEADERS)
        assert await reader.readline() == b'STREAM FILE welcome ""\n'
        writer.close()  # the caller hung up: Asterisk ends the session without a reply
        await asyncio.sleep(0.1)
        assert outcome == [("Asterisk closed the AGI session", True)]
    run(main())


def test_a_stop_ends_the_sessions_still_going_after_the_grace(run):
    async def main() -> None:
        app, _started = app_with(lambda channel: channel.command("WAIT", "FOR", "DIGIT", "-1"))
        reader, writer = await connect(app)
        writer.write(HEADERS)
        assert await reader.readline() == b"WAIT FOR DIGIT -1\n"  # never answered
        assert await app.drain(0.1) == 1
        assert await ended(reader) == b""  # its caller goes on in the dialplan
        assert not app.sessions
        writer.close()
    run(main())


@pytest.mark.parametrize("noise", [b"x" * (agi_channel.LINE_LIMIT + 1),
                                   b"\n" * (agi_channel.UNREAD_LIMIT + 1)])
def test_a_peer_flooding_the_session_ends_it(run, noise):
    errors = []

    async def route(channel: AgiChannel) -> None:
        try:
            await channel.command("NOOP")
        except Exception as error:  # noqa: BLE001 - the test records what it was
            errors.append(type(error).__name__)

    async def main() -> None:
        app, _started = app_with(route)
        reader, writer = await connect(app)
        writer.write(HEADERS)
        assert await reader.readline() == b"NOOP\n"
        writer.write(noise)
        assert await ended(reader) == b""
        await asyncio.sleep(0.05)
        assert errors == ["AgiError"]
        writer.close()
    run(main())
