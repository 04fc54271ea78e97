"""Live-loop fixtures: the assistant's voices for the whole run, the patient's voice, and for each test a Session on
a throwaway store, speaking with eSpeak NG: `session` hears through `KnownClips` (the loop's own rules),
`real_session` through the real recogniser. The PulseAudio test speaks with Piper, like `voice-assistant listen`."""

from __future__ import annotations

import pytest

from loopkit import Clock, KnownClips, Patient, make_session, real_recognizer


@pytest.fixture(autouse=True)
def _no_user_data(tmp_path, monkeypatch):
    """Never read or write the real user's profile, database or models."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


@pytest.fixture(scope="session")
def assistant_voice():
    """The voice `listen` speaks English with: Piper's joe."""
    from voice_assistant.tts import synthesizer_for

    return synthesizer_for("en")


@pytest.fixture(scope="session")
def quick_voice():
    """eSpeak NG's English voice (a profile may choose it: fast, and many blind users prefer it): 40 times quicker
    to synthesise than Piper, for the tests of the loop's rules, which say a lot."""
    from voice_assistant.tts import synthesizer_for

    return synthesizer_for("en", engine="espeak")


#: Everything the patient says in these tests, synthesised once, in parallel, when the first test needs it.
SAID = ("my glucose is one twenty", "assistant, my glucose is one twenty", "yes that's right",
        "what was my last reading", "assistant, what was my last reading", "assistant",
        "what is the weather like today", "tell me my latest blood test",
        "every clearance is greeted with a huge cheer from the crowd at the far end")  # television


@pytest.fixture(scope="session")
def patient(tmp_path_factory) -> Patient:
    p = Patient(tmp_path_factory.mktemp("patient"))
    p.prepare(*SAID)
    return p


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def hearing(patient) -> KnownClips:
    known = KnownClips()
    for text in SAID:
        known.learn(patient.says(text), text)
    return known


@pytest.fixture
def session(tmp_path, hearing, quick_voice, clock):
    s = make_session(tmp_path, hearing, quick_voice, clock)
    yield s
    s.manager.ctx.store.close()


@pytest.fixture
def real_session(tmp_path, quick_voice, clock):
    s = make_session(tmp_path, real_recognizer(), quick_voice, clock)
    yield s
    s.manager.ctx.store.close()
