"""Two recognisers heard a glucose value differently: the assistant asks which one, reads the answer back, and
stores only after a yes. Through the real understanding, dialogue and store (and, last, a real Session)."""

from __future__ import annotations

import pytest

from voice_assistant.dialogue.heard_two_ways import WhichValue
from voice_assistant.dialogue.state import VALUE, YES_NO

from .conftest import assert_speakable


def values(store) -> list[float]:
    return [r.glucose_mg_dl for r in reversed(store.readings())]


def heard(c, text: str, *alternatives: str) -> str:
    """One utterance as the combined recogniser passes it on: its first reading and the other one."""
    c.last_turn = c.manager.handle(text, c.now, 0.6, alternatives=alternatives)
    assert_speakable(c.last_turn.reply.text)
    return c.last_turn.reply.text


def test_the_patient_is_asked_which_value_then_it_is_read_back_and_stored_after_yes(chat, store):
    c = chat("en")
    reply = heard(c, "my sugar was one eighty", "my sugar was 118")
    assert reply == "Was it one hundred and eighty, or one hundred and eighteen?"
    assert c.expects == VALUE and isinstance(c.manager.ctx.pending, WhichValue) and values(store) == []
    reply = heard(c, "one eighteen")
    assert "one hundred and eighteen" in reply and reply.endswith("Is that right?") and c.expects == YES_NO
    assert values(store) == []
    c.say("yes")
    assert values(store) == [118.0]


def test_the_answer_heard_two_ways_again_takes_the_reading_that_is_one_of_the_two(chat, store):
    c = chat("en")
    heard(c, "my sugar was one eighty", "my sugar was 118")
    reply = heard(c, "one thirty", "118")  # the answer itself heard two ways: the one asked about wins
    assert "one hundred and eighteen" in reply and c.expects == YES_NO
    c.say("yes")
    assert values(store) == [118.0]


def test_the_value_answered_without_its_unit_takes_the_unit_it_was_offered_in(chat, store):
    c = chat("en")
    reply = heard(c, "it was 7.2 millimoles", "it was 7.3 millimoles")
    assert reply == "Was it seven point two millimoles per liter, or seven point three millimoles per liter?"
    reply = heard(c, "seven point two")  # no unit: the one it was offered in, not "is that in millimoles?"
    assert "seven point two millimoles per liter" in reply and reply.endswith("Is that right?"), reply
    c.say("yes")
    assert values(store) == [129.7]


def test_neither_asks_for_the_number_and_nothing_is_stored(chat, store):
    c = chat("en")
    heard(c, "glucose one oh nine fasting", "glucose 105 fasting")
    reply = c.say("no")
    assert reply == "All right. What is the right number?" and c.expects == VALUE
    reply = c.say("one oh seven")
    assert "one hundred and seven" in reply and "fasting" in reply  # the context heard first is kept
    c.say("yes")
    assert values(store) == [107.0]


def test_yes_alone_is_no_answer_and_the_question_is_asked_again(chat, store):
    c = chat("en")
    heard(c, "my sugar was two forty five", "my sugar was 145")
    reply = c.say("yes")
    assert "Was it two hundred and forty-five, or one hundred and forty-five?" in reply
    assert values(store) == []


@pytest.mark.parametrize("lang,first,cut_short,said", [
    ("en", "my sugar was eighty seven", "my sugar was 7", "eighty-seven"),
    ("en", "sugar one sixty five after lunch", "sugar 65 after lunch", "one hundred and sixty-five"),
    ("en", "it was seven point two millimoles", "it was two millimoles", "seven point two"),
    ("fr", "ma glycémie est de quatre-vingt-sept", "ma glycémie est de sept", "quatre-vingt-sept"),
])
def test_a_value_heard_with_its_start_lost_is_not_offered(chat, store, lang, first, cut_short, said):
    # one engine lost the start of the number: "Was it eighty-seven, or seven?" is not asked; the longer value is
    # read back alone, and stored only after a yes
    c = chat(lang)
    reply = heard(c, first, cut_short)
    assert said in reply and c.expects == YES_NO and not isinstance(c.manager.ctx.pending, WhichValue), reply
    assert values(store) == []
    c.say("yes" if lang == "en" else "oui")
    assert len(values(store)) == 1


@pytest.mark.parametrize("lang,first,other", [
    ("en", "my sugar was twelve point two", "my sugar was two point two"),  # "twelve" does not end in "two"
    ("en", "my sugar was seven", "my sugar was 87"),  # the first heard is the shorter: asked
    ("fr", "ma glycémie est de quatre-vingt-onze", "ma glycémie est de soixante et onze"),
])
def test_a_value_that_is_not_the_end_of_the_other_is_still_asked_about(chat, store, lang, first, other):
    c = chat(lang)
    heard(c, first, other)
    assert isinstance(c.manager.ctx.pending, WhichValue) and values(store) == []


def test_french_asks_too(chat, store):
    c = chat("fr")
    reply = heard(c, "ma glycémie est de cent quatre-vingts", "ma glycémie est de cent dix-huit")
    assert reply == "Vous avez dit cent quatre-vingts, ou cent dix-huit ?"


@pytest.mark.parametrize("first, other", [
    ("my sugar was one eighteen", "my sugar was 118"),  # the same value written two ways
    ("my sugar was one eighteen", "what was my last reading"),  # another request: the combiner chose already
])
def test_no_question_when_the_readings_give_the_same_value_or_another_request(chat, store, first, other):
    c = chat("en")
    reply = heard(c, first, other)
    assert "one hundred and eighteen" in reply and c.expects == YES_NO


def test_a_session_passes_the_combined_recognisers_choices_to_the_dialogue(chat, store):
    from voice_assistant.asr.base import Transcript
    from voice_assistant.assistant import Session

    c = chat("en")
    session = Session(c.manager, clock=lambda: c.now)
    t = Transcript("my sugar was one eighty", confidence=0.5, engine="pocketsphinx",
                   info={"choices": ["my sugar was one eighty", "my sugar was 118"], "ask": "glucose_mg_dl"})
    out = session.text(t.text, t.confidence, t)
    assert out.text == "Was it one hundred and eighty, or one hundred and eighteen?"


@pytest.mark.parametrize("first, other, value_words", [
    ("my blood sugar was 7.2 millimoles", "my blood sugar was one mmols", "seven point two"),  # 18 mg/dL: a meter says LO
    ("my sugar was one twenty", "my sugar was seven hundred twenty", "one hundred and twenty"),  # above HI
])
def test_a_value_no_meter_shows_is_no_choice_offered(chat, store, first, other, value_words):
    c = chat("en")
    reply = heard(c, first, other)
    assert value_words in reply and reply.endswith("Is that right?") and c.expects == YES_NO
    assert "Was it" not in reply
    c.say("yes")
    assert len(values(store)) == 1
