"""Decisions added by the accuracy work (issue 18) on hypothesis pairs recorded from the two engines on the dev
sets (`scripts/cache_asr_pairs.py`), whisper's clock times, and the helpers that write numbers as said."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from voice_assistant.asr.base import Transcript
from voice_assistant.asr.combine import Combiner, fuller
from voice_assistant.asr.crosscheck import value_variants
from voice_assistant.asr.whisper_engine import normalize

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from cache_asr_pairs import number_sayings, spoken_forms  # noqa: E402  (the measurement script's aligner helpers)


def ps(text):
    return Transcript(text, confidence=0.5, engine="pocketsphinx")


def wh(text):
    return Transcript(text, confidence=0.5, engine="whisper")


def no_scorer(audio, texts):
    raise AssertionError("the fuller reading needs no scoring")


# (pocketsphinx heard, whisper heard, the meaning of what was said); recorded on dev-set clips
FULLER = [
    # pocketsphinx lost "noon" (natural set, white noise)
    ("i need a reminder for my insulin aspart at", "i need a reminder for my insulin aspart at noon",
     ("set_medication_reminder", {"medication": "insulin_aspart", "time": "12:00"})),
    # pocketsphinx lost the medicine and the time (natural set, reverb)
    ("i need a reminder for my insulin already", "i need a reminder for my insulin aspart at noon",
     ("set_medication_reminder", {"medication": "insulin_aspart", "time": "12:00"})),
    # whisper lost the time ("at seven" heard as "atorvastatin")
    ("remind me to take glucophage at seven am", "remind me to take glucophage atorvastatin rhythm",
     ("set_medication_reminder", {"medication": "metformin", "time": "07:00"})),
    # whisper lost the meal time
    ("sugar was two thirty at bedtime", "sugar was 230 at that time",
     ("log_glucose", {"glucose_mg_dl": 230, "context": "bedtime"})),
]


@pytest.mark.parametrize("heard_ps,heard_w,meaning", FULLER)
def test_the_reading_that_heard_more_of_the_same_request_comes_first(understander, heard_ps, heard_w, meaning):
    choice = Combiner(understander.understand, no_scorer).choose(b"audio", ps(heard_ps), wh(heard_w))
    assert choice.reason == "agree, one heard more"
    assert (choice.first.intent, choice.first.slots) == meaning
    assert choice.second is not None and choice.ask is None


def test_no_fuller_reading_when_a_shared_value_differs(understander):
    c = Combiner(understander.understand)
    a = c.reading(ps("remind me to take metformin at six pm"))
    b = c.reading(wh("remind me to take aspirin at 6 pm"))
    assert a.slots.get("medication") != b.slots.get("medication")
    assert fuller(a, b) is None and fuller(b, a) is None
    # a request and nothing the pack knows are not "the same request"
    assert fuller(c.reading(ps("i took my aspirin")), c.reading(wh("thank you for watching"))) is None


@pytest.mark.parametrize("written,read", [
    ("Remind me to take metformin at 6.30 p.m.", "remind me to take metformin at 6 30 pm"),
    ("at 630pm", "at 6 30 pm"),
    ("at 11:15 am", "at 11 15 am"),
    ("my sugar is 6.5", "my sugar is 6.5"),  # a glucose value, not a time
    ("at 7pm", "at 7pm"),
])
def test_whisper_clock_times_are_read_as_times(written, read):
    assert normalize(written) == read


def test_whisper_clock_time_is_understood(understander):
    u = understander.understand(normalize("remind me to take metformin at 6.30 pm"))
    assert (u.intent, u.slots.get("time")) == ("set_medication_reminder", "18:30")


def test_numbers_are_written_out_the_ways_they_are_said():
    assert ["one", "forty", "two"] in number_sayings("142")
    assert ["one", "oh", "five"] in number_sayings("105")
    assert number_sayings("6.5") == [["six", "point", "five"]]
    assert "my sugar was one forty two" in spoken_forms("my sugar was 142")


def test_value_variants_write_the_other_value_into_the_sentence(understander):
    c = Combiner(understander.understand)
    a = c.reading(ps("my blood glucose was forty two"))
    b = c.reading(wh("my blood sugar was 142"))
    assert value_variants(b, a) == ["my blood sugar was 42"]
    assert value_variants(c.reading(ps("what is my ldl")), b) == []


class Score:
    def __init__(self, logprob):
        self.logprob = logprob


def recorded(scores):
    return lambda audio, texts: [Score(scores[t]) for t in texts]


def test_the_second_engines_next_reading_can_come_first(understander):
    # dev set, babble: whisper's first reading lost "noon", its next one has it and reads better as a request
    scores = {"i'd like a remind about it what have do": -5.7,
              "i need a reminder for my insulin aspart afternoon": -2.27,
              "i need a reminder for my insulin aspart as noon": -2.1}
    heard = Transcript("i need a reminder for my insulin aspart afternoon", confidence=0.4, engine="whisper",
                       info={"alternatives": ["i need a reminder for my insulin aspart as noon"]})
    choice = Combiner(understander.understand, recorded(scores)).choose(
        b"audio", ps("i'd like a remind about it what have do"), heard)
    assert "next reading" in choice.reason
    assert (choice.first.intent, choice.first.slots) == (
        "set_medication_reminder", {"medication": "insulin_aspart", "time": "12:00"})
    assert choice.first.transcript.engine == "whisper" and choice.ask is None


def test_a_next_reading_with_another_value_is_asked_about(understander):
    # dev set, clean: "eighty seven"; whisper's first reading "80 salmon", its next "87"
    scores = {"repeat": -12.25, "80 salmon": -1.21, "87": -3.44}
    heard = Transcript("80 salmon", confidence=0.3, engine="whisper", info={"alternatives": ["87"]})
    choice = Combiner(understander.understand, recorded(scores)).choose(b"audio", ps("repeat"), heard)
    assert choice.first.slots == {"glucose_mg_dl": 87}
    assert choice.ask == "glucose_mg_dl" and choice.second is not None and choice.second.slots == {"glucose_mg_dl": 80}


def test_next_readings_are_not_weighed_when_one_engine_heard_no_request(understander):
    scores = {"play some music": -2.0, "place some music": -1.0, "speak faster": -0.5}
    heard = Transcript("what a lovely day", engine="whisper", info={"alternatives": ["speak faster"]})
    choice = Combiner(understander.understand, recorded(scores)).choose(b"audio", ps("play some music"), heard)
    assert choice.first.intent == "none" and "next reading" not in choice.reason
