"""Uploaded documents judged by their content, never by their name or declared type.

A file is accepted when its bytes have the structure of one of the allowed formats and
it is not over the size limit; the media type stored is the one recognised.
"""
from __future__ import annotations

import hashlib
import re
import struct

from sqlalchemy.orm import Session

from engine.documents.models import Document
from engine.errors import Invalid
from engine.messages import N_

PDF = "application/pdf"
JPEG, PNG, GIF = "image/jpeg", "image/png", "image/gif"
IMAGES = (JPEG, PNG, GIF)
MB = 1024 * 1024
AGREEMENT_MAX = 5 * MB
ID_IMAGE_MAX = 5 * MB
EXTENSIONS = {PDF: "pdf", JPEG: "jpg", PNG: "png", GIF: "gif"}
_PDF_HEADER = re.compile(rb"^%PDF-[12]\.[0-9]")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _is_pdf(data: bytes) -> bool:
    # The header, at least one object, and the trailer's pointer to the cross-reference
    # with the end-of-file marker near the end (an incremental update may add lines).
    tail = data[-2048:]
    return bool(_PDF_HEADER.match(data)) and b" obj" in data and \
        b"startxref" in tail and b"%%EOF" in tail


def _is_png(data: bytes) -> bool:
    # The signature, then an IHDR chunk of 13 bytes with a non-zero size, an IEND chunk.
    if not data.startswith(_PNG_SIGNATURE) or len(data) < 33 or data[12:16] != b"IHDR":
        return False
    length, width, height = struct.unpack(">III", data[8:12] + data[16:24])
    return length == 13 and width > 0 and height > 0 and b"IEND" in data[-16:]


def _is_jpeg(data: bytes) -> bool:
    # Start of image, then a marker segment; end of image at the end (some cameras pad).
    return data[:3] == b"\xff\xd8\xff" and len(data) > 4 and \
        b"\xff\xd9" in data[-64:]


def _is_gif(data: bytes) -> bool:
    # GIF87a/GIF89a, a non-empty logical screen, and the trailer byte at the end.
    if data[:6] not in (b"GIF87a", b"GIF89a") or len(data) < 14:
        return False
    width, height = struct.unpack("<HH", data[6:10])
    return width > 0 and height > 0 and data.rstrip(b"\x00")[-1:] == b";"


SNIFFERS = {PDF: _is_pdf, PNG: _is_png, JPEG: _is_jpeg, GIF: _is_gif}


def media_type_of(data: bytes) -> str | None:
    """What the bytes are, among the known formats (None: none of them)."""
    return next((kind for kind, sniff in SNIFFERS.items() if sniff(data)), None)


def check_upload(data, allowed: tuple[str, ...], max_size: int) -> str:
    """The media type of ``data`` if it is one of ``allowed`` and at most ``max_size``
    bytes; Invalid otherwise (the face puts it on the file's field)."""
    if not isinstance(data, (bytes, bytearray)) or not data:
        raise Invalid(N_("choose a file"))
    if len(data) > max_size:
        raise Invalid(N_("the file is larger than %(size)s MB", size=max_size // MB))
    kind = media_type_of(bytes(data))
    if kind not in allowed:
        raise Invalid(N_("the file's content is not %(formats)s",
                         formats="/".join(EXTENSIONS[k].upper() for k in allowed)))
    return kind


def store(session: Session, data: bytes, allowed: tuple[str, ...], max_size: int) -> Document:
    """Check and keep an upload (see ``check_upload``)."""
    kind = check_upload(data, allowed, max_size)
    document = Document(media_type=kind, size=len(data), content=bytes(data),
                        sha256=hashlib.sha256(data).hexdigest())
    session.add(document)
    session.flush()
    return document


def document_json(document: Document | None) -> dict | None:
    if document is None:
        return None
    return {"id": document.id, "media_type": document.media_type, "size": document.size,
            "sha256": document.sha256}
