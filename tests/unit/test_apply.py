"""Applying rendered files without a PBX: generations, the atomic link, pruning, sounds."""
from __future__ import annotations

import os
import stat
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

from engine.db import session_factory
from engine.migrate import upgrade
from engine.settings import load_settings
from provisioning.apply import (
    KEEP_GENERATIONS,
    SOUNDS,
    ApplyResult,
    _remember,
    _rendered_after,
    apply,
    apply_files,
    config_errors_since,
    content_hash,
    contexts_to_check,
    current_generation,
    endpoints_to_check,
    expectations,
    reload_commands,
)
from provisioning.locks import file_lock

FILES = {"extensions.conf": "[ccc-from-carrier]\nexten => _X.,1,Hangup()\n",
         "pjsip.conf": "; no endpoints\n", "queues.conf": "[general]\n"}


@pytest.fixture
def settings(tmp_path: Path):
    return load_settings({"CCC_VAR_DIR": str(tmp_path / "var"),
                          "CCC_PBX_ROOT": str(tmp_path / "pbx-root"), "CCC_PBX_SITE": "unit"})


def link(settings) -> Path:
    return settings.site_dir / "etc" / "asterisk"


def generations(settings) -> list[str]:
    return sorted(p.name for p in (settings.site_dir / "etc" / "generations").iterdir())


def variant(n: int) -> dict[str, str]:
    return {**FILES, "queues.conf": f"[general]\n; variant {n}\n"}


def test_files_land_in_a_generation_named_by_their_content(settings):
    result = apply_files(settings, FILES, pbx_running=False)
    assert (result.changed, result.live) == (True, False)
    assert "takes effect when the PBX starts" in result.message
    name = content_hash(FILES)
    assert len(name) == 16 and current_generation(settings) == name
    assert generations(settings) == [name]
    for file_name, text in FILES.items():
        assert (link(settings) / file_name).read_text() == text


def test_the_hash_depends_on_names_and_contents_not_on_order():
    assert content_hash(FILES) == content_hash(dict(reversed(list(FILES.items()))))
    assert content_hash(FILES) != content_hash(variant(1))
    renamed = {"x" + name: text for name, text in FILES.items()}
    assert content_hash(FILES) != content_hash(renamed)
    # Name and text are kept apart: moving a character across the boundary changes it.
    assert content_hash({"a.conf": "bc"}) != content_hash({"a.con": "fbc"})


def test_the_link_is_relative_so_it_resolves_inside_the_chroot_too(settings):
    apply_files(settings, FILES, pbx_running=False)
    target = os.readlink(link(settings))
    assert target == f"generations/{content_hash(FILES)}"
    assert not os.path.isabs(target)
    assert link(settings).resolve() == (
        settings.site_dir / "etc" / "generations" / content_hash(FILES))


def test_applying_the_same_files_again_changes_nothing(settings):
    apply_files(settings, FILES, pbx_running=False)
    before = (os.readlink(link(settings)), link(settings).lstat().st_mtime_ns)
    result = apply_files(settings, dict(FILES), pbx_running=False)
    assert (result.changed, result.live) == (False, False)
    assert result.message == "PBX configuration unchanged"
    assert (os.readlink(link(settings)), link(settings).lstat().st_mtime_ns) == before
    assert generations(settings) == [content_hash(FILES)]


def test_a_change_swaps_the_link_to_a_new_generation(settings):
    apply_files(settings, FILES, pbx_running=False)
    result = apply_files(settings, variant(1), pbx_running=False)
    assert result.changed
    assert current_generation(settings) == content_hash(variant(1))
    assert (link(settings) / "queues.conf").read_text() == variant(1)["queues.conf"]
    # the previous generation stays whole, ready for a roll back
    assert generations(settings) == sorted([content_hash(FILES), content_hash(variant(1))])
    old = settings.site_dir / "etc" / "generations" / content_hash(FILES)
    assert (old / "queues.conf").read_text() == FILES["queues.conf"]
    assert not list((settings.site_dir / "etc").glob(".*"))  # no temporary link left


def test_going_back_to_earlier_files_reuses_their_generation(settings):
    apply_files(settings, FILES, pbx_running=False)
    apply_files(settings, variant(1), pbx_running=False)
    assert apply_files(settings, FILES, pbx_running=False).changed
    assert current_generation(settings) == content_hash(FILES)
    assert len(generations(settings)) == 2


def test_old_generations_are_pruned(settings):
    names = []
    for n in range(KEEP_GENERATIONS + 5):
        apply_files(settings, variant(n), pbx_running=False)
        names.append(content_hash(variant(n)))
    kept = generations(settings)
    # the current one, the previous one (for a roll back) and KEEP_GENERATIONS older ones
    assert sorted(kept) == sorted(names[-(KEEP_GENERATIONS + 2):])
    assert current_generation(settings) == names[-1]


def test_files_are_readable_by_their_owner_only(settings):
    apply_files(settings, FILES, pbx_running=False)
    for path in link(settings).iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_a_plain_directory_left_by_hand_is_replaced_by_the_link(settings):
    link(settings).mkdir(parents=True)
    (link(settings) / "pjsip.conf").write_text("; edited by hand\n")
    apply_files(settings, FILES, pbx_running=False)
    assert link(settings).is_symlink()
    assert (link(settings) / "pjsip.conf").read_text() == FILES["pjsip.conf"]


def test_a_half_written_generation_is_written_again(settings):
    staging = settings.site_dir / "etc" / "generations" / f".{content_hash(FILES)}.partial"
    staging.mkdir(parents=True)
    (staging / "pjsip.conf").write_text("; cut")
    apply_files(settings, FILES, pbx_running=False)
    assert (link(settings) / "pjsip.conf").read_text() == FILES["pjsip.conf"]
    assert not staging.exists()


def test_sounds_are_copied_into_the_site(settings):
    wavs = sorted(SOUNDS.glob("*.wav"))
    assert {"welcome.wav", "unavailable.wav", "call-refused.wav"} <= {w.name for w in wavs}
    apply_files(settings, FILES, pbx_running=False)
    target = settings.site_dir / "sounds"
    for wav in wavs:
        assert (target / wav.name).read_bytes() == wav.read_bytes()
    # a damaged copy is repaired on the next apply, even when the files did not change
    (target / wavs[0].name).write_bytes(b"RIFF")
    apply_files(settings, FILES, pbx_running=False)
    assert (target / wavs[0].name).read_bytes() == wavs[0].read_bytes()


def test_the_site_directories_exist_after_an_apply(settings):
    apply_files(settings, FILES, pbx_running=False)
    for name in ("run", "log", "log/cdr-custom", "spool", "lib", "cache"):
        assert (settings.site_dir / name).is_dir(), name


def test_expectations_name_what_the_pbx_must_show():
    files = {
        "pjsip.conf": "[transport-udp]\ntype=transport\n\n[trunk-carrier]\ntype=endpoint\n"
                      "context=ccc-from-carrier\n\n[i1-1001]\ntype=endpoint\n"
                      "context=ccc-i1-agents\n\n[i1-1001]\ntype=aor\n",
        "extensions.conf": "[general]\n[globals]\n[ccc-from-carrier]\n[ccc-i1-inbound]\n"
                           "[ccc-i1-agents]\n",
        "queues.conf": "[general]\n[i1-q1]\nstrategy=rrmemory\n[i2-q2]\n",
    }
    expected = expectations(files)
    assert expected["endpoints"] == 2
    assert expected["contexts"] == ["ccc-from-carrier", "ccc-i1-inbound", "ccc-i1-agents"]
    assert expected["queues"] == ["i1-q1", "i2-q2"]


def test_contexts_the_endpoints_route_into_are_expected_even_if_the_dialplan_lost_them():
    files = {"pjsip.conf": "[trunk-carrier]\ntype=endpoint\ncontext=ccc-from-carrier\n\n"
                           "[i1-1001]\ntype=endpoint\ncontext=ccc-i1-agents\n",
             "extensions.conf": "[general]\n[ccc-i1-agents]\n"}
    assert sorted(expectations(files)["contexts"]) == ["ccc-from-carrier", "ccc-i1-agents"]


def test_configuration_errors_are_read_from_the_log_after_the_reload(settings):
    log = settings.site_dir / "log" / "messages.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    before = ("[2026-11-23 23:30:38.921] ERROR[1] res_sorcery_config.c: Could not create an "
              "object of type 'endpoint' with id 'old' from configuration file 'pjsip.conf'\n")
    log.write_text(before)
    offset = log.stat().st_size
    with log.open("a") as out:
        out.write("[2026-11-23 23:31:00.000] ERROR[2] netsock2.c: getaddrinfo(\"vm\") failed\n")
        out.write("[2026-11-23 23:31:00.001] ERROR[2] config_options.c: Could not find option "
                  "suitable for category 'i2-1001' named 'no_such_option' at line 66\n")
        out.write("[2026-11-23 23:31:00.002] VERBOSE[2] pbx_config.c: reloaded\n")
    assert config_errors_since(settings, offset) == [
        "ERROR[2] config_options.c: Could not find option suitable for category 'i2-1001' "
        "named 'no_such_option' at line 66"]
    assert len(config_errors_since(settings, 0)) == 2


# ---- reloading only what changed, one apply at a time -------------------------------------

def test_only_the_modules_whose_files_changed_are_reloaded():
    changed_agents = {**FILES, "pjsip.conf": "; one more endpoint\n"}
    assert reload_commands(FILES, changed_agents) == ["module reload res_pjsip.so"]
    both = {**changed_agents, "queues.conf": "[general]\n[i1-q1]\n"}
    assert reload_commands(FILES, both) == ["module reload res_pjsip.so", "queue reload all"]
    assert reload_commands(FILES, {**FILES, "extensions.conf": ""}) == ["dialplan reload"]
    assert reload_commands(FILES, dict(FILES)) == []
    # A file no single module owns, a file added, or nothing known: everything.
    assert reload_commands(FILES, {**FILES, "logger.conf": "x"}) == ["core reload"]
    assert reload_commands({**FILES, "rtp.conf": "a"}, {**FILES, "rtp.conf": "b"}) == [
        "core reload"]
    assert reload_commands(None, FILES) == ["core reload"]


def test_an_apply_asked_before_another_rendered_has_nothing_left_to_do(settings):
    """The second of two waiting applies finds that the first rendered after it was
    asked for (so its change was read): it returns that result without rendering."""
    settings.site_dir.mkdir(parents=True)
    asked = time.monotonic_ns()
    assert _rendered_after(settings, asked) is None
    _remember(settings, time.monotonic_ns(), ApplyResult(changed=True, live=True))
    done = _rendered_after(settings, asked)
    assert done is not None and done.live and done.message == "PBX configuration is live"
    # An apply asked for after that render must do its own.
    assert _rendered_after(settings, time.monotonic_ns()) is None
    # A marker from before the host restarted says nothing about this boot.
    boot, started, live = (settings.site_dir / "apply.last").read_text().split()
    (settings.site_dir / "apply.last").write_text(f"other-boot {started} {live}\n")
    assert _rendered_after(settings, asked) is None


def test_applies_of_one_site_take_turns(settings, sqlite_url):
    """Two applies at once: the second waits for the first's lock, then finds its
    change already rendered and does nothing more."""
    upgrade(sqlite_url)
    settings = replace(settings, database_url=sqlite_url)
    settings.site_dir.mkdir(parents=True)
    order = []

    def run(name):
        with session_factory(sqlite_url)() as session:
            result = apply(session, settings)
        order.append(name)
        return result
    with ThreadPoolExecutor(2) as pool:
        with file_lock(settings.site_dir / "apply.lock"):
            waiting = [pool.submit(run, n) for n in ("first", "second")]
            time.sleep(0.3)
            assert order == []  # both wait while the lock is held
        results = [w.result(10) for w in waiting]  # released: both finish
    assert sorted(order) == ["first", "second"]
    assert [r.changed for r in results].count(True) == 1  # one rendered and wrote
    assert len(generations(settings)) == 1


def test_only_contexts_whose_text_changed_are_asked_for_after_a_reload():
    old = {"pjsip.conf": "[trunk-carrier]\ntype=endpoint\ncontext=ccc-from-carrier\n",
           "extensions.conf": "[ccc-from-carrier]\nexten => 1,1,Hangup()\n\n"
                              "[ccc-i1-agents]\nexten => 1001,1,Dial(PJSIP/i1-1001)\n"}
    one_more = {**old, "extensions.conf": old["extensions.conf"]
                + "exten => 1002,1,Dial(PJSIP/i1-1002)\n"}
    assert contexts_to_check(old, one_more) == ["ccc-i1-agents"]
    assert contexts_to_check(old, dict(old)) == []
    # A context an endpoint routes into that vanished from the dialplan is asked for.
    lost = {**old, "extensions.conf": "[ccc-i1-agents]\nexten => 1001,1,Dial(PJSIP/i1-1001)\n"}
    assert contexts_to_check(old, lost) == ["ccc-from-carrier"]
    assert contexts_to_check(None, old) == ["ccc-from-carrier", "ccc-i1-agents"]


def test_only_endpoints_whose_sections_changed_are_asked_for_after_a_reload():
    """Listing every endpoint costs the PBX seconds at ten thousand agents: an apply
    asks for the endpoints it added or changed, and for those it removed, one by one."""
    agent = ("[i1-{0}]\ntype=endpoint\ncontext=ccc-i1-agents\n\n"
             "[i1-{0}]\ntype=auth\npassword={1}\n\n[i1-{0}]\ntype=aor\n\n")
    trunk = "[transport-udp]\ntype=transport\n\n[trunk-carrier]\ntype=endpoint\n\n"
    old = {"pjsip.conf": trunk + agent.format(1001, "a") + agent.format(1002, "b")}
    new = {"pjsip.conf": trunk + agent.format(1001, "a") + agent.format(1002, "changed")
           + agent.format(1003, "c")}
    changes = endpoints_to_check(old, new)
    assert (changes.present, changes.absent) == (["i1-1002", "i1-1003"], [])
    gone = endpoints_to_check(old, {"pjsip.conf": trunk + agent.format(1002, "b")})
    assert (gone.present, gone.absent) == ([], ["i1-1001"])
    assert endpoints_to_check(old, dict(old)) == type(changes)([], [])
    assert endpoints_to_check(None, new) is None  # nothing known: count them all


def test_a_file_that_did_not_change_is_the_same_file_in_the_next_generation(settings):
    """Asterisk tells an unchanged file by its size and time: an unchanged file is a hard
    link to the one in force, a changed one a file of its own."""
    apply_files(settings, FILES, pbx_running=False)
    first = link(settings).resolve()
    apply_files(settings, variant(1), pbx_running=False)
    second = link(settings).resolve()
    assert first != second
    assert os.path.samefile(first / "pjsip.conf", second / "pjsip.conf")
    assert not os.path.samefile(first / "queues.conf", second / "queues.conf")
    assert (second / "queues.conf").read_text() == variant(1)["queues.conf"]
    assert stat.S_IMODE((second / "queues.conf").stat().st_mode) == 0o600
