"""The visual IVR editor in a real browser: headless Chromium, driven by Playwright.

Configured: account acme, instance Sales (number 01012345678, administrator alice)
with skill groups group_a and group_b. Done in the browser, by clicks only: alice signs
in, opens Sales's flows, creates flow ``twobranch``, adds a menu and two transfers
from the palette, connects start -> menu, key 1 -> group_a, key 2 -> group_b,
saves a draft whose second transfer names no skill group (the problem shows on that
node), fixes it, publishes, simulates key 2, and binds the number to the flow.
Observed: the published document stored for the number. Screenshots go to
test-output/integration/screenshots/.

The second test does the same against a running call center and then places a SIPp
call pressing 2 on the real Asterisk: the agent of group_b gets it. The third uploads
audio in the browser (a refused non-WAV, then a WAV that plays and becomes a prompt).
"""
from __future__ import annotations

import json
import re
import time
import wave
from dataclasses import replace
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from engine.accounts.models import Role
from engine.accounts.service import find_or_create_user, get_account
from engine.instances.service import create_instance
from engine.ivr.service import published_version_for_number
from engine.numbers.models import Number
from serve import start_web
from engine.settings import load_settings
from engine.skillgroups.service import create_skill_group
from engine.uow import transaction
from tests.factories import add_account
from tests.integration.callcenter import local

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-output" / "integration" / "screenshots"
PASSWORD = "correct horse battery"
NUMBER = "01012345678"


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"JavaScript errors in the page: {errors}"


def serve_web(settings, port: int = 0):
    return start_web(replace(settings, web_bind="127.0.0.1", web_port=port))


@pytest.fixture
def web_admin(settings):
    with transaction(settings) as db:
        add_account(db, "acme")
        sales = create_instance(db, get_account(db, "acme"), "Sales", "sales.acme", NUMBER,
                                "landline",
                                admin_name="alice")
        for name in ("group_a", "group_b"):
            create_skill_group(db, sales.instance, name)
        find_or_create_user(db, get_account(db, "acme"), "alice", Role.INSTANCE_ADMIN,
                            password=PASSWORD)
    server = serve_web(settings)
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    # The editor's canvas scrolls inside the page: show its top left corner.
    page.evaluate("document.querySelector('.canvas-scroll')?.scrollTo(0, 0)")
    page.screenshot(path=SHOTS / f"{name}.png", full_page=True)


def add(page, module: str) -> None:
    page.get_by_role("button", name=f"Add {module}", exact=True).click()


def connect(page, node: str, outlet: str, target: str) -> None:
    """Click the outlet handle, then the target node's inlet: a line joins them."""
    page.get_by_role("button", name=f"Connect {node} {outlet}", exact=True).click()
    page.get_by_role("button", name=f"Connect to {target}", exact=True).click()
    expect(page.locator(f'#edges .edge[data-from="{node}"][data-when="{outlet}"]')).to_have_count(1)


def connect_by_dragging(page, node: str, outlet: str, target: str) -> None:
    """Press on the outlet handle, drag onto the target node, let go."""
    handle = page.get_by_role("button", name=f"Connect {node} {outlet}", exact=True)
    start = handle.bounding_box()
    end = page.locator(f"#node-{target} .node-select").bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(end["x"] + 30, end["y"] + 5, steps=8)
    page.mouse.up()
    expect(page.locator(f'#edges .edge[data-from="{node}"][data-when="{outlet}"]')).to_have_count(1)


def edit(page, node: str):
    page.get_by_role("button", name=f"Edit {node}", exact=True).click()
    return page.locator("#inspector-body")


def drag(page, node: str, dx: int, dy: int) -> None:
    head = page.locator(f"#node-{node} .node-head").bounding_box()
    x, y = head["x"] + 20, head["y"] + head["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx / 2, y + dy / 2, steps=4)
    page.mouse.move(x + dx, y + dy, steps=4)
    page.mouse.up()


def sign_in(page, base: str) -> None:
    page.goto(base + "/")
    page.get_by_label("Account").fill("acme")
    page.get_by_label("User").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("link", name="Sales", exact=True)).to_be_visible()


def open_tab(page, tab: str, instance: str = "Sales") -> None:
    """From anywhere: the overview, the instance, then its tab (IVR flows, Audio...)."""
    page.get_by_role("navigation", name="Account").get_by_role("link", name="Overview").click()
    page.get_by_role("link", name=instance, exact=True).click()
    page.get_by_role("navigation", name="Instance").get_by_role("link", name=tab).click()
    expect(page.locator('.tabs a[aria-current="page"]')).to_have_text(tab)


def build_and_publish(page, base: str, tag: str) -> None:
    """alice's clicks, from the sign-in page to the number bound to the new flow."""
    sign_in(page, base)
    open_tab(page, "IVR flows")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Sales")
    shot(page, f"flows-{tag}")

    page.get_by_label("Name").fill("twobranch")
    page.get_by_role("button", name="Create and edit").click()
    expect(page.locator("#node-start")).to_be_visible()
    add(page, "Menu")
    inspector = edit(page, "menu1")
    inspector.get_by_label("Audio", exact=True).check()
    inspector.locator("select[name=prompt]").select_option("welcome")
    for key in ("1", "2"):  # one outlet handle per key
        inspector.get_by_label("Key", exact=True).select_option(key)
        inspector.get_by_role("button", name="Add key").click()
    add(page, "Transfer to skill group")
    edit(page, "queue1").locator("select[name=skill_group]").select_option("group_a")
    add(page, "Transfer to skill group")  # queue2: its skill group is left unset
    drag(page, "queue2", 260, -200)       # beside queue1 rather than under it
    connect(page, "start", "next", "menu1")
    connect(page, "menu1", "1", "queue1")
    connect_by_dragging(page, "menu1", "2", "queue2")

    page.locator("#save-draft").click()
    expect(page.locator("#status")).to_contain_text("Draft saved, with 1 problem")
    expect(page.locator("#node-queue2")).to_have_class(re.compile(r"\bhas-problem\b"))
    expect(page.locator("#node-queue2 .node-problems")).to_contain_text("skill group")
    expect(page.locator("#problems")).to_contain_text("queue2")
    for other in ("start", "menu1", "queue1"):
        expect(page.locator(f"#node-{other}")).not_to_have_class(re.compile(r"has-problem"))
    shot(page, f"editor-problem-{tag}")

    page.locator("#publish").click()  # refused while the problem is there
    expect(page.locator("#status")).to_contain_text("Not published")
    page.locator("#problems").get_by_role("button", name="queue2").click()
    # In the form too, under the field it is about.
    expect(page.locator('#inspector-body [data-field="skill_group"] .field-error')).to_contain_text(
        "skill_group")
    page.locator("#inspector-body select[name=skill_group]").select_option("group_b")
    page.locator("#publish").click()
    expect(page.locator("#status")).to_have_text("Published version 1.")
    expect(page.locator("#node-queue2")).not_to_have_class(re.compile(r"has-problem"))

    page.locator("#simulate-digits").fill("2")
    page.locator("#simulate-run").click()
    expect(page.locator("#simulate-path")).to_contain_text("queue2")
    expect(page.locator("#simulate-actions")).to_contain_text("group_b")
    expect(page.locator("#node-queue2")).to_have_class(re.compile(r"\bon-path\b"))
    shot(page, f"editor-published-{tag}")

    page.locator("#versions-link").click()
    expect(page.locator("#versions")).to_contain_text("live")
    page.get_by_role("link", name="View", exact=True).click()
    expect(page.locator("#version-document")).to_contain_text('"skill_group": "group_b"')
    shot(page, f"version-{tag}")

    open_tab(page, "IVR flows")
    page.locator("#bind-number").select_option(label=f"{NUMBER} (landline)")
    page.locator("#bind-flow").select_option(label="twobranch")
    page.locator("#bind-submit").click()
    expect(page.get_by_role("status")).to_have_text(
        f"{NUMBER} now runs flow twobranch from its next call.")
    expect(page.locator('#flows tr[data-flow="twobranch"]')).to_contain_text(NUMBER)
    shot(page, f"flows-bound-{tag}")


def stored_document(settings) -> dict:
    with transaction(settings) as db:
        number = db.scalar(select(Number).where(Number.digits == NUMBER))
        return json.loads(published_version_for_number(db, number).definition)


def assert_two_branches(document: dict) -> None:
    nodes = {n["id"]: n for n in document["nodes"]}
    assert {n: nodes[n]["type"] for n in nodes} == {
        "start": "start", "menu1": "menu", "queue1": "transfer_skill_group",
        "queue2": "transfer_skill_group"}
    assert nodes["menu1"]["prompt"] == "welcome"
    assert nodes["queue1"]["skill_group"] == "group_a"
    assert nodes["queue2"]["skill_group"] == "group_b"
    assert nodes["queue2"]["x"] > nodes["queue1"]["x"]  # where it was dragged to
    edges = {(e["from"], e.get("when", "next"), e["to"]) for e in document["edges"]}
    assert edges == {("start", "next", "menu1"), ("menu1", "1", "queue1"),
                     ("menu1", "2", "queue2")}


def test_build_publish_and_bind_a_two_branch_flow(page, web_admin, settings):
    tag = "sqlite" if settings.database_url.startswith("sqlite") else "postgres"
    build_and_publish(page, web_admin, tag)
    assert_two_branches(stored_document(settings))


# ---- the same flow, built in the browser, on the real PBX ---------------------------------
BOB_PHONE = local("127.0.0.7", 5120)   # group_a
DAVE_PHONE = local("127.0.0.8", 5130)  # group_b


def test_a_caller_pressing_2_reaches_the_agent_of_group_b(page, callcenter):
    """Configured with the real ``ccc``: group_a (bob), group_b (dave). alice builds and
    binds the flow in the browser (the web admin served beside ``ccc serve --no-web``);
    a SIPp caller presses 2: dave answers, bob never rings."""
    settings = load_settings(callcenter.env)
    for group in ("group_a", "group_b"):
        callcenter.ccc("skillgroup", "create", "--instance", "sales.acme", "--name", group)
    agents = {name: callcenter.ccc_json("agent", "create", "--instance", "sales.acme",
                                        "--name", name, "--extension", extension,
                                        "--skill-group", group)
              for name, extension, group in (("bob", "1012", "group_a"),
                                             ("dave", "1013", "group_b"))}
    with transaction(settings) as db:
        find_or_create_user(db, get_account(db, "acme"), "alice", Role.INSTANCE_ADMIN,
                            password=PASSWORD)
    server = serve_web(settings, settings.web_port)
    try:
        build_and_publish(page, f"http://127.0.0.1:{settings.web_port}", f"pbx-{callcenter.tag}")
    finally:
        server.shutdown()
        server.server_close()
    assert_two_branches(stored_document(settings))

    callcenter.register(agents["bob"], BOB_PHONE)
    callcenter.register(agents["dave"], DAVE_PHONE)
    dave = callcenter.answering_agent(DAVE_PHONE)
    bob = callcenter.answering_agent(BOB_PHONE)
    caller = "1370000002" + callcenter.tag
    call = callcenter.ivr_caller(NUMBER, caller, [("pause", 1500), ("keys", "2"),
                                                  ("pause", 3000)], name="web-flow-caller")
    call.assert_success()
    dave.assert_success()
    time.sleep(0.5)
    assert bob.process.poll() is None, "bob (group_a) got a call meant for group_b"
    bob.stop()
    assert bob.requests("INVITE") == []
    record = callcenter.wait_for_record(lambda r: r["caller"] == caller, 20)
    assert record["agent"] == "1013" and record["disposition"] == "answered"


def test_audio_upload_play_and_use_as_a_prompt(page, web_admin, settings, tmp_path):
    """A non-WAV upload is refused at its field; a WAV is listed, plays in the page,
    and is offered as a prompt in the editor."""
    tag = "sqlite" if settings.database_url.startswith("sqlite") else "postgres"
    song = tmp_path / "song.wav"
    song.write_bytes(b"ID3\x03 an mp3 renamed .wav " * 10)
    greeting = tmp_path / "Greeting.wav"
    with wave.open(str(greeting), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x08" * 4000)
    sign_in(page, web_admin)
    open_tab(page, "Audio")

    page.locator("#audio-file").set_input_files(str(song))
    page.locator("#audio-name").fill("song")
    page.locator("#upload").click()
    expect(page.locator("#file-error")).to_contain_text("not a WAV file")
    expect(page.locator("#audio-name")).to_have_value("song")
    shot(page, f"audio-refused-{tag}")

    page.locator("#audio-file").set_input_files(str(greeting))
    page.locator("#audio-name").fill("")
    page.locator("#upload").click()
    expect(page.get_by_role("status")).to_have_text("Audio greeting uploaded.")
    player = page.get_by_label("Play greeting")
    expect(player).to_be_visible()
    # The player's source answers as a WAV, the same bytes as uploaded.
    response = page.request.get(web_admin + player.get_attribute("src"))
    assert response.headers["content-type"] == "audio/wav"
    assert response.body() == greeting.read_bytes()
    duration = player.evaluate("a => new Promise(done => { a.onloadedmetadata = () => "
                               "done(a.duration); a.load(); })")
    assert 0.4 < duration < 0.6  # the browser decoded it: 4000 frames at 8 kHz
    shot(page, f"audio-{tag}")

    open_tab(page, "IVR flows")
    page.get_by_role("link", name="welcome").click()
    edit(page, "welcome")
    library = page.locator("#inspector-body optgroup[label='Audio library'] option")
    expect(library).to_have_text(["greeting"])


def test_the_editor_by_keyboard_renaming_and_deleting(page, web_admin):
    """Connect with Enter alone, move a box with the arrow keys, rename a node (a bad id
    is refused at its field), delete a connection and a node."""
    sign_in(page, web_admin)
    open_tab(page, "IVR flows")
    page.get_by_label("Name").fill("keyboard")
    page.get_by_role("button", name="Create and edit").click()
    add(page, "Play audio")
    page.get_by_role("button", name="Connect start next", exact=True).focus()
    page.keyboard.press("Enter")
    expect(page.locator("#status")).to_contain_text("Esc cancels")
    page.keyboard.press("Escape")  # changed my mind
    expect(page.locator("#canvas")).not_to_have_class(re.compile("connecting"))
    page.get_by_role("button", name="Connect start next", exact=True).focus()
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Connect to play1", exact=True).focus()
    page.keyboard.press("Enter")
    expect(page.locator('#edges .edge[data-from="start"][data-to="play1"]')).to_have_count(1)

    document = page.evaluate("ivrEditor.document()")
    before = next(n for n in document["nodes"] if n["id"] == "play1")
    page.get_by_role("button", name="Edit play1", exact=True).focus()
    for key in ("ArrowRight", "ArrowRight", "ArrowDown"):
        page.keyboard.press(key)
    after = next(n for n in page.evaluate("ivrEditor.document()")["nodes"] if n["id"] == "play1")
    assert (after["x"], after["y"]) == (before["x"] + 20, before["y"] + 10)

    edit(page, "play1")
    page.locator("#node-id").fill("9 lives")
    page.locator("#node-id").press("Tab")
    expect(page.locator("#inspector-body .field-error")).to_contain_text("A letter, then")
    expect(page.locator("#node-id")).to_have_value("9 lives")  # kept as typed
    page.locator("#node-id").fill("hello")
    page.locator("#node-id").press("Tab")
    expect(page.locator("#node-hello")).to_be_visible()
    expect(page.locator('#edges .edge[data-from="start"][data-to="hello"]')).to_have_count(1)

    page.locator('#edges .edge[data-to="hello"] .edge-hit').click()
    page.locator("#delete-edge").click()
    expect(page.locator("#edges .edge")).to_have_count(0)
    page.get_by_role("button", name="Edit hello", exact=True).focus()
    page.keyboard.press("Delete")
    expect(page.locator("#node-hello")).to_have_count(0)
    assert page.evaluate("ivrEditor.document()")["edges"] == []
