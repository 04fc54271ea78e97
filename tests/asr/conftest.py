"""Shared, expensive things for the recognition tests: built once per session."""

from __future__ import annotations

import pytest

from espeak_audio import synthesize, with_silence


@pytest.fixture(scope="session")
def asr_cache(tmp_path_factory):
    """Generated language models go here, not into the user's cache."""
    return tmp_path_factory.mktemp("asr-cache")


@pytest.fixture(scope="session")
def english(asr_cache):
    from voice_assistant.asr.pocketsphinx_engine import PocketsphinxRecognizer

    return PocketsphinxRecognizer("en", cache_dir=asr_cache)


@pytest.fixture(scope="session")
def understander():
    from voice_assistant.nlu import Understander

    return Understander("en")


@pytest.fixture(scope="session")
def speak():
    """speak(text, voice, wpm) -> 16 kHz int16 samples with a little silence around them."""
    cache: dict = {}

    def _speak(text: str, voice: str = "en-us+klatt", wpm: int = 140):
        key = (text, voice, wpm)
        if key not in cache:
            cache[key] = with_silence(synthesize(text, voice, wpm))
        return cache[key]

    return _speak
