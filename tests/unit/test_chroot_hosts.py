"""The PBX root's hosts file: the host's own, completed so that Asterisk's per-call
lookup of the host's name never goes to DNS."""
import os

from provisioning.chroot import hosts_file, sync_name_resolution


def test_the_hosts_own_file_is_kept_when_it_names_the_host():
    host = "127.0.0.1 localhost\n127.0.0.1 vm\n"
    assert hosts_file(host, "vm") == host


def test_a_missing_host_name_and_localhost_are_added():
    found = hosts_file("10.0.0.5 db # the database\n", "pbx1")
    assert found.splitlines() == ["10.0.0.5 db # the database", "127.0.0.1\tlocalhost",
                                  "127.0.1.1\tpbx1"]


def test_a_name_in_a_comment_does_not_count():
    assert "127.0.1.1\tpbx1" in hosts_file("127.0.0.1 localhost # pbx1\n", "pbx1")


def test_an_empty_host_file_still_resolves_both():
    assert hosts_file("", "pbx1") == "127.0.0.1\tlocalhost\n127.0.1.1\tpbx1\n"


def test_sync_writes_the_root_file_once(tmp_path):
    (tmp_path / "etc").mkdir()
    sync_name_resolution(tmp_path)
    first = (tmp_path / "etc" / "hosts").stat()
    text = (tmp_path / "etc" / "hosts").read_text()
    assert os.uname().nodename in text.split()
    sync_name_resolution(tmp_path)
    assert (tmp_path / "etc" / "hosts").stat().st_ino == first.st_ino
