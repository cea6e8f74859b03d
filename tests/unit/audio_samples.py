"""WAV (and not-WAV) bytes for the audio tests: real ones made by sox, odd ones by hand."""
from __future__ import annotations

import struct
import subprocess
from pathlib import Path


def sox_wav(path: Path, *encoding: str, rate: int = 44100, channels: int = 2,
            seconds: float = 0.5) -> bytes:
    """A sine tone written by sox: 16-bit PCM, or ``encoding`` such as ``-e u-law``."""
    encoding = encoding or ("-b", "16")
    subprocess.run(["sox", "-n", "-r", str(rate), "-c", str(channels), *encoding, str(path),
                    "synth", str(seconds), "sine", "440"], check=True, capture_output=True)
    return path.read_bytes()


def pcm_wav(total_bytes: int, rate: int = 44100, channels: int = 2, audio_format: int = 1,
            bits: int = 16) -> bytes:
    """A WAV of exactly ``total_bytes`` bytes (44-byte header, silence after it)."""
    data_bytes = total_bytes - 44
    align = channels * bits // 8
    header = (b"RIFF" + struct.pack("<I", total_bytes - 8) + b"WAVE"
              + b"fmt " + struct.pack("<IHHIIHH", 16, audio_format, channels, rate,
                                      rate * align, align, bits)
              + b"data" + struct.pack("<I", data_bytes))
    return header + bytes(data_bytes)


def soxi(path: Path, option: str) -> str:
    """One property of a sound file as sox's own reader sees it (-r rate, -c channels...)."""
    return subprocess.run(["soxi", option, str(path)], check=True, capture_output=True,
                          text=True).stdout.strip()
