"""The AMI client against a scripted AMI server (what Asterisk 22 sends, byte for byte)."""
from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from panoramisk.message import Message

from engine.ami.client import (
    AmiActionFailed,
    AmiClient,
    AmiCredentials,
    AmiLoginRejected,
    AmiUnavailable,
    ami_command,
    ami_ping,
)
from engine.settings import Settings
from provisioning.secrets import ami_secret

SECRET = "right"


def _message(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _headers(block: str) -> dict[str, str]:
    headers = {}
    for line in block.split("\r\n"):
        key, _, value = line.partition(": ")
        headers[key.lower()] = value
    return headers


async def _answer(headers: dict[str, str], writer: asyncio.StreamWriter) -> bool:
    """Write the scripted reply; False to drop the connection."""
    action, action_id = headers.get("action", "").lower(), headers.get("actionid", "")
    if action == "login":
        ok = headers.get("secret") == SECRET
        writer.write(_message(f"Response: {'Success' if ok else 'Error'}",
                              f"ActionID: {action_id}",
                              f"Message: Authentication {'accepted' if ok else 'failed'}"))
        if ok and headers.get("events") == "on":
            # An event nobody listens to, then one cut in two writes; after the greeting
            # and the answer have been read (what comes with the greeting is parsed whole).
            await writer.drain()
            await asyncio.sleep(0.05)
            writer.write(_message("Event: Newchannel", "Privilege: call,all",
                                  "Channel: PJSIP/a-00000001"))
            cdr = _message("Event: Cdr", "Privilege: cdr,all", "Destination: 100",
                           "UniqueID: site-1.1")
            writer.write(cdr[:20])
            await writer.drain()
            await asyncio.sleep(0.01)
            writer.write(cdr[20:])
    elif action == "command" and headers.get("command") == "core show version":
        writer.write(_message("Response: Success", f"ActionID: {action_id}",
                              "Message: Command output follows",
                              "Output: Asterisk 22.1.0 built by somebody",
                              "Output: ", "Output: second: line"))
    elif action == "command":
        writer.write(_message("Response: Error", f"ActionID: {action_id}",
                              "Message: Command output follows",
                              "Output: No such command 'nonsense'"))
    elif action == "coreshowchannels":
        writer.write(_message("Response: Success", f"ActionID: {action_id}",
                              "EventList: start", "Message: Channels will follow"))
        writer.write(_message("Event: CoreShowChannel", f"ActionID: {action_id}",
                              "Channel: PJSIP/a-00000001"))
        writer.write(_message("Event: CoreShowChannelsComplete", f"ActionID: {action_id}",
                              "EventList: Complete", "ListItems: 1"))
    elif action == "ping":
        writer.write(_message("Response: Success", f"ActionID: {action_id}", "Ping: Pong"))
    elif action == "hangup":
        return False
    # anything else: no answer at all
    await writer.drain()
    return True


async def _serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"Asterisk Call Manager/9.0.0\r\n")
    buffer = ""
    try:
        while chunk := await reader.read(4096):
            buffer += chunk.decode()
            *blocks, buffer = buffer.split("\r\n\r\n")
            for block in blocks:
                if not await _answer(_headers(block), writer):
                    return
    finally:
        writer.close()


@pytest.fixture
def ami_server():
    """Run a scripted AMI server on a free port in a background loop; yield its port."""
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(asyncio.start_server(_serve, "127.0.0.1", 0))
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield server.sockets[0].getsockname()[1]

    async def shutdown() -> None:
        server.close()
        sessions = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in sessions:
            task.cancel()
        await asyncio.gather(*sessions, return_exceptions=True)

    asyncio.run_coroutine_threadsafe(shutdown(), loop).result(5)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.close()


def _credentials(port: int, secret: str = SECRET) -> AmiCredentials:
    return AmiCredentials("127.0.0.1", port, "ccc", secret)


def _run(coro):
    return asyncio.run(asyncio.wait_for(coro, 10))


def test_command_output_is_joined_text(ami_server):
    async def scenario():
        async with AmiClient(_credentials(ami_server)) as client:
            return await client.command("core show version")
    assert _run(scenario()) == "Asterisk 22.1.0 built by somebody\n\nsecond: line"


def test_a_refused_command_raises(ami_server):
    async def scenario():
        async with AmiClient(_credentials(ami_server)) as client:
            await client.command("nonsense")
    with pytest.raises(AmiActionFailed):
        _run(scenario())


def test_event_list_is_collected_until_complete(ami_server):
    async def scenario():
        async with AmiClient(_credentials(ami_server)) as client:
            return await client.action({"Action": "CoreShowChannels"})
    messages = _run(scenario())
    assert [m.get("Event") for m in messages] == [None, "CoreShowChannel",
                                                  "CoreShowChannelsComplete"]
    assert messages[1]["Channel"] == "PJSIP/a-00000001"
    assert "content" not in messages[0]


def test_wrong_secret_is_rejected(ami_server):
    with pytest.raises(AmiLoginRejected, match="Authentication failed"):
        _run(AmiClient(_credentials(ami_server, "wrong")).connect())


def test_nobody_listening_is_unavailable():
    import socket
    with socket.socket() as probe:  # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(AmiUnavailable, match="cannot connect"):
        _run(AmiClient(_credentials(port)).connect())


def test_silence_times_out_and_a_dropped_connection_is_reported(ami_server):
    async def scenario(action):
        async with AmiClient(_credentials(ami_server), timeout=0.5) as client:
            await client.action({"Action": action})
    with pytest.raises(AmiUnavailable, match="no answer"):
        _run(scenario("Silence"))
    with pytest.raises(AmiUnavailable, match="lost"):
        _run(scenario("Hangup"))


def test_cancellation_propagates(ami_server):
    async def scenario():
        async with AmiClient(_credentials(ami_server), timeout=30) as client:
            task = asyncio.ensure_future(client.action({"Action": "Silence"}))
            await asyncio.sleep(0.1)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            return await client.command("core show version")  # still usable
    assert _run(scenario()).startswith("Asterisk 22")


def test_events_reach_callbacks_and_a_failing_callback_is_not_fatal(ami_server):
    async def scenario():
        seen: list[dict] = []
        client = AmiClient(_credentials(ami_server), events="on")
        client.on_event("Cdr", lambda event: 1 / 0)
        client.on_event("Cdr", seen.append)
        async with client:
            for _ in range(50):
                if seen:
                    break
                await asyncio.sleep(0.02)
            await client.ping()
        return seen
    seen = _run(scenario())
    assert seen and seen[0]["Event"] == "Cdr" and seen[0]["UniqueID"] == "site-1.1"


def test_only_the_events_listened_to_and_the_answers_are_parsed(ami_server, monkeypatch):
    parsed: list[str] = []
    from_line = Message.from_line.__func__

    def counting(cls, line):
        parsed.append(line.partition("\r\n")[0])
        return from_line(cls, line)
    monkeypatch.setattr(Message, "from_line", classmethod(counting))

    async def scenario():
        seen: list[dict] = []
        client = AmiClient(_credentials(ami_server), events="on")
        client.on_event("Cd*", seen.append)
        async with client:
            for _ in range(50):
                if seen:
                    break
                await asyncio.sleep(0.02)
            listed = await client.action({"Action": "CoreShowChannels"})
        return seen, listed
    seen, listed = _run(scenario())
    assert [event["UniqueID"] for event in seen] == ["site-1.1"]
    assert [m.get("Event") for m in listed] == [None, "CoreShowChannel",
                                                "CoreShowChannelsComplete"]
    assert "Event: Newchannel" not in parsed and "Event: Cdr" in parsed


def test_sync_helpers_use_the_site_secret(ami_server, tmp_path: Path):
    settings = Settings(database_url="sqlite://", var_dir=tmp_path, pbx_root=tmp_path,
                        site="unit", sip_bind="127.0.0.1", sip_port=1, ami_port=ami_server,
                        agi_port=1, rtp_start=1, rtp_end=2)
    with pytest.raises(AmiUnavailable, match="no AMI secret"):
        ami_command(settings, "core show version")
    assert ami_secret(settings) != SECRET
    assert ami_ping(settings) is False  # answered, but the secret is not the server's
    (settings.site_dir / "ami.secret").write_text(SECRET + "\n")
    assert ami_ping(settings) is True
    assert ami_command(settings, "core show version").startswith("Asterisk 22.1.0")
