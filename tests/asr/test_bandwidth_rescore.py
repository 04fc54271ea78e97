"""Telephone-band audio and the n-best re-check against the pack."""

from __future__ import annotations

import numpy as np
import soxr

from voice_assistant.asr.bandwidth import extend_band, high_band_share, is_narrowband
from voice_assistant.asr.rescore import PackFit, pick
from voice_assistant.nlu.packs import load_pack


def _telephone(x: np.ndarray) -> np.ndarray:
    down = soxr.resample(x.astype(np.float32) / 32768, 16000, 8000)
    return np.clip(soxr.resample(down, 8000, 16000) * 32768, -32768, 32767).astype(np.int16)


def test_telephone_band_is_detected_and_extended(speak):
    wide = speak("my sugar is one twenty", "en-us+klatt", 140)
    narrow = _telephone(wide)
    assert not is_narrowband(wide) and is_narrowband(narrow)
    extended = extend_band(narrow)
    assert len(extended) == len(narrow) and extended.dtype == np.int16
    assert high_band_share(extended) > 100 * high_band_share(narrow)
    assert not is_narrowband(np.zeros(100, np.int16)) and len(extend_band(np.zeros(0, np.int16))) == 0


def test_telephone_band_speech_is_recognised(english, speak, understander):
    cases = [("one seventy seven before dinner", "log_glucose"), ("call an ambulance", "emergency"),
             ("i took my lantus", "medication_taken")]
    right = 0
    for text, intent in cases:
        transcript = english.recognize(_telephone(speak(text, "en-us+f2", 190)).tobytes())
        assert transcript.info.get("narrowband") is True
        right += understander.understand(transcript.text).intent == intent
    assert right >= 2


def test_pick_prefers_a_clearly_better_pack_sentence():
    fit = PackFit(load_pack("en"), ["metformin"])
    assert fit("remind me to take metformin at eight pm") > 0.8
    assert fit("") == 0.0
    hypotheses = ["what are my drugs", "what are my reminders"]
    index, score = pick(hypotheses, fit)
    assert index == 1 and score >= fit(hypotheses[0])
    assert pick(["yes", "yes please"], fit)[0] == 0  # no clear gain: the recogniser's first choice stays
    assert pick(["anything"], None) == (0, 1.0)
