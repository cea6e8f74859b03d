"""The AMI secret of a site: generated once, kept in the site, readable by root only.

Asterisk reads it through the rendered manager.conf and ccc's AMI client reads the
same file, so the secret never appears in the environment or the database.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from engine.settings import Settings


def secret_path(settings: Settings) -> Path:
    """Where the site's AMI secret is kept (host view)."""
    return settings.site_dir / "ami.secret"


def read_ami_secret(settings: Settings) -> str:
    """The site's AMI secret; ``FileNotFoundError`` if the site has none yet."""
    return secret_path(settings).read_text(encoding="ascii").strip()


def ami_secret(settings: Settings) -> str:
    """The site's AMI secret, generated on first use and the same ever after."""
    path = secret_path(settings)
    try:
        return read_ami_secret(settings)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written whole under a temporary name, then linked into place: a concurrent
    # reader never sees a half-written secret, and if two processes race, the
    # first link wins and both return the winner's secret.
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(secrets.token_urlsafe(32) + "\n")
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return read_ami_secret(settings)
