"""Integration fixtures: one real Asterisk for the session, a call center per database."""
from __future__ import annotations

import os
import shutil
from contextlib import nullcontext
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from engine.migrate import upgrade
from engine.settings import load_settings
from provisioning import pbx_host
from tests.conftest import postgres_database
from tests.integration.callcenter import PORT_OFFSET, CARRIER_HOST, CallCenter, environment
from tests.integration.private_postgres import PrivateCluster, stop_abandoned

# Wall seconds of each module in this run (its fixtures' set-up and tear-down count in
# its first and last tests): what tests/parallel.py's split into shards balances.
_MODULE_SECONDS: dict[str, float] = {}


def pytest_runtest_logreport(report) -> None:
    module = Path(report.nodeid.split("::")[0]).name
    _MODULE_SECONDS[module] = _MODULE_SECONDS.get(module, 0.0) + report.duration


def pytest_terminal_summary(terminalreporter) -> None:
    if _MODULE_SECONDS:
        terminalreporter.write_line("seconds per module: " + ", ".join(
            f"{module} {seconds:.0f}" for module, seconds in
            sorted(_MODULE_SECONDS.items(), key=lambda item: -item[1])))

ROOT = Path(__file__).resolve().parents[2]
# Runs with different port offsets may share a checkout: each keeps its own logs.
OUTPUT = ROOT / "test-output" / ("integration" + (f"-{PORT_OFFSET}" if PORT_OFFSET else ""))
SITE = f"it-{os.getpid()}"


def _stop_abandoned_sites(workdir: Path) -> None:
    """Stop the Asterisk of any earlier test run that died before its teardown.

    A killed run leaves its site's Asterisk holding the test ports; each test site is
    named after its pytest process, so a site whose process is gone is abandoned.
    """
    root = load_settings(environment(workdir, "sqlite://", SITE)).pbx_root
    sites = root / "var/lib/ccc/sites"
    for site_dir in sites.glob("it-*") if sites.is_dir() else []:
        # it-<pid>, or it-<pid>-<what> for a module's second site
        owner = site_dir.name.removeprefix("it-").split("-")[0]
        if owner.isdigit() and not Path(f"/proc/{owner}").exists():
            settings = load_settings(environment(workdir, "sqlite://", site_dir.name))
            pbx_host.stop(settings)
            shutil.rmtree(site_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def pbx_site(tmp_path_factory):
    """The PBX site of this test run; stopped and removed at the end, whatever happened."""
    workdir = tmp_path_factory.mktemp("pbx")
    _stop_abandoned_sites(workdir)
    settings = load_settings(environment(workdir, "sqlite://", SITE))
    assert pbx_host.is_installed(settings), (
        "no PBX installed: run `make pbx` (make test does) before the integration tests")
    yield SITE
    pbx_host.stop(settings)
    from provisioning import pbx_process
    assert pbx_process.running_pid(settings) is None, "Asterisk is still running after stop"
    logs = settings.site_dir / "log"
    if logs.exists():
        shutil.copytree(logs, OUTPUT / "asterisk-log", dirs_exist_ok=True)
    shutil.rmtree(settings.site_dir, ignore_errors=True)


def _provision(cc: CallCenter) -> dict:
    """The operator's steps: an account, a carrier, two instances, the PBX up."""
    cc.ccc("account", "create", "acme", "--plan", "payg")
    cc.ccc("trunk", "create", "--name", "carrier", "--host", CARRIER_HOST)
    sales = cc.ccc_json("instance", "create", "--account", "acme", "--name", "Sales",
                        "--domain", "sales.acme", "--number", "01012345678",
                        "--number-type", "landline", "--admin", "alice")
    hotline = cc.ccc_json("instance", "create", "--account", "acme", "--name", "Hotline",
                          "--domain", "hotline.acme", "--number", "4001234567",
                          "--number-type", "400", "--admin", "carol")
    cc.ccc("pbx", "start")
    cc.sign_out_everyone()  # nobody is signed in from an earlier module's run
    return {"sales": sales, "hotline": hotline}


@pytest.fixture(scope="module")
def private_postgres():
    """A PostgreSQL cluster of this run's own, which a test may stop and start again
    (tests/integration/private_postgres.py); stopped and deleted at the end of the
    module, whatever happened (its log is kept with the run's output)."""
    stop_abandoned()
    cluster = PrivateCluster(os.getpid())
    try:
        cluster.create()
        yield cluster
    finally:
        try:
            if cluster.log.exists():
                OUTPUT.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(cluster.log, OUTPUT / "private-postgres.log")
        finally:
            cluster.remove()


# The call center's database: "postgres" is the host's shared cluster; "private-postgres"
# (asked for by a test's parameter only) is the run's own cluster, which the test may stop.
@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def callcenter(request, pbx_site, tmp_path_factory):
    workdir = tmp_path_factory.mktemp(f"cc-{request.param}")
    output = OUTPUT / request.param
    shutil.rmtree(output, ignore_errors=True)
    output.mkdir(parents=True)
    if request.param == "sqlite":
        database = _sqlite(workdir)
    elif request.param == "private-postgres":
        database = nullcontext(request.getfixturevalue("private_postgres").url)
    else:
        database = postgres_database()
    with database as url:
        cc = CallCenter(environment(workdir, url, pbx_site), workdir, output)
        cc.database = request.param
        cc.tag = {"sqlite": "1", "postgres": "2", "private-postgres": "3"}[request.param]
        cc.instances = _provision(cc)
        cc.start_serve()
        try:
            yield cc
        finally:
            cc.stop_serve()
            cc.kill_sipps()


class _sqlite:
    def __init__(self, workdir: Path):
        self.url = f"sqlite:///{workdir / 'ccc.sqlite3'}"

    def __enter__(self) -> str:
        upgrade(self.url)
        return self.url

    def __exit__(self, *exc) -> None:
        pass


# Debian's Chromium, not Playwright's download; nothing may reach the network.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def fake_media_args(voice: Path | None = None) -> list[str]:
    """Chromium's arguments for a page with a microphone and no permission prompt: the
    microphone plays `voice` (a WAV file) or Chromium's own beeps, and audio plays
    without a click, as an agent's phone must ring on its own."""
    args = CHROMIUM_ARGS + ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                            "--autoplay-policy=no-user-gesture-required"]
    return args + ([f"--use-file-for-fake-audio-capture={voice}"] if voice else [])


# The browser's own RTCPeerConnections, kept for a test to read their counters (the real
# objects; the page uses them as usual), and the states the page's phone announced.
# Installed by the browser before any page script runs, so the page's CSP does not apply.
KEEP_PEER_CONNECTIONS = """
window.cccPeerConnections = [];
const Native = window.RTCPeerConnection;
window.RTCPeerConnection = class extends Native {
  constructor(...args) { super(...args); window.cccPeerConnections.push(this); }
};
document.addEventListener("ccc:phone", (event) => {
  (window.cccPhoneStates ??= []).push(event.detail.state);
});
"""
# The audio the page's newest peer connection received so far (null before it has one):
# its stream (ssrc), packets and energy.
AUDIO_COUNTERS = """async () => {
  const pc = window.cccPeerConnections.at(-1);
  if (!pc) return null;
  let figures = null;
  (await pc.getStats()).forEach((report) => {
    if (report.type === "inbound-rtp" && report.kind === "audio") {
      figures = { ssrc: report.ssrc, packets: report.packetsReceived,
                  energy: report.totalAudioEnergy ?? 0 };
    }
  });
  return figures;
}"""


def phone_page(browser, timeout_ms: int = 15_000):
    """A page in a browser context of its own (its own cookies and phone) that keeps its
    peer connections for AUDIO_COUNTERS: (context, page, the page's JavaScript errors)."""
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    context.add_init_script(KEEP_PEER_CONNECTIONS)
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return context, page, errors


@pytest.fixture(scope="module")
def microphone_voice() -> Path | None:
    """What phone_browser's fake microphone plays: Chromium's own beeps, unless a module
    gives a WAV file of speech by overriding this fixture."""
    return None


@pytest.fixture(scope="module")
def phone_browser(microphone_voice):
    """A headless Chromium whose pages have a fake microphone and no permission prompt,
    for a module's browser phones (see fake_media_args; module-scoped as ``browser``)."""
    assert CHROMIUM.exists(), "no Chromium: run `make host-packages` (make test does)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                             args=fake_media_args(microphone_voice))
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium for a module's browser tests. Not for the whole session:
    Playwright's sync API keeps an event loop running while it is open, and the other
    tests' own asyncio.run() calls must not find one."""
    assert CHROMIUM.exists(), "no Chromium: run `make host-packages` (make test does)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
