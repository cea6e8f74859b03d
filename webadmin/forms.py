"""Turning form fields into service arguments; the rules themselves live in the services."""
from __future__ import annotations

from engine.errors import DomainError
from engine.validation import number_text
from webadmin.i18n import error_text, field_errors


def errors_of(error: DomainError) -> tuple[dict[str, str], str | None]:
    """Per-field messages, and the message for the form as a whole when none has a field,
    in the page's language."""
    return field_errors(error), None if error.fields else error_text(error)


def row_id(text: str) -> int:
    """A row id from a form: -1, which matches no row, when it is not one."""
    number = number_text(text)
    return -1 if number is None else number


def int_or_none(text: str | None) -> int | None:
    """A select's value: '' means none; anything not a number is kept for the service to
    refuse (returned as -1, which matches no row)."""
    if text is None or text == "":
        return None
    return row_id(text)


def int_or_text(text: str | None):
    """A number field: an int when it is one, else the text itself, so the service's
    message quotes what the user typed."""
    text = (text or "").strip()
    number = number_text(text)
    return text if number is None else number


def ids(values: list[str]) -> list[int]:
    return [row_id(v) for v in values]


def levels_from(form, prefix: str) -> dict[str, int | str]:
    """``prefix<key>`` selects -> {key: level}; an empty select means 'not a member'."""
    return {key[len(prefix):]: int_or_text(value) for key, value in form.items()
            if key.startswith(prefix) and value != ""}
