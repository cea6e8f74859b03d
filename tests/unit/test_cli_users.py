"""``ccc user`` and ``ccc account token``: the operator manages an account's users and
tokens with the owner's rules (no weak password, the last owner stays)."""
from __future__ import annotations

from tests.unit.test_cli import SALES, ccc, ccc_json, settings

__all__ = ["ccc", "settings"]  # test_cli's fixtures
GOOD = "tangerine orbit 42"


def test_the_operator_manages_users_from_the_command_line(ccc):
    ccc("account", "create", "acme", "--plan", "payg")
    ccc(*SALES)  # makes alice, Sales' administrator
    made = ccc("user", "create", "--account", "acme", "--name", "olga", "--role", "owner",
               "--password", GOOD)
    assert made.output == "user olga of acme created (owner)\n"
    weak = ccc("user", "create", "--account", "acme", "--name", "pete", "--role", "owner",
               "--password", "pete123", ok=False)
    assert weak.exit_code == 1 and weak.output.count("\n") == 1
    assert "password" in weak.output
    assert [(u["name"], u["role"]) for u in ccc_json(ccc, "user", "list", "--account", "acme")
            ] == [("alice", "instance_admin"), ("olga", "owner")]
    ccc("user", "password", "--account", "acme", "--name", "alice", "--password", GOOD)
    last = ccc("user", "delete", "--account", "acme", "--name", "olga", ok=False)
    assert last.exit_code == 1 and "last owner" in last.output
    ccc("user", "disable", "--account", "acme", "--name", "alice")
    assert [u["disabled"] for u in ccc_json(ccc, "user", "list", "--account", "acme")] == [
        True, False]
    token = ccc("account", "token", "create", "--account", "acme", "--user", "olga").output
    [listed] = ccc_json(ccc, "account", "token", "list", "--account", "acme")
    assert token.startswith(listed["hint"]) and listed["user"] == "olga"
    ccc("account", "token", "revoke", "--account", "acme", str(listed["id"]))
    assert ccc_json(ccc, "account", "token", "list", "--account", "acme") == []
    gone = ccc("account", "token", "revoke", "--account", "acme", str(listed["id"]), ok=False)
    assert gone.exit_code == 1 and "no such token" in gone.output
