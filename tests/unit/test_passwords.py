"""The one password hash of every sign-in."""
from __future__ import annotations

from engine.security import passwords


def test_production_hashes_are_scrypt_and_verify(monkeypatch):
    monkeypatch.setattr(passwords, "METHOD", "scrypt")
    stored = passwords.hash_password("correct horse")
    assert stored.startswith("scrypt:32768:8:1$")
    assert passwords.verify_password(stored, "correct horse")
    assert not passwords.verify_password(stored, "correct horsE")


def test_a_hash_made_with_another_method_still_verifies():
    # Raising the cost later must not lock out users whose hashes are older.
    old = passwords.hash_password("tea for two")
    assert old.startswith("pbkdf2:sha256:1000$")
    assert passwords.verify_password(old, "tea for two")


def test_no_stored_hash_or_no_text_never_verifies():
    assert not passwords.verify_password(None, "anything")
    assert not passwords.verify_password("", "")
    assert not passwords.verify_password(passwords.hash_password("x" * 8), None)
    assert not passwords.verify_password(passwords.hash_password("x" * 8), ["x" * 8])
