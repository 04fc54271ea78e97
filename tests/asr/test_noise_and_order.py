"""Noise is never a request, and an utterance decodes the same whatever was heard before it.

Noise alone (white, hiss at several levels, a room of distant voices, mains hum, silence; 1 to 4 s; at 16 kHz
and through an 8 kHz telephone band) must come out as no transcript or as intent `none`: a health event
(an emergency, a dose taken, a reading) must never come from noise.
"""

from __future__ import annotations

import numpy as np
import pytest
import soxr

from espeak_audio import synthesize
from voice_assistant.nlu import NONE

RATE = 16_000
SPEECH_POWER = 3e6  #: about the power of speech at an ordinary level (int16)
CHATTER = ["the train was late again this morning", "we bought apples and pears at the market",
           "she left her umbrella in the car", "the children are playing in the garden"]


def _white(n, rng):
    return rng.standard_normal(n)


def _babble(n, rng):
    out = np.zeros(n)
    for k, voice in enumerate(("en-us+m1", "en-us+f4", "en-us+m7", "en-us+f5")):
        clip = synthesize(CHATTER[k], voice, 160).astype(np.float64)
        clip = np.tile(clip, n // len(clip) + 2)
        start = int(rng.integers(0, len(clip) - n))
        out += clip[start:start + n]
    return out


def _hum(n, rng):
    t = np.arange(n) / RATE
    return sum(np.sin(2 * np.pi * 50 * h * t + rng.uniform(0, 6)) / h for h in (1, 2, 3, 5)) + \
        0.05 * rng.standard_normal(n)


def _noise(kind: str, seconds: float, db_under_speech: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    x = {"white": _white, "babble": _babble, "hum": _hum}[kind](n, rng)
    x *= np.sqrt(SPEECH_POWER / 10 ** (db_under_speech / 10) / (np.mean(x ** 2) + 1e-12))
    return np.clip(x, -32768, 32767).astype(np.int16)


def _telephone(x: np.ndarray) -> np.ndarray:
    down = soxr.resample(x.astype(np.float32) / 32768, RATE, 8000)
    return np.clip(soxr.resample(down, 8000, RATE) * 32768, -32768, 32767).astype(np.int16)


NOISES = [("white", 1.0, 20), ("white", 3.0, 10), ("white", 2.0, 0), ("babble", 2.0, 15), ("babble", 4.0, 10),
          ("babble", 1.5, 5), ("hum", 2.5, 25), ("hum", 1.0, 10)]


@pytest.mark.parametrize("telephone", [False, True], ids=["16k", "8k-band"])
def test_noise_alone_is_never_an_intent(english, understander, telephone):
    heard = []
    for seed, (kind, seconds, db) in enumerate(NOISES):
        samples = _noise(kind, seconds, db, seed)
        if telephone:
            samples = _telephone(samples)
        transcript = english.recognize(samples.astype("<i2").tobytes())
        intent = understander.understand(transcript.text).intent
        heard.append((kind, seconds, db, transcript.text, intent))
    silence = english.recognize(np.zeros(RATE * 2, np.int16).tobytes())
    assert silence.text == ""
    wrong = [h for h in heard if h[3].strip() and h[4] != NONE]
    assert not wrong, wrong


def test_an_utterance_decodes_the_same_whatever_came_before(english, speak):
    """pocketsphinx carries its cepstral mean from one utterance to the next; the final decoding uses the
    utterance's own, so a loud noisy clip heard first does not change what a clean one decodes to."""
    clean = speak("remind me to take metformin at eight pm", "en-us+f2", 170)
    first = english.recognize(clean.astype("<i2").tobytes()).text
    loud = np.clip(_telephone(speak("what was my last reading", "en-us+klatt", 140)).astype(np.int32) * 4,
                   -32768, 32767).astype(np.int16)
    english.recognize(loud.astype("<i2").tobytes())
    english.recognize(_noise("babble", 2.0, 3, 3).astype("<i2").tobytes())
    assert english.recognize(clean.astype("<i2").tobytes()).text == first



def test_speech_in_white_noise_stands_out_and_a_room_of_voices_does_not():
    """The foreground gate (`_contrast_db` against MIN_CONTRAST_DB, both engines) sits between four voices talking
    at once and a request said in white noise 9 dB under it (the audio dev set's measure: the power of the speech's
    loud samples), with the pre-roll and the pause after it (11.8-12.3 dB here). At 12.0 dB a natural-set request
    in white noise (11.9 dB) was dropped as noise, and neither engine heard a word."""
    from voice_assistant.asr.pocketsphinx_engine import MIN_CONTRAST_DB, _contrast_db

    for seed, (text, voice) in enumerate((("how was my glucose yesterday", "en-us+m3"),
                                          ("my sugar is one twenty", "en-us+f2"),
                                          ("what was my last reading", "en-gb-x-rp"))):
        speech = synthesize(text, voice, 150).astype(np.float64)
        clip = np.concatenate([np.zeros(int(0.4 * RATE)), speech, np.zeros(int(0.6 * RATE))])
        loud = clip[np.abs(clip) > 0.02 * np.abs(clip).max()]
        noise = np.random.default_rng(seed).standard_normal(len(clip)) * np.sqrt(np.mean(loud ** 2) / 10 ** 0.9)
        assert _contrast_db(np.clip(clip + noise, -32768, 32767).astype(np.int16)) >= MIN_CONTRAST_DB, text
    for seed in range(4):
        assert _contrast_db(_noise("babble", 3.0, 10, seed + 10)) < MIN_CONTRAST_DB
