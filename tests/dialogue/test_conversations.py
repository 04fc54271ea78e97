"""Scripted conversations in French and English, through the real understanding, dialogue and store.

Every reply is checked for the ear by `Chat.say` (no digits, no unit symbols, no leftovers). The clock is
injected: nothing here sleeps.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from voice_assistant.dialogue.glucose import RECHECK_SETTING
from voice_assistant.dialogue.manager import RATE_STEP, Timing
from voice_assistant.dialogue.state import ANYTHING, VALUE, YES_NO
from voice_assistant.health.glucose import GlucoseUnit
from voice_assistant.profile import MAX_WPM, MIN_WPM, Contact, GlucoseTargets


def values(store) -> list[float]:
    """Stored readings in mg/dL, oldest first."""
    return [r.glucose_mg_dl for r in reversed(store.readings())]


# --- a value is stored only after a yes, read back in the patient's own unit and words ---------------

@pytest.mark.parametrize("lang, utterance, read_back, yes, saved, mg_dl, unit, context", [
    ("fr", "ma glycémie est de un gramme vingt à jeun", "J'ai compris un gramme vingt, à jeun. C'est bien ça ?",
     "oui", "C'est enregistré : un gramme vingt, à jeun.", 120, GlucoseUnit.G_L, "fasting"),
    ("fr", "ma glycémie est de cent dix après le repas",
     "J'ai compris cent dix milligrammes par décilitre, après le repas. C'est bien ça ?",
     "oui c'est ça", "C'est enregistré : cent dix milligrammes par décilitre, après le repas.", 110,
     GlucoseUnit.MG_DL, "after_meal"),
    ("fr", "ma glycémie est de sept virgule deux millimoles",
     "J'ai compris sept virgule deux millimoles par litre. C'est bien ça ?", "oui",
     "C'est enregistré : sept virgule deux millimoles par litre.", 129.7, GlucoseUnit.MMOL_L, None),
    ("en", "my sugar is one eighteen before breakfast",
     "I heard one hundred and eighteen milligrams per deciliter, fasting. Is that right?", "yes",
     "Saved: one hundred and eighteen milligrams per deciliter, fasting.", 118, GlucoseUnit.MG_DL, "fasting"),
    ("en", "my sugar is six point five millimoles", "I heard six point five millimoles per liter. Is that right?",
     "yes", "Saved: six point five millimoles per liter.", 117.1, GlucoseUnit.MMOL_L, None),
])
def test_a_value_is_read_back_and_stored_only_after_yes(chat, store, lang, utterance, read_back, yes, saved,
                                                         mg_dl, unit, context):
    c = chat(lang)
    assert c.say(utterance) == read_back
    assert c.expects == YES_NO
    assert store.readings() == []  # nothing before the yes

    reply = c.say(yes)
    assert reply.startswith(saved)
    assert "reading_saved" in c.last_reply.events
    [reading] = store.readings()
    assert reading.glucose_mg_dl == mg_dl
    assert reading.unit_said is unit
    assert reading.context == context
    assert reading.transcript == utterance
    assert reading.measured_at == c.now
    assert reading.measured_at.utcoffset() == timedelta(hours=1)  # Paris in March, offset kept
    assert c.expects == ANYTHING


@pytest.mark.parametrize("lang, first, correction, corrected, yes, final", [
    ("fr", "ma glycémie est de un gramme douze à jeun", "non, cent vingt-huit",
     "D'accord. J'ai compris cent vingt-huit milligrammes par décilitre, à jeun. C'est bien ça ?", "oui", 128),
    ("fr", "ma glycémie est de un gramme douze", "non, un gramme vingt-huit",
     "D'accord. J'ai compris un gramme vingt-huit. C'est bien ça ?", "oui", 128),
    ("en", "my sugar was one twelve fasting", "no, one twenty eight",
     "All right. I heard one hundred and twenty-eight milligrams per deciliter, fasting. Is that right?", "yes",
     128),
])
def test_a_correction_replaces_the_value_and_is_read_back_again(chat, store, lang, first, correction, corrected,
                                                                 yes, final):
    c = chat(lang)
    c.say(first)
    assert c.say(correction) == corrected
    assert c.expects == YES_NO
    assert store.readings() == []
    c.say(yes)
    assert values(store) == [final]  # the corrected value, once


@pytest.mark.parametrize("lang, first, no, ask_again, new_value, read_back, yes, final", [
    ("fr", "ma glycémie est de un gramme vingt", "non", "D'accord. Quelle est la bonne valeur ?", "un gramme dix",
     "J'ai compris un gramme dix. C'est bien ça ?", "oui", 110),
    ("en", "my sugar is one twenty", "no", "All right. What is the right number?", "one ten",
     "I heard one hundred and ten milligrams per deciliter. Is that right?", "yes", 110),
])
def test_a_plain_no_asks_again(chat, store, lang, first, no, ask_again, new_value, read_back, yes, final):
    c = chat(lang)
    c.say(first)
    assert c.say(no) == ask_again
    assert c.expects == VALUE
    assert c.say(new_value) == read_back
    assert store.readings() == []
    c.say(yes)
    assert values(store) == [final]


@pytest.mark.parametrize("lang, first, correction, no, value, yes", [
    ("fr", "ma glycémie est de un gramme vingt", "non, cent vingt-huit", "non", "cent trente", "oui"),
    ("en", "my sugar is one twenty", "no, one twenty eight", "no", "one thirty", "yes"),
])
def test_several_corrections_store_only_the_last_value_once(chat, store, lang, first, correction, no, value, yes):
    c = chat(lang)
    c.say(first)
    c.say(correction)
    c.say(no)
    c.say(value)
    c.say(yes)
    assert values(store) == [130]
    c.say(yes)  # a second yes after saving stores nothing more
    assert values(store) == [130]


def test_yes_with_the_same_value_is_a_plain_yes(chat, store):
    c = chat("fr")
    c.say("ma glycémie est de un gramme vingt")
    reply = c.say("oui, un gramme vingt")
    assert reply.startswith("C'est enregistré : un gramme vingt.")
    assert values(store) == [120]


@pytest.mark.parametrize("lang, value, cancel, cancelled", [
    ("fr", "ma glycémie est de un gramme vingt", "laisse tomber", "D'accord, j'annule. Rien n'a été enregistré."),
    ("en", "my sugar is one twenty", "never mind", "All right, I cancelled it. Nothing was saved."),
])
def test_cancel_drops_what_is_pending_and_stores_nothing(chat, store, lang, value, cancel, cancelled):
    c = chat(lang)
    c.say(value)
    assert c.say(cancel) == cancelled
    assert c.expects == ANYTHING
    c.say("oui" if lang == "fr" else "yes")  # a late yes confirms nothing
    assert store.readings() == []
    # cancelling while the value is being asked for
    c.say("je veux noter ma glycémie" if lang == "fr" else "I want to log my sugar")
    assert c.expects == VALUE
    assert c.say(cancel) == cancelled
    c.say("un gramme dix" if lang == "fr" else "one ten")
    c.say(cancel)
    assert store.readings() == []


@pytest.mark.parametrize("lang, cancel, nothing", [
    ("fr", "laisse tomber", "Il n'y a rien en cours. Je vous écoute."),
    ("en", "never mind", "Nothing is going on. I am listening."),
])
def test_cancel_with_nothing_pending_says_so(chat, lang, cancel, nothing):
    assert chat(lang).say(cancel) == nothing


# --- values that must be questioned -----------------------------------------------------------------------

@pytest.mark.parametrize("lang, utterance, question, retry, yes", [
    ("fr", "ma glycémie est de huit cents",
     "J'ai compris huit cents milligrammes par décilitre. Cette valeur est très inhabituelle. "
     "Pouvez-vous la redire ?",
     "cent quatre-vingts", "oui"),
    ("fr", "ma glycémie est de quinze milligrammes",
     "J'ai compris quinze milligrammes par décilitre. Cette valeur est très inhabituelle. Pouvez-vous la redire ?",
     "cent quinze", "oui"),
    ("en", "my sugar is eight hundred",
     "I heard eight hundred milligrams per deciliter. That is a very unusual number. Can you say it again?",
     "one eighty", "yes"),
    ("en", "my sugar is fifteen milligrams",
     "I heard fifteen milligrams per deciliter. That is a very unusual number. Can you say it again?",
     "one fifteen", "yes"),
])
def test_a_value_outside_the_meter_range_is_questioned_not_stored(chat, store, lang, utterance, question, retry, yes):
    c = chat(lang)
    assert c.say(utterance) == question
    assert c.expects == VALUE
    c.say(yes)  # a yes is no value: asked again, nothing stored
    assert c.expects == VALUE
    assert store.readings() == []
    c.say(retry)
    assert c.expects == YES_NO
    c.say(yes)
    assert len(store.readings()) == 1
    assert 20 <= store.readings()[0].glucose_mg_dl <= 600


@pytest.mark.parametrize("lang, utterance, question, yes, saved, mg_dl", [
    ("fr", "ma glycémie est de un virgule cinq", "J'ai compris un virgule cinq. C'est bien en grammes par litre ?",
     "oui", "C'est enregistré : un gramme cinquante.", 150),
    ("en", "my sugar is seven", "I heard seven. Is that in millimoles per liter?", "yes",
     "Saved: seven millimoles per liter.", 126.1),
])
def test_a_bare_small_number_is_questioned_with_its_unit(chat, store, lang, utterance, question, yes, saved, mg_dl):
    c = chat(lang)
    assert c.say(utterance) == question
    assert store.readings() == []
    assert c.say(yes).startswith(saved)
    assert values(store) == [mg_dl]


@pytest.mark.parametrize("lang, utterance, no", [
    ("fr", "ma glycémie est de un virgule cinq", "non"),
    ("en", "my sugar is seven", "no"),
])
def test_no_to_the_unit_question_asks_for_the_value_again(chat, store, lang, utterance, no):
    c = chat(lang)
    c.say(utterance)
    c.say(no)
    assert c.expects == VALUE
    assert store.readings() == []


@pytest.mark.parametrize("lang, utterance, unit_question, yes, range_question", [
    # (« douze » is no 12 g/L but may be 12 mmol/L: it is asked in millimoles, see test_trust.py; « trente-quatre » is
    # a reading in neither)
    ("fr", "ma glycémie est de trente-quatre", "J'ai compris trente-quatre. C'est bien en grammes par litre ?", "oui",
     "J'ai compris trente-quatre grammes. Cette valeur est très inhabituelle. Pouvez-vous la redire ?"),
    ("en", "my sugar is thirty four", "I heard thirty-four. Is that in millimoles per liter?", "yes",
     "I heard thirty-four millimoles per liter. That is a very unusual number. Can you say it again?"),
])
def test_a_confirmed_unit_does_not_let_an_impossible_value_through(chat, store, lang, utterance, unit_question,
                                                                  yes, range_question):
    # 12 g/L is 1200 mg/dL, 34 mmol/L is 613 mg/dL: a yes to the unit must not store them
    c = chat(lang)
    assert c.say(utterance) == unit_question
    assert c.say(yes) == range_question
    assert c.expects == VALUE
    assert store.readings() == []


@pytest.mark.parametrize("lang, ask, question, value, read_back, yes, context", [
    ("fr", "je veux noter ma glycémie", "Quelle est la valeur de votre glycémie ?", "un gramme quinze",
     "J'ai compris un gramme quinze. C'est bien ça ?", "oui", None),
    ("fr", "je veux noter ma glycémie à jeun", "Quelle est la valeur de votre glycémie ?", "un gramme quinze",
     "J'ai compris un gramme quinze, à jeun. C'est bien ça ?", "oui", "fasting"),
    ("en", "I want to log my sugar", "What is your sugar reading?", "one fifteen",
     "I heard one hundred and fifteen milligrams per deciliter. Is that right?", "yes", None),
    ("en", "I want to enter my sugar before breakfast", "What is your sugar reading?", "one fifteen",
     "I heard one hundred and fifteen milligrams per deciliter, fasting. Is that right?", "yes", "fasting"),
])
def test_a_missing_value_is_asked_for_then_the_request_resumes(chat, store, lang, ask, question, value, read_back,
                                                                yes, context):
    c = chat(lang)
    assert c.say(ask) == question
    assert c.expects == VALUE
    assert c.say(value) == read_back
    c.say(yes)
    [reading] = store.readings()
    assert (reading.glucose_mg_dl, reading.context) == (115, context)


# --- safety after storing ---------------------------------------------------------------------------------

@pytest.mark.parametrize("lang, utterance, yes, sugar, recheck, offer, set_at", [
    ("fr", "ma glycémie est de soixante", "oui", "quinze grammes de sucre rapide", "dans quinze minutes",
     "Voulez-vous que je vous le rappelle dans quinze minutes ?",
     "D'accord. Je vous le rappellerai à sept heures cinquante-cinq."),
    ("en", "my sugar is sixty", "yes", "fifteen grams of fast sugar", "in fifteen minutes",
     "Do you want me to remind you in fifteen minutes?",
     "All right. I will remind you at seven fifty-five in the morning."),
])
def test_a_low_value_brings_the_hypoglycaemia_guidance_and_the_recheck_offer(chat, store, lang, utterance, yes,
                                                                             sugar, recheck, offer, set_at):
    c = chat(lang)
    c.say(utterance)
    reply = c.say(yes)
    assert values(store) == [60]  # stored first, then the guidance
    assert sugar in reply and recheck in reply
    assert reply.endswith(offer)
    assert "appelez le" not in reply and "call" not in reply  # 60 is a low, not a severe one
    assert c.expects == YES_NO
    assert [a.kind for a in store.alerts()] == ["hypoglycaemia"]
    assert store.get_setting(RECHECK_SETTING) is None

    assert c.say(yes) == set_at
    assert store.get_setting(RECHECK_SETTING) == (c.now + timedelta(minutes=15)).isoformat()


@pytest.mark.parametrize("lang, no, declined", [
    ("fr", "non", "D'accord. Pensez à contrôler dans quinze minutes."),
    ("en", "no", "All right. Remember to check again in fifteen minutes."),
])
def test_declining_the_recheck_reminder_records_nothing_more(chat, store, lang, no, declined):
    c = chat(lang)
    c.log("ma glycémie est de soixante" if lang == "fr" else "my sugar is sixty", "oui" if lang == "fr" else "yes")
    assert c.say(no) == declined
    assert store.get_setting(RECHECK_SETTING) is None
    assert values(store) == [60]


@pytest.mark.parametrize("lang, plan, offer", [
    ("en", "ok I'll check again in 15 minutes", "Do you want me to remind you in fifteen minutes?"),
    ("en", "I'm going to test again in 20 minutes", "Do you want me to remind you in fifteen minutes?"),
    ("fr", "d'accord, je recontrôle dans 15 minutes", "Voulez-vous que je vous le rappelle dans quinze minutes ?"),
    ("fr", "bon je recontrôle dans 20", "Voulez-vous que je vous le rappelle dans quinze minutes ?"),
])
def test_telling_when_one_will_check_again_after_a_low_logs_nothing(chat, store, lang, plan, offer):
    """The patient answers the low's advice with when they will check again: no reading of 15 (nor 270 mg/dL), no
    question about a value; the open question is asked again, and after it is answered the same words log nothing."""
    c = chat(lang)
    c.log("ma glycémie est de soixante" if lang == "fr" else "my sugar is sixty", "oui" if lang == "fr" else "yes")
    reply = c.say(plan)
    assert values(store) == [60] and c.expects == YES_NO, c.transcript
    assert reply.endswith(offer) and "15" not in reply, reply
    # the plan is acknowledged, not met with "I am listening, say help"
    assert reply.startswith(("All right, check again", "D'accord, contrôlez à nouveau")), reply
    assert store.get_setting(RECHECK_SETTING) is None
    c.say("non" if lang == "fr" else "no")
    reply = c.say(plan)
    assert reply and values(store) == [60] and c.expects == ANYTHING, c.transcript  # no value asked for
    assert [a.kind for a in store.alerts()] == ["hypoglycaemia"]


@pytest.mark.parametrize("lang, country, utterance, yes, call", [
    ("fr", "FR", "ma glycémie est de zéro gramme quarante-cinq", "oui", "appelez le quinze tout de suite"),
    ("en", "FR", "my sugar is forty five", "yes", "call fifteen now"),
    ("en", "US", "my sugar is forty five", "yes", "call nine one one now"),
    ("fr", "US", "ma glycémie est de zéro gramme quarante-cinq", "oui", "appelez le neuf cent onze tout de suite"),
])
def test_a_severe_low_also_gives_the_emergency_number_of_the_country_and_alerts(chat, store, profile, lang, country,
                                                                               utterance, yes, call):
    c = chat(lang, dataclasses.replace(profile, country=country))
    c.say(utterance)
    reply = c.say(yes)
    assert call in reply
    assert "Marc" in reply  # the caregiver is told
    assert "quinze grammes" in reply or "fifteen grams" in reply
    [reading] = store.readings()
    assert reading.glucose_mg_dl == 45
    [alert] = store.alerts()
    assert alert.kind == "severe_hypoglycaemia"
    assert alert.reading_uuid == reading.uuid
    assert {"reading_saved", "alert_recorded"} <= set(c.last_reply.events)


def test_a_severe_low_without_a_caregiver_still_gives_the_number(chat, store, profile):
    c = chat("en", dataclasses.replace(profile, country="US", caregiver=None))
    reply = c.log("my sugar is forty five", "yes")
    assert "call nine one one now" in reply
    assert [a.kind for a in store.alerts()] == ["severe_hypoglycaemia"]


@pytest.mark.parametrize("lang, utterance, yes", [
    ("fr", "ma glycémie est de trois cents", "oui"),
    ("en", "my sugar is three hundred", "yes"),
])
def test_a_high_value_gives_the_profile_high_instruction(chat, store, profile, lang, utterance, yes):
    instruction = {"fr": "Buvez deux grands verres d'eau. Appelez l'infirmière Julie.",
                   "en": "Drink two big glasses of water. Call nurse Julie."}
    c = chat(lang, dataclasses.replace(profile, high_glucose_instruction=instruction))
    reply = c.log(utterance, yes)
    assert instruction[lang] in reply
    assert values(store) == [300]
    assert [a.kind for a in store.alerts()] == ["hyperglycaemia"]
    assert c.expects == ANYTHING


def test_thresholds_come_from_the_profile(chat, store, profile):
    # the clinician set the low threshold at 80: 75 is a low for this patient
    c = chat("fr", dataclasses.replace(profile, glucose_targets=GlucoseTargets(low=80, target_low=80)))
    reply = c.log("ma glycémie est de soixante-quinze", "oui")
    assert "quinze grammes de sucre rapide" in reply
    assert [a.kind for a in store.alerts()] == ["hypoglycaemia"]


@pytest.mark.parametrize("lang, utterance, first_words", [
    ("fr", "mon lecteur affiche LO", "Votre lecteur affiche LO."),
    ("en", "my meter shows LO", "Your meter shows LO."),
])
def test_a_meter_showing_lo_brings_the_severe_guidance_once_confirmed(chat, store, lang, utterance, first_words):
    c = chat(lang)
    question = c.say(utterance)
    assert "LO" in question and c.expects == YES_NO
    assert store.alerts() == []  # read back first: a word alone alerts no one
    reply = c.say("oui" if lang == "fr" else "yes")
    assert reply.startswith(first_words)
    assert "quinze grammes" in reply or "fifteen grams" in reply
    assert "quinze tout de suite" in reply or "call fifteen now" in reply
    assert store.readings() == []  # no number to store
    assert [a.kind for a in store.alerts()] == ["severe_hypoglycaemia"]
    assert c.expects == YES_NO  # the recheck offer


@pytest.mark.parametrize("lang, utterance, no, sugar, route", [
    ("en", "I think my sugar is low", "no", "fifteen grams of fast sugar", "call fifteen"),
    ("en", "my meter shows LO", "no it doesn't", "fifteen grams of fast sugar", "call fifteen"),
    ("fr", "mon lecteur affiche LO", "non", "quinze grammes de sucre rapide", "appelez le quinze"),
])
def test_no_to_the_lo_question_notes_nothing_but_still_says_what_to_do_about_a_low(chat, store, profile, lang,
                                                                                  utterance, no, sugar, route):
    """The patient who says their sugar is low may feel a low rather than read a display: after "no" to « does your
    meter show LO? », nothing is noted or alerted, but the low's first steps and a human to call are said."""
    c = chat(lang)
    assert "LO" in c.say(utterance) and c.expects == YES_NO
    reply = c.say(no)
    assert sugar in reply
    assert route in reply and profile.caregiver.name in reply, reply
    assert store.readings() == [] and store.alerts() == []


@pytest.mark.parametrize("lang, utterance", [
    ("fr", "mon lecteur affiche HI"),
    ("en", "my meter reads high"),
])
def test_a_meter_showing_hi_gives_the_high_instruction(chat, store, profile, lang, utterance):
    c = chat(lang)
    assert "HI" in c.say(utterance)
    assert store.alerts() == []
    reply = c.say("oui" if lang == "fr" else "yes")
    assert "HI" in reply
    assert profile.high_glucose_instruction[lang] in reply
    assert [a.kind for a in store.alerts()] == ["hyperglycaemia"]
    assert store.readings() == []


@pytest.mark.parametrize("lang, utterance, sugar, number", [
    ("fr", "je tremble je fais une hypo", "quinze grammes de sucre rapide", "appelez le quinze"),
    ("fr", "au secours", "quinze grammes de sucre rapide", "appelez le quinze"),
    ("en", "I feel shaky", "fifteen grams of fast sugar", "call fifteen"),
    ("en", "I feel dizzy and sweaty", "fifteen grams of fast sugar", "call fifteen"),
])
def test_emergency_answers_at_once_with_guidance_and_the_human_route(chat, store, lang, utterance, sugar, number):
    c = chat(lang)
    reply = c.say(utterance)
    assert sugar in reply and number in reply
    assert "Marc" in reply and "Docteur Martin" in reply
    assert store.alerts() == [] and c.expects == YES_NO  # one question, then the alert
    c.say("oui" if lang == "fr" else "yes")
    [alert] = store.alerts()
    assert alert.kind == "emergency" and alert.message == utterance and alert.at == c.now


def test_emergency_in_the_middle_of_a_confirmation_wins_and_stores_nothing(chat, store, profile):
    c = chat("en", dataclasses.replace(profile, country="US"))
    c.say("my sugar is one twenty")
    reply = c.say("I feel shaky")
    assert "call nine one one" in reply
    assert reply.startswith("I did not save that reading.")  # the open question is dropped aloud
    c.say("yes")  # the yes answers the alert question, not the dropped reading
    assert c.expects == ANYTHING
    assert store.readings() == []
    assert [a.kind for a in store.alerts()] == ["emergency"]


@pytest.mark.parametrize("lang, question, referral", [
    ("fr", "combien d'insuline je dois faire", "Je ne peux pas vous dire quelle dose prendre."),
    ("fr", "je dois augmenter mon insuline", "Je ne peux pas vous dire quelle dose prendre."),
    ("en", "how much insulin should I take", "I cannot tell you what dose to take."),
    ("en", "how many units of insulin should I take", "I cannot tell you what dose to take."),
])
def test_a_dosing_question_gets_a_referral_never_a_number(chat, store, lang, question, referral):
    c = chat(lang)
    reply = c.say(question)
    assert reply.startswith(referral)
    assert "Marc" in reply and "Docteur Martin" in reply
    # no quantity at all: no number words, no units of insulin
    words = {w.strip(".,?!").lower() for w in reply.split()}
    numbers = {"un", "deux", "trois", "quatre", "cinq", "six", "dix", "one", "two", "three", "four", "five", "ten",
               "unités", "units"}
    assert not words & numbers
    assert store.alerts() == [] and store.readings() == []


def test_a_dosing_question_keeps_the_pending_confirmation(chat, store):
    c = chat("fr")
    c.say("ma glycémie est de un gramme vingt")
    reply = c.say("combien d'insuline je dois faire")
    assert reply.endswith("J'ai compris un gramme vingt. C'est bien ça ?")
    assert c.expects == YES_NO
    c.say("oui")
    assert values(store) == [120]


# --- conversation controls ------------------------------------------------------------------------------

@pytest.mark.parametrize("lang, value, repeat, yes", [
    ("fr", "ma glycémie est de un gramme vingt", "tu peux répéter", "oui"),
    ("en", "my sugar is one twenty", "say that again", "yes"),
])
def test_repeat_says_the_last_reply_again_and_keeps_the_question(chat, store, lang, value, repeat, yes):
    c = chat(lang)
    read_back = c.say(value)
    assert c.say(repeat) == read_back
    assert c.say(repeat) == read_back
    assert c.expects == YES_NO
    c.say(yes)
    assert len(store.readings()) == 1


@pytest.mark.parametrize("lang, repeat, nothing", [
    ("fr", "répète", "Je n'ai encore rien dit à répéter."),
    ("en", "say that again", "I have not said anything yet."),
])
def test_repeat_before_anything_was_said(chat, lang, repeat, nothing):
    assert chat(lang).say(repeat) == nothing


def test_repeat_after_the_greeting(chat, profile):
    c = chat("fr")
    greeting = c.manager.greeting(c.now).text
    assert profile.name in greeting
    assert c.say("répète") == greeting


@pytest.mark.parametrize("lang, slower, faster, said_slower, said_faster, slowest, fastest", [
    ("fr", "parle moins vite", "parle plus vite", "D'accord, je parle moins vite. Je parle maintenant comme ceci.",
     "D'accord, je parle plus vite. Je parle maintenant comme ceci.", "Je parle déjà le plus lentement possible.",
     "Je parle déjà le plus vite possible."),
    ("en", "speak slower", "speak faster", "All right, I will speak more slowly. This is how I speak now.",
     "All right, I will speak faster. This is how I speak now.", "I am already speaking as slowly as I can.",
     "I am already speaking as fast as I can."),
])
def test_speech_rate_changes_in_steps_within_bounds(chat, tmp_path, lang, slower, faster, said_slower, said_faster,
                                                     slowest, fastest):
    c = chat(lang)
    rate = c.profile.words_per_minute
    assert rate == 160
    while rate > MIN_WPM:
        assert c.say(slower) == said_slower
        rate = max(MIN_WPM, rate - RATE_STEP)
        assert c.profile.words_per_minute == rate
    assert c.say(slower) == slowest
    assert "rate_unchanged" in c.last_reply.events
    assert c.profile.words_per_minute == MIN_WPM
    while rate < MAX_WPM:
        assert c.say(faster) == said_faster
        rate = min(MAX_WPM, rate + RATE_STEP)
        assert c.profile.words_per_minute == rate
    assert c.say(faster) == fastest
    assert c.profile.words_per_minute == MAX_WPM
    # save_profile_changes=False: the user's profile file is never written
    assert not (tmp_path / "config").exists()


def test_speech_rate_change_during_a_confirmation_repeats_the_question(chat, store):
    c = chat("fr")
    c.say("ma glycémie est de un gramme vingt")
    reply = c.say("parle plus lentement")
    assert reply.startswith("D'accord, je parle moins vite.")
    assert reply.endswith("J'ai compris un gramme vingt. C'est bien ça ?")
    c.say("oui")
    assert values(store) == [120]


@pytest.mark.parametrize("lang, help_, idle, confirm, value, time, which", [
    ("fr", "aide", "ma glycémie est de un gramme vingt", "Dites oui pour enregistrer.", "Dites la valeur lue",
     "Dites l'heure du rappel.", "Dites le nom du médicament."),
    ("en", "what can I say", "my sugar is one twenty", "Say yes to save it.", "Say the number on your meter.",
     "Say the time of the reminder.", "Say the name of the medicine."),
])
def test_help_fits_the_moment(chat, store, lang, help_, idle, confirm, value, time, which):
    fr = lang == "fr"
    c = chat(lang)
    at_idle = c.say(help_)
    assert idle in at_idle
    assert c.expects == ANYTHING

    c.say("ma glycémie est de un gramme vingt" if fr else "my sugar is one twenty")
    during_confirmation = c.say(help_)
    assert during_confirmation.startswith(confirm)
    assert during_confirmation.endswith("C'est bien ça ?" if fr else "Is that right?")
    assert c.expects == YES_NO
    c.say("laisse tomber" if fr else "never mind")

    c.say("je veux noter ma glycémie" if fr else "I want to log my sugar")
    assert c.say(help_).startswith(value)
    assert c.expects == VALUE
    c.say("laisse tomber" if fr else "never mind")

    c.say("rappelle-moi de prendre mon Lantus" if fr else "I need a reminder for my Lantus")
    assert c.say(help_).startswith(time)
    c.say("laisse tomber" if fr else "never mind")

    c.say("j'ai pris mes médicaments" if fr else "I took my pills")
    assert c.say(help_).startswith(which)
    assert len({at_idle, during_confirmation}) == 2
    assert store.readings() == []


@pytest.mark.parametrize("lang, gibberish, other, not_understood, again, example", [
    ("fr", "blabla truc", "bidule chose machin", "Je n'ai pas compris.", "Je n'ai toujours pas compris.",
     "ma glycémie est de un gramme vingt"),
    ("en", "blah blah thing", "foo bar baz", "I did not understand.", "I still did not understand.",
     "my sugar is one twenty"),
])
def test_unknown_requests_get_examples_then_help_and_a_human_route(chat, profile, lang, gibberish, other,
                                                                   not_understood, again, example):
    caregiver = Contact(name="Sophie", relation={"fr": "votre fille", "en": "your daughter"})
    doctor = Contact(name="Docteur Benali")
    c = chat(lang, dataclasses.replace(profile, caregiver=caregiver, doctor=doctor))
    first = c.say(gibberish)
    assert first.startswith(not_understood) and example in first
    assert "Sophie" not in first
    second = c.say(other)
    assert second.startswith(again)
    assert example in second  # help
    assert ("votre fille Sophie ou Docteur Benali" if lang == "fr" else "your daughter Sophie or Docteur Benali") \
        in second
    # an understood request ends the run of misses
    c.say("quels sont mes rappels" if lang == "fr" else "which reminders do I have")
    assert c.say(gibberish).startswith(not_understood)


def test_without_contacts_the_human_route_is_the_emergency_number(chat, profile):
    c = chat("en", dataclasses.replace(profile, caregiver=None, doctor=None, country="US"))
    c.say("blah blah thing")
    assert "call nine one one" in c.say("foo bar baz")


@pytest.mark.parametrize("lang, utterance, reply", [
    ("fr", "quel temps fera-t-il demain", "Je ne sais pas faire cela."),
    ("en", "what is the weather tomorrow", "I cannot do that."),
])
def test_out_of_scope_says_what_can_be_done(chat, lang, utterance, reply):
    assert chat(lang).say(utterance).startswith(reply)


def test_a_miss_during_a_confirmation_asks_the_question_again(chat, store):
    c = chat("fr")
    c.say("ma glycémie est de un gramme vingt")
    assert c.say("blabla truc") == "Répondez par oui ou par non. J'ai compris un gramme vingt. C'est bien ça ?"
    second = c.say("bidule chose machin")
    assert second.startswith("Je n'ai toujours pas compris. Dites oui pour enregistrer.")
    assert "votre fils Marc ou Docteur Martin" in second
    assert second.endswith("J'ai compris un gramme vingt. C'est bien ça ?")
    c.say("oui")
    assert values(store) == [120]


# --- no answer ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang, value, reprompt, gone, yes", [
    ("fr", "ma glycémie est de un gramme vingt", "Je vous écoute. J'ai compris un gramme vingt. C'est bien ça ?",
     "Je n'ai rien enregistré. Je me mets en attente.", "oui"),
    ("en", "my sugar is one twenty",
     "I am listening. I heard one hundred and twenty milligrams per deciliter. Is that right?",
     "I did not save anything. I will wait now.", "yes"),
])
def test_silence_reprompts_once_then_goes_back_to_waiting(chat, store, lang, value, reprompt, gone, yes):
    c = chat(lang)
    assert c.tick(30) is None  # nothing asked: silence is fine
    c.say(value)
    assert c.tick(7.9) is None
    assert c.tick(0.1) == reprompt
    assert c.expects == YES_NO
    assert c.tick(7.9) is None
    assert c.tick(0.1).startswith(gone)
    assert c.expects == ANYTHING
    assert c.tick(60) is None  # only once
    c.say(yes)  # too late: the value was dropped
    assert store.readings() == []


def test_the_silence_counts_from_when_the_question_was_heard_to_its_end(chat, store):
    """A read-back takes six seconds to say: the live loop tells when its last word was heard, and the patient has
    the full eight seconds from there (counted from when the reply was written, two were left)."""
    c = chat("en")
    c.say("my sugar is one twenty")
    c.later(seconds=6)  # the voice says the read-back
    c.manager.reply_heard(c.now)
    c.manager.reply_heard(c.now - timedelta(seconds=30))  # an older word from the speaker never moves it back
    assert c.tick(7.9) is None
    assert c.tick(0.1) == "I am listening. I heard one hundred and twenty milligrams per deciliter. Is that right?"
    c.later(seconds=5)  # the re-prompt said
    c.manager.reply_heard(c.now)
    assert c.tick(7.9) is None
    assert c.tick(0.1).startswith("I did not save anything.")
    assert store.readings() == []


def test_silence_while_a_value_is_asked_for(chat, store):
    c = chat("fr")
    c.say("je veux noter ma glycémie")
    assert c.tick(8) == "Je vous écoute. Quelle est la valeur de votre glycémie ?"
    assert c.tick(8) == "Je me mets en attente. Parlez-moi quand vous voulez."
    assert c.expects == ANYTHING


def test_an_answer_after_the_reprompt_still_counts(chat, store):
    c = chat("en")
    c.say("my sugar is one twenty")
    c.tick(8)
    c.later(seconds=3)
    c.say("yes")
    assert values(store) == [120]
    assert c.tick(60) is None


def test_timing_is_configurable(chat, store):
    c = chat("fr", timing=Timing(reprompt_after_s=3, give_up_after_s=20))
    c.say("ma glycémie est de un gramme vingt")
    assert c.tick(3) is not None
    assert c.tick(19) is None
    assert c.tick(1) is not None
    assert c.expects == ANYTHING
    assert store.readings() == []


# --- glucose history --------------------------------------------------------------------------------

HISTORY = {
    # (days before the start day, hour, minute, what is said) - the start day is Wednesday 12 March 2025
    "fr": [(20, 9, 0, "ma glycémie est de deux grammes cinquante"),
           (3, 8, 0, "ma glycémie est de zéro gramme quatre-vingt-dix"),
           (1, 20, 0, "ma glycémie est de deux grammes"),
           (0, 7, 40, "ma glycémie est de un gramme vingt à jeun"),
           (0, 12, 40, "ma glycémie est de un gramme cinquante après le repas")],
    "en": [(20, 9, 0, "my sugar is two fifty"),
           (3, 8, 0, "my sugar is ninety"),
           (1, 20, 0, "my sugar is two hundred"),
           (0, 7, 40, "my sugar is one twenty before breakfast"),
           (0, 12, 40, "my sugar is one fifty after lunch")],
}


def fill_history(c, lang):
    yes = "oui" if lang == "fr" else "yes"
    for days_ago, hour, minute, utterance in HISTORY[lang]:
        c.at(days_ago, hour, minute)
        c.log(utterance, yes)
    assert values(c.store) == [250, 90, 200, 120, 150]


@pytest.mark.parametrize("lang, question, answer", [
    ("fr", "quelle était ma dernière glycémie",
     "Votre dernière glycémie est de un gramme vingt, ce matin à sept heures quarante."),
    ("en", "what was my last reading",
     "Your last reading was one hundred and twenty milligrams per deciliter, this morning at seven forty."),
])
def test_history_last_value_with_when(chat, lang, question, answer):
    c = chat(lang)
    c.log(HISTORY[lang][3][3], "oui" if lang == "fr" else "yes")
    c.later(minutes=20)
    assert c.say(question) == answer


@pytest.mark.parametrize("lang, question, answer", [
    ("fr", "quelle était ma dernière glycémie",
     "Votre dernière glycémie est de un gramme cinquante, cet après-midi à midi quarante."),
    ("fr", "mes glycémies d'aujourd'hui",
     "Aujourd'hui, vous avez deux glycémies : un gramme vingt, ce matin à sept heures quarante "
     "et un gramme cinquante, cet après-midi à midi quarante."),
    ("fr", "mes glycémies d'hier", "Hier, vous avez une glycémie : deux grammes, hier soir à vingt heures."),
    ("fr", "ma moyenne de la semaine",
     "Sur ces sept derniers jours, vous avez quatre glycémies. La moyenne est de un gramme quarante. "
     "La plus basse est de zéro gramme quatre-vingt-dix, la plus haute de deux grammes. "
     "Vous étiez dans votre cible soixante-quinze pour cent du temps."),
    ("fr", "ma moyenne du mois",
     "Sur ces trente derniers jours, vous avez cinq glycémies. La moyenne est de un gramme soixante-deux. "
     "La plus basse est de zéro gramme quatre-vingt-dix, la plus haute de deux grammes cinquante. "
     "Vous étiez dans votre cible soixante pour cent du temps."),
    ("en", "what was my last reading",
     "Your last reading was one hundred and fifty milligrams per deciliter, this afternoon at twelve forty."),
    ("en", "what are my readings today",
     "Today, you have two readings: one hundred and twenty milligrams per deciliter, this morning at seven forty "
     "and one hundred and fifty milligrams per deciliter, this afternoon at twelve forty."),
    ("en", "how was my sugar yesterday",
     "Yesterday, you have one reading: two hundred milligrams per deciliter, last night at eight."),
    ("en", "what was my average this week",
     "In the last seven days, you have four readings. The average is one hundred and forty milligrams per "
     "deciliter. The lowest is ninety milligrams per deciliter, the highest two hundred milligrams per deciliter. "
     "You were in your target range seventy-five percent of the time."),
    ("en", "my average this month",
     "In the last thirty days, you have five readings. The average is one hundred and sixty-two milligrams per "
     "deciliter. The lowest is ninety milligrams per deciliter, the highest two hundred and fifty milligrams per "
     "deciliter. You were in your target range sixty percent of the time."),
])
def test_history_answers_with_the_stored_values(chat, lang, question, answer):
    c = chat(lang)
    fill_history(c, lang)
    c.at(0, 18, 0)
    assert c.say(question) == answer


@pytest.mark.parametrize("lang, question, none_yet, period_question, none_in_period", [
    ("fr", "quelle était ma dernière glycémie", "Vous n'avez encore aucune glycémie enregistrée.",
     "mes glycémies d'aujourd'hui", "Je n'ai aucune glycémie aujourd'hui."),
    ("en", "what was my last reading", "You have no readings saved yet.", "what are my readings today",
     "I have no readings today."),
])
def test_history_with_nothing_to_tell(chat, lang, question, none_yet, period_question, none_in_period):
    c = chat(lang)
    assert c.say(question).startswith(none_yet)
    c.at(2, 9)
    c.log("ma glycémie est de un gramme vingt" if lang == "fr" else "my sugar is one twenty",
          "oui" if lang == "fr" else "yes")
    c.at(0, 9)
    assert c.say(period_question) == none_in_period


# --- reminders ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang, request_, read_back, yes, saved", [
    ("fr", "rappelle-moi la metformine à huit heures",
     "Un rappel pour votre metformine, tous les jours à huit heures. C'est bien ça ?", "oui",
     "C'est noté. Je vous rappellerai votre metformine tous les jours à huit heures."),
    ("en", "remind me to take metformin at eight in the morning",
     "A reminder for metformin, every day at eight in the morning. Is that right?", "yes",
     "Done. I will remind you to take metformin every day at eight in the morning."),
])
def test_a_reminder_is_read_back_and_set_after_yes(chat, store, lang, request_, read_back, yes, saved):
    c = chat(lang)
    assert c.say(request_) == read_back
    assert store.active_reminders() == []
    assert c.say(yes) == saved
    [reminder] = store.active_reminders()
    assert (reminder.medication_id, reminder.time_of_day, reminder.days) == ("metformin", "08:00", "daily")
    assert reminder.dose_text == ("un comprimé" if lang == "fr" else "one tablet")
    # the same reminder again is not doubled
    c.say(request_)
    assert "déjà" in c.last_reply.text or "already" in c.last_reply.text
    assert len(store.active_reminders()) == 1


@pytest.mark.parametrize("lang, request_, ask, time, read_back, correction, corrected, yes, stored", [
    ("fr", "rappelle-moi de prendre mon Lantus", "À quelle heure ?", "à vingt-deux heures",
     "Un rappel pour votre insuline glargine, tous les jours à vingt-deux heures. C'est bien ça ?",
     "non, à vingt et une heures",
     "Un rappel pour votre insuline glargine, tous les jours à vingt et une heures. C'est bien ça ?", "oui", "21:00"),
    ("en", "I need a reminder for my Lantus", "At what time?", "nine",
     "A reminder for insulin glargine, every day at nine in the morning. Is that right?",
     "no, at nine in the evening",
     "A reminder for insulin glargine, every day at nine in the evening. Is that right?", "yes", "21:00"),
    ("en", "I need a reminder for my Lantus", "At what time?", "at ten at night",
     "A reminder for insulin glargine, every day at ten at night. Is that right?",
     "no, at nine",
     "A reminder for insulin glargine, every day at nine in the morning. Is that right?", "yes", "09:00"),
])
def test_a_missing_reminder_time_is_asked_and_can_be_corrected(chat, store, lang, request_, ask, time, read_back,
                                                                correction, corrected, yes, stored):
    c = chat(lang)
    assert c.say(request_) == ask
    assert c.expects == VALUE
    assert c.say(time) == read_back
    assert c.say(correction) == corrected
    assert store.active_reminders() == []
    c.say(yes)
    assert [(r.medication_id, r.time_of_day) for r in store.active_reminders()] == [("insulin_glargine", stored)]
    assert store.readings() == []  # "nine" was a time here, not a glucose value


@pytest.mark.parametrize("lang, request_, sugar, yes", [
    ("fr", "rappelle-moi de prendre mon Lantus", "ma glycémie est de cent vingt", "oui"),
    ("en", "I need a reminder for my Lantus", "my sugar is one twenty", "yes"),
])
def test_a_glucose_value_said_while_a_reminder_time_is_asked_stays_a_glucose_value(chat, store, lang, request_,
                                                                                    sugar, yes):
    c = chat(lang)
    c.say(request_)
    reply = c.say(sugar)
    assert "milligrammes" in reply or "milligrams" in reply
    c.say(yes)
    assert values(store) == [120]
    assert store.active_reminders() == []


@pytest.mark.parametrize("lang, request_, yes, hint", [
    ("fr", "rappelle-moi de prendre mes médicaments", "oui", "Dites le nom du médicament. Par exemple"),
    ("en", "remind me to take my pills", "yes", "Say the name of the medicine. For example"),
    ("en", "my sugar is", "yes", "Say the number on your meter"),
])
def test_a_yes_to_a_which_question_is_told_what_to_answer(chat, store, lang, request_, yes, hint):
    """« Pour quel médicament ? » answered « oui »: the question is not simply said again; the patient hears what to
    answer, with an example."""
    c = chat(lang)
    c.say(request_)
    assert c.expects != YES_NO
    reply = c.say(yes)
    assert reply.startswith(hint), reply
    assert store.readings() == [] and store.active_reminders() == []


@pytest.mark.parametrize("lang, request_, time_said, medication, yes", [
    ("en", "remind me to take my pills", "at eight", "metformin", "yes"),
    ("en", "I want a reminder", "eight", "metformin", "yes"),
    ("fr", "je veux un rappel", "à huit", "la metformine", "oui"),
])
def test_a_time_given_when_the_medicine_was_asked_is_the_reminder_s_time_not_a_reading(chat, store, lang, request_,
                                                                                         time_said, medication, yes):
    """Asked « which medicine? », the patient gives the time first ("at eight"): it is kept as the reminder's time
    and the medicine asked again; never read back as a glucose value of eight."""
    c = chat(lang)
    ask = c.say(request_)
    assert c.say(time_said) == ask  # the medicine asked again, the time kept
    assert "millimol" not in c.transcript[-1][1] and "gramme" not in c.transcript[-1][1]
    c.say(medication)
    assert c.expects == YES_NO
    c.say(yes)
    assert [(r.medication_id, r.time_of_day) for r in store.active_reminders()] == [("metformin", "08:00")]
    assert store.readings() == []


@pytest.mark.parametrize("lang, request_, ask, medication, yes", [
    ("fr", "je veux un rappel à huit heures", "Pour quel médicament voulez-vous un rappel ?", "la metformine", "oui"),
    ("en", "set a reminder at eight in the morning", "Which medicine is the reminder for?", "metformin", "yes"),
])
def test_a_missing_medication_is_asked(chat, store, lang, request_, ask, medication, yes):
    c = chat(lang)
    assert c.say(request_) == ask
    c.say(medication)
    assert c.expects == YES_NO
    c.say(yes)
    assert [(r.medication_id, r.time_of_day) for r in store.active_reminders()] == [("metformin", "08:00")]


def set_two_reminders(c, lang):
    if lang == "fr":
        c.log("rappelle-moi la metformine à huit heures", "oui")
        c.log("rappelle-moi de prendre mon Lantus à vingt et une heures", "oui")
    else:
        c.log("remind me to take metformin at eight in the morning", "yes")
        c.log("remind me to take my Lantus at nine in the evening", "yes")
    assert len(c.store.active_reminders()) == 2


@pytest.mark.parametrize("lang, question, none, listed", [
    ("fr", "quels sont mes rappels", "Vous n'avez aucun rappel.",
     "Vous avez deux rappels : votre metformine à huit heures et votre insuline glargine à vingt et une heures."),
    ("en", "which reminders do I have", "You have no reminders.",
     "You have two reminders: metformin at eight in the morning and insulin glargine at nine in the evening."),
])
def test_list_reminders(chat, lang, question, none, listed):
    c = chat(lang)
    assert c.say(question) == none
    set_two_reminders(c, lang)
    assert c.say(question) == listed


@pytest.mark.parametrize("lang, by_medication, read_back, no, kept, yes, done", [
    ("fr", "supprime le rappel de la metformine",
     "Je supprime le rappel de votre metformine à huit heures. C'est bien ça ?", "non",
     "D'accord. Je garde ce rappel.",
     "oui", "C'est fait. Le rappel de votre metformine à huit heures est supprimé."),
    ("en", "cancel my metformin reminder",
     "I will remove the reminder for metformin at eight in the morning. Is that right?", "no",
     "All right. I will keep that reminder.", "yes",
     "Done. The reminder for metformin at eight in the morning is removed."),
])
def test_cancel_a_reminder_by_medication_with_confirmation(chat, store, lang, by_medication, read_back, no, kept, yes,
                                                           done):
    c = chat(lang)
    set_two_reminders(c, lang)
    assert c.say(by_medication) == read_back
    assert c.say(no) == kept
    assert len(store.active_reminders()) == 2
    c.say(by_medication)
    assert c.say(yes) == done
    assert [r.medication_id for r in store.active_reminders()] == ["insulin_glargine"]


@pytest.mark.parametrize("lang, by_time, read_back, yes", [
    ("fr", "supprime le rappel de vingt et une heures",
     "Je supprime le rappel de votre insuline glargine à vingt et une heures. C'est bien ça ?", "oui"),
    ("en", "delete the reminder at nine in the evening",
     "I will remove the reminder for insulin glargine at nine in the evening. Is that right?", "yes"),
])
def test_cancel_a_reminder_by_time_with_confirmation(chat, store, lang, by_time, read_back, yes):
    c = chat(lang)
    set_two_reminders(c, lang)
    assert c.say(by_time) == read_back
    assert len(store.active_reminders()) == 2
    c.say(yes)
    assert [r.medication_id for r in store.active_reminders()] == ["metformin"]


@pytest.mark.parametrize("lang, vague, which, answer, yes", [
    ("fr", "supprime un rappel", "Vous avez deux rappels : votre metformine à huit heures et votre insuline glargine "
     "à vingt et une heures. Lequel voulez-vous supprimer ?", "la metformine", "oui"),
    ("en", "cancel a reminder", "You have two reminders: metformin at eight in the morning and insulin glargine at "
     "nine in the evening. Which one should I remove?", "metformin", "yes"),
])
def test_cancel_a_reminder_without_saying_which_asks(chat, store, lang, vague, which, answer, yes):
    c = chat(lang)
    set_two_reminders(c, lang)
    assert c.say(vague) == which
    assert c.expects == VALUE
    c.say(answer)
    assert c.expects == YES_NO
    c.say(yes)
    assert [r.medication_id for r in store.active_reminders()] == ["insulin_glargine"]


def test_cancel_the_only_reminder_without_saying_which(chat, store):
    c = chat("en")
    c.log("remind me to take metformin at eight in the morning", "yes")
    assert c.say("cancel a reminder") == (
        "I will remove the reminder for metformin at eight in the morning. Is that right?")
    c.say("yes")
    assert store.active_reminders() == []


def test_cancel_two_reminders_of_one_medication(chat, store):
    c = chat("fr")
    c.log("rappelle-moi la metformine à huit heures", "oui")
    c.log("rappelle-moi la metformine à vingt heures", "oui")
    assert c.say("supprime le rappel de la metformine") == (
        "Je supprime deux rappels : votre metformine à huit heures et votre metformine à vingt heures. "
        "C'est bien ça ?")
    assert c.say("oui") == "C'est fait. J'ai supprimé deux rappels."
    assert store.active_reminders() == []


@pytest.mark.parametrize("lang, taken, said", [
    ("fr", "j'ai pris mon Glucophage", "C'est noté : vous avez pris votre metformine."),
    ("en", "I took my metformin", "Noted: you took your metformin."),
])
def test_medication_taken_records_an_event(chat, store, lang, taken, said):
    c = chat(lang)
    c.say(taken)
    assert c.expects == YES_NO and store.medication_events() == []  # read back before it is noted
    assert c.say("oui" if lang == "fr" else "yes") == said
    [event] = store.medication_events()
    assert (event.medication_id, event.status, event.source, event.at) == ("metformin", "taken", "voice", c.now)


@pytest.mark.parametrize("lang, taken, which, name, skip", [
    ("fr", "j'ai pris mes médicaments", "Quel médicament avez-vous pris ? Dites son nom.", "l'aspirine", "non"),
    ("en", "I took my pills", "Which medicine did you take? Say its name.", "aspirin", "no"),
])
def test_medication_taken_without_a_name_asks_which(chat, store, lang, taken, which, name, skip):
    c = chat(lang)
    assert c.say(taken) == which
    c.say(name)
    assert store.medication_events() == []  # a name answering a question is read back, never noted at once
    c.say("oui" if lang == "fr" else "yes")
    assert [e.medication_id for e in store.medication_events()] == ["aspirin"]
    c.say(taken)
    reply = c.say(skip)
    assert "rien noté" in reply or "did not note anything" in reply
    assert len(store.medication_events()) == 1


def test_medication_taken_at_an_earlier_time_today(chat, store):
    c = chat("en")
    c.later(hours=2)  # 09:40
    assert "this morning at seven" in c.say("I took my aspirin at seven in the morning")
    c.say("yes")
    [event] = store.medication_events()
    assert event.at == c.now.replace(hour=7, minute=0)


# --- a whole morning, both languages -----------------------------------------------------------------------

SCRIPTS = {
    "fr": ["bonjour", "ma glycémie est de un gramme douze à jeun", "répète", "non, cent vingt-huit", "oui",
           "rappelle-moi la metformine à huit heures", "aide", "oui", "j'ai pris mon Glucophage", "oui",
           "quelle était ma dernière glycémie", "parle moins vite", "quels sont mes rappels", "merci"],
    "en": ["good morning", "my sugar was one twelve fasting", "say that again", "no, one twenty eight", "yes",
           "remind me to take metformin at eight in the morning", "what can I say", "yes", "I took my metformin", "yes",
           "what was my last reading", "speak slower", "which reminders do I have", "thank you"],
}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_whole_morning(chat, store, lang):
    c = chat(lang)
    c.manager.greeting(c.now)
    for utterance in SCRIPTS[lang]:
        c.say(utterance)
        assert c.tick(5) is None  # a short pause is no silence to re-prompt
    [reading] = store.readings()
    assert (reading.glucose_mg_dl, reading.context) == (128, "fasting")
    assert [(r.medication_id, r.time_of_day) for r in store.active_reminders()] == [("metformin", "08:00")]
    assert [e.medication_id for e in store.medication_events()] == ["metformin"]
    assert store.alerts() == []
    assert c.profile.words_per_minute == 160 - RATE_STEP
    assert all(reply for _, reply in c.transcript)
