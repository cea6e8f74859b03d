"""Password hashes for every sign-in (account users, platform users, agents).

One place chooses the hash, so its cost is the same everywhere and can be raised in one
line; werkzeug's hashes name their method, so hashes made with an older method still
verify after a change.
"""
from __future__ import annotations

import secrets
from functools import cache

from werkzeug.security import check_password_hash, generate_password_hash

# scrypt with werkzeug's default cost (N=2^15, r=8, p=1): about 0.1 s and 32 MB a hash,
# which is what makes a stolen table slow to guess.
METHOD = "scrypt"


@cache
def _dummy_hash() -> str:
    """What an unknown name is checked against, so the answer takes as long as for a
    wrong password and does not tell which names exist. Made at the first check or by
    ``prepare``, not at import: a hash costs 0.1 s of CPU, which every ``ccc`` command
    paid at start whether it checked a password or not."""
    return generate_password_hash(secrets.token_urlsafe(16), method=METHOD)


def prepare() -> None:
    """Make the dummy hash now, in a process that serves sign-ins: made at the first
    check instead, the first unknown name would take two hashes' time, and tell once
    per process that the name does not exist."""
    _dummy_hash()


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=METHOD)


def verify_password(stored: str | None, password: object) -> bool:
    """Whether ``password`` matches ``stored``; with no stored hash (unknown user, no
    password set) it is False, after as long a check as a real one."""
    text = password if isinstance(password, str) else ""
    matched = check_password_hash(stored or _dummy_hash(), text)
    return matched and bool(stored) and isinstance(password, str)
