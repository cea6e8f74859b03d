"""The one Jinja2 environment for every PBX file, settings-only or database-derived."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2

from engine import variables

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "dialplan_templates" / "asterisk"


def _ref(name: str, offset: int | None = None, length: int | None = None) -> str:
    """A dialplan reference to a channel variable: ${NAME} or ${NAME:offset:length}."""
    if offset is None:
        return "${%s}" % name
    return "${%s:%d:%d}" % (name, offset, length)


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             trim_blocks=True, lstrip_blocks=True, autoescape=False)
    env.filters["ref"] = _ref
    env.globals["var"] = variables
    return env


def render(name: str, **context: object) -> str:
    """Render ``dialplan_templates/asterisk/<name>.j2``."""
    return environment().get_template(f"{name}.j2").render(**context)
