"""Test data and helpers shared by the web admin and API tests.

Configured: account acme (owner olivia; Sales with administrator alice and agent bob,
skill groups default and vip; Hotline on a 400 number with administrator carol; users
andy (agent), rita (reviewer), sam (supplier)), and account globex (owner mallory;
Support with its own agent, group and number); the supply side: suppliers unicom
(staff sid) and telecom (staff tess), reviewer rhea (platform users, of no account),
acme's approved qualification (for unicom) with a submitted application to unicom, and
globex's submitted qualification with an application approved and sent to unicom;
each account has one usage export (of
EXPORT_MONTH, empty), its instance's published ``welcome`` flow (acme's at version 1,
globex's at version 2) and one audio file (acme-hello in Sales, globex-hello in
Support), and a 400 number bought from the pool (acme 4008001001, globex 4008001002).
Every user's password is PASSWORD; olivia, alice, andy and mallory have API
tokens, and so do rhea and sid. The PBX is "not running": its AMI
port is one nobody listens on, so a change is written but not reloaded.
"""
from __future__ import annotations

import io
import re
import socket
import struct
import time
import wave
import zlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from engine.accounts.models import ApiToken, Role, User
from engine.accounts.platform import create_platform_token
from engine.accounts.service import find_or_create_user, get_account
from engine.agents.dedicated import tie
from engine.agents.service import create_agent
from engine.agentstate.breakcodes import add_break_code
from engine.audio.service import upload
from engine.billing.export import export_usage, exports_dir
from engine.billing.periods import Month
from engine.db import utcnow
from engine.ivr import service as ivr
from engine.numbers.models import Number, NumberReminder, NumberRental
from engine.numbers.pool import add_to_pool, buy
from engine.numbers.rentals import REMIND_BEFORE, current
from engine.settings import load_settings
from engine.skillgroups.service import create_skill_group
from engine.uow import transaction
from tests.factories import add_account, add_instance, add_token
from tests.unit.billing_support import existed_since_january
from webadmin import create_app

PASSWORD = "correct horse battery"
EXPORT_MONTH = Month.parse("2026-01")
BOUGHT_AT = datetime(2026, 1, 5, 9, 0)
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wav_bytes(seconds: float = 0.2, rate: int = 16000) -> bytes:
    """A short mono WAV, as an upload would send it."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\x00\x10" * int(rate * seconds))
    return buffer.getvalue()


@dataclass
class World:
    settings: object
    ids: dict[str, int | str]  # acme_instance, acme_agent, ... globex_audio (a name)
    tokens: dict[str, str]     # user name -> API token

    def app(self):
        return create_app(self.settings, {"TESTING": True})


def build_world(settings) -> World:
    settings = replace(settings, ami_port=free_port())
    with transaction(settings) as db:
        add_account(db, "acme")
        sales = add_instance(db, "acme", "Sales", "sales.acme", "01012345678", admin="alice")
        hotline = add_instance(db, "acme", "Hotline", "hotline.acme", "4001234567", "400",
                               admin="carol")
        vip = create_skill_group(db, sales.instance, "vip")
        bob = create_agent(db, sales.instance, "bob", skill_groups={"default": 2})
        acme = get_account(db, "acme")
        for name, role in (("olivia", Role.OWNER), ("alice", Role.INSTANCE_ADMIN),
                           ("carol", Role.INSTANCE_ADMIN), ("andy", Role.AGENT),
                           ("rita", Role.REVIEWER), ("sam", Role.SUPPLIER)):
            find_or_create_user(db, acme, name, role, password=PASSWORD)
        add_account(db, "globex")
        support = add_instance(db, "globex", "Support", "support.globex", "02087654321",
                               admin="mallory")
        globex_group = create_skill_group(db, support.instance, "tier2")
        add_break_code(db, support.instance, "GlobexOnly", "Globex only")
        mallory = find_or_create_user(db, get_account(db, "globex"), "mallory", Role.OWNER,
                                      password=PASSWORD)
        mallory.role = Role.OWNER  # created as Support's administrator; owns the account too
        # One usage export per account (an empty past month: no call records needed),
        # so the cross-account matrix can ask for the other account's.
        exports = {name: export_usage(db, exports_dir(settings.var_dir), get_account(db, name),
                                      EXPORT_MONTH).id for name in ("acme", "globex")}
        # The welcome flows (create_instance publishes them) and one audio file each;
        # globex's flow gets a second version, so its version numbers differ from acme's.
        flows = {name: ivr.get_flow(db, instance, ivr.WELCOME)
                 for name, instance in (("acme", sales.instance), ("globex", support.instance))}
        ivr.publish(db, flows["globex"], ivr.document_of(db, flows["globex"]))
        for name, instance in (("acme", sales.instance), ("globex", support.instance)):
            upload(db, settings, instance, f"{name}-hello", wav_bytes())
        # One customer with a dedicated agent per account.
        tie(db, sales.instance, "13800138000", bob.id)
        tie(db, support.instance, "13900139000", support.admin_agent.id)
        recordings = {name: _recording(db, settings, instance, f"world-{name}.1")
                      for name, instance in (("acme", sales.instance),
                                             ("globex", support.instance))}
        # A 400 number bought from the pool by each account.
        purchases, reminders = {}, {}
        for name, digits in (("acme", "4008001001"), ("globex", "4008001002")):
            add_to_pool(db, digits, "standard")
            bought = buy(db, get_account(db, name).id, digits, BOUGHT_AT)
            purchases[name] = bought.id
            # A reminder of its term's end, dismissed already: the matrix has one of each
            # account's to ask for, and the pages stay as they were.
            rental = current(db, bought.number_id)
            reminder = NumberReminder(
                account_id=rental.account_id, rental_id=rental.id, digits=digits,
                ends_at=rental.ends_at, created_at=rental.ends_at - REMIND_BEFORE,
                dismissed_at=rental.ends_at - REMIND_BEFORE)
            db.add(reminder)
            db.flush()
            reminders[name] = reminder.id
        existed_since_january(db)  # the months billed in the billing tests
        tokens = {user: add_token(db, account, user) for account, user in (
            ("acme", "olivia"), ("acme", "alice"), ("acme", "andy"), ("globex", "mallory"))}
        supply = _supply(db, sales.instance, support.instance)
        tokens |= {name: create_platform_token(db, name) for name in ("rhea", "sid")}
        user_ids = {u.name: u.id for u in db.scalars(select(User))}
        token_ids = {t.user.name: t.id for t in db.scalars(select(ApiToken))}
        ids = {"acme_instance": sales.instance.id, "acme_hotline": hotline.instance.id,
               "acme_agent": bob.id, "acme_admin_agent": sales.admin_agent.id,
               "acme_group": vip.id,
               "acme_default_group": sales.number.outbound_skill_groups[0].id,
               "acme_number": sales.number.id, "acme_400": hotline.number.id,
               "hotline_agent": hotline.admin_agent.id,
               "globex_instance": support.instance.id, "globex_agent": support.admin_agent.id,
               "globex_group": globex_group.id, "globex_number": support.number.id,
               "acme_export": exports["acme"], "globex_export": exports["globex"],
               "acme_flow": flows["acme"].id, "globex_flow": flows["globex"].id,
               "acme_version": 1, "globex_version": 2,
               "acme_audio": "acme-hello", "globex_audio": "globex-hello",
               "acme_break_code": "Rest", "globex_break_code": "GlobexOnly",
               "acme_customer": "13800138000", "globex_customer": "13900139000",
               # a user and an API token of each account (acme's: not the owner's own)
               "acme_user": user_ids["andy"], "globex_user": user_ids["mallory"],
               "acme_token": token_ids["olivia"], "globex_token": token_ids["mallory"],
               "acme_recording": recordings["acme"], "globex_recording": recordings["globex"],
               "acme_purchase": purchases["acme"], "globex_purchase": purchases["globex"],
               "acme_reminder": reminders["acme"], "globex_reminder": reminders["globex"],
               **supply}
    return World(settings, ids, tokens)


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A real PNG image (grey pixels), as a phone's photo of an ID would be."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8,
                                                              0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def pdf_bytes(text: str = "Service agreement") -> bytes:
    """A small well-formed PDF."""
    body = (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
            b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
            + f"% {text}\n".encode())
    return body + b"trailer\n<< /Root 1 0 R >>\nstartxref\n0\n%%EOF\n"


def qualification_fields(company: str = "Acme Trading Co., Ltd.", location: str = "Beijing",
                         **changes) -> dict:
    """A qualification's fields that pass every rule (suppliers apart)."""
    return {"company_name": company, "location": location, "company_type": "limited_company",
            "credit_code": "91110000MA01ABCD2X", "no_fixed_term": True,
            "representative_name": "Li Lei", "representative_mobile": "13800138001",
            "id_type": "resident_id", "id_number": "110101199001011234",
            "id_valid_until": "2036-01-01", "business_description": "Selling tea.",
            "intended_use": "Customer care", "scenario": "After-sales calls",
            "sample_script": "Hello, this is Acme about your order."} | changes


def id_images() -> dict:
    return {"id_front": png_bytes(), "id_back": png_bytes(3, 3)}


def _supply(db, acme_instance, globex_instance) -> dict:
    """Suppliers, their staff, a reviewer, a qualification and an application per
    account (see the module's docstring)."""
    from engine.accounts.platform import create_platform_user
    from engine.applications import service as applications
    from engine.qualifications import service as qualifications
    from engine.suppliers.portal import update_policy
    from engine.suppliers.service import create_supplier
    unicom = create_supplier(db, "unicom", "Asia/Shanghai")
    telecom = create_supplier(db, "telecom", "Asia/Shanghai")
    for supplier in (unicom, telecom):
        update_policy(db, None, supplier, {"number_types": ["landline", "virtual_mobile"]})
    create_platform_user(db, "rhea", "reviewer", PASSWORD)
    create_platform_user(db, "sid", "supplier", PASSWORD, unicom)
    create_platform_user(db, "tess", "supplier", PASSWORD, telecom)
    ids = {}
    for name, instance, approve in (("acme", acme_instance, True),
                                    ("globex", globex_instance, False)):
        q = qualifications.submit_qualification(
            db, None, instance.account_id,
            qualification_fields(f"{name.title()} Ltd") | {"suppliers": [unicom.id]},
            id_images())
        # globex's is approved for its application, then sent back to the queue: the
        # state the matrix needs is "some of each", not a story.
        qualifications.review_qualification(db, None, q, "approved", "")
        a = applications.apply_for_line(
            db, None, instance.account_id, qualification_id=q.id, supplier_id=unicom.id,
            instance_id=instance.id, number_type="landline", quantity=1)
        if not approve:
            applications.review_application(db, None, a, "approved", "")
            q.state = qualifications.QualificationState.SUBMITTED
        ids |= {f"{name}_qualification": q.id, f"{name}_application": a.id}
    return ids | {"unicom": unicom.id, "telecom": telecom.id}


def _recording(db, settings, instance, call_id: str) -> int:
    """A finished call with its recording on disk, registered as ccc serve does."""
    from datetime import datetime

    from engine.calls.models import CallRecord, Direction
    from engine.recording.service import collect, list_recordings
    db.add(CallRecord(pbx_call_id=call_id, instance_id=instance.id,
                      direction=Direction.INBOUND, caller="13800138000", callee="01012345678",
                      started_at=datetime(2026, 1, 5, 9), disposition="answered"))
    folder = settings.recordings_dir / instance.pbx_key
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{call_id}.wav").write_bytes(wav_bytes(rate=8000))
    collect(db, settings, now=time.time() + 60)
    return next(r.id for r in list_recordings(db, instance) if r.pbx_call_id == call_id)


@pytest.fixture
def world(settings) -> World:
    """The world on both databases."""
    return build_world(settings)


@pytest.fixture
def sqlite_world(tmp_path, sqlite_url) -> World:
    """The world on SQLite only, for the many tests whose point is not the database."""
    base = load_settings({"CCC_VAR_DIR": str(tmp_path / "var"),
                          "CCC_PBX_ROOT": str(tmp_path / "pbx-root"), "CCC_PBX_SITE": "unit"})
    return build_world(replace(base, database_url=sqlite_url))


def csrf_from(client, path: str = "/sign-in") -> str:
    """The token the server put in the page's form, as a browser would read it."""
    # Followed: "/" sends a platform user on to its own area.
    match = CSRF_INPUT.search(client.get(path, follow_redirects=True).get_data(as_text=True))
    assert match, f"no CSRF token in the form of {path}"
    return match.group(1)


def sign_in(client, user: str = "olivia", account: str = "acme",
            password: str = PASSWORD) -> str:
    """Sign ``client`` in; return the new session's CSRF token (signing in starts one)."""
    response = client.post("/sign-in", data={"csrf_token": csrf_from(client), "account": account,
                                             "user": user, "password": password})
    assert response.status_code == 302, f"{user} could not sign in"
    return csrf_from(client, "/")


def signed_in(world: World, user: str = "olivia", account: str = "acme",
              password: str = PASSWORD):
    client = world.app().test_client()
    sign_in(client, user, account, password)
    return client


def post_form(client, path: str, data: dict | None = None, **kwargs):
    """POST with the session's CSRF token, as the page's own form would."""
    token = csrf_from(client, "/")
    return client.post(path, data={"csrf_token": token} | (data or {}), **kwargs)


def post_json(client, path: str, body, token: str):
    """POST JSON as the IVR editor does: the CSRF token in the X-CSRF-Token header."""
    return client.post(path, json=body, headers={"X-CSRF-Token": token})


def field_errors(page: str) -> dict[str, str]:
    """Field name -> the message shown next to it."""
    return dict(re.findall(r'class="field-error" id="([\w-]+)-error">([^<]*)<', page))


def bearer(world: World, user: str = "olivia") -> dict:
    return {"Authorization": f"Bearer {world.tokens[user]}"}


def buy_pool_number(world: World, digits: str, ends_in: timedelta = timedelta(days=3)) -> int:
    """acme buys the pool 400 number ``digits`` (routed nowhere); its term ends in
    ``ends_in``. Returns the number's id."""
    with transaction(world.settings) as db:
        add_to_pool(db, digits, "standard")
        account_id = db.get(Number, world.ids["acme_number"]).account_id
        number_id = buy(db, account_id, digits, utcnow()).number_id
        rental = db.scalar(select(NumberRental).where(NumberRental.number_id == number_id))
        rental.ends_at = utcnow() + ends_in
    return number_id
