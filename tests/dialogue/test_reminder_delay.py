"""A reminder asked with a delay ("remind me to take my metformin in 30 minutes"): a one-off reminder at the
dialogue's now plus the delay, read back with its clock time, stored only after yes."""

from __future__ import annotations

import pytest

from voice_assistant.dialogue.state import YES_NO


@pytest.mark.parametrize("lang, request_, read_back, yes, saved, listed", [
    ("en", "remind me to take my metformin in 30 minutes",
     "In thirty minutes, today at eight ten in the morning: a reminder for metformin, just this once. "
     "Is that right?", "yes",
     "Done. I will remind you to take metformin today at eight ten in the morning, just this once.",
     "You have one reminder: metformin today at eight ten in the morning, once."),
    ("fr", "rappelle-moi de prendre ma metformine dans une heure",
     "Dans une heure, aujourd'hui à huit heures quarante : un rappel pour votre metformine, une seule fois. "
     "C'est bien ça ?", "oui",
     "C'est noté. Je vous rappellerai votre metformine aujourd'hui à huit heures quarante, une seule fois.",
     "Vous avez un rappel : votre metformine aujourd'hui à huit heures quarante, une seule fois."),
])
def test_a_delay_is_read_back_with_its_clock_time_and_set_once_after_yes(chat, store, lang, request_, read_back, yes,
                                                                        saved, listed):
    c = chat(lang)  # 07:40
    assert c.say(request_) == read_back
    assert c.expects == YES_NO
    assert store.active_reminders() == []
    assert c.say(yes) == saved
    [reminder] = store.active_reminders()
    expected = "08:10" if lang == "en" else "08:40"
    assert (reminder.medication_id, reminder.time_of_day, reminder.days) == ("metformin", expected, "2025-03-12")
    assert c.say("what are my reminders" if lang == "en" else "quels sont mes rappels") == listed
    # once its time has passed it is no reminder to come
    c.later(hours=2)
    assert c.say("what are my reminders" if lang == "en" else "quels sont mes rappels") == (
        "You have no reminders." if lang == "en" else "Vous n'avez aucun rappel.")


@pytest.mark.parametrize("lang, request_, no", [
    ("en", "remind me in two hours to take my Lantus", "no"),
    ("fr", "rappelle-moi mon Lantus dans deux heures", "non"),
])
def test_no_to_the_read_back_stores_nothing(chat, store, lang, request_, no):
    c = chat(lang)
    assert "09:40" not in c.say(request_)
    assert c.expects == YES_NO
    c.say(no)
    assert store.active_reminders() == []


def test_the_clock_time_is_the_dialogue_s_now_plus_the_delay_across_midnight(chat, store):
    c = chat("en")
    c.at(0, 23, 50)
    reply = c.say("remind me to take my metformin in 30 minutes")
    assert reply.startswith("In thirty minutes, tomorrow at twelve twenty"), reply
    c.say("yes")
    [reminder] = store.active_reminders()
    assert (reminder.time_of_day, reminder.days) == ("00:20", "2025-03-13")


def test_a_medicine_asked_after_a_delay_keeps_the_delay(chat, store):
    c = chat("fr")
    assert c.say("dans vingt minutes rappelle-moi mon insuline") == "Pour quel médicament voulez-vous un rappel ?"
    assert c.say("le lantus").startswith("Dans vingt minutes, aujourd'hui à huit heures : un rappel pour votre "
                                         "insuline glargine")
    c.say("oui")
    [reminder] = store.active_reminders()
    assert (reminder.medication_id, reminder.time_of_day, reminder.days) == ("insulin_glargine", "08:00", "2025-03-12")


def test_a_delay_given_as_the_answer_to_what_time(chat, store):
    c = chat("en")
    assert c.say("remind me to take my metformin") == "At what time?"
    assert c.say("in an hour").startswith("In an hour, today at eight forty in the morning")
    c.say("yes")
    assert [(r.time_of_day, r.days) for r in store.active_reminders()] == [("08:40", "2025-03-12")]


@pytest.mark.parametrize("lang, request_", [
    ("en", "remind me to take my metformin in 0 minutes"),
    ("en", "remind me to take my metformin in 30 hours"),
    ("fr", "rappelle-moi ma metformine dans vingt-cinq heures"),
])
def test_a_delay_out_of_range_is_asked_again_never_set(chat, store, lang, request_):
    c = chat(lang)
    reply = c.say(request_)
    assert "twenty-four hours" in reply or "vingt-quatre heures" in reply, reply
    assert c.expects != YES_NO
    assert store.active_reminders() == []
    # the answer with a right delay goes on to the read-back
    assert c.say("in 15 minutes" if lang == "en" else "dans un quart d'heure").startswith(
        "In fifteen minutes" if lang == "en" else "Dans quinze minutes")


def test_a_daily_reminder_at_the_same_hour_is_not_taken_for_the_one_off(chat, store):
    c = chat("en")
    c.log("remind me to take my metformin in 20 minutes", "yes")  # 08:00 today, once
    reply = c.say("remind me to take metformin at eight in the morning")
    assert reply == "A reminder for metformin, every day at eight in the morning. Is that right?"
    c.say("yes")
    assert sorted(r.days for r in store.active_reminders()) == ["2025-03-12", "daily"]
