"""A medication reminder asked with a delay gives it as `delay_minutes` (docs/INTENTS.md), never as a clock time:
only the dialogue knows the clock."""

from __future__ import annotations

import pytest

from voice_assistant.nlu import DELAY, understand


@pytest.mark.parametrize("lang, text, medication, minutes", [
    ("en", "remind me to take my metformin in 30 minutes", "metformin", 30),
    ("en", "in an hour remind me about my insulin", None, 60),
    ("en", "remind me in two hours to take my Lantus", "insulin_glargine", 120),
    ("en", "remind me to take my metformin in half an hour", "metformin", 30),
    ("en", "remind me to take my metformin in 0 minutes", "metformin", 0),
    ("en", "remind me to take my metformin in 30 hours", "metformin", 1800),
    ("fr", "rappelle-moi de prendre ma metformine dans une heure", "metformin", 60),
    ("fr", "dans vingt minutes rappelle-moi mon insuline", None, 20),
    ("fr", "rappelle-moi ma metformine dans un quart d'heure", "metformin", 15),
    ("fr", "rappelle-moi mon Lantus dans deux heures", "insulin_glargine", 120),
])
def test_a_reminder_said_with_a_delay_gives_the_delay_and_no_time(lang, text, medication, minutes):
    u = understand(text, lang)
    assert u.intent == "set_medication_reminder"
    assert u.slots.get("medication") == medication
    assert u.slots[DELAY] == minutes
    assert "time" not in u.slots


@pytest.mark.parametrize("lang, text", [
    ("en", "remind me to take my metformin for 20 minutes"),  # a length of time, not from now
    ("en", "remind me to take metformin at eight"),
    ("fr", "rappelle-moi la metformine à huit heures"),
    ("fr", "rappelle-moi la metformine pendant vingt minutes"),
])
def test_no_delay_without_one_said_from_now(lang, text):
    u = understand(text, lang)
    assert u.intent == "set_medication_reminder"
    assert DELAY not in u.slots


@pytest.mark.parametrize("lang, text, intent", [
    ("en", "my sugar was 7 two hours ago", "log_glucose"),
    ("en", "I'll check again in 15 minutes", "none"),
])
def test_a_delay_is_a_slot_of_reminders_only(lang, text, intent):
    u = understand(text, lang)
    assert u.intent == intent and DELAY not in u.slots


@pytest.mark.parametrize("lang, text, minutes", [("en", "in an hour", 60), ("fr", "dans une demi-heure", 30)])
def test_a_delay_said_alone_is_an_entity_for_the_dialogue(lang, text, minutes):
    u = understand(text, lang)
    assert u.entity(DELAY) == minutes and DELAY not in u.slots
