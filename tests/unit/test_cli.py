"""The ``ccc`` command through click's CliRunner, on a throw-away SQLite database.

The site's PBX is not running here, so a change is written into a new generation of
the site's files, to take effect when the PBX starts. Every operator mistake must end
with exactly one ``Error:`` line on stderr, exit status 1, and nothing written.
"""
from __future__ import annotations

import json
import socket

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

import engine.models  # noqa: F401  (every table on the metadata)
from cli import main
from engine.db import Base
from engine.settings import load_settings
from engine.uow import transaction
from provisioning.apply import current_generation

SALES = ["instance", "create", "--account", "acme", "--name", "Sales", "--domain", "sales.acme",
         "--number", "01012345678", "--number-type", "landline", "--admin", "alice"]
HOTLINE = ["instance", "create", "--account", "acme", "--name", "Hotline", "--domain",
           "hotline.acme", "--number", "4001234567", "--number-type", "400", "--admin", "carol"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def settings(tmp_path, monkeypatch):
    env = {"CCC_VAR_DIR": str(tmp_path / "var"),
           "CCC_DATABASE_URL": f"sqlite:///{tmp_path / 'ccc.sqlite3'}",
           "CCC_PBX_ROOT": str(tmp_path / "pbx-root"), "CCC_PBX_SITE": "cli",
           # nobody listens there: the PBX is "not running", whatever runs on this host
           "CCC_AMI_PORT": str(free_port())}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return load_settings(env)


@pytest.fixture
def ccc(settings):
    runner = CliRunner()

    def run(*args: str, ok: bool = True):
        result = runner.invoke(main, list(args))
        if ok:
            assert result.exit_code == 0, (args, result.output, result.exception)
        return result
    return run


def ccc_json(ccc, *args: str):
    return json.loads(ccc(*args, "--json").stdout)


@pytest.fixture
def acme(ccc):
    """Account acme with a carrier trunk and instances Sales (landline) and Hotline (400)."""
    ccc("account", "create", "acme", "--plan", "payg")
    ccc("trunk", "create", "--name", "carrier", "--host", "127.0.0.2:5070")
    return {"sales": ccc_json(ccc, *SALES), "hotline": ccc_json(ccc, *HOTLINE)}


def snapshot(settings) -> dict:
    """How many rows each table holds, and which PBX generation is in force."""
    with transaction(settings) as session:
        counts = {table.name: session.scalar(select(func.count()).select_from(table))
                  for table in Base.metadata.sorted_tables}
    return counts | {"generation": current_generation(settings)}


def pbx_file(settings, name: str) -> str:
    return (settings.site_dir / "etc" / "asterisk" / name).read_text()


# ---- happy paths -------------------------------------------------------------------------------

def test_accounts(ccc):
    result = ccc("account", "create", "acme", "--plan", "payg")
    assert result.stdout == "account acme created (payg)\n"
    ccc("account", "create", "Beta Co", "--plan", "seat")
    assert ccc_json(ccc, "account", "list") == [
        {"id": 1, "name": "acme", "plan": "payg", "industry": None},
        {"id": 2, "name": "Beta Co", "plan": "seat", "industry": None}]
    table = ccc("account", "list").stdout.splitlines()
    assert table[0].split() == ["ID", "NAME", "PLAN", "INDUSTRY"]
    assert table[2].split()[:4] == ["2", "Beta", "Co", "seat"]


def test_a_trunk_is_written_for_the_pbx(ccc, settings):
    result = ccc("trunk", "create", "--name", "carrier", "--host", "127.0.0.2:5070")
    assert result.stdout == "trunk carrier created (127.0.0.2:5070)\n"
    assert result.stderr == "PBX configuration written; it takes effect when the PBX starts\n"
    ccc("trunk", "create", "--name", "backup", "--host", "carrier.example.net")
    assert ccc_json(ccc, "trunk", "list") == [
        {"name": "carrier", "host": "127.0.0.2", "port": 5070},
        {"name": "backup", "host": "carrier.example.net", "port": 5060}]
    assert "contact=sip:carrier.example.net:5060" in pbx_file(settings, "pjsip.conf")


def test_an_instance_is_created_ready_to_take_calls(ccc, settings, acme):
    sales = acme["sales"]
    assert {k: sales[k] for k in ("id", "account", "name", "domain", "number")} == {
        "id": 1, "account": "acme", "name": "Sales", "domain": "sales.acme",
        "number": "01012345678"}
    admin = sales["admin_agent"]
    assert admin["extension"] == "1001" and admin["sip_username"] == "i1-1001"
    assert admin["skill_groups"] == {"default": 1} and len(admin["sip_password"]) == 32
    assert f"password={admin['sip_password']}" in pbx_file(settings, "pjsip.conf")
    assert "exten => 4001234567,1,Goto(ccc-i2-inbound" in pbx_file(settings, "extensions.conf")

    listed = ccc_json(ccc, "instance", "list", "--account", "acme")
    assert [(i["id"], i["domain"]) for i in listed] == [(1, "sales.acme"), (2, "hotline.acme")]
    plain = ccc(*SALES[:2], "--account", "acme", "--name", "Support", "--domain",
                "support.acme", "--number", "01012345679", "--number-type", "landline")
    assert plain.stdout == ("instance Support created: access address http://support.acme/, "
                            "number 01012345679\n")


def test_an_instance_is_updated(ccc, settings, acme):
    result = ccc("instance", "update", "--instance", "sales.acme", "--name", "Sales East",
                 "--description", "east coast")
    assert result.stdout == "instance sales.acme updated\n"
    [sales] = [i for i in ccc_json(ccc, "instance", "list") if i["domain"] == "sales.acme"]
    assert (sales["name"], sales["description"]) == ("Sales East", "east coast")
    # naming the domain it already has is not a change
    ccc("instance", "update", "--instance", "sales.acme", "--domain", "sales.acme")
    # an agent who lets a queue call ring out stays READY: the queues stop autopausing
    assert "autopause=all" in pbx_file(settings, "queues.conf")
    ccc("instance", "update", "--instance", "sales.acme", "--no-ringing-timeout-break")
    assert "autopause=no" in pbx_file(settings, "queues.conf")


def test_agents(ccc, settings, acme):
    bob = ccc_json(ccc, "agent", "create", "--instance", "sales.acme", "--name", "bob",
                   "--skill-group", "default:3")
    assert (bob["extension"], bob["sip_username"], bob["skill_groups"]) == (
        "1002", "i1-1002", {"default": 3})
    assert "[i1-1002]" in pbx_file(settings, "pjsip.conf")
    text_out = ccc("agent", "create", "--instance", "sales.acme", "--name", "eve",
                   "--extension", "2000").stdout
    assert text_out.startswith("agent 2000 created: SIP user i1-2000, password ")

    listed = ccc_json(ccc, "agent", "list", "--instance", "sales.acme")
    assert [a["extension"] for a in listed] == ["1001", "1002", "2000"]
    assert all("sip_password" not in a for a in listed)
    secrets = ccc_json(ccc, "agent", "list", "--instance", "sales.acme", "--show-secrets")
    assert secrets[1]["sip_password"] == bob["sip_password"]

    assert ccc("agent", "delete", "--instance", "sales.acme", "--extension", "1002").stdout == (
        "agent 1002 deleted\n")
    assert "i1-1002" not in pbx_file(settings, "pjsip.conf")
    assert [a["extension"] for a in ccc_json(ccc, "agent", "list", "--instance", "sales.acme")
            ] == ["1001", "2000"]


def test_skill_groups_and_numbers(ccc, acme):
    assert ccc_json(ccc, "skillgroup", "list", "--instance", "sales.acme") == [
        {"name": "default", "queue": "i1-q1", "strategy": "rrmemory", "wait_timeout": 300,
         "wrap_up": 0, "overflow": None, "recording": "inherit", "service_level": 20,
         "outbound_numbers": ["01012345678"]}]
    ccc("skillgroup", "update", "--instance", "sales.acme", "--name", "default", "--wrap-up", "30")
    assert ccc_json(ccc, "skillgroup", "list", "--instance", "sales.acme")[0]["wrap_up"] == 30
    refused = ccc("skillgroup", "update", "--instance", "sales.acme", "--name", "default",
                  "--wrap-up", "-1", ok=False)
    assert refused.exit_code == 1 and "invalid wrap-up -1" in refused.output
    # a 400 number is never bound for outbound calls
    assert ccc_json(ccc, "skillgroup", "list", "--instance", "hotline.acme")[0][
        "outbound_numbers"] == []
    numbers = ccc_json(ccc, "number", "list")
    assert [(n["digits"], n["type"], n["instance"], n["outbound_skill_groups"])
            for n in numbers] == [("01012345678", "landline", "sales.acme", ["default"]),
                                  ("4001234567", "400", "hotline.acme", [])]
    assert all(n["inbound_flow_id"] for n in numbers)
    assert [n["digits"] for n in ccc_json(ccc, "number", "list", "--instance", "hotline.acme")
            ] == ["4001234567"]


def test_skill_group_create_adds_a_queue_to_the_pbx(ccc, settings, acme):
    assert ccc("skillgroup", "create", "--instance", "sales.acme", "--name", "vip").stdout \
        .startswith("skill group vip created (queue i1-q3)")
    assert [g["name"] for g in ccc_json(ccc, "skillgroup", "list", "--instance", "sales.acme")
            ] == ["default", "vip"]
    assert "[i1-q3]" in pbx_file(settings, "queues.conf")


def test_call_records(ccc, settings, acme):
    assert ccc_json(ccc, "cdr", "list") == []
    settings.cdr_file.parent.mkdir(parents=True, exist_ok=True)
    settings.cdr_file.write_text(
        '"e2e-1795476031.0","e2e-1795476031.0","0","i1","13800138000","01012345678",'
        '"ccc-i1-inbound","PJSIP/trunk-carrier-00000000","PJSIP/i1-1001-00000001","Queue",'
        '1795476031.013334,1795476031.013630,1795476037.019469,"ANSWERED",'
        '"dir=inbound&inst=i1&num=01012345678"\n')
    assert ccc("cdr", "ingest").stdout == "1 calls updated\n"
    assert ccc("cdr", "ingest").stdout == "0 calls updated\n"
    [record] = ccc_json(ccc, "cdr", "list", "--instance", "sales.acme")
    assert record == {
        "id": "e2e-1795476031.0", "instance_id": 1, "direction": "inbound",
        "number": "01012345678", "caller": "13800138000", "callee": "01012345678",
        "start": "2026-11-23 23:20:31.013334", "answer": "2026-11-23 23:20:31.013630",
        "end": "2026-11-23 23:20:37.019469", "billable_seconds": 7,
        "disposition": "answered", "agent": "1001", "agents": ["1001"],
        "refusal_reason": None, "recorded": False, "voicemail": [], "survey_score": None}
    assert ccc_json(ccc, "cdr", "list", "--instance", "hotline.acme") == []
    table = ccc("cdr", "list").stdout.splitlines()
    assert table[0].split()[:3] == ["START", "DIRECTION", "NUMBER"] and "answered" in table[1]


def test_db_upgrade_is_idempotent(ccc):
    assert ccc("db", "upgrade").stdout == "database is at the latest schema\n"
    assert ccc("db", "upgrade").stdout == "database is at the latest schema\n"


# ---- mistakes: one line, status 1, nothing written ---------------------------------------------

MISTAKES = {
    "duplicate-name": (["instance", "create", "--account", "acme", "--name", "Sales",
                        "--domain", "other.acme", "--number", "01099999999",
                        "--number-type", "landline"],
                       "account 'acme' already has an instance named 'Sales'"),
    "duplicate-domain": (["instance", "create", "--account", "acme", "--name", "Other",
                          "--domain", "sales.acme", "--number", "01099999999",
                          "--number-type", "landline"],
                         "access domain 'sales.acme' is already taken"),
    "number-in-use": (["instance", "create", "--account", "acme", "--name", "Other",
                       "--domain", "other.acme", "--number", "4001234567",
                       "--number-type", "400"], "number 4001234567 is already in use"),
    "change-domain": (["instance", "update", "--instance", "sales.acme", "--domain",
                       "other.acme"], "the access domain of 'sales.acme' cannot be changed"),
    "change-domain-and-name": (["instance", "update", "--instance", "sales.acme", "--name",
                                "Renamed", "--domain", "other.acme"], "cannot be changed"),
    "rename-to-taken-name": (["instance", "update", "--instance", "sales.acme", "--name",
                              "Hotline"], "already has an instance named 'Hotline'"),
    "malformed-number": (["instance", "create", "--account", "acme", "--name", "Other",
                          "--domain", "other.acme", "--number", "12345",
                          "--number-type", "landline"], "malformed landline number '12345'"),
    "400-as-landline": (["instance", "create", "--account", "acme", "--name", "Other",
                         "--domain", "other.acme", "--number", "4009999999",
                         "--number-type", "landline"], "malformed landline number"),
    "bad-number-type": (["instance", "create", "--account", "acme", "--name", "Other",
                         "--domain", "other.acme", "--number", "01099999999",
                         "--number-type", "mobile"], "invalid number type 'mobile'"),
    "bad-domain": (["instance", "create", "--account", "acme", "--name", "Other",
                    "--domain", "Other Acme", "--number", "01099999999",
                    "--number-type", "landline"], "invalid access domain"),
    "unknown-account": (["instance", "create", "--account", "nobody", "--name", "Other",
                         "--domain", "other.acme", "--number", "01099999999",
                         "--number-type", "landline"], "unknown account 'nobody'"),
    "unknown-instance-update": (["instance", "update", "--instance", "nowhere.acme",
                                 "--description", "x"], "unknown instance 'nowhere.acme'"),
    "unknown-instance-agent": (["agent", "create", "--instance", "nowhere.acme", "--name",
                                "dave"], "unknown instance 'nowhere.acme'"),
    "unknown-instance-agents": (["agent", "list", "--instance", "nowhere.acme"],
                                "unknown instance 'nowhere.acme'"),
    "unknown-instance-delete": (["agent", "delete", "--instance", "nowhere.acme",
                                 "--extension", "1001"], "unknown instance 'nowhere.acme'"),
    "unknown-instance-groups": (["skillgroup", "list", "--instance", "nowhere.acme"],
                                "unknown instance 'nowhere.acme'"),
    "duplicate-skill-group": (["skillgroup", "create", "--instance", "sales.acme", "--name",
                               "default"], "skill group 'default' already exists"),
    "bad-skill-group-name": (["skillgroup", "create", "--instance", "sales.acme", "--name",
                              "a]\n[b"], "invalid skill group name"),
    "unknown-instance-numbers": (["number", "list", "--instance", "nowhere.acme"],
                                 "unknown instance 'nowhere.acme'"),
    "unknown-instance-cdr": (["cdr", "list", "--instance", "nowhere.acme"],
                             "unknown instance 'nowhere.acme'"),
    "taken-extension": (["agent", "create", "--instance", "sales.acme", "--name", "dave",
                         "--extension", "1001"], "extension 1001 is already taken"),
    "bad-extension": (["agent", "create", "--instance", "sales.acme", "--name", "dave",
                       "--extension", "01"], "invalid extension '01'"),
    "bad-agent-name": (["agent", "create", "--instance", "sales.acme", "--name", "x]\n[evil"],
                       "invalid agent name"),
    "unknown-skill-group": (["agent", "create", "--instance", "sales.acme", "--name", "dave",
                             "--skill-group", "vip"], "unknown skill group 'vip'"),
    "bad-skill-level": (["agent", "create", "--instance", "sales.acme", "--name", "dave",
                         "--skill-group", "default:11"], "invalid skill level 11"),
    "malformed-skill-group": (["agent", "create", "--instance", "sales.acme", "--name",
                               "dave", "--skill-group", "default:high"],
                              "invalid skill group 'default:high'"),
    "unknown-agent": (["agent", "delete", "--instance", "sales.acme", "--extension", "1999"],
                      "no agent with extension 1999 in sales.acme"),
    "bad-plan": (["account", "create", "beta", "--plan", "monthly"],
                 "invalid plan 'monthly': choose payg or seat"),
    "duplicate-account": (["account", "create", "acme", "--plan", "seat"],
                          "an account named 'acme' already exists"),
    "duplicate-trunk": (["trunk", "create", "--name", "carrier", "--host", "127.0.0.9"],
                        "a trunk named 'carrier' already exists"),
    "bad-trunk-host": (["trunk", "create", "--name", "backup", "--host", "127.0.0.9\n"],
                       "invalid carrier host"),
    "bad-trunk-port": (["trunk", "create", "--name", "backup", "--host", "127.0.0.9:99999"],
                       "invalid carrier port '99999'"),
}


@pytest.mark.parametrize("args, message", MISTAKES.values(), ids=MISTAKES.keys())
def test_a_mistake_is_one_line_status_1_and_writes_nothing(ccc, settings, acme, args, message):
    before = snapshot(settings)
    assert (before["instance"], before["agent"], before["trunk"]) == (2, 2, 1)
    files = pbx_file(settings, "pjsip.conf"), pbx_file(settings, "extensions.conf")
    result = ccc(*args, ok=False)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert message in lines[0]
    assert result.stdout == ""
    assert snapshot(settings) == before
    assert (pbx_file(settings, "pjsip.conf"), pbx_file(settings, "extensions.conf")) == files


def test_a_bad_plan_on_an_empty_database(ccc, settings):
    result = ccc("account", "create", "acme", "--plan", "gold", ok=False)
    assert result.exit_code == 1
    assert result.stderr == "Error: invalid plan 'gold': choose payg or seat\n"
    assert ccc_json(ccc, "account", "list") == []


def test_a_missing_required_option_is_a_usage_error(ccc, settings):
    result = ccc("account", "create", "acme", ok=False)
    assert result.exit_code == 2 and "Missing option '--plan'" in result.stderr


def test_recordings_are_searched_kept_and_purged_from_the_command_line(ccc, settings, acme):
    """A recorded call (registered as ccc serve does), searched by each option; the
    account's period set and shown with its storage; a purge that finds it too young,
    then (the row aged by hand: the command has no clock of its own) one that deletes
    it. Bad input: one line, exit 1, nothing changed."""
    from datetime import timedelta

    from sqlalchemy import select

    from engine.calls.models import CallRecord, Direction
    from engine.db import utcnow
    from engine.recording.models import Recording
    from engine.recording.service import collect
    from engine.uow import transaction
    from tests.unit.webadmin_world import wav_bytes
    folder = settings.recordings_dir / "i1"
    folder.mkdir(parents=True)
    (folder / "cli-1.1.wav").write_bytes(wav_bytes(seconds=61, rate=8000))
    with transaction(settings) as db:
        db.add(CallRecord(pbx_call_id="cli-1.1", instance_id=1, direction=Direction.INBOUND,
                          caller="13800138000", callee="01012345678", disposition="answered",
                          started_at=utcnow() - timedelta(hours=1), agent_extension="1001"))
        db.flush()
        assert collect(db, settings, now=utcnow().timestamp() + 60) == 1
    base = ("recording", "list", "--instance", "sales.acme")
    today = (utcnow() + timedelta(hours=8)).date()
    assert [r["call_id"] for r in ccc_json(ccc, *base)] == ["cli-1.1"]
    for args, hits in ((("--number", "1380013"), 1), (("--number", "139"), 0),
                       (("--agent", "1001"), 1), (("--agent", "1002"), 0),
                       (("--skill-group", "default"), 0),
                       (("--from", str(today - timedelta(days=1)),
                         "--to", str(today + timedelta(days=1))), 1),
                       (("--from", str(today + timedelta(days=1))), 0)):
        assert len(ccc_json(ccc, *base, *args)) == hits, args
    for args, message in ((("--from", "2026-02-30"), "from must be a date"),
                          (("--number", "1;2"), "a number is digits"),
                          (("--skill-group", "nobody"), "no such skill group")):
        refused = ccc(*base, *args, ok=False)
        assert refused.exit_code == 1 and message in refused.output, args
        assert len(refused.output.strip().splitlines()) == 1 and "Traceback" not in refused.output
    storage = ccc_json(ccc, "recording", "storage", "--account", "acme")
    assert storage["recording_retention_days"] is None
    assert (storage["storage"]["recordings"], storage["storage"]["minutes"]) == (1, 2)
    assert "kept until deleted" in ccc("recording", "storage", "--account", "acme").output
    assert ccc("account", "update", "acme", "--recording-retention-days", "30").output == \
        "account acme: recordings kept 30 days\n"
    for bad in ("-1", "x", "99999"):
        refused = ccc("account", "update", "acme", "--recording-retention-days", bad, ok=False)
        assert refused.exit_code != 0 and "Traceback" not in refused.output, bad
    assert ccc_json(ccc, "recording", "storage", "--account", "acme")[
        "recording_retention_days"] == 30
    assert ccc("recording", "purge").output == "0 recordings purged\n"  # a young one
    with transaction(settings) as db:
        db.scalar(select(Recording)).created_at -= timedelta(days=31)
    refused = ccc("recording", "purge", "--account", "acme", "--instance", "nowhere.acme",
                  ok=False)
    assert refused.exit_code == 1 and "unknown instance" in refused.output
    assert ccc("recording", "purge", "--instance", "hotline.acme").output == \
        "0 recordings purged\n"
    assert ccc("recording", "purge", "--account", "acme", "--instance", "sales.acme"
               ).output == "1 recordings purged\n"
    assert not (folder / "cli-1.1.wav").exists()
    assert ccc_json(ccc, *base) == []
    assert ccc_json(ccc, "recording", "storage", "--account", "acme")["storage"] == {
        "recordings": 0, "size_bytes": 0, "seconds": 0, "minutes": 0}
