"""Files sent with a form: read within a limit, served back as what their content is."""
from __future__ import annotations

from flask import Response, abort, request

from engine.documents.models import Document


def allow_upload_size(size: int) -> None:
    """Let this request's body be up to ``size`` bytes (before the form is read), so an
    oversized file reaches the service, which puts the refusal on its field."""
    request.max_content_length = size


def upload(name: str) -> bytes | None:
    """The bytes of the form's file ``name`` (None when no file was chosen)."""
    sent = request.files.get(name)
    if sent is None or not sent.filename:
        return None
    return sent.read()


def send_document(db, document_id: int | None, download_name: str) -> Response:
    """A stored document; its type is the one its content was recognised as."""
    document = db.get(Document, document_id) if document_id else None
    if document is None:
        abort(404)
    response = Response(document.content, mimetype=document.media_type)
    response.headers["Content-Disposition"] = f'inline; filename="{download_name}"'
    return response
