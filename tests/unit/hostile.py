"""Hostile input, by class, and a probe that sends it and judges every answer.

The classes are what an attacker (or a careless script) sends to a public API: deep
nesting, huge values, the wrong JSON types, numbers out of every range, bad encodings,
NUL bytes, line-ending tricks, look-alike characters, garbage in path parameters, wrong
content types, empty bodies, and files whose headers lie. ``Probe.send`` makes one
request and records what is wrong with the answer: a 5xx (or an exception that would
have been one), an API refusal that is not JSON, or a body showing the server's insides.
"""
from __future__ import annotations

import io
import json
import re
import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import Path


class Raw(str):
    """A JSON value written as is (a literal Python's json module would not write)."""


def dump(value) -> str:
    """JSON text of ``value`` with its Raw parts written literally."""
    raws: list[str] = []

    def mark(item):
        if isinstance(item, Raw):
            raws.append(str(item))
            return f"@@RAW{len(raws) - 1}@@"
        if isinstance(item, dict):
            return {k: mark(v) for k, v in item.items()}
        if isinstance(item, list):
            return [mark(v) for v in item]
        return item
    text = json.dumps(mark(value))
    return re.sub(r'"@@RAW(\d+)@@"', lambda m: raws[int(m.group(1))], text)


DEEP = 100_000
HUGE_TEXT = "a" * 300_000
# A string for every trick a text field can meet.
STRINGS = {
    "empty": "", "blank": "   ", "huge": HUGE_TEXT, "nul": "a\x00b", "control": "a\x1b[2Jb",
    "crlf": "x\r\nSet-Cookie: y=1", "cr": "x\ry", "line separator": "x\u2028y",
    "confusable": "\u0430dmin",  # a Cyrillic 'a'
    "fullwidth": "\uff41\uff44\uff4d\uff49\uff4e", "non-ascii digits": "\u0661\u0662\u0663",
    "rtl override": "abc\u202etxt.exe", "traversal": "../../../../etc/passwd",
    "template": "{{7*7}}%s%n", "markup": "<script>alert(1)</script>", "sql": "' OR 1=1 --",
    "emoji": "\U0001f4de" * 50,
}
# Numbers out of every range, as JSON literals where Python would not write them.
NUMBERS = {
    "negative": -1, "zero": 0, "2**63": 2 ** 63, "-2**63-1": -2 ** 63 - 1, "2**64": 2 ** 64,
    "1e309": Raw("1e309"), "-1e309": Raw("-1e309"), "NaN": Raw("NaN"),
    "Infinity": Raw("Infinity"), "fraction": 1.5, "minus zero": Raw("-0.0"),
    "5000 digits": Raw("9" * 5000),
}
# A value of each JSON type: the field gets every one its schema does not declare.
TYPED = {"string": "1", "integer": 1, "boolean": True, "array": [1], "object": {"a": 1},
         "null": None}
NESTED = Raw("[" * 500 + "]" * 500)  # deep enough to be odd, shallow enough to parse


def field_values(kinds: list[str]) -> dict[str, object]:
    """The hostile values one body field gets, by name (every type it does not take)."""
    values = {f"type {k}": v for k, v in TYPED.items() if k not in kinds}
    values |= {f"string {k}": v for k, v in STRINGS.items()}
    values |= {f"number {k}": v for k, v in NUMBERS.items()}
    values |= {"nested": NESTED, "lone surrogate": Raw('"\\ud800"'),
               "nul escape": Raw('"\\u0000"')}
    return values


# Whole request bodies, each (content type, bytes).
def _deep(opening: str, closing: str) -> bytes:
    return (opening * DEEP + closing * DEEP).encode()


BODIES = {
    "empty json": ("application/json", b""),
    "empty no type": (None, b""),
    "json as text/plain": ("text/plain", b'{"name": "x"}'),
    "form instead of json": ("application/x-www-form-urlencoded", b"name=x&name=y"),
    "xml": ("application/xml", b"<a><name>x</name></a>"),
    "odd charset": ("application/json; charset=x-nonexistent", b'{"name": "x"}'),
    "top-level array": ("application/json", b"[]"),
    "top-level null": ("application/json", b"null"),
    "top-level number": ("application/json", b"1e309"),
    "top-level string": ("application/json", b'"x"'),
    "top-level bool": ("application/json", b"true"),
    "truncated json": ("application/json", b'{"name": '),
    "single quotes": ("application/json", b"{'name': 'x'}"),
    "invalid utf-8": ("application/json", b'{"name": "\xff\xfe"}'),
    "overlong utf-8": ("application/json", b'{"name": "\xc0\xaf\xe0\x80\xaf"}'),
    "utf-16": ("application/json", '{"name": "x"}'.encode("utf-16")),
    "raw nul": ("application/json", b'{"name": "a\x00b"}'),
    "nul key": ("application/json", b'{"\\u0000": 1}'),
    "deep arrays": ("application/json", _deep("[", "]")),
    "deep objects": ("application/json", _deep('{"a":', "}")),
    "many keys": ("application/json", dump({f"k{i}": i for i in range(5_000)}).encode()),
    "duplicate keys": ("application/json", b'{"name": 1, "name": "x"}'),
    "too large": ("application/json", b'{"name": "' + b"a" * (9 * 1024 * 1024) + b'"}'),
    "multipart": ("multipart/form-data; boundary=x",
                  b'--x\r\nContent-Disposition: form-data; name="name"\r\n\r\nx\r\n--x--\r\n'),
    "bad multipart": ("multipart/form-data; boundary=", b"--\r\n\r\n"),
}
# The classes of BODIES: a route gets one body of each class, a different one each time.
BODY_CLASSES = {
    "empty": ("empty json", "empty no type"),
    "content type": ("json as text/plain", "form instead of json", "xml", "odd charset",
                     "multipart", "bad multipart"),
    "top-level type": ("top-level array", "top-level null", "top-level number",
                       "top-level string", "top-level bool"),
    "malformed": ("truncated json", "single quotes", "duplicate keys"),
    "encoding": ("invalid utf-8", "overlong utf-8", "utf-16", "raw nul", "nul key"),
    "nesting": ("deep arrays", "deep objects"),
    "size": ("too large", "many keys"),
}
assert {name for names in BODY_CLASSES.values() for name in names} == set(BODIES)

# Path parameter values (already URL-encoded where they must be).
PATH_GARBAGE = {
    "word": "abc", "negative": "-1", "zero": "0", "2**63": str(2 ** 63),
    "huge": "9" * 40, "fraction": "1.5", "exponent": "1e3", "plus": "+1", "hex": "0x10",
    "traversal": "..%2F..%2Fetc%2Fpasswd", "dots": "..", "nul": "a%00b", "invalid utf-8": "%FF%FE",
    "arabic digit": "%D9%A1", "rtl override": "a%E2%80%AEb", "crlf": "a%0D%0Ab",
    "long": "a" * 5000, "space": "%20", "html": "%3Cscript%3E",
}
# Query string values (raw, so they may carry bytes a client library would escape).
QUERY_GARBAGE = {
    "empty": "", "word": "abc", "negative": "-1", "2**63": str(2 ** 63), "huge": "9" * 400,
    "1e309": "1e309", "NaN": "NaN", "nul": "%00", "invalid utf-8": "%FF", "crlf": "%0D%0A",
    "arabic digits": "%D9%A1%D9%A2", "long": "a" * 20_000, "date garbage": "2026-13-45",
    "far date": "9999-12-31T23:59:59", "old date": "0001-01-01", "iso week": "2026-W60",
}
HEADERS = {
    "latin-1 token": {"Authorization": "Bearer \xe9\xe9\xe9"},
    "long token": {"Authorization": "Bearer " + "x" * 20_000},
    "nul token": {"Authorization": "Bearer ccc_\x00"},
    "language garbage": {"Accept-Language": "zz-ZZ;q=NaN, *;q=2, \xe9"},
}


# ---- files whose headers lie ---------------------------------------------------------

def wav(rate: int = 8000, channels: int = 1, bits: int = 16, fmt: int = 1,
        data: bytes = b"\x00\x10" * 800, data_size: int | None = None,
        byte_rate: int | None = None, fmt_size: int = 16, riff_size: int | None = None) -> bytes:
    """A WAV whose every header number may be chosen (a lie or not)."""
    if byte_rate is None:
        byte_rate = rate * channels * max(bits, 8) // 8 & 0xFFFFFFFF
    fmt_body = struct.pack("<HHIIHH", fmt, channels, rate & 0xFFFFFFFF, byte_rate,
                           channels * max(bits, 8) // 8 & 0xFFFF, bits)
    chunks = (b"fmt " + struct.pack("<I", fmt_size) + fmt_body
              + b"data" + struct.pack("<I", len(data) if data_size is None else data_size) + data)
    return b"RIFF" + struct.pack("<I", (riff_size if riff_size is not None
                                       else 4 + len(chunks)) & 0xFFFFFFFF) + b"WAVE" + chunks


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr("inner.wav", b"\x00" * (20 * 1024 * 1024))
    return buffer.getvalue()


SECONDS_OF_AUDIO = b"\x00\x10" * 16_000 * 3  # three seconds at 16 kHz...
WAV_FILES = {
    "1 Hz": wav(rate=1, data=SECONDS_OF_AUDIO),  # ...declared at 1 Hz: 13 hours at 8 kHz
    "1 Hz 8 bit": wav(rate=1, bits=8, data=SECONDS_OF_AUDIO),
    "huge rate": wav(rate=0xFFFFFFFF),
    "huge data size": wav(data_size=0xFFFFFFFE),
    "huge fmt size": wav(fmt_size=0xFFFFFFF0),
    "zero channels": wav(channels=0),
    "65535 channels": wav(channels=0xFFFF),
    "zero bits": wav(bits=0),
    "65535 bits": wav(bits=0xFFFF),
    "zero byte rate": wav(byte_rate=0),
    "lying byte rate": wav(byte_rate=0xFFFFFFFF),
    "unknown codec": wav(fmt=0x1234),
    "adpcm garbage": wav(fmt=2, bits=4),
    "float NaN": wav(fmt=3, bits=32, data=b"\x00\x00\xc0\x7f" * 400),
    "extensible short": wav(fmt=0xFFFE),
    "riff size lie": wav(riff_size=0xFFFFFFFF),
    "header only": b"RIFF\x24\x00\x00\x00WAVE",
    "cut in fmt": wav()[:30],
    "cut in data header": wav()[:40],
    "empty data": wav(data=b""),
    "many empty chunks": b"RIFF\xff\xff\xff\xffWAVE" + b"junk\x00\x00\x00\x00" * 200_000,
    "empty file": b"",
    "png named wav": b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,
    "text named wav": b"hello, I am not audio\n" * 10,
    "zip bomb": _zip_bomb(),
    "larger than 5 MB": wav(data=b"\x00" * (5 * 1024 * 1024 + 10)),
}
# Odd but readable: streaming writers leave the sizes unset, and NaN samples are samples.
# These are accepted, with the length of the samples really there.
READABLE_WAVS = {"huge data size", "riff size lie", "lying byte rate", "float NaN"}
CSV_FILES = {
    "invalid utf-8": b"name\n\xff\xfe\n",
    "utf-16": "name\nbob2\n".encode("utf-16"),
    "nul byte": b"name\nab\x00c\n",
    "cr only": b"name\rcr1\rcr2\r",
    "mixed endings": b"name,extension\r\nme1,2001\rme2,2002\n",
    "newline in cell": b'name\n"multi\r\nline"\n',
    "open quote": b'name\n"never closed\n',
    "huge cell": b"name\n" + b"a" * 300_000 + b"\n",
    "many rows": b"name\n" + b"".join(b"r%d\n" % i for i in range(2100)),
    "header only": b"name\n",
    "no header": b"",
    "duplicate header": b"name,name\na,b\n",
    "unknown column": b"name,password\na,b\n",
    "huge extension": b"name,extension\nbig," + str(2 ** 63).encode() + b"\n",
    "arabic extension": "name,extension\nar,\u0661\u0660\u0660\u0661\n".encode(),
    "huge level": b"name,skill_groups\nlv,default:" + b"9" * 30 + b"\n",
    "negative level": b"name,skill_groups\nlv,default:-1\n",
    "NaN level": b"name,skill_groups\nlv,default:NaN\n",
    "garbage levels": b"name,skill_groups\nlv,:::;;;default\n",
    "confusable name": "name\n\u0430dmin\n".encode(),
    "formula": b"name\n=cmd|' /C calc'!A0\n",
    "too large": b"name\n" + b"a" * (600 * 1024) + b"\n",
    "zip bomb": _zip_bomb(),
}


# ---- the probe -------------------------------------------------------------------------

CHECKOUT = str(Path(__file__).resolve().parents[2])
# A tool's or a library's own words: never in an answer.
TOOL_WORDS = re.compile(r"traceback \(most recent|\bsox\b|ffmpeg|sqlalchemy|psycopg|sqlite3|"
                        r"integrityerror|operationalerror|dataerror|programmingerror|"
                        r'file "|line \d+, in |\bbuiltins\.|errno|site-packages|/usr/lib/python',
                        re.IGNORECASE)


@dataclass
class Probe:
    """Sends requests and keeps what is wrong with their answers."""

    server_paths: list[str]
    sent: int = 0
    problems: list[str] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)

    def send(self, client, label: str, method: str, url: str, *, api: bool | None = None,
             **kwargs):
        """One request; returns the response (None when the app raised)."""
        self.sent += 1
        try:
            response = client.open(url, method=method, **kwargs)
        except Exception as error:  # the test client re-raises what would be a 500
            frame = _last_own_frame(error)
            self.problems.append(f"{label}: {method} {url[:120]}: raised "
                                 f"{type(error).__name__}: {str(error)[:160]} at {frame}")
            return None
        self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
        self.judge(label, method, url, response,
                   url.startswith("/api/") if api is None else api)
        return response

    def judge(self, label: str, method: str, url: str, response, api: bool) -> None:
        where = f"{label}: {method} {url[:120]} -> {response.status_code}"
        if response.status_code >= 500 and response.status_code != 503:
            self.problems.append(f"{where}: a server error")
        if response.mimetype in ("audio/wav", "text/csv", "application/octet-stream",
                                 "application/pdf", "image/png", "image/jpeg", "image/gif"):
            return  # a file someone uploaded, given back
        text = response.get_data(as_text=True)
        leaked = [p for p in self.server_paths + [CHECKOUT] if p in text]
        words = TOOL_WORDS.search(text)
        if leaked or words:
            self.problems.append(f"{where}: shows {leaked or words.group(0)!r}")
        if api and 400 <= response.status_code < 500:
            body = response.get_json(silent=True)
            if not isinstance(body, dict) or not isinstance(body.get("error"), str):
                self.problems.append(f"{where}: an API refusal that is not a JSON error")

    def assert_clean(self) -> None:
        shown = "\n".join(sorted(set(self.problems))[:400])
        assert not self.problems, f"{len(self.problems)} problems of {self.sent} requests:\n{shown}"


def _last_own_frame(error: BaseException) -> str:
    traceback = error.__traceback__
    where = "?"
    while traceback is not None:
        code = traceback.tb_frame.f_code
        if CHECKOUT in code.co_filename and "/tests/" not in code.co_filename:
            where = f"{code.co_filename.removeprefix(CHECKOUT + '/')}:{traceback.tb_lineno}"
        traceback = traceback.tb_next
    return where
