"""``ccc audio`` through click's CliRunner: thin commands over engine.audio.service."""
from __future__ import annotations

import json
import socket

import pytest
from click.testing import CliRunner

from cli import main
from engine.settings import load_settings
from tests.unit.audio_samples import pcm_wav, sox_wav, soxi


@pytest.fixture
def settings(tmp_path, monkeypatch):
    with socket.socket() as probe:  # a port nobody listens on: the PBX is "not running"
        probe.bind(("127.0.0.1", 0))
        ami_port = probe.getsockname()[1]
    env = {"CCC_VAR_DIR": str(tmp_path / "var"),
           "CCC_DATABASE_URL": f"sqlite:///{tmp_path / 'ccc.sqlite3'}",
           "CCC_PBX_ROOT": str(tmp_path / "pbx-root"), "CCC_PBX_SITE": "cli",
           "CCC_AMI_PORT": str(ami_port)}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return load_settings(env)


@pytest.fixture
def ccc(settings):
    runner = CliRunner()

    def run(*args: str, ok: bool = True):
        result = runner.invoke(main, list(args))
        if ok:
            assert result.exit_code == 0, (args, result.output, result.exception)
        return result
    return run


@pytest.fixture
def sales(ccc):
    ccc("account", "create", "acme", "--plan", "payg")
    ccc("instance", "create", "--account", "acme", "--name", "Sales", "--domain", "sales.acme",
        "--number", "01012345678", "--number-type", "landline", "--admin", "alice")
    return ["--instance", "sales.acme"]


@pytest.fixture
def tone(tmp_path):
    path = tmp_path / "Main Menu.WAV"
    sox_wav(path, rate=22050, channels=2, seconds=1)
    return path


def listed(ccc, sales) -> dict:
    return {row["name"]: row for row in json.loads(ccc("audio", "list", *sales, "--json").stdout)}


def error_of(result) -> str:
    assert result.exit_code == 1, result.output
    return result.stderr


def test_upload_list_download(ccc, settings, sales, tone, tmp_path):
    result = ccc("audio", "upload", str(tone), *sales)
    assert result.stdout == f"audio main-menu uploaded ({tone.stat().st_size} bytes, 1.0 s)\n"
    rows = listed(ccc, sales)
    assert list(rows) == ["main-menu"]
    assert rows["main-menu"]["duration_ms"] == 1000
    assert rows["main-menu"]["pbx_sound"] == "i1/main-menu"
    # the instance was provisioned, so the site exists and has the PBX's copy already
    copy = settings.site_dir / "sounds" / "i1" / "main-menu.wav"
    assert (soxi(copy, "-r"), soxi(copy, "-c")) == ("8000", "1")

    table = ccc("audio", "list", *sales).stdout.splitlines()
    assert table[0].split() == ["NAME", "SIZE_BYTES", "DURATION_MS", "CREATED_AT"]
    assert table[1].startswith("main-menu ")

    out = tmp_path / "copy.wav"
    ccc("audio", "download", "main-menu", *sales, "-o", str(out))
    assert out.read_bytes() == tone.read_bytes()


def test_replace_rename_delete(ccc, sales, tone, tmp_path):
    ccc("audio", "upload", str(tone), *sales, "--name", "greeting")
    refused = ccc("audio", "upload", str(tone), *sales, "--name", "greeting", ok=False)
    assert "already exists" in error_of(refused)
    shorter = tmp_path / "short.wav"
    sox_wav(shorter, rate=8000, channels=1, seconds=0.25)
    result = ccc("audio", "upload", str(shorter), *sales, "--name", "greeting", "--replace")
    assert result.stdout.startswith("audio greeting replaced (")
    assert listed(ccc, sales)["greeting"]["duration_ms"] == 250

    assert ccc("audio", "rename", "greeting", "hello", *sales).stdout == \
        "audio greeting renamed to hello\n"
    assert list(listed(ccc, sales)) == ["hello"]
    assert ccc("audio", "delete", "hello", *sales).stdout == "audio hello deleted\n"
    assert listed(ccc, sales) == {}


@pytest.mark.parametrize("content, message", [
    (b"ID3\x04\x00\x00\x00\x00\x00\x00\xff\xfb\x90\x64", "Error: not a WAV file: it has no RIFF"),
    (b"plain text\n", "Error: not a WAV file: it has no RIFF"),
])
def test_a_file_named_wav_that_is_not_one_is_one_error_line(ccc, sales, tmp_path, content,
                                                            message):
    fake = tmp_path / "prompt.wav"
    fake.write_bytes(content)
    stderr = error_of(ccc("audio", "upload", str(fake), *sales, ok=False))
    assert stderr.startswith(message)
    assert stderr.count("\n") == 1
    assert listed(ccc, sales) == {}


def test_operator_mistakes(ccc, sales, tone):
    assert "invalid audio name 'bad name'" in error_of(
        ccc("audio", "upload", str(tone), *sales, "--name", "bad name", ok=False))
    assert "no audio 'nope' in instance sales.acme" in error_of(
        ccc("audio", "delete", "nope", *sales, ok=False))
    assert "unknown instance 'other.acme'" in error_of(
        ccc("audio", "list", "--instance", "other.acme", ok=False))


def test_a_file_over_5_mb_is_refused_in_one_line(ccc, sales, tmp_path):
    big = tmp_path / "big.wav"
    big.write_bytes(pcm_wav(5 * 1024 * 1024 + 1))
    stderr = error_of(ccc("audio", "upload", str(big), *sales, ok=False))
    assert stderr == "Error: the file is larger than 5 MB (at most 5242880 bytes)\n"


def test_sync_remakes_missing_pbx_copies(ccc, settings, sales, tone):
    ccc("audio", "upload", str(tone), *sales)
    copy = settings.site_dir / "sounds" / "i1" / "main-menu.wav"
    copy.unlink()
    assert ccc("audio", "sync").stdout == "1 PBX copies made\n"
    assert soxi(copy, "-r") == "8000"
