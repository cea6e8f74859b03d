"""Provisioning a live PBX: a change is in force at once; a bad configuration rolls back.

Configured as in conftest (account acme, carrier trunk, instances Sales with landline
01012345678 and Hotline with 400 number 4001234567), on SQLite only: what is tested
here is the PBX side, which does not depend on the database. No calls are placed, so
`ccc serve` is not started.
"""
from __future__ import annotations

import re
import shutil

import pytest

from engine.ami.client import ami_command
from engine.settings import load_settings
from provisioning.apply import (
    ApplyError,
    _verify_settled,
    apply_files,
    current_generation,
    has_context,
    swap_to,
)
from tests.integration.callcenter import CallCenter, environment
from tests.integration.conftest import OUTPUT, _provision, _sqlite


@pytest.fixture(scope="module")
def site(pbx_site, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("cc-provisioning")
    output = OUTPUT / "provisioning"
    shutil.rmtree(output, ignore_errors=True)
    output.mkdir(parents=True)
    with _sqlite(workdir) as url:
        cc = CallCenter(environment(workdir, url, pbx_site), workdir, output)
        cc.instances = _provision(cc)
        yield cc


@pytest.fixture
def settings(site):
    return load_settings(site.env)


def endpoints(settings) -> list[str]:
    text = ami_command(settings, "pjsip show endpoints")
    return re.findall(r"^\s*Endpoint:\s+([\w-]+)", text, re.M)  # name/caller id


def files_in_force(settings) -> dict[str, str]:
    link = settings.site_dir / "etc" / "asterisk"
    return {path.name: path.read_text() for path in sorted(link.iterdir())}


def test_a_new_agent_is_live_at_once_and_gone_when_deleted(site, settings):
    before = endpoints(settings)
    assert {"trunk-carrier", "i1-1001", "i2-1001"} <= set(before)

    created = site.ccc("agent", "create", "--instance", "sales.acme", "--name", "dave",
                       "--skill-group", "default:2")
    assert "agent 1002 created: SIP user i1-1002" in created.stdout
    assert "PBX configuration is live" in created.stderr
    # Two endpoints: the SIP phone's and the workbench page's.
    assert set(endpoints(settings)) == set(before) | {"i1-1002", "i1-1002-web"}
    # Signing in makes it a member of its skill group's queue...
    site.ccc("agent", "state", "ready", "--instance", "sales.acme", "--extension", "1002",
             "--device", "sip")
    assert "PJSIP/i1-1002" in ami_command(settings, "queue show i1-q1")

    deleted = site.ccc("agent", "delete", "--instance", "sales.acme", "--extension", "1002")
    assert "agent 1002 deleted" in deleted.stdout
    assert "PBX configuration is live" in deleted.stderr
    assert sorted(endpoints(settings)) == sorted(before)
    # ...and deleting the agent takes it out of the queue with the same apply.
    assert "PJSIP/i1-1002" not in ami_command(settings, "queue show i1-q1")


def without_carrier_context(files: dict[str, str]) -> dict[str, str]:
    text, count = re.subn(r"^\[ccc-from-carrier\]\n(?:.+\n)*\n", "", files["extensions.conf"],
                          flags=re.M)
    assert count == 1 and "ccc-from-carrier]" not in text
    return {**files, "extensions.conf": text}


def with_a_duplicated_endpoint(files: dict[str, str]) -> dict[str, str]:
    pjsip = files["pjsip.conf"]
    [section] = re.findall(r"^\[i1-1001\]\ntype=endpoint\n(?:.+\n)*", pjsip, re.M)
    return {**files, "pjsip.conf": pjsip + "\n" + section}


def with_a_garbled_endpoint(files: dict[str, str]) -> dict[str, str]:
    pjsip = files["pjsip.conf"].replace("[i2-1001]\ntype=endpoint\n",
                                        "[i2-1001]\ntype=endpoint\nno_such_option=1\n")
    assert pjsip != files["pjsip.conf"]
    return {**files, "pjsip.conf": pjsip}


@pytest.mark.parametrize("break_files", [
    without_carrier_context, with_a_duplicated_endpoint,
    with_a_garbled_endpoint])
def test_a_configuration_the_pbx_does_not_take_is_rolled_back(site, settings, break_files):
    good = files_in_force(settings)
    good_generation = current_generation(settings)
    good_endpoints = sorted(endpoints(settings))
    # The trunk, and each of the two admin agents' SIP phone and workbench phone.
    assert has_context(settings, "ccc-from-carrier") and len(good_endpoints) == 5
    try:
        with pytest.raises(ApplyError, match="previous one is back in force"):
            apply_files(settings, break_files(good), pbx_running=True)
        assert current_generation(settings) == good_generation
        assert files_in_force(settings) == good
        assert _verify_settled(settings, good) == []
        assert has_context(settings, "ccc-from-carrier")
        assert sorted(endpoints(settings)) == good_endpoints
    finally:
        # Leave the PBX as the other tests expect it, whatever happened above.
        if current_generation(settings) != good_generation:
            swap_to(settings, good_generation)
        ami_command(settings, "core reload")
        assert _verify_settled(settings, good) == []


def test_the_same_configuration_again_is_not_reloaded(site, settings):
    result = site.ccc("pbx", "apply")
    assert result.stderr.strip() == "PBX configuration is live"
    generation = current_generation(settings)
    assert apply_files(settings, files_in_force(settings), pbx_running=True).changed is False
    assert current_generation(settings) == generation
