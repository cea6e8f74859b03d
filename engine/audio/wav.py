"""Judge a file as WAV by its header, never by its name.

A WAV is a RIFF container of form WAVE holding a ``fmt `` chunk (the codec and
layout) before a ``data`` chunk (the samples). Whether sox can decode the codec is
left to sox itself (see ``storage.convert_for_pbx``); what the header declares (rate,
channels, length) is judged here first. Every refusal is about the upload's ``file``.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, replace

from engine.errors import Invalid
from engine.messages import N_

FORMAT_PCM = 1
# What a header may declare. The PBX copy is 8 kHz 16-bit mono (16 kB a second), made
# by sox from what the header says: a few seconds of samples declared at 1 Hz would
# become hours, so the limits are checked before any conversion.
RATES = range(1000, 384_001)
MAX_CHANNELS = 8
MAX_BITS = 64
MAX_SECONDS = 20 * 60  # a 19 MB PBX copy at most; a 5 MB upload at 8 kHz 16-bit is 327 s


def refuse(message: str) -> Invalid:
    """The upload's error, about its ``file`` field."""
    return Invalid(message, fields={"file": message})


@dataclass(frozen=True)
class WavInfo:
    audio_format: int      # 1 PCM, 3 float, 6 A-law, 7 mu-law, 0xFFFE extensible...
    channels: int
    sample_rate: int
    byte_rate: int
    bits_per_sample: int
    data_bytes: int        # bytes of samples actually present

    @property
    def duration_ms(self) -> int:
        return self.data_bytes * 1000 // self.byte_rate


def _chunks(data: bytes):
    """Yield (chunk id, offset of its body, declared size) after the RIFF/WAVE header."""
    offset = 12
    while offset < len(data):
        if offset + 8 > len(data):
            raise refuse(N_("not a valid WAV file: truncated header (a chunk header is cut off)"))
        chunk_id, size = struct.unpack_from("<4sI", data, offset)
        yield chunk_id, offset + 8, size
        offset += 8 + size + (size & 1)  # chunks are padded to an even length


def _fmt(data: bytes, body: int, size: int) -> WavInfo:
    if size < 16 or body + 16 > len(data):
        raise refuse(N_("not a valid WAV file: truncated header (the fmt chunk is cut off)"))
    audio_format, channels, rate, byte_rate, _align, bits = struct.unpack_from(
        "<HHIIHH", data, body)
    if not channels or not rate or not byte_rate:
        raise refuse(N_("not a valid WAV file: the fmt chunk gives no channels, rate or "
                         "byte rate"))
    if rate not in RATES:
        raise refuse(N_("the WAV header declares %(rate)s samples a second; at least "
                        "%(low)s and at most %(high)s are accepted",
                        rate=rate, low=RATES.start, high=RATES.stop - 1))
    if channels > MAX_CHANNELS or bits > MAX_BITS:
        raise refuse(N_("the WAV header declares %(channels)s channels of %(bits)s bits; at "
                        "most %(max_channels)s channels of %(max_bits)s bits are accepted",
                        channels=channels, bits=bits, max_channels=MAX_CHANNELS,
                        max_bits=MAX_BITS))
    return WavInfo(audio_format, channels, rate, byte_rate, bits, 0)


def _check_length(info: WavInfo) -> None:
    # Counted from the samples, not the byte rate (which a header may set to anything):
    # a codec of fewer than 8 bits (ADPCM) packs 8 / bits samples in a byte, and one
    # that declares none (GSM) is counted at 8, more than any packs.
    samples_per_byte = 8 / info.bits_per_sample if info.bits_per_sample else 8
    seconds = info.data_bytes * samples_per_byte / info.channels / info.sample_rate
    if seconds > MAX_SECONDS:
        raise refuse(N_("the WAV header makes the audio %(seconds)s seconds long; at most "
                        "%(max_seconds)s are accepted", seconds=int(seconds),
                        max_seconds=MAX_SECONDS))


def inspect_wav(data: bytes) -> WavInfo:
    """The format of a WAV file's bytes; ``Invalid`` with the reason when it is not one."""
    if len(data) < 12 or data[:4] != b"RIFF":
        raise refuse(N_("not a WAV file: it has no RIFF header (only WAV audio is accepted)"))
    if data[8:12] != b"WAVE":
        raise refuse(N_("not a WAV file: a RIFF file of form %(value)r, not WAVE",
                         value=data[8:12]))
    info = None
    for chunk_id, body, size in _chunks(data):
        if chunk_id == b"fmt ":
            info = _fmt(data, body, size)
        elif chunk_id == b"data":
            if info is None:
                raise refuse(N_("not a valid WAV file: the data chunk comes before any fmt chunk"))
            # Writers that stream often leave the size unset (0 or 0xFFFFFFFF): count
            # the bytes really there.
            present = min(size, len(data) - body) if size else len(data) - body
            if present <= 0:
                raise refuse(N_("not a valid WAV file: the data chunk holds no audio"))
            info = replace(info, data_bytes=present)
            _check_length(info)
            return info
    if info is None:
        raise refuse(N_("not a valid WAV file: it has no fmt chunk"))
    raise refuse(N_("not a valid WAV file: it has no data chunk"))
