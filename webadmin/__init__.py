"""The web admin: a Flask app factory with one blueprint per area.

This first page is deliberately small: sign in, then see the account's instances,
numbers and agents. Every view reads only the signed-in user's account.
"""
from __future__ import annotations

import secrets
from pathlib import Path

from flask import Flask

from engine.settings import Settings


def _secret_key(settings: Settings) -> str:
    """Generated once per installation, kept out of the repository, readable by root only."""
    path = Path(settings.var_dir) / "web-secret-key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()


def create_app(settings: Settings, config: dict | None = None) -> Flask:
    from webadmin import audio, auth, ivr, overview

    app = Flask(__name__)
    app.config.update(SECRET_KEY=_secret_key(settings), SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax", CCC_SETTINGS=settings)
    app.config.update(config or {})
    # Registration table: every blueprint in one visible place.
    for blueprint in (auth.blueprint, overview.blueprint, ivr.blueprint, audio.blueprint):
        app.register_blueprint(blueprint)
    return app
