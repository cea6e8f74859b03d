"""The browser softphone on the PBX side: the WebSocket transport, each agent's second
endpoint, both phones ringing, the echo test, the PBX's HTTP server.

Same call center as test_render.py (account acme, instances Sales and Hotline, agent bob
in Sales); the whole files are compared in the golden files, these tests name the rules.
"""
from __future__ import annotations

from dataclasses import replace

import pytest

from engine.phones.service import web_username
from engine.settings import load_settings
from provisioning import site
from provisioning.templates import UnsafeValue
from tests.unit.test_render import build_call_center, render_database_files, sections
from tests.unit.test_pbx_host import make_settings

SIP_SIDE = ("identify_by=username", "context=ccc-i1-agents", "accountcode=i1",
            "callerid=1002 <1002>", "set_var=CCC_AGENT=1002",
            "set_var=CCC_CALLERID=01012345678")


@pytest.fixture
def rendered(settings, session) -> dict[str, str]:
    build_call_center(session)
    return render_database_files(session, settings)


def test_every_agent_has_a_web_endpoint_like_its_sip_endpoint(rendered):
    pjsip = sections(rendered["pjsip.conf"])
    for name in ("i1-1001", "i1-1002", "i2-1001"):
        assert pjsip[web_username(name)][0] == "type=endpoint"
    web, sip = pjsip["i1-1002-web"], pjsip["i1-1002"]
    for line in SIP_SIDE:
        assert line in sip and line in web, line
    assert "webrtc=yes" in web and "webrtc=yes" not in sip
    assert "transport=transport-ws" in web
    assert [line for line in web if line.startswith(("auth=", "aors="))] == [
        "auth=i1-1002-web", "aors=i1-1002-web"]
    # its own digest user name, the agent's one password; one contact, the newest wins
    assert ["type=auth", "auth_type=userpass", "username=i1-1002-web",
            "password=secret-i1-1002"] == web[web.index("type=auth"):][:4]
    assert ["type=aor", "max_contacts=1", "remove_existing=yes"] == web[-3:]


def test_the_websocket_transport_names_the_pbx_http_server(settings, session):
    build_call_center(session)
    files = render_database_files(session, replace(settings, pbx_http_bind="192.0.2.7"))
    transport = sections(files["pjsip.conf"])["transport-ws"]
    assert transport == ["type=transport", "protocol=ws", "bind=192.0.2.7"]


def test_dialling_an_agent_rings_both_of_its_phones(rendered):
    extensions = sections(rendered["extensions.conf"])
    agents = "\n".join(extensions["ccc-i1-agents"])
    ring = "b(ccc-ring-agent^s^1(${EXTEN}))"
    assert f"Dial(PJSIP/i1-1001&PJSIP/i1-1001-web,30,{ring})" in agents
    assert f"Dial(PJSIP/i1-1002&PJSIP/i1-1002-web,30,{ring})" in agents
    # the IVR's transfer to an agent, after the dialplan checked the name's shape
    inbound = "\n".join(extensions["ccc-i1-inbound"])
    assert "Dial(PJSIP/${CCC_DIAL_AGENT}&PJSIP/${CCC_DIAL_AGENT}-web,${CCC_DIAL_TIMEOUT}," \
        "gb(ccc-ring-agent^s^1(${CCC_DIALLED})))" in inbound


def test_every_ringing_agent_phone_is_told_the_number_dialled(rendered):
    extensions = sections(rendered["extensions.conf"])
    assert extensions["ccc-ring-agent"] == [
        "exten => s,1,Set(PJSIP_HEADER(add,X-CCC-Dialled)=${ARG1})", " same => n,Return()"]
    inbound = extensions["ccc-i1-inbound"]
    assert inbound[2] == " same => n,Set(CCC_DIALLED=${EXTEN})"
    text = "\n".join(inbound)
    rings = [line for line in text.splitlines() if "Queue(" in line or "Dial(PJSIP/" in line]
    # every queue and every agent dial (not the trunk's external dial) announces it
    assert len(rings) == 4
    for line in rings:
        assert ("b(ccc-ring-agent^s^1(${CCC_DIALLED}))" in line) != ("@trunk-carrier" in line)


def test_the_echo_test_is_a_fixed_name_with_a_bounded_time(rendered):
    for key in ("i1", "i2"):
        agents = sections(rendered["extensions.conf"])[f"ccc-{key}-agents"]
        start = agents.index(f"exten => echo,1,Set(CDR(userfield)=dir=internal&inst={key}"
                             "&agent=${CCC_AGENT})")
        assert agents[start + 1:start + 5] == [
            " same => n,Answer()", " same => n,Set(TIMEOUT(absolute)=30)",
            " same => n,Echo()", " same => n,Hangup()"]
        # exact, so it is matched before the catch-all that refuses other names
        assert agents[-2].startswith("exten => _[!-~].,1,") and start < len(agents) - 2


def test_pbx_http_server_listens_where_settings_say_and_serves_nothing_else(tmp_path):
    http = site.static_files(make_settings(tmp_path))["http.conf"]
    assert "bindaddr = 127.0.0.1\n" in http and "bindport = 8088\n" in http
    assert "enablestatic = no\n" in http and "enable_status = no\n" in http
    opened = make_settings(tmp_path, pbx_http_bind="0.0.0.0", pbx_http_port=8443)
    http = site.static_files(opened)["http.conf"]
    assert "bindaddr = 0.0.0.0\n" in http and "bindport = 8443\n" in http


def test_a_bad_http_bind_address_stops_the_render(tmp_path):
    with pytest.raises(UnsafeValue):
        site.static_files(make_settings(tmp_path, pbx_http_bind="127.0.0.1\nbindport=1"))


def test_ice_and_the_webrtc_modules_are_on(tmp_path):
    files = site.static_files(make_settings(tmp_path))
    assert "icesupport = yes\n" in files["rtp.conf"] and "stunaddr" not in files["rtp.conf"]
    for module in ("res_http_websocket", "res_pjsip_transport_websocket", "res_srtp",
                   "func_timeout"):
        assert f"load = {module}.so\n" in files["modules.conf"]


def test_the_pbx_http_server_is_loopback_unless_the_operator_opens_it(tmp_path):
    default = load_settings({"CCC_VAR_DIR": str(tmp_path)})
    assert (default.pbx_http_bind, default.pbx_http_port) == ("127.0.0.1", 8088)
    opened = load_settings({"CCC_VAR_DIR": str(tmp_path), "CCC_PBX_HTTP_BIND": "0.0.0.0",
                            "CCC_PBX_HTTP_PORT": "8089"})
    assert (opened.pbx_http_bind, opened.pbx_http_port) == ("0.0.0.0", 8089)
