"""Telephone-band audio and the n-best re-check against the pack."""

from __future__ import annotations

import numpy as np
import soxr

from voice_assistant.asr import bandwidth
from voice_assistant.asr.bandwidth import (BandModel, band_model, extend_band, high_band_levels, high_band_share,
                                           is_narrowband, low_band_features, spectrogram)
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


def test_the_filled_band_follows_the_speech_the_telephone_removed(speak):
    """On a voice the model never heard, the predicted 4-8 kHz levels rise and fall with the true ones (the
    crude copy of the 2-4 kHz band it replaced did not know where the fricatives were)."""
    wide = speak("six sisters sell fresh fish on thursday", "en-us+f2", 150)
    narrow = _telephone(wide)
    truth = high_band_levels(np.abs(spectrogram(wide)) ** 2)
    heard = high_band_levels(np.abs(spectrogram(extend_band(narrow))) ** 2)
    speech = truth.mean(axis=1) > np.percentile(truth.mean(axis=1), 30)  # not the silence around the words
    r = np.corrcoef(truth[speech].mean(axis=1), heard[speech].mean(axis=1))[0, 1]
    assert r > 0.45  # measured 0.54; a model that knows nothing gives about 0
    assert np.abs(heard[speech] - truth[speech]).mean() < 3.3  # natural-log level (measured 2.9, about 12 dB)
    quiet = extend_band(np.zeros(16000, np.int16))
    assert np.abs(quiet.astype(int)).max() <= 2  # silence stays silent


def test_a_missing_or_damaged_band_model_leaves_the_audio_as_it_is(tmp_path, caplog, monkeypatch):
    narrow = _telephone((np.sin(np.arange(16000) * 0.2) * 8000).astype(np.int16))
    damaged = tmp_path / "band.npz"
    damaged.write_bytes(b"not numpy")
    assert band_model(str(damaged)) is None and band_model(str(tmp_path / "absent.npz")) is None
    assert "reinstall" in caplog.text
    shipped = band_model()
    assert shipped is not None
    wrong = BandModel(shipped.mean[:10], shipped.scale[:10], shipped.weights[:11])
    wrong.save(tmp_path / "wrong.npz")
    assert band_model(str(tmp_path / "wrong.npz")) is None
    assert np.array_equal(extend_band(narrow, rate=8000), narrow)  # only 16 kHz audio is extended
    monkeypatch.setattr(bandwidth, "band_model", lambda *a: None)
    assert np.array_equal(extend_band(narrow), narrow)


def test_a_band_model_fits_saves_and_loads(tmp_path):
    rng = np.random.default_rng(0)
    features = rng.normal(size=(400, _feature_width())) * 3 + 5
    levels = np.c_[[features[:, i] * 0.5 + 1 for i in range(6)]].T
    model = BandModel.fit(features, levels, ridge=1e-6)
    assert np.abs(model.predict(features) - levels).max() < 1e-3
    model.save(tmp_path / "m.npz")
    again = BandModel.load(tmp_path / "m.npz")
    assert np.allclose(again.predict(features[:5]), model.predict(features[:5]))


def _feature_width() -> int:
    """How many numbers the band model reads per frame."""
    return low_band_features(np.ones((3, 257))).shape[1]


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
