"""A real Asterisk for a throw-away site: start, inspect, take a call, stop.

The site runs beside any other (``make run``'s included) on its own ports:
SIP 127.0.0.1:25061, AMI 25039, RTP 21000-21099. The PBX root must be installed
(``ccc pbx install``; the Makefile does it first): without it these tests fail,
they never skip.
"""
from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import pytest

from engine.ami.client import AmiActionFailed, AmiClient, ami_command
from engine.settings import Settings, load_settings
from provisioning import pbx_host, pbx_process
from provisioning.site import MODULES, create_site, static_files
from tests.integration.callcenter import wait_for

PJSIP_CONF = """\
[transport-udp]
type = transport
protocol = udp
bind = 127.0.0.1:25061
"""

EXTENSIONS_CONF = """\
[lifecycle]
exten => hello,1,Answer()
 same => n,Playback(demo-congrats)
 same => n,MusicOnHold(default,1)
 same => n,Hangup()
"""

# Modules the call flows cannot do without: each must be running.
ESSENTIAL = ("res_pjsip.so", "chan_pjsip.so", "res_rtp_asterisk.so", "pbx_config.so",
             "app_dial.so", "app_queue.so", "res_agi.so", "res_musiconhold.so",
             "cdr_custom.so", "cdr_manager.so", "codec_ulaw.so", "format_wav.so",
             # the browsers' softphones: SIP over WebSocket, DTLS-SRTP
             "res_http_websocket.so", "res_pjsip_transport_websocket.so", "res_srtp.so")


@pytest.fixture
def site_settings() -> Settings:
    settings = replace(load_settings(), site=f"test-{os.getpid()}", sip_bind="127.0.0.1",
                       sip_port=25061, ami_port=25039, rtp_start=21000, rtp_end=21099,
                       pbx_http_port=25089)
    if not pbx_host.is_installed(settings):
        pytest.fail(f"no Asterisk in the PBX root {settings.pbx_root}: "
                    "run `ccc pbx install` (the Makefile does) before these tests")
    yield settings
    pbx_host.stop(settings)
    shutil.rmtree(settings.site_dir, ignore_errors=True)


# cdr_custom declines to load without a mapping; the product's own is rendered
# from the database, this one only proves where the journal lands.
CDR_CUSTOM_CONF = """\
[mappings]
ccc.csv => ${CSV_QUOTE(${CDR(uniqueid)})},${CDR(start,u)},${CSV_QUOTE(${CDR(disposition)})}
"""


def write_configuration(settings: Settings) -> None:
    etc = create_site(settings) / "etc" / "asterisk"
    etc.mkdir(parents=True, exist_ok=True)
    files = {**static_files(settings), "pjsip.conf": PJSIP_CONF,
             "extensions.conf": EXTENSIONS_CONF, "queues.conf": "[general]\n",
             "cdr_custom.conf": CDR_CUSTOM_CONF}
    for name, text in files.items():
        (etc / name).write_text(text)


def errors_in_log(settings: Settings) -> list[str]:
    log = settings.site_dir / "log" / "messages.log"
    return [line for line in log.read_text().splitlines() if "ERROR[" in line]


def site_processes(settings: Settings) -> list[int]:
    """Pids of live processes whose command line names this site's asterisk.conf.

    A pid alone proves nothing: the kernel may hand it to another process as soon
    as Asterisk is gone.
    """
    conf = pbx_process.conf_in_pbx(settings).encode()
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and conf in (proc / "cmdline").read_bytes().split(b"\0"):
                found.append(int(proc.name))
        except OSError:
            continue  # gone meanwhile
    return [pid for pid in found if pbx_process.is_site_asterisk(settings, pid)]


def test_start_status_stop(site_settings):
    write_configuration(site_settings)
    began = time.monotonic()
    pid = pbx_host.start(site_settings)
    print(f"\nstart until AMI answered and fully booted: {time.monotonic() - began:.2f}s")

    assert pid is not None and pbx_process.running_pid(site_settings) == pid
    assert pbx_host.is_running(site_settings)
    assert pbx_host.start(site_settings) == pid  # already running: nothing happens

    status = pbx_host.status(site_settings)
    assert status["running"] and status["pid"] == pid
    assert status["version"].startswith("Asterisk 22"), status["version"]
    assert 0 <= status["uptime_seconds"] < 60
    assert status["active_channels"] == 0

    modules = ami_command(site_settings, "module show")
    for module in ESSENTIAL:
        assert re.search(rf"^{re.escape(module)}\s.*\sRunning\s", modules, re.MULTILINE), module
    # Every module of the list loads: a missing dependency would show as declined.
    # ("Not Running" has one space before "Running", the status column two or more.)
    lines = {line.split()[0]: line for line in modules.splitlines() if ".so " in line}
    assert [name for name in MODULES if not re.search(r"\s{2}Running\s", lines[f"{name}.so"])] == []
    transports = ami_command(site_settings, "pjsip show transports")
    assert "127.0.0.1:25061" in transports
    assert errors_in_log(site_settings) == []
    # The PBX looks its own host name up on every SIP call: inside its root the name
    # resolves from a file, never through DNS.
    if site_settings.pbx_root != Path("/"):
        found = subprocess.run(["chroot", str(site_settings.pbx_root), "getent", "ahosts",
                                os.uname().nodename], capture_output=True, text=True,
                               timeout=10, env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})
        assert found.returncode == 0 and found.stdout.startswith("127."), found
        hosts = (site_settings.pbx_root / "etc" / "hosts").read_text()
        assert os.uname().nodename in hosts.split()

    assert pbx_host.stop(site_settings) is True
    assert pbx_process.running_pid(site_settings) is None
    assert site_processes(site_settings) == []
    assert not pbx_host.is_running(site_settings)
    assert pbx_host.status(site_settings)["running"] is False
    assert pbx_host.stop(site_settings) is False  # idempotent


def test_a_call_is_recorded_and_reported_over_ami(site_settings):
    write_configuration(site_settings)
    pbx_host.start(site_settings)

    async def place_call() -> list[dict]:
        records: list[dict] = []
        client = AmiClient.for_site(site_settings, events="cdr")
        client.on_event("Cdr", records.append)
        async with client:
            # ccc's AMI account has no system or config rights: loading a module or
            # reading a configuration file is refused; the operator's CLI command (what
            # tests use) places the call.
            with pytest.raises(AmiActionFailed, match="Permission denied"):
                await client.action({"Action": "ModuleLoad", "Module": "app_system.so",
                                     "LoadType": "load"})
            with pytest.raises(AmiActionFailed, match="Permission denied"):
                await client.action({"Action": "GetConfig", "Filename": "manager.conf"})
            await client.command("channel originate Local/hello@lifecycle application Wait 1")
            for _ in range(100):
                if len(records) >= 2:
                    break
                await asyncio.sleep(0.1)
        return records

    records = asyncio.run(place_call())
    assert len(records) == 2, records  # the two halves of the Local channel
    assert {r["Disposition"] for r in records} == {"ANSWERED"}
    # the system name keeps unique ids of two sites apart
    assert all(r["UniqueID"].startswith(f"{site_settings.site}-") for r in records)
    # The journal's lines are written beside the AMI events, not before them: the
    # second may land a moment after the second event.
    def journal() -> list[str]:
        lines = site_settings.cdr_file.read_text().splitlines()
        return sorted(line.split(",")[0].strip('"') for line in lines)

    wait_for(lambda: len(journal()) >= len(records), "both journal lines", timeout=5)
    assert journal() == sorted(r["UniqueID"] for r in records)
    log = (site_settings.site_dir / "log" / "messages.log").read_text()
    assert "Playing 'demo-congrats" in log
    assert errors_in_log(site_settings) == []


def test_start_needs_a_configuration(site_settings):
    with pytest.raises(pbx_host.PbxError, match="render the site's configuration"):
        pbx_host.start(site_settings)


def test_start_refuses_a_taken_ami_port(site_settings):
    write_configuration(site_settings)
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", site_settings.ami_port))
        squatter.listen()
        with pytest.raises(pbx_host.PbxError, match="taken by another process"):
            pbx_host.start(site_settings, timeout=5)
    assert pbx_process.running_pid(site_settings) is None
