"""A reminder asked with a part of the day and no hour, a dose told with its amount, the questions close to them, and a
reminder of something that is no medicine (issue nlu22), in both languages.

A real DialogueManager over a real SQLite store; the clock is the conftest's Wednesday 12 March 2025, 07:40.
"""

from __future__ import annotations

import pytest

from voice_assistant.dialogue.state import ANYTHING, VALUE, YES_NO

YES = {"fr": "oui", "en": "yes"}
NO = {"fr": "non", "en": "no"}
ASK_TIME = {"en": "At what time?", "fr": "À quelle heure ?"}


@pytest.mark.parametrize("lang, asked, hour, said, stored, medication", [
    ("en", "remind me to take lipitor tonight", "at nine", "nine in the evening", "21:00", "atorvastatin"),
    ("en", "can you remind me about my lantus this evening", "at eight", "eight in the evening", "20:00",
     "insulin_glargine"),
    ("en", "remind me to take my lantus at bedtime", "at ten", "ten at night", "22:00", "insulin_glargine"),
    # the evening meal, whatever it is called: no hour of its own (the pack has none), the half of the day all the same
    ("en", "remind me to take metformin at tea time", "at six", "six in the evening", "18:00", "metformin"),
    ("en", "remind me to take my metformin at dinnertime", "at six", "six in the evening", "18:00", "metformin"),
    ("en", "remind me to take metformin at supper time", "at seven", "seven in the evening", "19:00", "metformin"),
    ("en", "remind me to take my metformin tomorrow morning", "at eight", "eight in the morning", "08:00",
     "metformin"),
    ("fr", "rappelle-moi de prendre mon tahor ce soir", "à neuf heures", "vingt et une heures", "21:00", "atorvastatin"),
    ("fr", "tu peux me rappeler mon lantus ce soir", "à huit heures", "vingt heures", "20:00", "insulin_glargine"),
    ("fr", "rappelle-moi de prendre ma metformine à l'heure du dîner", "à sept heures", "dix-neuf heures", "19:00",
     "metformin"),
    ("fr", "rappelle-moi de prendre mon lantus au coucher", "à dix heures", "vingt-deux heures", "22:00",
     "insulin_glargine"),
])
def test_a_reminder_with_a_part_of_the_day_asks_the_hour_in_it_and_is_set_after_a_yes(
        chat, store, lang, asked, hour, said, stored, medication):
    c = chat(lang)
    assert c.say(asked) == ASK_TIME[lang] and c.expects == VALUE  # no dose, no check, no refusal: the hour
    reply = c.say(hour)
    assert said in reply and c.expects == YES_NO, reply  # read back, in the part of the day said first
    assert store.active_reminders() == []
    c.say(YES[lang])
    assert [(r.medication_id, r.time_of_day) for r in store.active_reminders()] == [(medication, stored)]
    assert store.medication_events() == []


@pytest.mark.parametrize("lang, taken, name, not_noted", [
    ("en", "I did my 10 units", "lantus", "but not how much"),
    ("en", "I did my 10 units of lantus", None, "but not how much"),
    ("fr", "je me suis fait 8 unités", "lantus", "mais pas la quantité"),
    ("fr", "j'ai fait mes 10 unités de lantus", None, "mais pas la quantité"),
])
def test_a_dose_told_with_an_amount_is_read_back_and_noted_only_after_a_yes(chat, store, lang, taken, name,
                                                                            not_noted):
    c = chat(lang)
    reply = c.say(taken)
    if name is not None:
        assert c.expects == VALUE, reply  # « which medicine? »
        reply = c.say(name)
    assert not_noted in reply and c.expects == YES_NO, reply
    assert store.medication_events() == []
    c.say(YES[lang])
    assert [e.medication_id for e in store.medication_events()] == ["insulin_glargine"]


@pytest.mark.parametrize("lang, taken", [("en", "I did my 10 units of lantus"), ("fr", "je me suis fait 8 unités de lantus")])
def test_a_dose_told_with_an_amount_and_a_no_is_not_noted(chat, store, lang, taken):
    c = chat(lang)
    c.say(taken)
    assert c.expects == YES_NO
    c.say(NO[lang])
    assert store.medication_events() == []


@pytest.mark.parametrize("lang, question, refusal", [
    ("en", "did I take my lantus tonight?", None),
    ("en", "should I take 10 units tonight?", "I cannot tell you what dose to take"),
    ("fr", "est-ce que j'ai pris mon lantus ce soir ?", None),
    ("fr", "est-ce que je dois faire 10 unités ce soir ?", "Je ne peux pas vous dire quelle dose prendre"),
])
def test_a_question_with_a_part_of_the_day_stays_a_question(chat, store, lang, question, refusal):
    c = chat(lang)
    reply = c.say(question)
    assert c.expects == ANYTHING, reply  # no read-back of a dose or a reminder, no question of the hour
    if refusal is not None:
        assert reply.startswith(refusal), reply
    assert store.medication_events() == [] and store.active_reminders() == []


@pytest.mark.parametrize("lang, asked, only", [
    ("en", "remind me to call my daughter tomorrow", "I can only remind you to take your medicines"),
    ("en", "remind me to buy milk this evening", "I can only remind you to take your medicines"),
    ("fr", "rappelle-moi d'appeler ma fille demain", "Je ne sais faire des rappels que pour vos médicaments"),
    ("fr", "rappelle-moi d'acheter du pain ce soir", "Je ne sais faire des rappels que pour vos médicaments"),
])
def test_a_reminder_of_something_else_says_what_it_can_remind_of(chat, store, lang, asked, only):
    c = chat(lang)
    reply = c.say(asked)
    assert reply.startswith(only) and c.expects == ANYTHING, reply  # never the list of reminders, a call, a reading
    assert store.active_reminders() == [] and store.readings() == [] and store.alerts() == []
    reply = c.say("remind me to take lipitor tonight" if lang == "en" else "rappelle-moi de prendre mon tahor ce soir")
    assert reply == ASK_TIME[lang]  # what it can remind of still works right after


@pytest.mark.parametrize("lang, first, more, hour, said", [
    ("en", "remind me to take metformin at eight am", "and my lipitor tonight", "at ten", "ten at night"),
    ("fr", "rappelle-moi de prendre ma metformine à huit heures", "et le tahor ce soir", "à dix heures",
     "vingt-deux heures"),
])
def test_and_a_medicine_tonight_right_after_a_reminder_is_another_reminder(chat, store, lang, first, more, hour, said):
    c = chat(lang)
    c.say(first)
    c.say(YES[lang])
    assert c.say(more) == ASK_TIME[lang]  # no dose read back, no refusal to advise a dose
    assert said in c.say(hour) and c.expects == YES_NO
    c.say(YES[lang])
    assert sorted(r.time_of_day for r in store.active_reminders()) == ["08:00", "22:00"]
    assert store.medication_events() == []


def test_and_a_question_of_dose_right_after_a_reminder_stays_one(chat, store):
    c = chat("en")
    c.say("remind me to take metformin at eight am")
    c.say("yes")
    assert c.say("and can I skip my lipitor tonight").startswith("I cannot tell you what dose to take")
    assert len(store.active_reminders()) == 1
