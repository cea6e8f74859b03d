"""A unit of work per command or request, and the rule 'reload the PBX after commit'.

Services call :func:`mark_pbx_changed`; the change is applied to the PBX only once the
transaction has committed, so a failed transaction never reaches the PBX.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from engine.db import session_factory
from engine.settings import Settings

_PBX_CHANGED = "pbx_changed"


def mark_pbx_changed(session: Session) -> None:
    session.info[_PBX_CHANGED] = True


@contextmanager
def transaction(settings: Settings,
                after_pbx_change: Callable[[Session], None] | None = None) -> Iterator[Session]:
    """Yield a session; commit at the end, roll back on any error.

    ``after_pbx_change`` runs after a successful commit when a service marked the PBX
    configuration as changed; it gets a fresh session to read the committed state.
    """
    factory = session_factory(settings.database_url)
    session = factory()
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        changed = session.info.pop(_PBX_CHANGED, False)
        session.close()
    if changed and after_pbx_change is not None:
        with factory() as fresh:
            after_pbx_change(fresh)
