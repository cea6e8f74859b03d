"""Text prompts spoken by espeak-ng, rendered once and cached as 8 kHz mono WAV files.

The cache key is a digest of the voice and the text, so the same text is rendered
once and every later call (from any AGI session) finds the file ready. Texts may hold
a call's variables ("you entered ${digits}"), so the cache is bounded: the files used
least recently go first.
"""
from __future__ import annotations

import hashlib
import os
import re
import subprocess
import tempfile
from pathlib import Path

from engine.audio.storage import convert_for_pbx
from engine.errors import Invalid
from engine.settings import Settings
from engine.messages import N_

MAX_TEXT = 1000          # characters: about a minute of speech
ESPEAK_TIMEOUT = 30      # seconds
CACHE_DIR = "tts"        # under the site's sounds directory
MAX_CACHED = 5000        # files (about 50 KB each for a sentence)
# Han characters are read by the Mandarin voice; anything else by the default one.
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


def voice_for(text: str) -> str:
    return "cmn" if HAN.search(text) else "en"


def cache_path(settings: Settings, text: str) -> Path:
    voice = voice_for(text)
    digest = hashlib.sha256(f"{voice}\n{text}".encode()).hexdigest()[:32]
    return settings.site_dir / "sounds" / CACHE_DIR / f"{digest}.wav"


def spoken_prompt(settings: Settings, text: str) -> str:
    """Render ``text`` (once) and return the sound the PBX plays, e.g. ``tts/ab12...``.

    The name is relative to the site's sounds directory, without extension. This
    blocks for the first rendering (espeak-ng, then sox): call it from a thread.
    """
    text = " ".join(text.split())  # newlines and runs of blanks say nothing more
    if not text:
        raise Invalid(N_("the prompt text is empty"))
    if len(text) > MAX_TEXT:
        raise Invalid(N_("the prompt text is longer than %(max_text)s characters",
                         max_text=MAX_TEXT))
    target = cache_path(settings, text)
    try:
        os.utime(target)  # used now: the last to be pruned
    except FileNotFoundError:
        _render(text, voice_for(text), target)
        _prune(target.parent)
    return f"{CACHE_DIR}/{target.stem}"


def _prune(directory: Path) -> None:
    files = []
    for path in directory.glob("*.wav"):
        try:
            files.append((path.stat().st_mtime, path))
        except FileNotFoundError:  # pruned by another session meanwhile
            continue
    for _mtime, path in sorted(files)[:-MAX_CACHED]:
        path.unlink(missing_ok=True)


def _render(text: str, voice: str, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".render-") as work:
        spoken, converted = Path(work) / "espeak.wav", Path(work) / "8k.wav"
        # The text goes on stdin: never a shell, never taken for an option.
        try:
            subprocess.run(["espeak-ng", "-v", voice, "-w", str(spoken), "--stdin"],
                           input=text.encode(), check=True, capture_output=True,
                           timeout=ESPEAK_TIMEOUT)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
            raise Invalid(N_("espeak-ng could not speak the prompt text: %(error)s",
                             error=error)) from None
        convert_for_pbx(spoken, converted)
        # Two sessions rendering the same text at once both end with the same file.
        os.replace(converted, target)
