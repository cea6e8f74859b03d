"""Operator messages the faces can translate.

The engine speaks English and knows nothing of locales. A message that an operator
reads is written as ``N_("template with %(name)s", name=value)``: the result is the
English text (a ``str``, so the CLI, logs and ``str(error)`` use it as is) that also
remembers its template and parameters, so a web or API face can look the template up
in its catalogue and format the translation with the same parameters.
``N_`` is also the keyword the catalogue extraction looks for (babel.cfg).
"""
from __future__ import annotations


class Message(str):
    """English text that remembers the template and parameters it was made from."""

    template: str
    params: dict

    def __new__(cls, template: str, params: dict | None = None) -> Message:
        params = dict(params or {})
        text = super().__new__(cls, template % params if params else template)
        text.template, text.params = template, params
        return text

    def __reduce__(self):
        return Message, (self.template, self.params)


def N_(template: str, **params) -> Message:  # noqa: N802 - the extraction keyword
    """Mark ``template`` for translation; ``params`` fill its ``%(name)s`` places.

    A parameter may itself be a Message (a word such as "account name"), which the
    face translates too.
    """
    return Message(template, params)
