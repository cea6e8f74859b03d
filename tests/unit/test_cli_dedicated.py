"""``ccc agent dedicate | undedicate | dedicated``: one-line mistakes, exit 1, nothing
written."""
from __future__ import annotations

import json

import pytest

from tests.unit.test_cli import HOTLINE, SALES, ccc, settings

__all__ = ["ccc", "settings"]  # fixtures


# ---- ccc ----------------------------------------------------------------------------------

def test_ccc_ties_lists_and_unties(ccc):
    ccc("account", "create", "acme", "--plan", "payg")
    ccc(*SALES)
    ccc("agent", "create", "--instance", "sales.acme", "--name", "dave", "--extension", "1003")
    result = ccc("agent", "dedicate", "--instance", "sales.acme", "--customer", "13800138000",
                 "--extension", "1003")
    assert "13800138000" in result.stdout and "1003" in result.stdout
    listed = json.loads(ccc("agent", "dedicated", "--instance", "sales.acme",
                            "--json").stdout)
    assert [(r["customer_number"], r["extension"], r["agent_name"]) for r in listed] == [
        ("13800138000", "1003", "dave")]
    table = ccc("agent", "dedicated", "--instance", "sales.acme").stdout
    assert "CUSTOMER_NUMBER" in table and "13800138000" in table
    ccc("agent", "undedicate", "--instance", "sales.acme", "--customer", "13800138000")
    assert json.loads(ccc("agent", "dedicated", "--instance", "sales.acme",
                          "--json").stdout) == []


@pytest.mark.parametrize("args, message", [
    (["dedicate", "--customer", "138-0013", "--extension", "1003"], "invalid customer number"),
    (["dedicate", "--customer", "13800138000", "--extension", "1009"], "no agent"),
    # 1005 is an agent of Hotline: another instance's agent is not found in Sales.
    (["dedicate", "--customer", "13800138000", "--extension", "1005"], "no agent"),
    (["dedicate", "--customer", "13900139000", "--extension", "1003"], "already has"),
    (["undedicate", "--customer", "13700137000"], "has no dedicated agent"),
])
def test_ccc_mistakes_are_one_line_and_exit_1(ccc, args, message):
    ccc("account", "create", "acme", "--plan", "payg")
    ccc(*SALES)
    ccc(*HOTLINE)
    ccc("agent", "create", "--instance", "hotline.acme", "--name", "erin", "--extension", "1005")
    ccc("agent", "create", "--instance", "sales.acme", "--name", "dave", "--extension", "1003")
    ccc("agent", "dedicate", "--instance", "sales.acme", "--customer", "13900139000",
        "--extension", "1003")
    result = ccc("agent", *args, "--instance", "sales.acme", ok=False)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:") and message in lines[0]
    listed = json.loads(ccc("agent", "dedicated", "--instance", "sales.acme",
                            "--json").stdout)
    assert [r["customer_number"] for r in listed] == ["13900139000"]
