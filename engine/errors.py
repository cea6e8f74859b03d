"""Errors the services raise; every face turns them into one clear message.

``fields`` maps an input field name (the same in the web form, the API body and the
CLI option) to its own message, so a form can show each error next to its field.

Messages are made with ``engine.messages.N_`` where they can be: English for the CLI,
and a template plus parameters that the web and API faces translate.
"""
from __future__ import annotations


class DomainError(Exception):
    """A rule was broken; the message is meant for the operator as is."""

    def __init__(self, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message  # a Message keeps its template for the faces to translate
        self.fields = dict(fields or {})


class NotFound(DomainError):
    pass


class Conflict(DomainError):
    pass


class Invalid(DomainError):
    pass


class Forbidden(DomainError):
    """The user's role may not do this (the resource itself is the user's account's):
    403 in the API, a refusal in the pages."""
