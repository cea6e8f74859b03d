"""Unit tests' settings."""
from __future__ import annotations

import pytest

from engine.security import passwords

# The unit tests create hundreds of users and agents and sign in thousands of times; at
# scrypt's production cost that was a third of their time. A cheap method of the same
# family of werkzeug hashes keeps every hash and check real (test_passwords.py checks
# the production method itself).
CHEAP_METHOD = "pbkdf2:sha256:1000"


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch):
    monkeypatch.setattr(passwords, "METHOD", CHEAP_METHOD)
