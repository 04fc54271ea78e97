""""Is 180 too high?": what a value means for the patient is for their care team to say. The assistant says so,
says how to note a reading and who to call; it stores nothing, gives no advice, and it is no miss (asked twice, the
same answer, not "I still did not understand")."""

from __future__ import annotations

import pytest

from voice_assistant.nlu import NONE, VALUE_QUESTION, understand

from .conftest import assert_speakable


@pytest.mark.parametrize("lang, text", [
    ("en", "what if my sugar is 300"), ("en", "what should i do if i'm at 250"),
    ("fr", "et si ma glycémie est à trois grammes"),
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
    ("en", "is 180 too high", "your doctor or nurse can tell you", "my sugar is one twenty"),
    ("en", "what if my sugar is 300", "your doctor or nurse can tell you", "my sugar is one twenty"),
    ("fr", "est-ce que 1,80 c'est trop haut", "votre médecin ou votre infirmière peut vous le dire",
     "ma glycémie est de un gramme vingt"),
    ("fr", "et si j'ai trois grammes", "votre médecin ou votre infirmière peut vous le dire",
     "ma glycémie est de un gramme vingt"),
])
def test_the_answer_names_the_care_team_how_to_note_a_reading_and_who_to_call(chat, store, lang, text, care_team,
                                                                               example):
    c = chat(lang)
    first = c.say(text)
    assert_speakable(first)
    assert care_team in first and example in first and "Marc" in first
    assert "target" in first or "cible" in first  # the range the care team set (the demo profile's)
    again = c.say(text)
    assert again == first  # no miss counted: the same answer, not "I still did not understand"
    assert store.readings() == []


@pytest.mark.parametrize("lang, text, rule", [
    ("en", "what if my sugar is 50", "take fifteen grams of fast sugar"),
    ("en", "is 60 too low", "take fifteen grams of fast sugar"),
    ("fr", "et si j'ai 0,50", "quinze grammes de sucre"),
])
def test_a_low_asked_about_gets_the_rule_of_fifteen(chat, store, lang, text, rule):
    reply = chat(lang).say(text)
    assert rule in reply and store.readings() == []


@pytest.mark.parametrize("lang, text", [
    ("en", "what if my sugar is 300 and i feel like passing out, call an ambulance"),
    ("fr", "et si j'ai 3 grammes, appelle le samu"),
])
def test_a_call_for_help_said_with_a_supposed_value_stays_one(lang, text):
    assert understand(text, lang).intent == "emergency"


@pytest.mark.parametrize("text, low, high", [
    ("is 180 too high", "seventy milligrams per deciliter", "one hundred and eighty milligrams per deciliter"),
    ("what if i'm at 14 millimoles", "three point nine millimoles per liter", "ten millimoles per liter"),
])
def test_the_range_is_said_in_the_unit_of_the_number_asked_about(chat, text, low, high):
    reply = chat("en").say(text)
    assert f"from {low} to {high}" in reply
