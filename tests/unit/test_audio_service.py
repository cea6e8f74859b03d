"""The audio library's rules on both databases, and the files it keeps on disk."""
from __future__ import annotations

import hashlib
import io
import json

import pytest

from engine.audio import service
from engine.audio.service import MAX_BYTES
from engine.audio.storage import original_path, pbx_path
from engine.errors import Conflict, Invalid, NotFound
from engine.ivr.models import FlowState, IvrFlow, IvrFlowVersion
from tests.factories import add_account, add_instance
from tests.unit.audio_samples import pcm_wav, sox_wav, soxi


@pytest.fixture
def instance(session):
    add_account(session)
    return add_instance(session).instance


@pytest.fixture
def site(settings):
    """The PBX site exists (as after ``ccc pbx start``): uploads copy into it at once."""
    settings.site_dir.mkdir(parents=True)
    return settings.site_dir


@pytest.fixture
def tone(tmp_path):
    return sox_wav(tmp_path / "tone.wav", rate=44100, channels=2, seconds=0.5)


def files_under(directory):
    return sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*")
                  if p.is_file()) if directory.exists() else []


def test_upload_keeps_the_original_and_gives_the_pbx_an_8k_mono_copy(
        session, settings, site, instance, tone):
    audio = service.upload(session, settings, instance, "main-menu", tone)
    session.commit()
    original = original_path(settings, instance.pbx_key, "main-menu")
    copy = site / "sounds" / instance.pbx_key / "main-menu.wav"
    assert original.read_bytes() == tone
    assert (soxi(copy, "-r"), soxi(copy, "-c"), soxi(copy, "-b"), soxi(copy, "-t")) == \
        ("8000", "1", "16", "wav")
    assert soxi(copy, "-e") == "Signed Integer PCM"
    assert (audio.size_bytes, audio.duration_ms) == (len(tone), 500)
    assert audio.sha256 == hashlib.sha256(tone).hexdigest()


def test_a_mu_law_wav_is_converted_too(session, settings, site, instance, tmp_path):
    ulaw = sox_wav(tmp_path / "u.wav", "-e", "u-law", rate=8000, channels=1, seconds=1)
    service.upload(session, settings, instance, "ulaw", ulaw)
    session.commit()
    assert soxi(pbx_path(settings, instance.pbx_key, "ulaw"), "-e") == "Signed Integer PCM"


def test_list_read_rename_replace_delete(session, settings, site, instance, tone, tmp_path):
    service.upload(session, settings, instance, "b-prompt", tone)
    service.upload(session, settings, instance, "a-prompt", tone)
    session.commit()
    assert [a.name for a in service.list_audio(session, instance)] == ["a-prompt", "b-prompt"]
    assert service.read(session, settings, instance, "a-prompt") == tone

    service.rename(session, settings, instance, "a-prompt", "greeting")
    session.commit()
    assert [a.name for a in service.list_audio(session, instance)] == ["b-prompt", "greeting"]
    assert service.read(session, settings, instance, "greeting") == tone
    assert files_under(site / "sounds") == [f"{instance.pbx_key}/b-prompt.wav",
                                            f"{instance.pbx_key}/greeting.wav"]

    longer = sox_wav(tmp_path / "long.wav", rate=16000, channels=1, seconds=2)
    with pytest.raises(Conflict, match="already exists"):
        service.upload(session, settings, instance, "greeting", longer)
    replaced = service.upload(session, settings, instance, "greeting", longer, replace=True)
    session.commit()
    assert (replaced.duration_ms, replaced.size_bytes) == (2000, len(longer))
    assert service.read(session, settings, instance, "greeting") == longer
    assert soxi(pbx_path(settings, instance.pbx_key, "greeting"), "-D").startswith("2.0")
    assert len(service.list_audio(session, instance)) == 2

    service.delete(session, settings, instance, "greeting")
    session.commit()
    assert [a.name for a in service.list_audio(session, instance)] == ["b-prompt"]
    assert files_under(site / "sounds") == [f"{instance.pbx_key}/b-prompt.wav"]
    assert files_under(settings.var_dir / "audio") == [f"{instance.pbx_key}/b-prompt.wav"]
    with pytest.raises(NotFound):
        service.read(session, settings, instance, "greeting")


def test_exactly_5_mb_is_accepted_and_one_byte_more_refused(session, settings, instance):
    exact = pcm_wav(MAX_BYTES)
    assert len(exact) == 5 * 1024 * 1024
    assert service.upload(session, settings, instance, "big", exact).size_bytes == MAX_BYTES
    with pytest.raises(Invalid, match="larger than 5 MB"):
        service.upload(session, settings, instance, "bigger", pcm_wav(MAX_BYTES + 1))


def test_a_stream_is_read_no_further_than_the_limit(session, settings, instance):
    stream = io.BytesIO(pcm_wav(MAX_BYTES + 1000))
    with pytest.raises(Invalid, match="larger than 5 MB"):
        service.upload(session, settings, instance, "huge", stream)
    assert stream.tell() == MAX_BYTES + 1


@pytest.mark.parametrize("content, reason", [
    (b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x64" * 500, "no RIFF header"),
    (b"RIFF\x10\x00\x00\x00WAVEfmt ", "truncated header"),
    (pcm_wav(2044, audio_format=0x1234), "cannot be decoded"),
])
def test_refused_files_leave_nothing_behind(session, settings, site, instance, content, reason):
    with pytest.raises(Invalid, match=reason):
        service.upload(session, settings, instance, "prompt", content)
    assert service.list_audio(session, instance) == []
    assert files_under(settings.var_dir / "audio") == []
    assert files_under(site / "sounds") == []


@pytest.mark.parametrize("name", ["Main", "-x", "a b", "a.wav", "x" * 65, "welcome", ""])
def test_bad_names_are_refused(session, settings, instance, tone, name):
    with pytest.raises(Invalid):
        service.upload(session, settings, instance, name, tone)


def test_a_rolled_back_upload_writes_no_file(session, settings, site, instance, tone):
    service.upload(session, settings, instance, "prompt", tone)
    session.rollback()
    assert files_under(settings.var_dir / "audio") == []
    assert files_under(site / "sounds") == []


def test_names_are_per_instance(session, settings, instance, tone):
    other = add_instance(session, name="Support", domain="support.acme", number="01087654321",
                         admin="bob").instance
    service.upload(session, settings, instance, "prompt", tone)
    service.upload(session, settings, other, "prompt", tone)
    session.commit()
    assert original_path(settings, instance.pbx_key, "prompt").exists()
    assert original_path(settings, other.pbx_key, "prompt").exists()
    with pytest.raises(NotFound):
        service.rename(session, settings, other, "missing", "x")


def test_sync_makes_the_copies_missing_when_the_site_did_not_exist(
        session, settings, instance, tone):
    service.upload(session, settings, instance, "prompt", tone)
    session.commit()
    assert not settings.site_dir.exists()  # the PBX root is not even built
    assert service.sync_pbx_copies(session, settings) == 0

    settings.site_dir.mkdir(parents=True)
    stale = settings.site_dir / "sounds" / "i999" / "gone.wav"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"left over")
    assert service.sync_pbx_copies(session, settings) == 1
    copy = pbx_path(settings, instance.pbx_key, "prompt")
    assert (soxi(copy, "-r"), soxi(copy, "-c")) == ("8000", "1")
    assert not stale.parent.exists()
    assert service.sync_pbx_copies(session, settings) == 0  # up to date: nothing remade


def test_a_digest_mismatch_is_reported_on_download(session, settings, instance, tone):
    service.upload(session, settings, instance, "prompt", tone)
    session.commit()
    original_path(settings, instance.pbx_key, "prompt").write_bytes(tone[:-2] + b"xx")
    with pytest.raises(Conflict, match="does not match its digest"):
        service.read(session, settings, instance, "prompt")


def publish_flow_using(session, instance, prompt: str, state=FlowState.PUBLISHED):
    document = {"format": 1,
                "nodes": [{"id": "start", "type": "start"},
                          {"id": "hello", "type": "play", "prompt": prompt},
                          {"id": "bye", "type": "hangup"}],
                "edges": [{"from": "start", "to": "hello"}, {"from": "hello", "to": "bye"}]}
    flow = IvrFlow(instance=instance, name=f"uses-{prompt}-{state.value}")
    session.add(flow)
    session.flush()
    session.add(IvrFlowVersion(flow_id=flow.id, state=state, definition=json.dumps(document),
                               version=1 if state is FlowState.PUBLISHED else None))
    session.flush()


def test_audio_in_a_published_flow_cannot_be_deleted_or_renamed(
        session, settings, instance, tone):
    service.upload(session, settings, instance, "promo", tone)
    service.upload(session, settings, instance, "draft-only", tone)
    publish_flow_using(session, instance, "promo")
    publish_flow_using(session, instance, "draft-only", state=FlowState.DRAFT)
    session.commit()
    with pytest.raises(Conflict, match="used by a published IVR flow and cannot be deleted"):
        service.delete(session, settings, instance, "promo")
    with pytest.raises(Conflict, match="used by a published IVR flow and cannot be renamed"):
        service.rename(session, settings, instance, "promo", "offer")
    # replacing it is how a published prompt is re-recorded
    service.upload(session, settings, instance, "promo", tone, replace=True)
    service.delete(session, settings, instance, "draft-only")
    session.commit()
    assert [a.name for a in service.list_audio(session, instance)] == ["promo"]


def test_name_from_filename():
    assert service.name_from_filename("/tmp/Main Menu.WAV") == "main-menu"
    assert service.name_from_filename("_hello_world.wav") == "hello_world"


def test_applying_the_configuration_gives_a_new_site_the_library(
        session, settings, instance, tone):
    """Audio uploaded before the PBX site existed reaches it with the first apply."""
    from provisioning.apply import apply
    service.upload(session, settings, instance, "prompt", tone)
    session.commit()
    assert not settings.site_dir.exists()
    apply(session, settings)  # no PBX running: files are written for its next start
    copy = pbx_path(settings, instance.pbx_key, "prompt")
    assert (soxi(copy, "-r"), soxi(copy, "-c")) == ("8000", "1")
