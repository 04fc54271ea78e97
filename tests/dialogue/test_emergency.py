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
