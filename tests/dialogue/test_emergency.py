"""A spoken call for help: the guidance comes at once; the care team's alert needs a yes, or no answer at all.

A recogniser can turn noise into "fit" with full confidence, so heard words alone never raise an alert."""

from __future__ import annotations

import pytest

from voice_assistant.dialogue.state import ANYTHING, YES_NO

from .conftest import assert_speakable


def hear(c, text: str, confidence: float = 1.0) -> str:
    """A turn the recogniser heard (typed turns go through `c.say`)."""
    c.last_turn = c.manager.handle(text, c.now, asr_confidence=confidence)
    assert_speakable(c.last_turn.reply.text)
    return c.last_turn.reply.text


@pytest.mark.parametrize("lang, heard, sugar, question", [
    ("en", "fit", "fifteen grams of fast sugar", "Do you want me to alert your care team?"),
    ("fr", "au secours", "quinze grammes de sucre rapide", "Voulez-vous que je prévienne votre équipe de soins ?"),
])
def test_heard_call_for_help_gives_guidance_then_asks_before_alerting(chat, store, lang, heard, sugar, question):
    c = chat(lang)
    reply = hear(c, heard)
    assert sugar in reply and "Marc" in reply
    assert reply.endswith(question)
    assert c.expects == YES_NO
    assert store.alerts() == []


@pytest.mark.parametrize("answer", ["yes", "help me"])
def test_yes_or_asking_again_records_the_alert_with_what_was_first_heard(chat, store, answer):
    c = chat("en")
    hear(c, "i feel dizzy")
    reply = hear(c, answer)
    assert "I noted an alert for your care team." in reply
    [alert] = store.alerts()
    assert alert.kind == "emergency" and alert.message == "i feel dizzy"
    assert c.expects == ANYTHING


def test_no_records_nothing_and_still_gives_the_human_route(chat, store):
    c = chat("en")
    hear(c, "fit")
    reply = hear(c, "no")
    assert "I did not alert anyone" in reply and "Marc" in reply
    assert store.alerts() == []
    assert c.last_turn.reply.events == ("alert_declined",)


def test_no_answer_at_all_records_the_alert_marked_unconfirmed(chat, store):
    c = chat("fr")
    hear(c, "je fais un malaise")
    assert c.tick(8) is not None  # asked again
    assert store.alerts() == []
    reply = c.tick(8)
    assert "J'ai noté une alerte pour votre équipe de soins." in reply
    [alert] = store.alerts()
    assert alert.message == "Pas de réponse après : je fais un malaise"
    assert alert.at == c.now


def test_typed_call_for_help_gets_the_same_one_question(chat, store):
    c = chat("en")
    reply = c.say("help me")
    assert "fifteen grams of fast sugar" in reply and reply.endswith("Do you want me to alert your care team?")
    assert store.alerts() == []  # a typed slip alerts no one either
    assert "I noted an alert for your care team." in c.say("yes")
    assert len(store.alerts()) == 1


def test_the_alert_is_queued_for_the_clinician_once_confirmed(chat, store):
    c = chat("en")
    hear(c, "i am having a hypo")
    hear(c, "yes")
    c.later(minutes=1)
    hear(c, "yes")  # a stray yes later raises nothing more
    assert len(store.alerts()) == 1


@pytest.mark.parametrize("lang, heard, number, sugar, question", [
    ("en", "I had chest pain last night", "Call the emergency number, fifteen, now.", "sugar",
     "Do you want me to alert your care team?"),
    ("en", "my husband passed out", "Call the emergency number, fifteen, now.", "sugar",
     "Do you want me to alert your care team?"),
    ("fr", "j'ai mal à la poitrine", "Appelez le quinze tout de suite.", "sucre",
     "Voulez-vous que je prévienne votre équipe de soins ?"),
    ("fr", "il a fait des convulsions", "Appelez le quinze tout de suite.", "sucre",
     "Voulez-vous que je prévienne votre équipe de soins ?"),
])
def test_a_red_flag_is_the_emergency_number_first_and_no_sugar(chat, store, lang, heard, number, sugar, question):
    c = chat(lang)
    reply = hear(c, heard)
    assert reply.startswith(number) and sugar not in reply and "Marc" in reply
    assert reply.endswith(question)
    assert c.expects == YES_NO and store.alerts() == []  # the same one question before any alert
    hear(c, "yes" if lang == "en" else "oui")
    [alert] = store.alerts()
    assert alert.message == heard


@pytest.mark.parametrize("lang, heard, sugar", [
    ("en", "I feel dizzy", "If this is a low, take fifteen grams of fast sugar now."),
    ("en", "ambulance", "If this is a low, take fifteen grams of fast sugar now."),
    ("en", "no chest pain but I feel dizzy", "If this is a low, take fifteen grams of fast sugar now."),
    ("fr", "j'ai des vertiges", "Si c'est une hypoglycémie, prenez tout de suite quinze grammes de sucre rapide."),
])
def test_a_call_for_help_naming_no_red_flag_keeps_the_low_guidance(chat, store, lang, heard, sugar):
    c = chat(lang)
    reply = hear(c, heard)
    assert reply.startswith(sugar)
    assert c.expects == YES_NO and store.alerts() == []


def test_a_red_flag_said_after_the_question_is_the_yes_with_its_own_guidance(chat, store):
    c = chat("en")
    hear(c, "help me")
    reply = hear(c, "I can't breathe")
    assert reply.startswith("Call the emergency number, fifteen, now.") and "sugar" not in reply
    assert reply.endswith("I noted an alert for your care team.")
    [alert] = store.alerts()
    assert alert.message == "help me"


def test_a_red_flag_declined_records_nothing_on_silence(chat, store):
    c = chat("en")
    reply = hear(c, "no chest pain")
    assert "emergency number" not in reply and c.expects != YES_NO
    c.tick(8)
    c.tick(8)
    assert store.alerts() == []


# --- a wish to die: heard with care, a crisis line and the emergency number, never sugar ---------------------------

DISTRESS_REPLIES = {
    "en": ("I am sorry you feel like this. You are not alone. Please call three one one four now. Someone will "
           "listen, day and night. If you are in danger, or you have hurt yourself, call fifteen. You can also call "
           "your son Marc or Docteur Martin. Do you want me to alert your care team?"),
    "fr": ("Je suis désolé que vous vous sentiez comme ça. Vous pouvez en parler à quelqu'un, maintenant. Appelez le "
           "trente et un quatorze. Quelqu'un vous écoutera, jour et nuit. Si vous êtes en danger, ou si vous vous êtes "
           "fait du mal, appelez le quinze. Vous pouvez aussi appeler votre fils Marc ou Docteur Martin. Voulez-vous "
           "que je prévienne votre équipe de soins ?"),
}
SUGAR_WORDS = {"en": ("sugar", "glucose", "grams", "dose", "insulin"),
               "fr": ("sucre", "glycémie", "grammes", "dose", "insuline")}


@pytest.mark.parametrize("lang, heard, yes", [
    ("en", "I want to die", "yes"),
    ("en", "I don't want to live any more", "yes"),
    ("fr", "je veux mourir", "oui"),
    ("fr", "je vais me suicider", "oui"),
])
def test_a_wish_to_die_gets_the_crisis_line_and_the_people_then_the_alert_only_after_yes(chat, store, lang, heard,
                                                                                       yes):
    c = chat(lang)
    reply = hear(c, heard)
    assert reply == DISTRESS_REPLIES[lang]  # the default profile: France (3114, 15), Marc and Docteur Martin
    assert not any(w in reply.lower() for w in SUGAR_WORDS[lang])
    assert c.expects == YES_NO and store.alerts() == []
    reply = hear(c, yes)
    assert reply in ("I noted an alert for your care team.", "J'ai noté une alerte pour votre équipe de soins.")
    [alert] = store.alerts()
    assert alert.kind == "emergency" and alert.message == heard and alert.confirmed


def test_no_after_a_wish_to_die_alerts_no_one_and_says_the_line_again(chat, store):
    c = chat("en")
    hear(c, "I want to end it all")
    reply = hear(c, "no")
    assert reply == ("All right, I did not alert anyone. Please call three one one four now. Someone will listen, day "
                     "and night. If you are in danger, or you have hurt yourself, call fifteen.")
    assert store.alerts() == [] and c.expects == ANYTHING


def test_a_wish_to_die_said_after_the_question_is_the_yes_with_its_own_words(chat, store):
    c = chat("en")
    hear(c, "help me")
    reply = hear(c, "I want to die")
    assert reply.startswith("I am sorry you feel like this.") and "three one one four" in reply
    assert "sugar" not in reply and reply.endswith("I noted an alert for your care team.")
    [alert] = store.alerts()
    assert alert.message == "help me"


def test_without_a_crisis_line_only_the_emergency_number_and_without_people_no_second_number(chat, store, profile):
    from dataclasses import replace

    abroad = replace(profile, country="GB", caregiver=None, doctor=None)
    c = chat("en", abroad)
    reply = hear(c, "I want to die")
    assert reply == ("I am sorry you feel like this. You are not alone. Please call nine nine nine now. Someone will "
                     "answer, day and night. Do you want me to alert your care team?")
    assert store.alerts() == []
    chosen = replace(abroad, crisis_line="116 123")
    reply = hear(chat("en", chosen), "I want to die")
    assert "Please call one one six one two three now." in reply and "call nine nine nine." in reply


@pytest.mark.parametrize("lang, heard", [
    ("en", "I'm dying for a cup of tea"),
    ("en", "this heat is killing me"),
    ("en", "I'd kill for a biscuit"),
    ("en", "my phone died"),
    ("fr", "je meurs de faim"),
    ("fr", "je suis mort de fatigue"),
])
def test_an_everyday_idiom_is_no_call_for_help(chat, store, lang, heard):
    c = chat(lang)
    reply = hear(c, heard)
    assert "three one one four" not in reply and "trente et un quatorze" not in reply
    assert c.expects != YES_NO or "alert" not in reply
    c.tick(8)
    c.tick(8)
    assert store.alerts() == []
