"""pocketsphinx with its bundled en-US model, constrained by the English pack, on speech synthesised now
by eSpeak NG with voices and speeds unlike the assistant's (Piper's Joe, or eSpeak's default at 160 wpm)."""

from __future__ import annotations

import numpy as np
import pytest

from voice_assistant.asr.base import Transcript
from voice_assistant.nlu import NONE

#: (what the patient says, the intent it must come out as)
UTTERANCES = [
    ("my sugar is one twenty", "log_glucose"),
    ("remind me to take metformin at eight pm", "set_medication_reminder"),
    ("yes", "affirm"),
    ("no", "deny"),
    ("cancel", "cancel"),
    ("what was my last reading", "glucose_history"),
    ("one seventy seven before dinner", "log_glucose"),
    ("i took my lantus", "medication_taken"),
    ("what are my reminders", "list_reminders"),
    ("call an ambulance", "emergency"),
    ("what was my a1c", "read_lab_results"),
    ("say that again", "repeat"),
]
#: eSpeak NG voices unlike the assistant's: a slow Klatt male, a fast female.
VOICES = [("en-us+klatt", 140), ("en-us+f2", 190)]


def _wer(ref: str, hyp: str) -> tuple[int, int]:
    r, h = ref.split(), hyp.split()
    d = list(range(len(h) + 1))
    for i in range(1, len(r) + 1):
        prev, d[0] = d[:], i
        for j in range(1, len(h) + 1):
            d[j] = min(prev[j] + 1, d[j - 1] + 1, prev[j - 1] + (r[i - 1] != h[j - 1]))
    return d[len(h)], len(r)


def _stream(recognizer, samples: np.ndarray, chunk: int = 1600) -> tuple[list[Transcript], Transcript]:
    pcm = samples.astype("<i2").tobytes()
    recognizer.reset()
    partials = [p for i in range(0, len(pcm), chunk * 2) if (p := recognizer.accept(pcm[i:i + chunk * 2]))]
    return partials, recognizer.finish()


@pytest.fixture(scope="module")
def results(english, speak, understander):
    out = []
    for voice, wpm in VOICES:
        for text, intent in UTTERANCES:
            _, transcript = _stream(english, speak(text, voice, wpm))
            out.append((text, intent, transcript, understander.understand(transcript.text)))
    return out


def test_domain_utterances_are_understood(results):
    right = sum(u.intent == intent for _, intent, _, u in results)
    misses = [(text, t.text, u.intent) for text, intent, t, u in results if u.intent != intent]
    assert right / len(results) >= 0.7, misses


def test_most_words_come_through(results):
    errors = words = 0
    for text, _, transcript, _ in results:
        e, n = _wer(text, transcript.text)
        errors += e
        words += n
    assert errors / words <= 0.5


def test_numbers_and_drug_names_are_heard(results):
    heard = " | ".join(t.text for _, _, t, _ in results)
    assert "one seventy seven" in heard
    assert "lantus" in heard
    assert "metformin" in heard or "a1c" in heard


def test_transcripts_carry_word_confidences_and_times(results):
    for _, _, transcript, _ in results:
        assert transcript.final and transcript.engine == "pocketsphinx"
        assert 0.0 <= transcript.confidence <= 1.0
        for word in transcript.words:
            assert 0.0 <= word.confidence <= 1.0
            assert 0.0 <= word.start <= word.end
        starts = [w.start for w in transcript.words if w.end]
        assert starts == sorted(starts)
    confident = [t for _, _, t, u in results if t.text and t.confidence >= 0.5]
    assert len(confident) >= len(results) // 2


def test_partial_results_while_streaming(english, speak):
    partials, final = _stream(english, speak("remind me to take metformin at eight pm", "en-us+klatt", 140))
    assert partials and all(not p.final for p in partials)
    assert final.final and final.text
    assert len({p.text for p in partials}) == len(partials)  # only changes are reported


def test_out_of_scope_speech_is_not_a_confident_intent(english, speak, understander):
    for voice, wpm in VOICES:
        transcript = english.recognize(speak("what is the weather like in paris", voice, wpm).tobytes())
        u = understander.understand(transcript.text)
        assert u.intent == NONE or u.confidence < 0.7 or not transcript.constrained, (transcript, u)


def test_open_pass_recognises_what_the_pack_does_not_know(english, speak):
    # Forced: the open pass runs whenever the constrained one is unsure (here: always).
    from voice_assistant.asr.pocketsphinx_engine import PocketsphinxRecognizer

    forced = PocketsphinxRecognizer("en", cache_dir=english.lm_path.parent.parent, min_confidence=1.1, min_fit=1.1)
    transcript = forced.recognize(speak("the weather is nice in london today", "en-us+klatt", 140).tobytes())
    assert not transcript.constrained
    assert transcript.text and "open_text" in transcript.info
    assert transcript.info["constrained_text"] != transcript.text or transcript.text
    assert any(w in transcript.text.split() for w in ("weather", "nice", "london", "today"))


def test_one_decoding_can_leave_out_the_open_pass(english, speak):
    """decode(open_pass=False), as the combined recogniser decodes: an unsure reading stays the pack model's, and
    the general English model (+94 MB resident, +127 MB while it loads) is never loaded for it."""
    from voice_assistant.asr.pocketsphinx_engine import PocketsphinxRecognizer

    forced = PocketsphinxRecognizer("en", cache_dir=english.lm_path.parent.parent, min_confidence=1.1, min_fit=1.1)
    transcript = forced.decode(speak("the weather is nice in london today", "en-us+klatt", 140).tobytes(),
                               open_pass=False)
    assert transcript.constrained and "open_text" not in transcript.info
    assert transcript.text == transcript.info["constrained_text"]
    assert forced._open_decoder is None


def test_silence_and_noise_give_an_empty_or_unsure_transcript(english):
    silence = np.zeros(16000, np.int16)
    assert english.recognize(silence.tobytes()).text == ""
    noise = (np.random.default_rng(0).standard_normal(24000) * 300).astype(np.int16)
    transcript = english.recognize(noise.tobytes())
    assert isinstance(transcript, Transcript) and 0.0 <= transcript.confidence <= 1.0
    assert english.finish().text == ""  # finish() with nothing fed


def test_reset_drops_audio(english, speak):
    english.reset()
    english.accept(speak("cancel").tobytes())
    english.reset()
    assert english.finish().text == ""


def test_generated_files_are_cached_by_content(english, asr_cache):
    from voice_assistant.asr.pocketsphinx_engine import PocketsphinxRecognizer

    lm = english.lm_path
    stamp = lm.stat().st_mtime_ns
    again = PocketsphinxRecognizer("en", cache_dir=asr_cache)
    assert again.lm_path == lm and lm.stat().st_mtime_ns == stamp  # reused, not rebuilt
    other = PocketsphinxRecognizer("en", medications=["metformin", "Zorblaxitol"], cache_dir=asr_cache)
    assert other.lm_path != lm  # another profile, another model
    assert "zorblaxitol" in other.guessed_words  # no dictionary knows it: reported
    assert "metformin" not in other.guessed_words
    assert "zorblaxitol" in other.dict_path.read_text()


def test_old_generated_folders_are_pruned(tmp_path):
    import os

    from voice_assistant.asr.pocketsphinx_engine import _prune

    for i in range(9):
        folder = tmp_path / f"pocketsphinx-en-{i}"
        folder.mkdir()
        os.utime(folder, (1000 + i, 1000 + i))
    keep = tmp_path / "pocketsphinx-en-0"  # the one just written is never removed, however old
    _prune(tmp_path, "pocketsphinx-en-", keep=keep, most=4)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pocketsphinx-en-0", "pocketsphinx-en-6",
                                                         "pocketsphinx-en-7", "pocketsphinx-en-8"]


def test_lazy_decoders_survive_a_cleaned_cache(tmp_path, speak):
    import shutil

    from voice_assistant.asr.pocketsphinx_engine import PocketsphinxRecognizer

    recognizer = PocketsphinxRecognizer("en", cache_dir=tmp_path / "cache", min_confidence=1.1, min_fit=1.1)
    shutil.rmtree(tmp_path / "cache")
    transcript = recognizer.recognize(speak("yes").tobytes())  # the open pass needs the files again
    assert "open_text" in transcript.info and recognizer.dict_path.exists()


#: symptoms said plainly: the pack's language model must leave room for them (small talk written "i feel [really]"
#: once taught it the sentence "i feel really", and "i feel dizzy" was heard as that: no call for help)
SYMPTOMS = ["i feel dizzy", "i feel shaky", "i feel faint", "i feel sick", "i am sweating and shaking"]


def test_symptoms_are_heard_as_a_call_for_help(english, speak, understander):
    heard = []
    for voice, wpm in [*VOICES, ("en-us+grandpa", 135)]:
        for text in SYMPTOMS:
            _, transcript = _stream(english, speak(text, voice, wpm))
            heard.append((text, voice, transcript.text, understander.understand(transcript.text).intent))
    missed = [h for h in heard if h[3] != "emergency"]
    # 1 of 15 missed alone, 2 after the other tests of this file (what the decoder heard before changes the odd
    # reading); 2 before the fix, alone
    assert len(missed) <= 2, missed


def test_the_utterance_mean_does_not_depend_on_its_cheap_search(english, speak):
    """`UtteranceMean` reads the features' mean; the search its decoder runs over them is never read, so it is kept
    as cheap as can be. The mean must be the same as with pocketsphinx's full search of every frame."""
    from pocketsphinx import Decoder

    from voice_assistant.asr.pocketsphinx_engine import UtteranceMean

    clips = [speak(text, "en-us+f2", 160).astype("<i2").tobytes() for text, _ in UTTERANCES[:4]]
    cheap = UtteranceMean(english.model_dir, english.dict_path)
    assert cheap.SEARCH["ds"] > 1  # one frame in ten scored
    means = [cheap.of(pcm) for pcm in clips]
    full = UtteranceMean(english.model_dir, english.dict_path)
    grammar = english.dict_path.parent / "one-word.gram"
    grammar.write_text("#JSGF V1.0;\ngrammar one;\npublic <one> = oh;\n", encoding="utf-8")
    full._decoder = Decoder(hmm=str(english.model_dir / "en-us"), dict=str(english.dict_path), jsgf=str(grammar),
                            samprate=16000, loglevel="FATAL", fwdflat=False, bestpath=False)
    grammar.unlink()
    assert all(means) and [full.of(pcm) for pcm in clips] == means
