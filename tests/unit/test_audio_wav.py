"""A file is a WAV by its header, whatever its name: RIFF, WAVE, fmt, then data."""
from __future__ import annotations

import struct

import pytest

from engine.audio.wav import inspect_wav
from engine.errors import Invalid
from tests.unit.audio_samples import pcm_wav, sox_wav


def test_a_wav_made_by_sox_is_read_with_its_format(tmp_path):
    info = inspect_wav(sox_wav(tmp_path / "tone.wav", seconds=0.5))
    assert (info.audio_format, info.channels, info.sample_rate, info.bits_per_sample) == \
        (1, 2, 44100, 16)
    assert info.duration_ms == 500


def test_a_mu_law_wav_is_a_wav_too(tmp_path):
    info = inspect_wav(sox_wav(tmp_path / "ulaw.wav", "-e", "u-law", rate=8000, channels=1))
    assert info.audio_format == 7
    assert info.duration_ms == 500


@pytest.mark.parametrize("content, reason", [
    (b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x64" * 100, "no RIFF header"),
    (b"\xff\xfb\x90\x64" * 100, "no RIFF header"),
    (b"hello, this is text with a .wav name\n", "no RIFF header"),
    (b"", "no RIFF header"),
])
def test_an_mp3_or_text_renamed_to_wav_is_refused(content, reason):
    with pytest.raises(Invalid, match=reason):
        inspect_wav(content)


def test_riff_that_is_not_wave_is_refused():
    avi = b"RIFF" + struct.pack("<I", 100) + b"AVI LIST" + bytes(96)
    with pytest.raises(Invalid, match="form b'AVI ', not WAVE"):
        inspect_wav(avi)


@pytest.mark.parametrize("cut", [14, 20, 30, 40])
def test_a_truncated_header_is_refused(cut):
    with pytest.raises(Invalid, match="truncated header"):
        inspect_wav(pcm_wav(1044)[:cut])


def test_a_header_without_data_chunk_is_refused():
    with pytest.raises(Invalid, match="no data chunk"):
        inspect_wav(pcm_wav(1044)[:36])


def test_a_data_chunk_before_fmt_is_refused():
    whole = pcm_wav(1044)
    swapped = whole[:12] + b"data" + struct.pack("<I", 4) + bytes(4) + whole[12:36]
    with pytest.raises(Invalid, match="before any fmt chunk"):
        inspect_wav(swapped)


def test_an_empty_data_chunk_is_refused():
    with pytest.raises(Invalid, match="holds no audio"):
        inspect_wav(pcm_wav(44))


def test_a_data_size_left_unset_by_a_streaming_writer_counts_the_bytes_present():
    streamed = bytearray(pcm_wav(44 + 16000, rate=8000, channels=1))
    streamed[40:44] = b"\xff\xff\xff\xff"
    assert inspect_wav(bytes(streamed)).duration_ms == 1000


def test_chunks_before_fmt_are_skipped_with_their_padding():
    whole = pcm_wav(44 + 16000, rate=8000, channels=1)
    odd_chunk = b"LIST" + struct.pack("<I", 3) + b"abc" + b"\x00"  # padded to even
    assert inspect_wav(whole[:12] + odd_chunk + whole[12:]).duration_ms == 1000
