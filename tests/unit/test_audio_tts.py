"""Text prompts: spoken by espeak-ng once, kept as 8 kHz mono WAV files."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from engine.audio.tts import MAX_TEXT, spoken_prompt
from engine.errors import Invalid
from engine.settings import load_settings
from tests.unit.audio_samples import soxi


@pytest.fixture
def settings(tmp_path):
    return load_settings({"CCC_VAR_DIR": str(tmp_path / "var"),
                          "CCC_PBX_ROOT": str(tmp_path / "pbx-root"), "CCC_PBX_SITE": "tts"})


def played(settings, name: str) -> Path:
    return settings.site_dir / "sounds" / f"{name}.wav"


def test_text_is_rendered_to_an_8k_mono_wav_named_under_tts(settings):
    name = spoken_prompt(settings, "Thank you for calling. Press 1 for sales.")
    assert name.startswith("tts/") and len(name) == len("tts/") + 32
    path = played(settings, name)
    assert (soxi(path, "-r"), soxi(path, "-c"), soxi(path, "-b")) == ("8000", "1", "16")
    assert float(soxi(path, "-D")) > 1.0  # speech, not an empty file


def test_the_same_text_is_rendered_once(settings):
    name = spoken_prompt(settings, "Our office is closed.")
    path = played(settings, name)
    first = path.stat().st_ino  # a new rendering would be a new file renamed over it
    assert spoken_prompt(settings, "Our  office is\nclosed.") == name  # same words
    assert path.stat().st_ino == first
    assert spoken_prompt(settings, "Our office is open.") != name
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".")] == []


def test_chinese_text_gets_the_mandarin_voice(settings):
    name = spoken_prompt(settings, "欢迎致电")
    assert float(soxi(played(settings, name), "-D")) > 0.3


def test_text_that_looks_like_an_option_is_spoken_not_obeyed(settings):
    name = spoken_prompt(settings, "--version")
    assert soxi(played(settings, name), "-r") == "8000"


@pytest.mark.parametrize("text, message", [("", "empty"), ("  \n ", "empty"),
                                           ("a" * (MAX_TEXT + 1), "longer than")])
def test_empty_or_too_long_text_is_refused(settings, text, message):
    with pytest.raises(Invalid, match=message):
        spoken_prompt(settings, text)
    assert not (settings.site_dir / "sounds" / "tts").exists() or \
        list((settings.site_dir / "sounds" / "tts").iterdir()) == []


def test_the_cache_keeps_the_texts_used_last(settings, monkeypatch):
    monkeypatch.setattr("engine.audio.tts.MAX_CACHED", 2)
    first = spoken_prompt(settings, "one")
    second = spoken_prompt(settings, "two")
    os.utime(played(settings, first), (1, 1))
    os.utime(played(settings, second), (2, 2))
    assert spoken_prompt(settings, "one") == first  # used again: now the newest
    spoken_prompt(settings, "three")
    assert played(settings, first).exists()
    assert not played(settings, second).exists()
    assert len(list(played(settings, first).parent.glob("*.wav"))) == 2
