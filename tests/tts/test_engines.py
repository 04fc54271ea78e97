"""Real synthesis with both engines: audio, plausible durations, speech rate, sentence streaming, selection."""

import inspect
import json
import threading
from pathlib import Path

import numpy as np
import pytest

from voice_assistant.tts import DEFAULT_WPM, SpokenSentence, SynthesizerUnavailable, synthesizer_for
from voice_assistant.tts.espeak import EspeakSynthesizer
from voice_assistant.tts.piper import PiperSynthesizer, joe_voice_paths, length_scale_for

TEXTS = {
    "en": "Your blood sugar is 120 mg/dL at 08:30. Dr. Smith has the reading. Anything else?",
    "fr": "Votre glycémie est de 1,20 g/L à 08:30. Le Dr Martin a la mesure. Autre chose ?",
}
SENTENCE = {
    "en": "Please take your tablet with a glass of water after breakfast.",
    "fr": "Prenez votre comprimé avec un verre d'eau après le petit déjeuner.",
}


@pytest.fixture(scope="module")
def piper_en():
    return PiperSynthesizer.english_default()


@pytest.fixture(scope="module")
def espeak_en():
    return EspeakSynthesizer("en")


@pytest.fixture(scope="module")
def espeak_fr():
    return EspeakSynthesizer("fr")


@pytest.fixture(params=["piper_en", "espeak_en", "espeak_fr"])
def synth(request):
    return request.getfixturevalue(request.param)


_SPOKEN: dict = {}


def _spoken(synth, text, wpm=DEFAULT_WPM):
    """speak(), once per engine, text and rate in this module: Piper is real work, the tests share it."""
    key = (id(synth), text, wpm)
    if key not in _SPOKEN:
        _SPOKEN[key] = list(synth.speak(text, wpm))
    return _SPOKEN[key]


def _seconds(synth, text, wpm):
    return sum(s.audio.seconds for s in _spoken(synth, text, wpm))


def test_speaks_real_audio_of_plausible_length(synth):
    text = SENTENCE[synth.language]
    sentences = _spoken(synth, text)
    # Piper starts a long sentence with its lead alone, and says a long clause in pieces cut where a voice can pause
    assert 1 <= len(sentences) <= (3 if getattr(synth, "max_piece_chars", None) else 2)
    for clip in (s.audio for s in sentences):
        assert clip.sample_rate == synth.sample_rate == 22050
        assert clip.samples.dtype == np.int16 and clip.samples.ndim == 1
        assert np.abs(clip.samples.astype(np.int32)).max() > 1000  # not silence
    words = len(text.split())
    nominal = 60.0 * words / DEFAULT_WPM  # ~4 s for these 11-12 words
    assert 0.4 * nominal < sum(s.audio.seconds for s in sentences) < 2.5 * nominal


def test_faster_rate_gives_shorter_audio(synth):
    text = SENTENCE[synth.language]
    slow, fast = _seconds(synth, text, 120), _seconds(synth, text, 300)
    assert slow / fast > 1.5


def test_streams_one_sentence_at_a_time_in_order(synth):
    stream = synth.speak(TEXTS[synth.language])
    assert inspect.isgenerator(stream)  # lazily: the first sentence plays while the next is synthesised
    first = next(stream)
    sentences = [first, *stream]
    quick = getattr(synth, "quick_start_words", None)
    assert [s.text for s in sentences] == synth.normalizer.sentences(
        TEXTS[synth.language], quick_start_words=quick, max_spoken_chars=getattr(synth, "max_piece_chars", None))
    # Piper: the first sentence's lead comes alone, and its long clauses are cut where a voice can pause
    assert len(sentences) == (6 if quick else 3)
    assert all(isinstance(s, SpokenSentence) and s.audio.seconds > 0.3 for s in sentences)
    assert not any(ch.isdigit() for s in sentences for ch in s.text)
    assert ("docteur" if synth.language == "fr" else "doctor") in sentences[-2].text.lower()


def test_empty_text_says_nothing(synth):
    assert list(synth.speak("  ")) == []


def test_piper_rate_mapping_is_calibrated(piper_en):
    """At the default rate the joe voice really speaks near 160 words per minute (within 20 %)."""
    text = SENTENCE["en"]
    spoken = 60.0 * len(text.split()) / _seconds(piper_en, text, DEFAULT_WPM)
    assert 0.8 * DEFAULT_WPM < spoken < 1.2 * DEFAULT_WPM
    # the measured fit (scripts/bench_tts.py): 1.0 at 200 wpm, slower voice below, faster above, clamped
    assert length_scale_for(200) == pytest.approx(1.0, abs=0.01)
    assert length_scale_for(100) > length_scale_for(160) > 1.0 > length_scale_for(350) >= 0.35
    assert length_scale_for(1000) == length_scale_for(450)


def test_espeak_is_safe_from_two_threads(espeak_en, espeak_fr):
    expected = {s.language: len(s.synthesize(SENTENCE[s.language], 200)) for s in (espeak_en, espeak_fr)}
    results, errors = [], []

    def work(s):
        try:
            for _ in range(5):
                results.append((s.language, len(s.synthesize(SENTENCE[s.language], 200))))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(s,)) for s in (espeak_en, espeak_fr, espeak_en, espeak_fr)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    # eSpeak varies by a few samples between runs; interleaved voices or rates would change far more
    assert len(results) == 20 and all(abs(n - expected[lang]) < 0.02 * expected[lang] for lang, n in results)


# ---------------------------------------------------------------------------------------------- selection


@pytest.fixture
def no_models(tmp_path, monkeypatch):
    """An empty user data dir: no voice installed but the packages' ones."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    return tmp_path / "voice-assistant" / "models"


def test_default_choice_per_language(no_models, piper_en):
    assert isinstance(synthesizer_for("en"), PiperSynthesizer)
    assert isinstance(synthesizer_for("en-US", engine="espeak"), EspeakSynthesizer)
    french = synthesizer_for("fr")  # no French Piper voice installed: eSpeak NG out of the box
    assert isinstance(french, EspeakSynthesizer) and french.voice == "fr"


def test_a_french_piper_voice_from_the_models_dir_is_preferred(no_models):
    """Any Piper voice path works; a voice the model manager installed is found by its .onnx.json language."""
    model, config = joe_voice_paths()
    voice_dir = no_models / "fr_FR-test-medium"  # copied by hand: no manager manifest
    voice_dir.mkdir(parents=True)
    (voice_dir / "fr_FR-test-medium.onnx").symlink_to(model)
    data = json.loads(Path(config).read_text(encoding="utf-8"))
    data["language"] = {"code": "fr_FR"}
    data["espeak"] = {"voice": "fr"}
    (voice_dir / "fr_FR-test-medium.onnx.json").write_text(json.dumps(data), encoding="utf-8")

    synth = synthesizer_for("fr")
    assert isinstance(synth, PiperSynthesizer) and synth.language == "fr"
    [sentence] = synth.speak("Il est 08:30.")
    assert sentence.text == "Il est huit heures trente." and sentence.audio.seconds > 0.5
    assert isinstance(synthesizer_for("fr", engine="espeak"), EspeakSynthesizer)


@pytest.mark.parametrize("kwargs, words", [
    (dict(language="fr", engine="piper"), ["Piper", "French", "install"]),
    (dict(language="en", engine="festival"), ["festival", "piper", "espeak"]),
    (dict(language="en", voice_path="/nowhere/en_US-x.onnx"), ["/nowhere/en_US-x.onnx", ".onnx.json"]),
    (dict(language="en", engine="espeak", voice_path="/nowhere/x.onnx"), ["Piper voice", "eSpeak"]),
    (dict(language="de"), ["de.yaml"]),
])
def test_missing_engine_or_voice_says_what_and_how(no_models, kwargs, words):
    with pytest.raises(SynthesizerUnavailable) as caught:
        synthesizer_for(**kwargs)
    for word in words:
        assert word in str(caught.value)


def test_unknown_espeak_voice_is_a_clear_error():
    with pytest.raises(SynthesizerUnavailable, match="no voice 'xx-nope'"):
        EspeakSynthesizer("en", voice="xx-nope")


def test_a_damaged_piper_voice_falls_back_to_espeak_unless_piper_was_asked(no_models):
    model, config = joe_voice_paths()
    voice_dir = no_models / "fr_FR-broken-medium"
    voice_dir.mkdir(parents=True)
    (voice_dir / "fr_FR-broken-medium.onnx").write_bytes(b"not an onnx model")
    data = json.loads(Path(config).read_text(encoding="utf-8"))
    data["language"] = {"code": "fr_FR"}
    (voice_dir / "fr_FR-broken-medium.onnx.json").write_text(json.dumps(data), encoding="utf-8")
    assert isinstance(synthesizer_for("fr"), EspeakSynthesizer)
    with pytest.raises(Exception):
        synthesizer_for("fr", engine="piper")


def test_piper_gives_its_arena_memory_back_after_each_sentence(piper_en):
    """The voice's session is wrapped so every run asks ONNX Runtime to shrink its arena (the working memory
    of a long sentence is not kept for the rest of the conversation); the audio is the same kind of audio."""
    from voice_assistant.tts.piper import SHRINK_ARENA, ShrinkingSession

    session = piper_en.voice.session
    assert isinstance(session, ShrinkingSession)
    assert session.get_inputs()[0].name == "input"  # everything else is the real session's
    seen = []

    class Recording:
        def run(self, names, feeds, options):
            seen.append(options)
            return ["audio"]

    assert ShrinkingSession(Recording()).run(None, {}) == ["audio"]
    assert seen[0].get_run_config_entry(SHRINK_ARENA[0]) == SHRINK_ARENA[1]
    given = object()
    ShrinkingSession(Recording()).run(None, {}, given)
    assert seen[1] is given  # options a caller passes are kept
    audio = piper_en.synthesize("Your reading is saved.")
    assert audio.dtype == np.int16 and 0.5 < len(audio) / piper_en.sample_rate < 4


def test_piper_gives_freed_memory_back_after_each_sentence(piper_en, monkeypatch):
    from voice_assistant.tts import piper

    released = []
    monkeypatch.setattr(piper, "release_free_memory", lambda: released.append(True) or True)
    piper_en.phrases.clear()  # both sentences synthesised now, not taken from the phrase cache
    sentences = list(piper_en.speak("Your reading is saved. You can say: what was my last reading?"))
    assert len(sentences) == 2 and len(released) == 2


def test_a_short_sentence_spoken_again_comes_from_the_phrase_cache(piper_en, monkeypatch):
    """Replies open with the same few words again and again: their audio is kept (short sentences only, a few
    dozen, the least recently spoken dropped), per rate; what a caller does to the audio given does not change
    the kept one."""
    from voice_assistant.tts.piper import PhraseCache

    piper_en.phrases.clear()
    runs = []
    synthesize = piper_en.voice.synthesize
    monkeypatch.setattr(piper_en.voice, "synthesize", lambda *a, **k: runs.append(a[0]) or synthesize(*a, **k))
    first = piper_en.synthesize("I heard", 160)
    first[:] = 0  # the player's business: the cache keeps its own copy
    again = piper_en.synthesize("I heard", 160)
    assert runs == ["I heard"] and np.abs(again).max() > 1000 and len(again) == len(first)
    piper_en.synthesize("I heard", 100)  # another rate: other audio
    long = "one hundred and twenty milligrams per deciliter before a meal."
    piper_en.synthesize(long, 160)
    piper_en.synthesize(long, 160)  # too long to keep: synthesised each time
    assert runs == ["I heard", "I heard", long, long]

    cache = PhraseCache(size=2, max_words=3, max_seconds=1.0)
    for text in ("a", "b", "c"):
        cache.put(text, 1.0, np.ones(10, dtype=np.int16), 100)
    cache.put("too many words here", 1.0, np.ones(10, dtype=np.int16), 100)
    cache.put("too long", 1.0, np.ones(101, dtype=np.int16), 100)
    assert cache.get("a", 1.0) is None and cache.get("b", 1.0) is not None and cache.get("c", 1.0) is not None
    assert len(cache) == 2 and cache.get("too many words here", 1.0) is None and cache.get("too long", 1.0) is None
