"""The PBX host's pure parts: mirror lookup, site files, the root's marker, argv."""
from __future__ import annotations

import stat
from pathlib import Path

import pytest

from engine.settings import Settings
from provisioning import chroot, pbx_process, site
from provisioning.apt_sources import (
    MirrorNotFound,
    host_mirror,
    mirror_from_deb822,
    mirror_from_list,
    os_codename,
)
from provisioning.secrets import ami_secret, secret_path

DEB822 = """\
Types: deb
# a snapshot of the security archive comes first
URIs: http://security.example.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://src.example.org/debian
Suites: bookworm
Components: main

Types: deb
URIs: http://disabled.example.org/debian
Suites: bookworm
Enabled: no

Types: deb
URIs: http://mirror.example.org/debian
  http://second.example.org/debian
Suites: bookworm bookworm-updates
Components: main
"""

SOURCES_LIST = """\
# deb http://commented.example.org/debian bookworm main
deb-src http://src.example.org/debian bookworm main
deb http://security.example.org/debian-security bookworm-security main
deb [arch=amd64 signed-by=/usr/share/keyrings/x.gpg] http://list.example.org/debian bookworm main
"""


def make_settings(tmp_path: Path, **changes) -> Settings:
    values = {"database_url": "sqlite://", "var_dir": tmp_path / "var",
              "pbx_root": tmp_path / "root", "site": "unit", "sip_bind": "127.0.0.1",
              "sip_port": 25061, "ami_port": 25039, "agi_port": 24573,
              "rtp_start": 21000, "rtp_end": 21099}
    return Settings(**{**values, **changes})


# -- the mirror -------------------------------------------------------------------

def test_codename_is_read_from_os_release():
    assert os_codename('NAME="Debian GNU/Linux"\nVERSION_CODENAME=bookworm\n') == "bookworm"
    assert os_codename('VERSION_CODENAME="noble"') == "noble"
    assert os_codename("NAME=x\n") == ""


def test_deb822_picks_the_enabled_binary_stanza_of_the_release_itself():
    assert mirror_from_deb822(DEB822, "bookworm") == "http://mirror.example.org/debian"


def test_deb822_without_the_release_finds_nothing():
    assert mirror_from_deb822(DEB822, "trixie") is None
    assert mirror_from_deb822("", "bookworm") is None


def test_one_line_sources_skip_options_comments_sources_and_security():
    assert mirror_from_list(SOURCES_LIST, "bookworm") == "http://list.example.org/debian"
    assert mirror_from_list("deb [ trusted=yes ] file:/srv/mirror bookworm main\n",
                            "bookworm") == "file:/srv/mirror"
    assert mirror_from_list(SOURCES_LIST, "trixie") is None


def _etc(tmp_path: Path, deb822: str | None, sources_list: str | None) -> Path:
    etc = tmp_path / "etc"
    (etc / "apt" / "sources.list.d").mkdir(parents=True)
    (etc / "os-release").write_text("ID=debian\nVERSION_CODENAME=bookworm\n")
    if deb822 is not None:
        (etc / "apt" / "sources.list.d" / "debian.sources").write_text(deb822)
    if sources_list is not None:
        (etc / "apt" / "sources.list").write_text(sources_list)
    return etc


def test_host_mirror_prefers_deb822_sources(tmp_path):
    etc = _etc(tmp_path, DEB822, SOURCES_LIST)
    assert host_mirror(etc) == "http://mirror.example.org/debian"


def test_host_mirror_falls_back_to_sources_list(tmp_path):
    etc = _etc(tmp_path, None, SOURCES_LIST)
    assert host_mirror(etc) == "http://list.example.org/debian"


def test_host_mirror_says_when_there_is_none(tmp_path):
    etc = _etc(tmp_path, None, None)
    with pytest.raises(MirrorNotFound, match="bookworm"):
        host_mirror(etc)


def test_no_mirror_address_is_written_in_the_code():
    # The mirror always comes from the host's apt sources, never from a literal.
    provisioning = Path(site.__file__).parent
    for path in provisioning.glob("*.py"):
        text = path.read_text()
        assert "http://" not in text and "https://" not in text, path


# -- site files -------------------------------------------------------------------

def test_static_files_are_deterministic(tmp_path):
    settings = make_settings(tmp_path)
    first = site.static_files(settings)
    assert site.static_files(settings) == first
    assert set(first) == set(site.STATIC_TEMPLATES)
    assert all(text.endswith("\n") for text in first.values())


def test_manager_listens_on_loopback_only_with_the_site_secret(tmp_path):
    settings = make_settings(tmp_path)
    manager = site.static_files(settings)["manager.conf"]
    assert "bindaddr = 127.0.0.1\n" in manager
    assert "port = 25039\n" in manager
    assert "[ccc]\n" in manager
    assert f"secret = {ami_secret(settings)}\n" in manager
    assert "0.0.0.0" not in manager.replace("deny = 0.0.0.0/0.0.0.0", "")


def test_secret_is_generated_once_and_private(tmp_path):
    settings = make_settings(tmp_path)
    secret = ami_secret(settings)
    assert len(secret) >= 32 and ami_secret(settings) == secret
    assert stat.S_IMODE(secret_path(settings).stat().st_mode) == 0o600


def test_modules_conf_loads_exactly_the_list(tmp_path):
    modules = site.static_files(make_settings(tmp_path))["modules.conf"]
    assert "autoload = no\n" in modules
    loaded = [line.split("=")[1].strip() for line in modules.splitlines()
              if line.startswith("load =")]
    assert loaded == [f"{name}.so" for name in site.MODULES]
    assert len(set(site.MODULES)) == len(site.MODULES)


def test_rtp_range_comes_from_settings(tmp_path):
    rtp = site.static_files(make_settings(tmp_path, rtp_start=30000, rtp_end=30010))["rtp.conf"]
    assert "rtpstart = 30000\n" in rtp and "rtpend = 30010\n" in rtp


def test_asterisk_conf_keeps_writes_in_the_site_and_reads_the_package(tmp_path):
    settings = make_settings(tmp_path)
    (settings.pbx_root / "usr/lib64/asterisk/modules").mkdir(parents=True)
    conf = site.asterisk_conf(settings)
    where = "/var/lib/ccc/sites/unit"
    for line in ("astetcdir => %s/etc/asterisk", "astrundir => %s/run",
                 "astlogdir => %s/log", "astspooldir => %s/spool", "astdbdir => %s/lib"):
        assert line % where + "\n" in conf
    assert "astdatadir => /usr/share/asterisk\n" in conf
    assert "astmoddir => /usr/lib64/asterisk/modules\n" in conf
    assert "[directories]\n" in conf  # "(!)" would make it a template Asterisk ignores


def test_create_site_makes_the_runtime_directories(tmp_path):
    settings = make_settings(tmp_path)
    root = site.create_site(settings)
    assert root == tmp_path / "root/var/lib/ccc/sites/unit"
    for name in ("run", "log/cdr-custom", "spool", "lib", "etc"):
        assert (root / name).is_dir()
    assert site.write_asterisk_conf(settings).read_text() == site.asterisk_conf(settings)


# -- the PBX root ------------------------------------------------------------------

def test_a_root_without_marker_is_not_finished(tmp_path):
    root = tmp_path / "pbx-root"
    (root / "usr/sbin").mkdir(parents=True)
    assert chroot.read_marker(root) is None
    assert chroot.missing_packages(root) == list(chroot.PACKAGES)
    with pytest.raises(chroot.ChrootError, match="not built by ccc"):
        chroot.build(root, "http://mirror.example.org/debian", log=lambda _: None)


def test_marker_lists_what_the_root_holds(tmp_path):
    chroot.write_marker(tmp_path, "sid", ["asterisk"], "http://mirror.example.org/debian")
    assert chroot.read_marker(tmp_path) == {
        "suite": "sid", "packages": ["asterisk"], "mirror": "http://mirror.example.org/debian"}
    assert "asterisk" not in chroot.missing_packages(tmp_path)
    assert "asterisk-core-sounds-en-wav" in chroot.missing_packages(tmp_path)


def test_argv_chroots_unless_the_root_is_slash(tmp_path):
    chrooted = pbx_process.argv(make_settings(tmp_path))
    assert chrooted[:2] == ["chroot", str(tmp_path / "root")]
    assert chrooted[2:] == ["/usr/sbin/asterisk", "-f", "-n", "-C",
                            "/var/lib/ccc/sites/unit/asterisk.conf"]
    plain = pbx_process.argv(make_settings(tmp_path, pbx_root=Path("/")))
    assert plain[0] == "/usr/sbin/asterisk"


def test_no_pid_file_means_not_running(tmp_path):
    settings = make_settings(tmp_path)
    assert pbx_process.running_pid(settings) is None
    site.create_site(settings)
    pbx_process.write_pid(settings, 1)  # init: alive, but not this site's Asterisk
    assert pbx_process.running_pid(settings) is None
