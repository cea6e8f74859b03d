"""What may reach a PBX file: every template expression names the shape of its value,
and a value of another shape stops the render before anything is written.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from engine.agents.models import Agent
from engine.calls.merge import REFUSALS
from engine.trunks.models import Trunk
from engine.validation import DIAL_NUMBER_RE
from provisioning.apply import ApplyError, apply, current_generation
from provisioning.render import render_files
from provisioning.templates import FILTERS, TEMPLATE_DIR, UnsafeValue, environment
from tests.unit.test_render import build_call_center

EXPRESSION = re.compile(r"{{(.*?)}}", re.S)
# A constant of engine/variables, or a string literal: nothing from the database.
CONSTANT = re.compile(r"^var\.[A-Z_]+$|^'[^']*'$")
# The last filter of an expression, once its arguments are taken out: `| name` at its end.
LAST_FILTER = re.compile(r"\|\s*([a-z_]+)\s*$")
ARGUMENTS = re.compile(r"\([^()]*\)")


def template_expressions() -> list[tuple[str, str]]:
    return [(path.name, match.strip())
            for path in sorted(TEMPLATE_DIR.glob("*.j2"))
            for match in EXPRESSION.findall(path.read_text(encoding="utf-8"))]


def test_every_value_a_template_writes_passes_a_shape_check():
    unchecked = []
    for name, expression in template_expressions():
        last = LAST_FILTER.search(ARGUMENTS.sub("", expression))
        if not CONSTANT.match(expression) and not (last and last.group(1) in FILTERS):
            unchecked.append(f"{name}: {{{{ {expression} }}}}")
    assert unchecked == [], "template values without a shape filter:\n" + "\n".join(unchecked)
    assert len(template_expressions()) > 100  # the scan did find the templates' expressions


@pytest.mark.parametrize("shape, value", [
    ("digits", "1001&PJSIP/i2-1001"), ("digits", "1001\n"), ("digits", "١٢٣"),
    ("digits", "1" * 21), ("digits", 1001), ("pbx_name", "i1-1001&PJSIP/x"),
    ("pbx_name", "I1"), ("pbx_name", "a/b"), ("pbx_name", "x" * 65), ("pbx_name", ""),
    ("host", "evil]\n[x"), ("host", "a b"), ("ip", "127.0.0.1\n"), ("secret", "abc"),
    ("secret", "a-long-secret\n"), ("secret", "with space in it"), ("path", "/a/../b"),
    ("path", "relative/dir"), ("path", "/a b"), ("label", "x\n[evil]"),
    ("pattern", "XX."), ("event", "Hangup\n[x]"), ("event", "Hang up"), ("integer", "5"),
    ("integer", True), ("integer", 1.5),
])
def test_a_value_of_the_wrong_shape_is_refused(shape, value):
    with pytest.raises(UnsafeValue, match="refusing to write"):
        FILTERS[shape](value)


@pytest.mark.parametrize("shape, value", [
    ("digits", "01012345678"), ("digits", "+8613900139000"), ("digits", "1001"),
    ("pbx_name", "i1-1001"), ("pbx_name", "trunk-carrier"), ("host", "carrier.example.net"),
    ("ip", "0.0.0.0"), ("secret", "3f9a0c1d2e"), ("path", "/var/lib/ccc/sites/x"),
    ("label", "VIP Service 2"), ("pattern", "XXXXXXX"), ("event", "QueueMemberStatus"),
    ("integer", 0),
])
def test_a_value_of_the_right_shape_is_written_as_it_is(shape, value):
    assert FILTERS[shape](value) == str(value)


def test_what_a_check_remembers_lets_nothing_else_through():
    """The checks remember the values that passed during a render (a repeated value costs
    a dict lookup); a value of another type equal in text, or one refused before, is
    still refused, every time; what is written is always the plain string that passed."""
    digits = FILTERS["digits"]
    assert digits("1001") == "1001" and digits("1001") == "1001"
    for bad in (1001, "1001\n", "1001&PJSIP/x", Text("2002")):
        for _ in range(2):
            with pytest.raises(UnsafeValue, match="refusing to write"):
                digits(bad)
    assert type(digits(Text("1001"))) is str  # the string that passed, not the object
    with pytest.raises(TypeError):  # a template's mistake, never a database value
        digits(["1001"])


class Text(str):
    def __str__(self):
        return "1001&PJSIP/x"


def test_a_channel_variable_reference_names_only_a_variable():
    ref = environment().filters["ref"]
    assert ref("CCC_QUEUE") == "${CCC_QUEUE}" and ref("CCC_QUEUE", 0, 4) == "${CCC_QUEUE:0:4}"
    for bad in ("CCC_QUEUE}", "X})${SHELL(id)", "lower"):
        with pytest.raises(UnsafeValue):
            ref(bad)


def test_every_refusal_the_dialplan_records_has_a_reason():
    tags = set()
    for path in TEMPLATE_DIR.glob("*.j2"):
        tags |= set(re.findall(r"refused=([a-z_]+)", path.read_text(encoding="utf-8")))
    assert tags >= {"invalid_number", "unknown_extension", "not_in_service", "no_trunk"}
    assert tags <= set(REFUSALS)


def test_the_engine_and_the_dialplan_admit_the_same_numbers(settings, session):
    """The agents' context admits 7-20 digits with an optional "+"; the IVR's external
    transfer 3-20: both from engine/validation, so the PBX refuses what the engine does."""
    build_call_center(session)
    extensions = render_files(session, settings)["extensions.conf"]
    agents = extensions.split("[ccc-i1-agents]")[1].split("[ccc-i1-outbound]")[0]
    outside = re.findall(r"^exten => _(\+?X+),1,Goto\(ccc-i1-outbound", agents, re.M)
    lengths = sorted({len(p.lstrip("+")) for p in outside})
    assert lengths == list(range(7, 21))
    assert {p for p in outside if p.startswith("+")} == {"+" + "X" * n for n in lengths}
    assert 'REGEX("^[+]?[0-9]{3,20}$"' in extensions
    assert DIAL_NUMBER_RE.fullmatch("+" + "1" * 20) and not DIAL_NUMBER_RE.fullmatch("1" * 21)
    assert not DIAL_NUMBER_RE.fullmatch("12") and not DIAL_NUMBER_RE.fullmatch("１２３")


def test_what_bypassed_validation_stops_the_apply_and_nothing_is_written(settings, session):
    """A value written straight into the database (by hand, by a bug) never reaches a file."""
    build_call_center(session)
    apply(session, settings)  # a good configuration in force, PBX not running
    before = current_generation(settings)
    agent = session.scalars(select(Agent)).first()
    agent.sip_secret = "x\n[evil]\ntype=endpoint"
    session.flush()
    with pytest.raises(ApplyError, match="refusing to write .*nothing was written"):
        apply(session, settings)
    assert current_generation(settings) == before
    agent.sip_secret = "a-good-secret"
    session.scalar(select(Trunk)).host = "127.0.0.2\nmatch=0.0.0.0/0"
    session.flush()
    with pytest.raises(ApplyError, match="not a valid host"):
        apply(session, settings)
    assert current_generation(settings) == before
