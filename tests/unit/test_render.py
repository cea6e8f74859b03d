"""Golden-file tests of the PBX files rendered from the database.

The database is built through the services, as an operator would: account acme, a
carrier trunk, instance Sales (landline 01012345678, admin alice), instance Hotline
(400 number 4001234567, admin carol), and in Sales a skill group vip and agent bob
(default at level 3, vip at level 1). Agents' SIP secrets are random; they are set to
fixed strings before rendering.

``CCC_UPDATE_GOLDEN=1 pytest tests/unit/test_render.py`` rewrites the golden files;
read the diff before committing them.
"""
from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.agents.models import Agent
from engine.agents.service import create_agent
from engine.errors import Invalid
from engine.instances.service import create_instance, get_instance
from engine.settings import load_settings
from engine.skillgroups.service import create_skill_group
from engine.trunks.service import create_trunk
from engine.uow import transaction
from provisioning.render import GENERATORS, render_files
from provisioning.templates import render
from tests.factories import add_account, add_instance, add_trunk

GOLDEN = Path(__file__).resolve().parent / "golden"
DATABASE_FILES = sorted(GENERATORS)


def assert_golden(name: str, text: str) -> None:
    """Compare with tests/unit/golden/<name>; CCC_UPDATE_GOLDEN=1 rewrites it instead."""
    path = GOLDEN / name
    if os.environ.get("CCC_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {path}: run with CCC_UPDATE_GOLDEN=1 to write it"
    assert text == path.read_text(encoding="utf-8"), (
        f"{name} differs from its golden file; if the change is intended, "
        "rerun with CCC_UPDATE_GOLDEN=1 and review the diff")


def build_call_center(session) -> None:
    add_account(session)
    add_trunk(session)
    sales = add_instance(session).instance
    add_instance(session, name="Hotline", domain="hotline.acme", number="4001234567",
                 number_type="400", admin="carol")
    create_skill_group(session, sales, "vip")
    create_agent(session, sales, "bob", skill_groups={"default": 3, "vip": 1})
    for agent in session.scalars(select(Agent)):
        agent.sip_secret = f"secret-{agent.sip_username}"
    session.flush()


def render_database_files(session, settings) -> dict[str, str]:
    return {name: render(name, **GENERATORS[name](session, settings)) for name in DATABASE_FILES}


@pytest.fixture
def rendered(settings, session) -> dict[str, str]:
    build_call_center(session)
    return render_database_files(session, settings)


@pytest.mark.parametrize("name", DATABASE_FILES)
def test_rendered_file_matches_its_golden_file(rendered, name):
    # Both databases must render the very same bytes.
    assert_golden(name, rendered[name])


def sections(text: str) -> dict[str, list[str]]:
    """Section name -> the lines of every section of that name (pjsip repeats names)."""
    found: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        header = re.match(r"^\[([^\]]+)\]$", line)
        if header:
            current = header.group(1)
            found.setdefault(current, [])
        elif current and line and not line.startswith(";"):
            found[current].append(line)
    return found


def test_only_agents_with_a_caller_id_number_get_one(rendered):
    pjsip = sections(rendered["pjsip.conf"])
    assert "set_var=CCC_CALLERID=01012345678" in pjsip["i1-1001"]   # alice, Sales landline
    assert "set_var=CCC_CALLERID=01012345678" in pjsip["i1-1002"]   # bob, via default
    assert not any("CCC_CALLERID" in line for line in pjsip["i2-1001"])  # carol: 400 only
    assert "set_var=CCC_AGENT=1001" in pjsip["i2-1001"]
    assert "password=secret-i2-1001" in pjsip["i2-1001"]


def test_carrier_context_routes_every_number_to_its_own_instance(rendered):
    carrier = sections(rendered["extensions.conf"])["ccc-from-carrier"]
    assert "exten => 01012345678,1,Goto(ccc-i1-inbound,${EXTEN},1)" in carrier
    assert "exten => 4001234567,1,Goto(ccc-i2-inbound,${EXTEN},1)" in carrier
    trunk = sections(rendered["pjsip.conf"])["trunk-carrier"]
    assert "context=ccc-from-carrier" in trunk and "match=127.0.0.2" in trunk


@pytest.mark.parametrize("key, other", [("i1", "i2"), ("i2", "i1")])
def test_no_context_of_one_instance_reaches_another(rendered, key, other):
    extensions = sections(rendered["extensions.conf"])
    own = [name for name in extensions if name.startswith(f"ccc-{key}-")]
    # Sales (i1) calls out with its landline: a click-to-dial context for it; Hotline's
    # 400 number never calls out, so it has none.
    click_to_dial = [f"ccc-{key}-from-01012345678"] if key == "i1" else []
    assert sorted(own) == sorted([f"ccc-{key}-agents", f"ccc-{key}-conference",
                                  f"ccc-{key}-decide", f"ccc-{key}-dedicated", f"ccc-{key}-inbound",
                                  f"ccc-{key}-outbound", f"ccc-{key}-recording",
                                  f"ccc-{key}-supervise", f"ccc-{key}-transfer",
                                  *click_to_dial])
    for name in own:
        text = "\n".join(extensions[name])
        assert f"{other}-" not in text, (name, text)
        # The supervise context's Goto(spy,1) stays within it (no context named).
        assert set(re.findall(r"Goto\((ccc-[^,]+)", text)) <= {
            f"ccc-{key}-inbound", f"ccc-{key}-outbound"}
        # The recording subroutine is shared; the instance's key is its argument.
        assert set(re.findall(r"Gosub\((ccc-[^,]+)", text)) <= {
            f"ccc-{key}-decide", f"ccc-{key}-dedicated", f"ccc-{key}-recording",
            "ccc-record"}
        assert all(arg == key for arg in re.findall(r"Gosub\(ccc-record,\w+,1\((\w+)\)\)", text))
        assert set(re.findall(r"Queue\((i\d+-q\d+)", text)) <= {
            q for q in re.findall(r"^\[(i\d+-q\d+)\]", rendered["queues.conf"], re.M)
            if q.startswith(f"{key}-q")}
    pjsip = sections(rendered["pjsip.conf"])
    for endpoint in (n for n in pjsip if n.startswith(f"{key}-")):
        contexts = [line for line in pjsip[endpoint] if line.startswith("context=")]
        assert contexts == [f"context=ccc-{key}-agents"]


def test_ivr_targets_are_checked_against_the_instance_in_the_dialplan(rendered):
    """The AGI names a queue, an agent or a number; the dialplan still refuses a target
    outside the instance, and a 400-only instance has no external path at all."""
    sales = "\n".join(sections(rendered["extensions.conf"])["ccc-i1-inbound"])
    hotline = "\n".join(sections(rendered["extensions.conf"])["ccc-i2-inbound"])
    assert '(queue),GotoIf($[${REGEX("^i1-q[0-9]+$" ${CCC_QUEUE})} = 0]?fallback)' in sales
    assert '(agent),GotoIf($[${REGEX("^i1-[0-9]{3,6}$" ${CCC_DIAL_AGENT})} = 0]?fallback)' \
        in sales
    assert '(external),GotoIf($[${REGEX("^[+]?[0-9]{3,20}$" ${CCC_DIAL_NUMBER})} = 0]?failed)' \
        in sales
    assert "Queue(${CCC_QUEUE},rcb(" in sales  # c: the caller continues after the agent
    # The instance's own number that may call out is the caller ID of an IVR transfer.
    assert "Dial(PJSIP/${CCC_DIAL_NUMBER}@trunk-carrier,${CCC_DIAL_TIMEOUT},gf(01012345678))" \
        in sales
    assert "(external),Goto(failed)" in hotline and "@trunk-carrier" not in hotline


def test_every_queue_handoff_rings_the_dedicated_agent_first(rendered):
    """The IVR's queue and the fallback queue both call the instance's own dedicated
    subroutine; it dials only a device of this instance's agents, for the queue's ring
    time, and an unanswered ring pauses the agent as the queue's autopause does."""
    extensions = sections(rendered["extensions.conf"])
    inbound = "\n".join(extensions["ccc-i1-inbound"])
    assert inbound.count("Gosub(ccc-i1-dedicated,s,1)") == 2
    queue_at = inbound.index("Queue(${CCC_QUEUE}")
    fallback_at = inbound.index("Queue(i1-q1,rb(")
    handoffs = [m.start() for m in re.finditer(r"Gosub\(ccc-i1-dedicated", inbound)]
    assert handoffs[0] < queue_at and queue_at < handoffs[1] < fallback_at
    dedicated = "\n".join(extensions["ccc-i1-dedicated"])
    assert ('exten => s,1,GotoIf($[${REGEX("^PJSIP/i1-[1-9][0-9]{2,5}(-web)?$" '
            '${CCC_DEDICATED_AGENT})} = 0]?none)') in dedicated
    assert "Dial(${CCC_DEDICATED_AGENT},15,rgb(" in dedicated
    assert "timeout=15" in rendered["queues.conf"]
    assert "PauseQueueMember(,${CCC_DEDICATED_AGENT},,RingingTimeout)" in dedicated
    assert dedicated.count("Set(CCC_DEDICATED_AGENT=)") == 2  # cleared on every way out


def test_queues_have_no_static_members_and_carry_wrap_up_and_autopause(rendered):
    queues = sections(rendered["queues.conf"])
    assert set(queues) == {"general", "i1-q1", "i1-q3", "i2-q2"}
    # Agents join at sign-in; the PBX keeps who signed in across its restarts.
    assert "persistentmembers=yes" in queues["general"]
    for name in ("i1-q1", "i1-q3", "i2-q2"):
        assert not [line for line in queues[name] if line.startswith("member")]
        assert "wrapuptime=0" in queues[name] and "autopause=all" in queues[name]


def test_an_instance_without_ringing_timeout_break_does_not_autopause(settings, session):
    from engine.instances.models import Instance
    build_call_center(session)
    session.get(Instance, 2).ringing_timeout_break = False
    session.flush()
    queues = sections(render_files(session, settings)["queues.conf"])
    assert "autopause=no" in queues["i2-q2"] and "autopause=all" in queues["i1-q1"]
    extensions = sections(render_files(session, settings)["extensions.conf"])
    assert "PauseQueueMember" not in "\n".join(extensions["ccc-i2-dedicated"])
    assert "PauseQueueMember" in "\n".join(extensions["ccc-i1-dedicated"])


def test_rendering_twice_gives_identical_bytes(settings, session):
    build_call_center(session)
    first = render_files(session, settings)
    second = render_files(session, settings)
    assert first == second
    assert set(DATABASE_FILES) <= set(first) and "manager.conf" in first
    assert list(first) == sorted(first)


def test_an_empty_database_renders_a_closed_pbx(settings, session):
    files = render_database_files(session, settings)
    assert "type=endpoint" not in files["pjsip.conf"]
    carrier = sections(files["extensions.conf"])["ccc-from-carrier"]
    assert carrier == ["exten => _[!-~].,1,Set(CDR(userfield)=dir=inbound&refused=not_in_service)",
                       " same => n,Hangup(1)"]


def test_without_a_trunk_outbound_calls_are_refused_in_the_dialplan(settings, session):
    add_account(session)
    add_instance(session)
    extensions = sections(render_database_files(session, settings)["extensions.conf"])
    outbound = "\n".join(extensions["ccc-i1-outbound"])
    assert "refused=no_trunk" in outbound and "Dial(" not in outbound
    assert "Dial(PJSIP/${EXTEN}" not in "\n".join(extensions["ccc-i1-agents"])


# ---- what reaches a template is validated first ---------------------------------------------
# Validation happens before any query, so SQLite alone is enough here.

@pytest.fixture
def db(tmp_path, sqlite_url):
    settings = replace(load_settings({"CCC_VAR_DIR": str(tmp_path / "var")}),
                       database_url=sqlite_url)
    with transaction(settings) as session:
        yield session


@pytest.fixture
def sales(db):
    add_account(db)
    return add_instance(db).instance


@pytest.mark.parametrize("name", ["x]\n[evil", "evil\n", "a;b", "", "x" * 65])
def test_an_agent_name_that_could_break_a_file_is_refused(db, sales, name):
    with pytest.raises(Invalid, match="invalid agent name"):
        create_agent(db, sales, name)


@pytest.mark.parametrize("extension", ["1002\n", "1002]", "0100", "12", "1234567", "10 2"])
def test_a_malformed_extension_is_refused(db, sales, extension):
    with pytest.raises(Invalid, match="invalid extension"):
        create_agent(db, sales, "bob", extension)


@pytest.mark.parametrize("host", ["127.0.0.9\n", "127.0.0.9\n:5060", "evil]\n[x",
                                  "host name", "127.0.0.9:5060\n", "127.0.0.9:0", ""])
def test_a_trunk_host_that_could_break_a_file_is_refused(db, host):
    with pytest.raises(Invalid, match="invalid carrier"):
        create_trunk(db, "carrier", host)


@pytest.mark.parametrize("name", ["carrier\n", "Carrier", "car]rier", "c" * 33, "1carrier"])
def test_a_malformed_trunk_name_is_refused(db, name):
    with pytest.raises(Invalid, match="invalid trunk name"):
        create_trunk(db, name, "127.0.0.2")


@pytest.mark.parametrize("digits", ["01012345679\n", "0101234567]", "+8601012345679"])
def test_a_number_that_could_break_the_dialplan_is_refused(db, digits):
    account = add_account(db)
    with pytest.raises(Invalid, match="malformed landline number"):
        create_instance(db, account, "Other", "other.acme", digits, "landline")


@pytest.mark.parametrize("domain", ["sales.acme\n", "Sales.acme", "sales..acme", "-sales.acme"])
def test_a_malformed_domain_is_refused(db, domain):
    account = add_account(db)
    with pytest.raises(Invalid, match="invalid access domain"):
        create_instance(db, account, "Other", domain, "01012345679", "landline")


def test_nothing_refused_reached_the_database(db, sales):
    for bad in ("1002\n", "x]\n[evil"):
        with pytest.raises(Invalid):
            create_agent(db, sales, bad, bad)
    assert [a.extension for a in db.scalars(select(Agent))] == ["1001"]
    assert get_instance(db, "sales.acme").name == "Sales"


def test_supervision_spies_only_on_the_instance_s_own_agents(rendered):
    """The supervisor's leg may spy only on a channel of one of its instance's agents:
    the dialplan checks the engine's channel name again before ChanSpy."""
    extensions = sections(rendered["extensions.conf"])
    text = "\n".join(extensions["ccc-i1-supervise"])
    assert '"^PJSIP/i1-[1-9][0-9]{2,5}(-web)?-[0-9a-f]{8}$" ${CCC_SPY_CHANNEL}' in text
    assert [line.split(",", 1)[1] for line in extensions["ccc-i1-supervise"]
            if "Set(CCC_SPY_OPTIONS=" in line] == [
        "1,Set(CCC_SPY_OPTIONS=qE)", "1,Set(CCC_SPY_OPTIONS=qEw)", "1,Set(CCC_SPY_OPTIONS=qEB)"]
    assert "ChanSpy(${CCC_SPY_CHANNEL},${CCC_SPY_OPTIONS})" in text
