"""A password guesser is banned by the PBX; a good agent elsewhere is not; the operator
lifts the ban.

Configured (conftest): account acme, carrier trunk, instance Sales (alice 1001). Here
`ccc serve` runs with a threshold of 10 failed sign-ins within 2 minutes. An attacker
at 127.0.0.66 tries alice's name with wrong passwords 30 times.
"""
from __future__ import annotations

import json
import re

import pytest

from tests.integration.callcenter import local, wait_for

ATTACKER = local("127.0.0.66", 5140)
ALICE_PHONE = local("127.0.0.3", 5080)


@pytest.fixture(scope="module")
def guarded(callcenter):
    cc = callcenter
    cc.stop_serve()
    cc.env.update(CCC_BAN_AFTER="10", CCC_BAN_WITHIN="120", CCC_BAN_SECONDS="600")
    cc.start_serve()
    return cc


def answers(run) -> list[int]:
    return [int(c) for c in re.findall(r"^SIP/2\.0 (\d{3}) ", run.log(), re.M)]


def attempt(cc, agent: dict, password: str, origin, calls: int = 1):
    run = cc.sipp("register-attempt", "register_attempt.xml", origin, agent["sip_username"],
                  "-au", agent["sip_username"], "-ap", password, "-r", "20",
                  "-timeout", "30s", calls=calls)
    run.assert_success(40)
    return answers(run)


def bans(cc) -> list[dict]:
    return json.loads(cc.ccc("security", "bans", "--json").stdout)



def test_a_password_guesser_is_banned_and_an_operator_lifts_it(guarded):
    cc = guarded
    alice = cc.instances["sales"]["admin_agent"]
    # 30 guesses, 20 a second: each fails (401, or 403 if the ban is already in force:
    # `ccc serve` reads the security log every second).
    codes = attempt(cc, alice, "guess", ATTACKER, calls=30)
    assert codes.count(200) == 0 and codes.count(401) >= 10, codes
    banned = wait_for(lambda: [b for b in bans(cc) if b["address"] == ATTACKER[0]])
    assert banned[0]["failures"] >= 10 and "failed sign-ins" in banned[0]["reason"]
    # The right password from the banned address is refused: the PBX denies it all.
    assert wait_for(lambda: attempt(cc, alice, alice["sip_password"], ATTACKER) == [403])
    # alice's own phone, elsewhere, signs in as ever.
    cc.register(alice, ALICE_PHONE)
    # The operator lifts the ban: the same address signs in at once.
    lifted = cc.ccc("security", "unban", ATTACKER[0])
    assert f"ban on {ATTACKER[0]} lifted" in lifted.stdout
    assert "PBX configuration is live" in lifted.stderr
    assert [b for b in bans(cc) if b["address"] == ATTACKER[0]] == []
    assert wait_for(lambda: attempt(cc, alice, alice["sip_password"], ATTACKER)[-1] == 200)
    past = json.loads(cc.ccc("security", "bans", "--all", "--json").stdout)
    assert any(b["address"] == ATTACKER[0] and b["lifted_at"] for b in past)


@pytest.mark.parametrize("address, message", [
    ("127.0.0.77", "no ban in force on 127.0.0.77"),
    ("127.0.0.1; reboot", "invalid address"),
    ("::1]\n[evil", "invalid address")])
def test_unban_refuses_what_is_not_a_ban_in_one_line(guarded, address, message):
    result = guarded.ccc("security", "unban", address, check=False)
    assert result.returncode == 1
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
