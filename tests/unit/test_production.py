"""Production settings, TLS in the PBX's files and the web app, and the systemd units.

No PBX and no systemd here: the rules of what is rendered and written. The units'
command lines are started for real, as their user, in
tests/integration/test_production.py.
"""
from __future__ import annotations

import os
import pwd
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from engine.phones.service import web_phone, websocket_origin
from engine.settings import load_settings
from provisioning import services, site, tls
from provisioning.templates import UnsafeValue
from tests.unit.test_pbx_host import make_settings
from tests.unit.test_render import build_call_center, render_database_files, sections


# -- settings ---------------------------------------------------------------------------

def test_tls_is_off_by_default_and_on_with_its_ports(tmp_path):
    plain = load_settings({"CCC_VAR_DIR": str(tmp_path)})
    assert not plain.tls and plain.public_web_url == "http://127.0.0.1:8080"
    on = load_settings({"CCC_VAR_DIR": str(tmp_path), "CCC_TLS": "on"})
    assert on.tls and (on.sip_tls_port, on.pbx_https_port) == (5061, 8089)
    assert on.public_web_url == "https://127.0.0.1:8080"
    assert on.tls_dir == tmp_path / "tls"


@pytest.mark.parametrize("name, value", [("CCC_TLS", "maybe"), ("CCC_LOG_LEVEL", "LOUD")])
def test_a_bad_switch_or_log_level_is_refused_by_name(tmp_path, name, value):
    with pytest.raises(ValueError, match=name):
        load_settings({"CCC_VAR_DIR": str(tmp_path), name: value})


def test_the_log_level_is_read_in_any_case(tmp_path):
    assert load_settings({"CCC_VAR_DIR": str(tmp_path), "CCC_LOG_LEVEL": "debug"}).log_level \
        == "DEBUG"


# -- the PBX's files with TLS -------------------------------------------------------------

def test_with_tls_the_pbx_http_server_listens_securely_and_plain_only_on_loopback(tmp_path):
    settings = make_settings(tmp_path, tls=True, pbx_http_bind="0.0.0.0", pbx_https_port=8089)
    http = site.static_files(settings)["http.conf"]
    assert "bindaddr = 127.0.0.1\n" in http and "tlsenable = yes\n" in http
    assert "tlsbindaddr = 0.0.0.0:8089\n" in http
    assert "tlscertfile = /var/lib/ccc/sites/unit/keys/cert.pem\n" in http
    assert "tlsprivatekey = /var/lib/ccc/sites/unit/keys/key.pem\n" in http
    assert "tls" not in site.static_files(make_settings(tmp_path))["http.conf"]


def test_with_tls_pjsip_has_a_tls_transport_and_the_browsers_use_wss(settings, session):
    build_call_center(session)
    rendered = render_database_files(session, replace(settings, tls=True, sip_tls_port=5061))
    pjsip = sections(rendered["pjsip.conf"])
    transport = pjsip["transport-tls"]
    assert "protocol=tls" in transport and "bind=0.0.0.0:5061" in transport
    assert "cert_file=/var/lib/ccc/sites/unit/keys/cert.pem" in transport
    assert "protocol=wss" in pjsip["transport-wss"]
    assert "transport=transport-wss" in pjsip["i1-1002-web"]
    # SIP phones get SRTP when they offer it, plain RTP otherwise; browsers keep DTLS.
    assert "media_encryption=sdes" in pjsip["i1-1002"]
    assert "media_encryption_optimistic=yes" in pjsip["i1-1002"]
    assert "media_encryption=sdes" not in pjsip["i1-1002-web"]
    plain = sections(render_database_files(session, settings)["pjsip.conf"])
    assert "transport-tls" not in plain and "transport-wss" not in plain
    assert "media_encryption=sdes" not in plain["i1-1002"]


def test_the_workbench_connects_to_wss_on_the_https_port(tmp_path):
    settings = make_settings(tmp_path, tls=True, pbx_http_bind="0.0.0.0", pbx_https_port=8089)
    assert websocket_origin(settings, "pbx.example.com:8443") == "wss://pbx.example.com:8089"
    plain = make_settings(tmp_path, pbx_http_bind="0.0.0.0")
    assert websocket_origin(plain, "pbx.example.com") == "ws://pbx.example.com:8088"

    class Agent:
        sip_username, sip_secret, extension = "i1-1001", "s3cretvalue", "1001"
    assert web_phone(settings, Agent, "h.example").websocket_url == "wss://h.example:8089/ws"


# -- the certificate ---------------------------------------------------------------------

def test_a_self_signed_pair_is_generated_once_with_a_message(tmp_path):
    settings = make_settings(tmp_path, tls=True, web_url="https://pbx.example.com:8443")
    said = []
    cert, key = tls.certificate(settings, said.append)
    assert said and "self-signed" in said[0] and "CCC_TLS_CERT" in said[0]
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    text = subprocess.run(["openssl", "x509", "-in", str(cert), "-noout", "-text"],
                          capture_output=True, text=True, check=True).stdout
    assert "DNS:pbx.example.com" in text and "IP Address:127.0.0.1" in text
    again = []
    assert tls.certificate(settings, again.append) == (cert, key) and again == []


def test_a_configured_pair_is_used_and_a_missing_file_named(tmp_path):
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    cert.write_text("x")
    key.write_text("y")
    settings = make_settings(tmp_path, tls=True, tls_cert=str(cert), tls_key=str(key))
    assert tls.certificate(settings) == (cert, key)
    with pytest.raises(tls.TlsError, match="CCC_TLS_KEY"):
        tls.certificate(replace(settings, tls_key=str(tmp_path / "missing.pem")))


def test_the_site_gets_a_private_copy_of_the_pair(tmp_path):
    settings = make_settings(tmp_path, tls=True)
    tls.install_in_site(settings, log=lambda _line: None)
    site_cert, site_key = tls.site_pair(settings)
    assert site_cert.read_bytes() == tls.generated_pair(settings)[0].read_bytes()
    assert oct(site_key.stat().st_mode & 0o777) == "0o600"


# -- the web app --------------------------------------------------------------------------

def test_over_https_answers_carry_hsts_and_the_cookie_is_secure(tmp_path):
    from webadmin import create_app
    app = create_app(make_settings(tmp_path, tls=True), {"TESTING": True})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    client = app.test_client()
    secure = client.get("/sign-in", base_url="https://pbx.example.com")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "Secure" in secure.headers["Set-Cookie"]
    plain = create_app(make_settings(tmp_path / "plain"), {"TESTING": True}).test_client()
    answer = plain.get("/sign-in")
    assert "Strict-Transport-Security" not in answer.headers
    assert "Secure" not in answer.headers.get("Set-Cookie", "")


def test_the_app_loads_without_arguments_from_the_environment(tmp_path, monkeypatch):
    from webadmin import create_app
    monkeypatch.setenv("CCC_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("CCC_TLS", "on")
    app = create_app()
    assert app.config["CCC_SETTINGS"].var_dir == tmp_path and app.config["SESSION_COOKIE_SECURE"]


# -- the units ------------------------------------------------------------------------------

def test_the_env_file_takes_the_environment_over_production_defaults(tmp_path):
    values = services.environment_for({"CCC_WEB_PORT": "443", "HOME": "/root",
                                       "CCC_PBX_ROOT": str(tmp_path / "root")})
    assert values["CCC_WEB_PORT"] == "443" and values["CCC_TLS"] == "on"
    assert values["CCC_VAR_DIR"] == "/var/lib/ccc/var" and "HOME" not in values
    assert values["CCC_DATABASE_URL"] == "sqlite:////var/lib/ccc/var/ccc.sqlite3"
    path = tmp_path / "ccc.env"
    path.write_text(services.env_file_text(values))
    assert services.read_env_file(path) == values


def test_a_value_the_env_file_cannot_carry_is_refused():
    with pytest.raises(services.InstallError, match="CCC_WEB_URL"):
        services.environment_for({"CCC_WEB_URL": "https://x\nCCC_TLS=off"})


def test_the_units_run_asterisk_chrooted_as_the_user_and_the_web_app_apart(tmp_path):
    user = pwd.getpwuid(os.getuid()).pw_name
    settings = make_settings(tmp_path, tls=True, web_port=8443)
    units = services.unit_texts(settings, user, Path("/etc/ccc/ccc.env"))
    pbx, serve, web = (units[f"ccc-{n}.service"] for n in ("pbx", "serve", "web"))
    uid, gid = os.getuid(), os.getgid()
    assert (f"ExecStart=+/usr/sbin/chroot --userspec={uid}:{gid} --groups={gid} "
            f"{tmp_path / 'root'} /usr/sbin/asterisk -f -n -C "
            "/var/lib/ccc/sites/unit/asterisk.conf\n") in pbx
    assert "pbx prepare\n" in pbx
    assert "ccc serve --no-web\n" in serve
    assert "gunicorn --config python:webadmin.server webadmin:create_app()\n" in web
    assert "CAP_NET_BIND_SERVICE" not in web
    for text in units.values():
        assert f"User={user}\n" in text and "EnvironmentFile=/etc/ccc/ccc.env\n" in text
    low = services.unit_texts(replace(settings, web_port=443), user, Path("/etc/ccc/ccc.env"))
    assert "AmbientCapabilities=CAP_NET_BIND_SERVICE" in low["ccc-web.service"]
    host = services.unit_texts(replace(settings, pbx_root=Path("/")), user,
                               Path("/etc/ccc/ccc.env"))["ccc-pbx.service"]
    assert "ExecStart=/usr/sbin/asterisk -f -n -C" in host and "chroot" not in host


def test_a_path_with_configuration_syntax_stops_the_units(tmp_path):
    user = pwd.getpwuid(os.getuid()).pw_name
    with pytest.raises(UnsafeValue):
        services.unit_texts(make_settings(tmp_path / "a\nExecStartPost=/bin/sh"), user,
                            Path("/etc/ccc/ccc.env"))
