"""A PBX host in production: `ccc install` writes three systemd units, and the very
commands they run serve calls and pages over TLS, each as the units' user.

This host runs no systemd as PID 1, so the test reads the installed units and starts
what they say the way systemd would: ExecStartPre then ExecStart, as User= (an
ExecStart marked "+" as root), with the EnvironmentFile's settings, in
WorkingDirectory. The services run from a Python environment built from this checkout
with the system's python3 (what `make install` does on a Debian host), so that the
unprivileged user can run them.

Configured: TLS on with a self-signed certificate generated at install, the site's
PBX (the run's own test site, its Asterisk restarted by the unit's command), account
acme with instance Sales (alice 1001) and an owner who signs in to the web admin.
Observed: the units pass `systemd-analyze verify`; Asterisk, `ccc serve` and gunicorn
run as the service user; a carrier call reaches alice's SIP phone; the web admin
answers over HTTPS with HSTS and a secure cookie, and Chromium, trusting the generated
certificate (added to its NSS store, not ignored), signs in; SIP over TLS answers with
the same certificate; a SIP scanner (sipvicious) finds no extension and no password,
and its address is banned.
"""
from __future__ import annotations

import fcntl
import hashlib
import http.client
import json
import os
import pwd
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from engine.ami.client import ami_ping
from engine.settings import load_settings
from provisioning import pbx_host
from tests.conftest import postgres_database
from tests.integration.callcenter import (CARRIER_HOST, PORT_OFFSET, CallCenter,
                                          environment, local, wait_for)
from tests.integration.conftest import (AUDIO_COUNTERS, CHROMIUM, CHROMIUM_ARGS, OUTPUT,
                                       fake_media_args, phone_page)

ROOT = Path(__file__).resolve().parents[2]
USER = "ccc"
ALICE_PHONE = local("127.0.0.3", 5081)
SCANNER = "127.0.0.68"
SALES_NUMBER = "01012345678"
OWNER_PASSWORD = "production sign-in 42"


@pytest.fixture(scope="module")
def scratch():
    """A directory the service user can reach (pytest's own are private to root)."""
    path = Path(tempfile.mkdtemp(prefix="ccc-production-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def venv():
    """This checkout installed (editable) with the system's python3, as `make install`
    does on a Debian host. Built once per checkout and set of requirements, and kept in
    /var/tmp: the next run reuses it."""
    key = hashlib.sha256(str(ROOT).encode() + (ROOT / "setup.cfg").read_bytes()).hexdigest()
    path = Path("/var/tmp") / f"ccc-service-venv-{key[:16]}"
    with open(Path("/var/tmp") / f".ccc-service-venv-{key[:16]}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (path / ".installed").exists():
            shutil.rmtree(path, ignore_errors=True)
            subprocess.run(["/usr/bin/python3", "-m", "venv", str(path)], check=True,
                           timeout=120)
            subprocess.run([str(path / "bin/pip"), "install", "-q", "-e", str(ROOT)],
                           check=True, timeout=600, capture_output=True)
            (path / ".installed").touch()
    path.chmod(0o755)
    return path


# -- the units, started as systemd would ---------------------------------------------

@dataclass
class Unit:
    path: Path
    options: dict[str, list[str]]

    @classmethod
    def read(cls, path: Path) -> "Unit":
        options: dict[str, list[str]] = {}
        for line in path.read_text().splitlines():
            if "=" in line and not line.startswith(("#", "[")):
                name, _, value = line.partition("=")
                options.setdefault(name, []).append(value)
        return cls(path, options)

    def one(self, name: str) -> str:
        return self.options[name][-1]


@dataclass
class Services:
    units: dict[str, Unit]
    env: dict[str, str]          # the EnvironmentFile's settings
    output: Path
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def command(self, unit: Unit, line: str) -> tuple[list[str], bool]:
        privileged = line.startswith("+")
        return line.lstrip("+").split(), privileged

    def environment(self, unit: Unit) -> dict[str, str]:
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", **self.env}
        for item in unit.options.get("Environment", []):
            name, _, value = item.partition("=")
            env[name] = value
        return env

    def argv(self, unit: Unit, line: str) -> list[str]:
        """The command line as systemd runs it: as User= unless marked "+"."""
        argv, privileged = self.command(unit, line)
        pairs = [f"{k}={v}" for k, v in self.environment(unit).items()]
        if privileged:
            return ["env", "-i", *pairs, *argv]
        return ["runuser", "-u", unit.one("User"), "--", "env", "-i", *pairs, *argv]

    def start(self, name: str) -> subprocess.Popen:
        unit = self.units[name]
        cwd = unit.one("WorkingDirectory")
        log = open(self.output / f"{name}.log", "a")
        for line in unit.options.get("ExecStartPre", []):
            subprocess.run(self.argv(unit, line), cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                           check=True, timeout=180)
        process = subprocess.Popen(self.argv(unit, unit.one("ExecStart")), cwd=cwd,
                                   stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        self.processes[name] = process
        return process

    def stop_all(self) -> None:
        for process in reversed(list(self.processes.values())):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def uids_of(program: str, session_leader: int) -> set[int]:
    """The real uids of the processes of that session (a unit's main process and its
    children) whose command line mentions ``program``."""
    found = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text().rpartition(")")[2].split()
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            status = (proc / "status").read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue
        # runuser stays as root beside the command it started, its arguments the same.
        if int(stat[3]) == session_leader and program in cmdline \
                and not cmdline.startswith(("runuser ", "env ")):
            found.add(int(re.search(r"^Uid:\s+(\d+)", status, re.M).group(1)))
    return found


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


# -- the host --------------------------------------------------------------------------

@dataclass
class ServiceUserCallCenter(CallCenter):
    """The operator's `ccc` commands run as the service user, with the services'
    settings (what the README tells operators to do on a production host)."""

    services: Services | None = None
    ccc_bin: Path | None = None

    def ccc(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        pairs = [f"{k}={v}" for k, v in self.services.env.items()]
        argv = ["runuser", "-u", USER, "--", "env", "-i", "PATH=/usr/bin:/bin", *pairs,
                str(self.ccc_bin), *args]
        result = subprocess.run(argv, cwd=self.services.env["CCC_VAR_DIR"],
                                capture_output=True, text=True, timeout=120)
        if check and result.returncode != 0:
            raise AssertionError(f"ccc {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
        return result


def _grant_service_user(url: str) -> str:
    """The PostgreSQL role of the service user, allowed into this test database; the URL
    it connects with (over the local socket, as itself)."""
    name = make_url(url).database
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as db:
        if db.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": USER}) is None:
            db.execute(text(f'CREATE ROLE "{USER}" LOGIN'))
        for grant in ("ALL ON ALL TABLES IN SCHEMA public", "ALL ON ALL SEQUENCES IN SCHEMA public",
                      "USAGE, CREATE ON SCHEMA public"):
            db.execute(text(f'GRANT {grant} TO "{USER}"'))
    admin.dispose()
    # The same server's socket (the run's own cluster under make test, else the host's).
    socket_dir = make_url(url).query.get("host", "/var/run/postgresql")
    return f"postgresql+psycopg://{USER}@/{name}?host={socket_dir}"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def host(request, pbx_site, scratch, venv):
    workdir = scratch / request.param
    workdir.mkdir()
    output = OUTPUT / "production" / request.param
    shutil.rmtree(output, ignore_errors=True)
    output.mkdir(parents=True)
    with (postgres_database() if request.param == "postgres" else _nothing()) as root_url:
        service_url = (_grant_service_user(root_url) if root_url
                       else f"sqlite:///{workdir / 'var' / 'ccc.sqlite3'}")
        env = environment(workdir, service_url, pbx_site)
        env.update(CCC_TLS="on", CCC_SIP_TLS_PORT=str(25161 + PORT_OFFSET),
                   CCC_PBX_HTTPS_PORT=str(28189 + PORT_OFFSET), CCC_WEB_BIND="127.0.0.1",
                   CCC_BAN_AFTER="10", CCC_BAN_WITHIN="120", CCC_BAN_SECONDS="600",
                   CCC_LOG_LEVEL="INFO")
        # The run's shared site: its Asterisk (started by `ccc pbx start` for the modules
        # before) gives way to the one the unit starts.
        pbx_host.stop(load_settings(env))
        installed = subprocess.run(
            [str(venv / "bin/ccc"), "install", "--env-file", str(workdir / "ccc.env"),
             "--systemd-dir", str(workdir / "units")],
            env=env, cwd=workdir, capture_output=True, text=True, timeout=300)
        (output / "install.log").write_text(installed.stdout + installed.stderr)
        assert installed.returncode == 0, installed.stdout + installed.stderr
        from provisioning.services import read_env_file
        units = {name: Unit.read(workdir / "units" / f"{name}.service")
                 for name in ("ccc-pbx", "ccc-serve", "ccc-web")}
        services = Services(units, read_env_file(workdir / "ccc.env"), output)
        settings = load_settings(services.env)
        cc = ServiceUserCallCenter(dict(env, CCC_DATABASE_URL=root_url or service_url),
                                   workdir, output, services=services,
                                   ccc_bin=venv / "bin/ccc")
        cc.tag = {"sqlite": "1", "postgres": "2"}[request.param]
        cc.installed = installed
        cc.settings = settings
        try:
            services.start("ccc-pbx")
            wait_for(lambda: ami_ping(settings), "the PBX to answer AMI", 60)
            services.start("ccc-serve")
            wait_for(lambda: port_open(settings.agi_port), "ccc serve's FastAGI port", 60)
            services.start("ccc-web")
            wait_for(lambda: port_open(settings.web_port), "gunicorn's port", 60)
            cc.ccc("account", "create", "acme", "--plan", "payg")
            cc.ccc("trunk", "create", "--name", "carrier", "--host", CARRIER_HOST)
            sales = cc.ccc_json("instance", "create", "--account", "acme", "--name", "Sales",
                                "--domain", "sales.acme", "--number", SALES_NUMBER,
                                "--number-type", "landline", "--admin", "alice")
            cc.ccc("user", "create", "--account", "acme", "--name", "olga", "--role", "owner",
                   "--password", OWNER_PASSWORD)
            cc.instances = {"sales": sales}
            cc.sign_out_everyone()
            yield cc
        finally:
            cc.kill_sipps()
            services.stop_all()
            pbx_host.stop(settings)


class _nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def test_the_units_verify_and_run_as_the_service_user(host):
    services = host.services
    paths = [unit.path for unit in services.units.values()]
    verified = subprocess.run(["systemd-analyze", "verify", *map(str, paths)],
                              capture_output=True, text=True, timeout=120)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "generated a self-signed certificate" in host.installed.stderr
    pbx, serve, web = (services.units[n] for n in ("ccc-pbx", "ccc-serve", "ccc-web"))
    for unit in (pbx, serve, web):
        assert unit.one("User") == USER
        assert unit.one("EnvironmentFile") == str(host.workdir / "ccc.env")
    assert serve.one("ExecStart").endswith("ccc serve --no-web")
    assert "gunicorn" in web.one("ExecStart") and "webadmin:create_app()" in web.one("ExecStart")
    service_uid = pwd.getpwnam(USER).pw_uid
    # Asterisk itself, started through chroot by root, runs as the service user.
    assert uids_of("/usr/sbin/asterisk", services.processes["ccc-pbx"].pid) == {service_uid}
    assert uids_of("ccc serve", services.processes["ccc-serve"].pid) == {service_uid}
    assert uids_of("gunicorn", services.processes["ccc-web"].pid) == {service_uid}


def test_a_carrier_call_reaches_an_agent_through_the_services(host):
    alice = host.instances["sales"]["admin_agent"]
    host.register(alice, ALICE_PHONE)
    agent = host.answering_agent(ALICE_PHONE)
    caller = host.carrier_calls(SALES_NUMBER, "1380013811" + host.tag, talk_ms=9000)
    caller.assert_success(60)
    agent.assert_success(60)
    # With TLS on, the PBX offers the phone SRTP keys; this phone (SIPp) answers with
    # plain RTP, and the call goes on without encryption.
    assert len(agent.requests("INVITE")) == 1
    assert re.search(r"^a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:", agent.log(), re.M)
    record = host.wait_for_record(lambda r: r["caller"] == "1380013811" + host.tag, 30)
    assert record["agent"] == alice["extension"] and record["disposition"] == "answered"


# What the database changes is checked on both (the services run as their user on
# each); the TLS, browser and scanner paths are the PBX's and the web server's, and one
# database (SQLite) is enough for them, as for the other browser softphone tests.
ONE_DATABASE = pytest.mark.parametrize("host", ["sqlite"], indirect=True)


def _certificate(host) -> Path:
    return host.settings.tls_dir / "cert.pem"


def test_the_web_admin_answers_over_https_with_hsts_and_a_secure_cookie(host):
    context = ssl.create_default_context(cafile=str(_certificate(host)))
    url = f"https://127.0.0.1:{host.settings.web_port}/sign-in"
    with urllib.request.urlopen(url, context=context, timeout=30) as answer:
        assert answer.status == 200
        assert "max-age=" in answer.headers["Strict-Transport-Security"]
        cookie = answer.headers["Set-Cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie
        assert b"Sign in" in answer.read()
    # Nothing answers in clear on the web port.
    with pytest.raises((OSError, http.client.HTTPException)):
        urllib.request.urlopen(url.replace("https:", "http:"), timeout=10).read()


@ONE_DATABASE
def test_sip_over_tls_answers_with_the_same_certificate(host):
    context = ssl.create_default_context(cafile=str(_certificate(host)))
    port = host.settings.sip_tls_port
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, \
            context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
        local_port = tls.getsockname()[1]
        tls.sendall((f"OPTIONS sip:127.0.0.1:{port};transport=tls SIP/2.0\r\n"
                     f"Via: SIP/2.0/TLS 127.0.0.1:{local_port};branch=z9hG4bK-prod1\r\n"
                     "Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=p1\r\n"
                     f"To: <sip:127.0.0.1:{port}>\r\nCall-ID: production-tls-probe\r\n"
                     "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").encode())
        answer = tls.recv(4096).decode(errors="replace")
    assert re.match(r"SIP/2\.0 (200|401|404) ", answer), answer


def _trusting_home(host, scratch: Path) -> Path:
    """A HOME whose NSS store (where Chromium on Linux reads trust) trusts the site's
    certificate as a server's."""
    home = scratch / f"home-{host.tag}"
    nssdb = home / ".pki" / "nssdb"
    if (nssdb / "cert9.db").exists():
        return home
    nssdb.mkdir(parents=True, exist_ok=True)
    subprocess.run(["certutil", "-N", "-d", f"sql:{nssdb}", "--empty-password"], check=True,
                   timeout=60, capture_output=True)
    subprocess.run(["certutil", "-A", "-d", f"sql:{nssdb}", "-n", "ccc-site", "-t", "P,,",
                    "-i", str(_certificate(host))], check=True, timeout=60,
                   capture_output=True)
    return home


@ONE_DATABASE
def test_chromium_signs_in_over_https_trusting_the_generated_certificate(host, scratch):
    home = _trusting_home(host, scratch)
    base = f"https://127.0.0.1:{host.settings.web_port}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                             env={**os.environ, "HOME": str(home)})
        try:
            page = browser.new_page()
            page.set_default_timeout(15_000)
            answer = page.goto(base + "/")
            assert answer.url.startswith(base)
            expect(page).to_have_url(re.compile(r"/sign-in$"))
            details = answer.security_details()
            assert details and details.get("protocol", "").startswith("TLS")
            assert page.evaluate("window.isSecureContext") is True
            page.get_by_label("Account").fill("acme")
            page.get_by_label("User").fill("olga")
            page.get_by_label("Password").fill(OWNER_PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page).to_have_url(base + "/")
            expect(page.get_by_role("heading", level=1)).to_contain_text("Account acme")
            cookies = page.context.cookies(base)
            assert cookies and all(c["secure"] for c in cookies)
            page.screenshot(path=host.output / "https-overview.png", full_page=True)
        finally:
            browser.close()


# Debian's sipvicious 0.3.3 reads --bindingip but never hands it to the scanner, so its
# socket would take the PBX's own loopback address; this wrapper binds it to the
# scanner's address instead and then runs the tool unchanged.
SHIM = ("import os, runpy, socket, sys\n"
        "bind = socket.socket.bind\n"
        "def bound(self, address):\n"
        "    if isinstance(address, tuple) and address[0] in ('', '0.0.0.0'):\n"
        f"        address = ({SCANNER!r}, address[1])\n"
        "    return bind(self, address)\n"
        "socket.socket.bind = bound\n"
        "sys.argv = sys.argv[1:]\n"
        "sys.path.insert(0, os.path.dirname(sys.argv[0]))\n"
        "runpy.run_path(sys.argv[0], run_name='__main__')\n")


def _sipvicious(host, tool: str, *args: str) -> subprocess.Popen:
    """One of sipvicious's tools, from the scanner's own address; its output in a log."""
    script = os.path.realpath(shutil.which(tool))
    path = host.output / f"{tool}-{time.monotonic_ns()}.log"
    with open(path, "w") as log:
        process = subprocess.Popen(["/usr/bin/python3", "-c", SHIM, script, *args],
                                   stdout=log, stderr=subprocess.STDOUT,
                                   env={**os.environ, "HOME": str(host.workdir)})
    process.log_path = path
    return process


def _finished(process: subprocess.Popen, timeout: float) -> str:
    process.wait(timeout)
    return process.log_path.read_text(errors="replace")


@ONE_DATABASE
def test_a_sip_scanner_finds_nothing_and_is_banned(host):
    port = str(host.settings.sip_port)
    alice = host.instances["sales"]["admin_agent"]
    # Extensions 1000-1030 (alice's 1001 among them): every name is challenged alike, so
    # the scan tells none from the others. Challenges alone are no failed sign-ins.
    found = _finished(_sipvicious(host, "svwar", "--force", "-p", port,
                                  "-P", str(25890 + PORT_OFFSET), "-e", "1000-1030",
                                  "-m", "REGISTER", "127.0.0.1"), 120)
    assert "found nothing" in found and "1001" not in found.split("found nothing")[1], found
    # Eight guesses at alice's password: all wrong, and under the ban's threshold.
    cracked = _finished(_sipvicious(host, "svcrack", "-p", port, "-P", str(25892 + PORT_OFFSET),
                                    "-u", alice["sip_username"], "-r", "100000-100007",
                                    "127.0.0.1"), 120)
    assert "found nothing" in cracked and "The password for" not in cracked, cracked
    # More guesses: the address is banned on the way (the scanner then only hears 403
    # and keeps sending, so it is stopped here).
    guesser = _sipvicious(host, "svcrack", "-p", port, "-P", str(25894 + PORT_OFFSET),
                          "-u", alice["sip_username"], "-r", "100008-100060", "127.0.0.1")

    def banned():
        rows = json.loads(host.ccc("security", "bans", "--json").stdout)
        return [row for row in rows if row["address"] == SCANNER]
    try:
        ban = wait_for(banned, "the scanner's ban", 60)
    finally:
        guesser.kill()
    assert ban[0]["failures"] >= 10
    assert "The password for" not in _finished(guesser, 30)
    # The PBX now refuses the scanner's address whatever it sends, the right password too.
    attempt = host.sipp("register-attempt", "register_attempt.xml", (SCANNER, 25896 + PORT_OFFSET),
                        alice["sip_username"], "-au", alice["sip_username"],
                        "-ap", alice["sip_password"], "-timeout", "30s")
    attempt.assert_success(40)
    assert re.findall(r"^SIP/2\.0 (\d{3}) ", attempt.log(), re.M) == ["403"]
    host.ccc("security", "unban", SCANNER)


# -- a browser softphone over WSS ------------------------------------------------------

WORKBENCH_PASSWORD = "alice at work 42"
BOB_CALLS_FROM = local("127.0.0.5", 5082)


@ONE_DATABASE
def test_a_browser_agent_over_wss_takes_a_call_with_audio_both_ways(host, scratch):
    """Alice's workbench, over HTTPS, signs its softphone in over the PBX's secure
    WebSocket; bob's SIP phone calls her extension and echoes what it hears: audio energy
    arriving in the page has been to bob and back."""
    cc = host
    alice = cc.instances["sales"]["admin_agent"]
    cc.ccc("agent", "password", "--instance", "sales.acme", "--extension", alice["extension"],
           "--password", WORKBENCH_PASSWORD)
    bob = cc.ccc_json("agent", "create", "--instance", "sales.acme", "--name", "bob")
    cc.register(bob, local("127.0.0.5", 5083), ready=False)
    voice = scratch / "voice.wav"
    subprocess.run(["espeak-ng", "-w", str(voice), "Hello, this is the secure softphone test. "
                    "One two three four five six seven."], check=True, capture_output=True)
    home = _trusting_home(host, scratch)
    base = f"https://127.0.0.1:{cc.settings.web_port}"
    args = fake_media_args(voice)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=args,
                                             env={**os.environ, "HOME": str(home)})
        try:
            context, page, _ = phone_page(browser, 20_000)
            sockets = []
            page.on("websocket", lambda ws: sockets.append(ws.url))
            page.goto(f"{base}/w/sales.acme/signin")
            page.get_by_label("Extension").fill(alice["extension"])
            page.get_by_label("Password").fill(WORKBENCH_PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page).to_have_url(re.compile(r"/w/sales\.acme/?$"))
            panel = page.locator("#phone")
            expect(panel).to_have_attribute("data-state", "registered")
            assert sockets == [f"wss://127.0.0.1:{cc.settings.pbx_https_port}/ws"], sockets

            caller = cc.sipp("bob-calls-alice", "call_until_bye.xml", BOB_CALLS_FROM,
                             alice["extension"], "-key", "caller", bob["sip_username"],
                             "-au", bob["sip_username"], "-ap", bob["sip_password"],
                             "-rtp_echo")
            expect(panel.locator(".phone-incoming")).to_be_visible()
            panel.get_by_role("button", name="Answer").click()
            expect(panel).to_have_attribute("data-state", "talking")
            first = wait_for(lambda: page.evaluate(AUDIO_COUNTERS), "audio counters", 20)
            deadline = time.monotonic() + 20
            second = first
            while time.monotonic() < deadline and not (
                    second["packets"] > first["packets"] + 50
                    and second["energy"] > first["energy"]):
                time.sleep(0.5)
                second = page.evaluate(AUDIO_COUNTERS)
            assert second["packets"] > first["packets"] + 50, (first, second)
            assert second["energy"] > first["energy"], (first, second)
            page.screenshot(path=cc.output / "wss-talking.png", full_page=True)
            panel.get_by_role("button", name="Hang up").click()
            expect(panel).to_have_attribute("data-state", "idle")
            caller.assert_success(20)
        finally:
            browser.close()
