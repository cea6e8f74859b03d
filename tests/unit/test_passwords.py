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


def test_importing_the_module_makes_no_hash():
    # Every ccc command and web worker imports it; an unneeded scrypt hash at import
    # cost each of them 0.1 s of CPU and 32 MB.
    import subprocess
    import sys
    probe = ("import werkzeug.security as w\n"
             "made = []\n"
             "real = w.generate_password_hash\n"
             "w.generate_password_hash = lambda *a, **k: made.append(1) or real(*a, **k)\n"
             "from engine.security import passwords\n"
             "print(len(made))\n"
             "passwords.verify_password(None, 'x')\n"
             "passwords.verify_password(None, 'y')\n"
             "print(len(made))\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["0", "1"]  # none at import, one at the first check, then reused


def test_the_web_app_makes_the_dummy_hash_before_its_first_sign_in(tmp_path):
    # Made at the first check instead, a worker's first unknown name would take two
    # hashes' time where a wrong password takes one: a timing tell, once per worker.
    import os
    import subprocess
    import sys
    probe = ("import werkzeug.security as w\n"
             "made = []\n"
             "real = w.generate_password_hash\n"
             "w.generate_password_hash = lambda *a, **k: made.append(1) or real(*a, **k)\n"
             "from webadmin import create_app\n"
             "from engine.security import passwords\n"
             "create_app()\n"
             "print(len(made))\n"
             "passwords.verify_password(None, 'x')\n"
             "print(len(made))\n")
    env = {**os.environ, "CCC_VAR_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         env=env, check=True).stdout.split()
    assert out == ["1", "1"]  # made with the app; the first unknown name makes none
