""""Is 180 too high?": what a value means for the patient is for their care team to say. The assistant says so,
says how to note a reading and who to call; it stores nothing, gives no advice, and it is no miss (asked twice, the
same answer, not "I still did not understand")."""

from __future__ import annotations

import pytest

from voice_assistant.nlu import NONE, VALUE_QUESTION, understand

from .conftest import assert_speakable


@pytest.mark.parametrize("lang, text", [
    ("en", "is 180 too high"), ("en", "is one twenty good"), ("en", "was 7 too high"), ("en", "is 5.5 normal for me"),
    ("fr", "est-ce que 1,80 c'est trop haut"), ("fr", "est-ce que cent vingt c'est bien"),
])
def test_a_question_about_what_a_value_means_is_understood_as_such(lang, text):
    u = understand(text, lang)
    assert u.intent == NONE and u.matched == VALUE_QUESTION and not u.slots, u


@pytest.mark.parametrize("lang, text", [
    ("en", "my sugar is 120"), ("en", "how are you"), ("en", "is my sugar too high"), ("en", "what is the weather"),
    ("fr", "ma glycémie est de 1,20"), ("fr", "est-ce que ma glycémie est trop haute"),
])
def test_no_value_question_without_a_number_asked_about(lang, text):
    assert understand(text, lang).matched != VALUE_QUESTION


@pytest.mark.parametrize("lang, text, care_team, example", [
    ("en", "is 180 too high", "Your doctor or nurse can", "my sugar is one twenty"),
    ("fr", "est-ce que 1,80 c'est trop haut", "Votre médecin ou votre infirmière le peut",
     "ma glycémie est de un gramme vingt"),
])
def test_the_answer_names_the_care_team_how_to_note_a_reading_and_who_to_call(chat, store, lang, text, care_team,
                                                                               example):
    c = chat(lang)
    first = c.say(text)
    assert_speakable(first)
    assert care_team in first and example in first and "Marc" in first
    again = c.say(text)
    assert again == first  # no miss counted: the same answer, not "I still did not understand"
    assert store.readings() == []
