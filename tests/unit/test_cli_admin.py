"""The CLI face of the admin operations: CSV import, agent update, skill groups, tokens.

Same services as the web admin and the API; here the operator's view: exit status,
one clear line per mistake, nothing written by a rejected command.
"""
from __future__ import annotations

import json

from tests.unit.test_cli import SALES, ccc, settings

__all__ = ["ccc", "settings"]  # test_cli's fixtures: the PBX is "not running", env set


def agents(ccc) -> list[dict]:
    return json.loads(ccc("agent", "list", "--instance", "sales.acme", "--json").stdout)


def test_csv_import_from_the_command_line(ccc, tmp_path):
    ccc("account", "create", "acme", "--plan", "payg")
    ccc(*SALES)
    bad = tmp_path / "bad.csv"
    bad.write_text("name,extension,skill_groups\nbob,2001,default:2\nbo b!,2001,\n")
    result = ccc("agent", "import", str(bad), "--instance", "sales.acme", ok=False)
    assert result.exit_code == 1
    assert "bad.csv:3: name: invalid agent name 'bo b!'" in result.output
    assert "bad.csv:3: extension: extension 2001 appears twice in the file" in result.output
    assert "nothing imported" in result.output
    assert [a["name"] for a in agents(ccc)] == ["alice"]
    good = tmp_path / "good.csv"
    good.write_text("name,extension,skill_groups\nbob,2001,default:2\ncy,,\n")
    result = ccc("agent", "import", str(good), "--instance", "sales.acme")
    assert "2 agents imported" in result.output
    assert [(a["extension"], a["name"], a["skill_groups"]) for a in agents(ccc)] == [
        ("1001", "alice", {"default": 1}), ("1002", "cy", {"default": 1}),
        ("2001", "bob", {"default": 2})]


def test_skill_groups_and_agent_update_from_the_command_line(ccc):
    ccc("account", "create", "acme", "--plan", "payg")
    ccc(*SALES)
    ccc("skillgroup", "create", "--instance", "sales.acme", "--name", "vip",
        "--strategy", "linear", "--wait-timeout", "60")
    ccc("agent", "update", "--instance", "sales.acme", "--extension", "1001",
        "--skill-groups", "vip:2;default:1", "--name", "alice b")
    [alice] = agents(ccc)
    assert isinstance(alice.pop("id"), int)  # the same shape as the API's
    assert alice == {"extension": "1001", "name": "alice b", "sip_username": "i1-1001",
                     "skill_groups": {"default": 1, "vip": 2}}
    ccc("skillgroup", "update", "--instance", "sales.acme", "--name", "default",
        "--overflow", "vip")
    groups = json.loads(ccc("skillgroup", "list", "--instance", "sales.acme", "--json").stdout)
    assert [(g["name"], g["strategy"], g["wait_timeout"], g["overflow"]) for g in groups] == [
        ("default", "rrmemory", 300, "vip"), ("vip", "linear", 60, None)]
    result = ccc("skillgroup", "update", "--instance", "sales.acme", "--name", "vip",
                 "--strategy", "loudest", ok=False)
    assert result.exit_code == 1 and "invalid strategy 'loudest'" in result.output
    result = ccc("skillgroup", "delete", "--instance", "sales.acme", "--name", "default",
                 ok=False)
    assert result.exit_code == 1 and "it is the instance's default group" in result.output
    ccc("skillgroup", "delete", "--instance", "sales.acme", "--name", "vip")
    assert agents(ccc)[0]["skill_groups"] == {"default": 1}


def test_a_users_page_language_from_the_command_line(ccc, settings):
    from sqlalchemy import select

    from engine.accounts.models import User
    from engine.uow import transaction

    def language():
        with transaction(settings) as db:
            return db.scalar(select(User.language).where(User.name == "alice"))

    ccc("account", "create", "acme", "--plan", "payg")
    ccc(*SALES)
    result = ccc("account", "language", "--account", "acme", "--user", "alice", "zh_CN")
    assert "pages in zh_CN" in result.output and language() == "zh_CN"
    refused = ccc("account", "language", "--account", "acme", "--user", "alice", "fr", ok=False)
    assert refused.exit_code == 1
    assert "invalid language 'fr': choose one of en, zh_CN" in refused.output
    assert language() == "zh_CN"
    missing = ccc("account", "language", "--account", "acme", "--user", "nobody", "en", ok=False)
    assert "unknown user 'nobody' in account 'acme'" in missing.output
    ccc("account", "language", "--account", "acme", "--user", "alice", "")
    assert language() is None
