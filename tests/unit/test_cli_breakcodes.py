"""``ccc breakcode list | create | delete``: the instance's break codes; one-line
mistakes, exit 1, nothing written."""
from __future__ import annotations

import json

import pytest

from tests.unit.test_cli import HOTLINE, SALES, ccc, settings

__all__ = ["ccc", "settings"]  # fixtures
DEFAULTS = ["Rest", "Meal", "Meeting", "Training"]


def codes(ccc, domain: str = "sales.acme") -> list[dict]:
    return json.loads(ccc("breakcode", "list", "--instance", domain, "--json").stdout)


@pytest.fixture
def acme(ccc):
    ccc("account", "create", "acme", "--plan", "payg")
    ccc(*SALES)
    ccc(*HOTLINE)


def test_ccc_lists_creates_and_deletes_break_codes(ccc, acme):
    assert [c["code"] for c in codes(ccc)] == DEFAULTS
    created = ccc("breakcode", "create", "--instance", "sales.acme", "--code", "Coaching",
                  "--name", "Coaching session", "--json")
    # The same serializer as the API's: code and name.
    assert json.loads(created.stdout) == {"code": "Coaching", "name": "Coaching session"}
    table = ccc("breakcode", "list", "--instance", "sales.acme").stdout
    assert table.splitlines()[0].split() == ["CODE", "NAME"] and "Coaching session" in table
    assert [c["code"] for c in codes(ccc, "hotline.acme")] == DEFAULTS  # its own list
    deleted = ccc("breakcode", "delete", "--instance", "sales.acme", "--code", "Coaching")
    assert "Coaching" in deleted.stdout
    assert [c["code"] for c in codes(ccc)] == DEFAULTS


@pytest.mark.parametrize("args, message", [
    (["create", "--code", "Rest&Hangup", "--name", "x"], "invalid break code"),
    (["create", "--code", "A" * 33, "--name", "x"], "invalid break code"),
    (["create", "--code", "午休", "--name", "x"], "invalid break code"),
    (["create", "--code", "Lunch\nAction: Originate", "--name", "x"], "invalid break code"),
    (["create", "--code", "AfterCallWork", "--name", "x"], "reserved"),
    (["create", "--code", "Rest", "--name", "Rest again"], "already exists"),
    (["create", "--code", "Lunch", "--name", "Lunch & nap"], "invalid break code name"),
    (["create", "--code", "Lunch", "--name", "n" * 65], "invalid break code name"),
    (["delete", "--code", "Nap"], "no break code 'Nap'"),
])
def test_ccc_mistakes_are_one_line_and_exit_1(ccc, acme, args, message):
    before = codes(ccc)
    result = ccc("breakcode", *args, "--instance", "sales.acme", ok=False)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:") and message in lines[0]
    assert codes(ccc) == before


def test_ccc_an_unknown_instance_is_one_line(ccc, acme):
    result = ccc("breakcode", "list", "--instance", "nowhere.acme", ok=False)
    assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1
