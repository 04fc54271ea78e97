"""Nothing recorded, alerted or crashed that the patient did not say and confirm (issue 15), in both languages.

A real DialogueManager over a real SQLite store; the clock is the conftest's Wednesday 12 March 2025, 07:40.
"""

from __future__ import annotations

import dataclasses
import os
import stat
from datetime import timedelta

import pytest

from voice_assistant.dialogue.state import ANYTHING, VALUE, YES_NO
from voice_assistant.health.glucose import GlucoseUnit
from voice_assistant.store import LabResult, StoreError

YES = {"fr": "oui", "en": "yes"}
NO = {"fr": "non", "en": "no"}


def queued(store) -> list[str]:
    """What waits for the clinician: resource types, Provenance left out."""
    return [i.resource_type for i in store.outbox_items() if i.resource_type != "Provenance"]


# --- 1. a single word or a greeting never records or alerts -----------------------------------------------

@pytest.mark.parametrize("lang, words", [
    ("en", ["hi there", "oh hi", "high", "low", "hi", "hello", "hey there", "lo"]),
    ("fr", ["salut", "bonjour", "haut", "bas", "hi", "low", "coucou", "bonsoir"]),
])
def test_a_word_or_a_greeting_alone_records_and_alerts_nothing(chat, store, lang, words):
    c = chat(lang)
    for word in words:
        c.say(word)
        assert store.alerts() == [] and queued(store) == [], (word, c.transcript[-1])
    assert "HI" not in " ".join(r for _, r in c.transcript) and "LO" not in " ".join(r for _, r in c.transcript)


@pytest.mark.parametrize("lang, display, kind", [
    ("en", "was it high", "hyperglycaemia"),
    ("en", "my meter says LO", "severe_hypoglycaemia"),
    ("fr", "le lecteur affiche high", "hyperglycaemia"),
    ("fr", "mon appareil indique LO", "severe_hypoglycaemia"),
])
def test_a_meter_display_is_read_back_and_alerts_only_after_yes(chat, store, lang, display, kind):
    c = chat(lang)
    c.say(display)
    assert c.expects == YES_NO and store.alerts() == [] and queued(store) == []
    c.say(NO[lang])
    assert store.alerts() == [] and queued(store) == []
    c.say(display)
    c.say(YES[lang])
    assert [a.kind for a in store.alerts()] == [kind] and queued(store) == ["Flag"]


def test_a_display_word_answering_what_is_your_reading_is_read_back(chat, store):
    c = chat("en")
    c.say("I want to log my sugar")
    assert "LO" in c.say("low")  # asked for the reading, "low" may be the display: asked, not assumed
    assert store.alerts() == []
    c.say("yes")
    assert [a.kind for a in store.alerts()] == ["severe_hypoglycaemia"]


# --- 2. questions are not events ---------------------------------------------------------------------------

@pytest.mark.parametrize("lang, question, nothing", [
    ("en", "did I take my pills today", "I have no medicine noted today."),
    ("en", "did I take my medication yet", "I have no medicine noted today."),
    ("fr", "est-ce que j'ai pris mes comprimés aujourd'hui", "Je n'ai noté aucun médicament aujourd'hui."),
    ("fr", "est-ce que j'ai pris mes médicaments", "Je n'ai noté aucun médicament aujourd'hui."),
])
def test_did_i_take_answers_from_the_dose_log_and_records_nothing(chat, store, lang, question, nothing):
    c = chat(lang)
    reply = c.say(question)
    assert reply.startswith(nothing)
    assert "extra dose" in reply or "dose en plus" in reply
    assert c.expects == ANYTHING
    c.say("metformin" if lang == "en" else "metformine")  # a name now is no answer to anything recorded
    assert store.medication_events() == [] and queued(store) == []


@pytest.mark.parametrize("lang, taken, question, said", [
    ("en", "I took my metformin", "did I take my metformin", "You took your metformin this morning at seven forty."),
    ("fr", "j'ai pris ma metformine", "est-ce que j'ai pris ma metformine",
     "Vous avez pris votre metformine ce matin à sept heures quarante."),
])
def test_did_i_take_tells_a_dose_taken_and_one_still_due(chat, store, lang, taken, question, said):
    c = chat(lang)
    store.add_reminder("insulin_glargine", "21:00")
    c.say(taken)
    c.say(YES[lang])
    reply = c.say(question)
    assert reply.startswith(said)
    assert len(store.medication_events()) == 1
    everything = c.say("did I take my pills today" if lang == "en" else "est-ce que j'ai pris mes comprimés")
    assert ("still due at nine in the evening" in everything) or ("encore à prendre à vingt et une heures" in everything)


# --- 3. a new request beats a pending question -----------------------------------------------------------

@pytest.mark.parametrize("lang, taken, cancel, dropped", [
    ("fr", "j'ai pris mes comprimés", "annule le rappel de la metformine", "Je n'ai pas noté ce médicament."),
    ("en", "I took my pills", "cancel my metformin reminder", "I did not note that medicine."),
])
def test_a_new_request_drops_the_open_question_aloud(chat, store, lang, taken, cancel, dropped):
    store.add_reminder("metformin", "08:00")
    c = chat(lang)
    c.say(taken)
    reply = c.say(cancel)
    assert reply.startswith(dropped)
    assert c.expects == YES_NO  # the cancellation's own read-back
    c.say(YES[lang])
    assert store.active_reminders() == [] and store.medication_events() == []


@pytest.mark.parametrize("lang, value, unwell, dropped, guidance", [
    ("fr", "ma glycémie est de un gramme vingt", "je me sens pas bien", "Je n'ai pas enregistré cette glycémie.",
     "quinze grammes de sucre rapide"),
    ("en", "my sugar is one twenty", "I don't feel well", "I did not save that reading.", "fifteen grams"),
])
def test_feeling_unwell_during_a_question_is_served_and_the_question_said_dropped(chat, store, lang, value, unwell,
                                                                                  dropped, guidance):
    c = chat(lang)
    c.say(value)
    reply = c.say(unwell)
    assert reply.startswith(dropped) and guidance in reply
    c.say(YES[lang])  # answers the alert question, not the dropped reading
    assert store.readings() == [] and [a.kind for a in store.alerts()] == ["emergency"]


@pytest.mark.parametrize("lang, value, help_, stop", [
    ("fr", "ma glycémie est de un gramme vingt", "aide", "stop"),
    ("en", "my sugar is one twenty", "help", "stop"),
])
def test_help_keeps_the_question_and_stop_drops_it(chat, store, lang, value, help_, stop):
    c = chat(lang)
    question = c.say(value)
    assert c.say(help_).endswith(question)
    c.say(stop)
    c.say(YES[lang])
    assert store.readings() == []


# --- 4. when it happened ---------------------------------------------------------------------------------

@pytest.mark.parametrize("lang, said, read_back, days, hour, minute, history, found", [
    ("fr", "ma glycémie était de 7 mmol hier soir", "hier soir", 1, 20, 0, "combien j'avais hier",
     "sept millimoles par litre"),
    ("fr", "j'avais un gramme dix il y a deux heures", "ce matin à cinq heures quarante", 0, 5, 40,
     "mes glycémies d'aujourd'hui", "un gramme dix"),
    ("fr", "hier matin à sept heures j'avais un gramme vingt", "hier matin à sept heures", 1, 7, 0,
     "mes glycémies d'hier", "un gramme vingt"),
    ("en", "my sugar was 7 mmol last night", "last night", 1, 20, 0, "what was my sugar yesterday",
     "seven millimoles per liter"),
    ("en", "my sugar was one ten an hour ago", "this morning at six forty", 0, 6, 40, "what are my readings today",
     "one hundred and ten"),
    ("en", "yesterday morning at seven my sugar was one twenty", "yesterday morning at seven", 1, 7, 0,
     "how was my sugar yesterday", "one hundred and twenty"),
])
def test_a_moment_said_sets_the_time_stored_and_is_read_back(chat, store, lang, said, read_back, days, hour,
                                                             minute, history, found):
    c = chat(lang)
    assert read_back in c.say(said)
    assert read_back in c.say(YES[lang])
    [reading] = store.readings()
    day = c.now - timedelta(days=days)
    assert reading.measured_at == day.replace(hour=hour, minute=minute, second=0, microsecond=0)
    assert found in c.say(history)


@pytest.mark.parametrize("lang, said", [
    ("fr", "ce soir ma glycémie était de un gramme vingt"),
    ("fr", "à vingt heures j'avais un gramme vingt"),
    ("en", "tonight my sugar was one twenty"),
    ("en", "at nine in the evening my sugar was one twenty"),
])
def test_a_moment_in_the_future_is_refused(chat, store, lang, said):
    c = chat(lang)
    reply = c.say(said)
    assert "pas encore arrivé" in reply or "has not come yet" in reply
    c.say(YES[lang])
    assert store.readings() == [] and queued(store) == []


@pytest.mark.parametrize("lang, said, read_back, hour", [
    ("en", "my sugar was one twenty this morning", "yesterday morning", 8),
    ("en", "this evening my sugar was one twenty", "last night", 20),
    ("fr", "ce soir ma glycémie était de un gramme vingt", "hier soir", 20),
    ("fr", "ce matin j'avais un gramme vingt", "hier matin", 8),
])
def test_a_part_of_the_day_said_after_midnight_is_the_day_not_slept_on_yet(chat, store, lang, said, read_back, hour):
    """At 00:40, "this morning" is the morning of the day that has just ended (the person has not slept yet), not
    the morning to come: no "that time has not come yet"; read back with its day, stored then."""
    c = chat(lang)
    c.now = c.now.replace(hour=0, minute=40)
    reply = c.say(said)
    assert read_back in reply and c.expects == YES_NO, reply
    c.say(YES[lang])
    [reading] = store.readings()
    assert reading.measured_at == (c.now - timedelta(days=1)).replace(hour=hour, minute=0)


def test_a_morning_clock_time_said_after_midnight_is_still_refused(chat, store):
    """"at eleven" at 00:40 may be the morning to come as well as the evening gone: asked again, nothing stored."""
    c = chat("en")
    c.now = c.now.replace(hour=0, minute=40)
    assert "has not come yet" in c.say("at eleven my sugar was one twenty")
    assert store.readings() == []


@pytest.mark.parametrize("lang, taken, when", [
    ("en", "I took my metformin last night", "last night"),
    ("fr", "j'ai pris ma metformine hier soir", "hier soir"),
])
def test_a_dose_taken_earlier_is_stored_then(chat, store, lang, taken, when):
    c = chat(lang)
    assert when in c.say(taken)
    c.say(YES[lang])
    [event] = store.medication_events()
    assert event.at == (c.now - timedelta(days=1)).replace(hour=20, minute=0, second=0, microsecond=0)


@pytest.mark.parametrize("lang, taken, name, not_noted", [
    ("en", "I injected 12 units of lantus", None, "but not how much"),
    ("en", "I gave myself 8 units", "lantus", "but not how much"),  # the medicine asked for, the amount kept in mind
    ("fr", "je me suis injecté dix unités de lantus", None, "mais pas la quantité"),
])
def test_a_dose_said_with_its_amount_is_read_back_saying_the_amount_is_not_noted(chat, store, lang, taken, name,
                                                                                  not_noted):
    """"12 units" is no part of what is noted (the contract has no slot for it): a patient who hears the dose read
    back without a word about it would believe the amount was kept."""
    c = chat(lang)
    reply = c.say(taken)
    if name is not None:
        reply = c.say(name)
    assert not_noted in reply and c.expects == YES_NO, reply
    assert store.medication_events() == []
    c.say(YES[lang])
    [event] = store.medication_events()
    assert event.medication_id == "insulin_glargine"
    assert not_noted not in c.say("I took my metformin" if lang == "en" else "j'ai pris ma metformine")


# --- 5. units ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang, first, correction, unit_words, mg_dl", [
    ("fr", "j'ai fait 6,2 mmol", "non, 6,8", "six virgule huit millimoles par litre", 122.5),
    ("fr", "ma glycémie est de un gramme douze", "non, 1,28", "un gramme vingt-huit", 128),
    ("en", "my sugar is 6.2 mmol", "no, 6.8", "six point eight millimoles per liter", 122.5),
    ("en", "my sugar is six point two millimoles", "no it was seven point one", "seven point one millimoles", 127.9),
])
def test_a_correction_keeps_the_unit_of_the_value_it_corrects(chat, store, lang, first, correction, unit_words,
                                                              mg_dl):
    c = chat(lang)
    c.say(first)
    reply = c.say(correction)
    assert unit_words in reply and c.expects == YES_NO
    c.say(YES[lang])
    [reading] = store.readings()
    assert reading.glucose_mg_dl == pytest.approx(mg_dl, abs=0.1)


def test_a_plain_no_then_a_bare_number_keeps_the_unit_too(chat, store):
    c = chat("en")
    c.say("my sugar is 6.2 mmol")
    c.say("no")
    assert "six point eight millimoles" in c.say("6.8")


@pytest.mark.parametrize("lang, values, average_words", [
    ("fr", ["ma glycémie est de un gramme vingt", "ma glycémie est de un gramme", "ma glycémie est de 7 mmol"],
     "un gramme"),
    ("en", ["my sugar is 6.5 mmol", "my sugar is 7 mmol", "my sugar is one twenty"], "millimoles per liter"),
])
def test_replies_use_the_patients_usual_unit_not_the_last_one_said(chat, store, lang, values, average_words):
    c = chat(lang)
    for v in values:
        c.log(v, YES[lang])
    reply = c.say("ma moyenne de la semaine" if lang == "fr" else "what was my average this week")
    assert f"La moyenne est de {average_words}" in reply or "The average is" in reply
    assert average_words in reply.split(".")[1]


@pytest.mark.parametrize("lang, meter, question, words", [
    ("fr", GlucoseUnit.MMOL_L, "quelle était ma dernière glycémie", "millimoles par litre"),
    ("en", GlucoseUnit.G_L, "what was my last reading", "grams per liter"),
])
def test_the_meter_unit_of_the_profile_decides_and_asking_in_a_unit_wins(chat, store, profile, lang, meter, question,
                                                                          words):
    c = chat(lang, dataclasses.replace(profile, meter_unit=meter))
    c.log("ma glycémie est de cent vingt" if lang == "fr" else "my sugar is one twenty", YES[lang])
    assert words in c.say(question)
    asked = c.say("ma moyenne de la semaine en milligrammes" if lang == "fr" else "what is my average in milligrams")
    assert "milligrammes par décilitre" in asked or "milligrams per deciliter" in asked


# --- 6. the small words and requests ----------------------------------------------------------------------

@pytest.mark.parametrize("lang, value, yes", [
    ("fr", "ma glycémie est de un gramme vingt", "c'est ça"),
    ("fr", "ma glycémie est de un gramme vingt", "c'est bien ça"),
    ("en", "my sugar is one twenty", "that's it"),
    ("en", "my sugar is one twenty", "that's right"),
])
def test_short_affirmations_confirm(chat, store, lang, value, yes):
    c = chat(lang)
    c.say(value)
    assert "Répondez" not in c.say(yes) and len(store.readings()) == 1


@pytest.mark.parametrize("lang, close", [
    ("en", "thanks, bye"), ("en", "goodbye"), ("en", "that's all for now, thank you"),
    ("fr", "merci au revoir"), ("fr", "au revoir"), ("fr", "c'est tout merci"),
])
def test_a_polite_close_gets_a_goodbye_not_the_help_text(chat, store, lang, close):
    c = chat(lang)
    reply = c.say(close)
    assert reply.startswith("Goodbye") or reply.startswith("Au revoir")
    assert "Marc" in reply
    c.say("my sugar is one twenty" if lang == "en" else "ma glycémie est de un gramme vingt")
    assert c.say(close).split(".")[0] in ("I did not save that reading", "Je n'ai pas enregistré cette glycémie")


@pytest.mark.parametrize("lang, ask, number", [
    ("en", "can you call my son", "zero zero"),
    ("en", "I want to talk to my son", "zero zero"),
    ("fr", "appelle mon fils", "zéro zéro"),
    ("fr", "préviens mon fils", "zéro zéro"),
])
def test_the_caregiver_route_says_whom_and_the_number_and_queues_a_message_only_after_yes(chat, store, lang, ask,
                                                                                          number):
    c = chat(lang)
    reply = c.say(ask)
    assert "Marc" in reply and number in reply and c.expects == YES_NO
    assert queued(store) == []
    c.say(NO[lang])
    assert queued(store) == []
    c.say(ask)
    c.say(YES[lang])
    assert [a.kind for a in store.alerts()] == ["caregiver_message"] and queued(store) == ["Flag"]


@pytest.mark.parametrize("lang, ask, number", [
    ("en", "call my doctor", "three three one"),
    ("en", "ring the nurse for me", "three three one"),
    ("en", "I want to speak to my doctor", "three three one"),
    ("fr", "appelle mon médecin", "trois trois un"),
    ("fr", "je voudrais parler à l'infirmière", "trois trois un"),
])
def test_asking_for_the_doctor_names_the_doctor_and_his_number_not_the_family(chat, store, lang, ask, number):
    # "call my doctor" was a call for help ("If this is a low, take fifteen grams..."), and the caregiver route
    # always named the son: the patient who asked for the doctor heard neither his name nor his number
    c = chat(lang)
    reply = c.say(ask)
    assert "Martin" in reply and number in reply and "Marc" not in reply and c.expects == YES_NO, reply
    assert "Martin" in c.say(YES[lang]) and [a.kind for a in store.alerts()] == ["caregiver_message"]


@pytest.mark.parametrize("lang, delete", [
    ("en", "delete all my reminders"), ("en", "cancel every reminder"),
    ("fr", "supprime tous mes rappels"), ("fr", "annule tous les rappels"),
])
def test_all_reminders_at_once_are_listed_then_one_yes_removes_them(chat, store, lang, delete):
    for med, at in (("metformin", "08:00"), ("insulin_glargine", "21:00"), ("aspirin", "12:00")):
        store.add_reminder(med, at)
    c = chat(lang)
    reply = c.say(delete)
    assert ("three reminders" in reply or "trois rappels" in reply) and c.expects == YES_NO
    assert len(store.active_reminders()) == 3
    c.say(YES[lang])
    assert store.active_reminders() == []


@pytest.mark.parametrize("lang, ambiguous, labs, last", [
    ("en", "my results", "my lab results", "my last reading"),
    ("fr", "mes résultats", "les analyses", "ma dernière glycémie"),
])
def test_my_results_alone_asks_lab_results_or_last_reading(chat, store, lang, ambiguous, labs, last):
    store.upsert_lab_result(LabResult(id="a", report_status="final", loinc="4548-4", display="HbA1c",
                                      effective_at="2025-03-01", value=6.5, unit="%", ref_low=4.0, ref_high=6.0))
    c = chat(lang)
    c.log("my sugar is one twenty" if lang == "en" else "ma glycémie est de un gramme vingt", YES[lang])
    question = c.say(ambiguous)
    assert question.endswith("?")
    lab_reply = c.say(labs)
    assert "one result" in lab_reply or "un résultat" in lab_reply
    c.say(ambiguous)
    reply = c.say(last)
    assert "one hundred and twenty" in reply or "un gramme vingt" in reply


@pytest.mark.parametrize("lang, report, when", [
    ("en", "I had a hypo last night", "last night"),
    ("en", "I went low during the night", "during the night"),
    ("fr", "j'ai fait une hypo cette nuit", "cette nuit"),
    ("fr", "j'ai eu une hypoglycémie hier soir", "hier soir"),
])
def test_a_past_hypo_is_read_back_recorded_after_yes_with_guidance(chat, store, lang, report, when):
    c = chat(lang)
    question = c.say(report)
    assert when in question and c.expects == YES_NO and store.alerts() == []
    reply = c.say(YES[lang])
    assert "fifteen grams" in reply or "quinze grammes" in reply
    [alert] = store.alerts()
    assert alert.kind == "hypoglycaemia" and alert.at < c.now and queued(store) == ["Flag"]
    c.say(report)
    c.say(NO[lang])
    assert len(store.alerts()) == 1


@pytest.mark.parametrize("lang, report", [
    ("en", "I had a hypo"),
    ("fr", "je suis en hypo, je suis toute tremblante"),
])
def test_a_hypo_told_with_no_time_may_be_now_what_to_do_comes_before_the_question(chat, store, lang, report):
    """« je suis en hypo, je suis toute tremblante » heard only "You had a hypo. Shall I note it?": what to do
    came after the answer."""
    c = chat(lang)
    question = c.say(report)
    assert c.expects == YES_NO and store.alerts() == []
    advice = question.index("fifteen grams" if lang == "en" else "quinze grammes")
    assert advice < question.index("?")
    reply = c.say(YES[lang])
    assert len(store.alerts()) == 1 and "fifteen grams" not in reply and "quinze grammes" not in reply


@pytest.mark.parametrize("lang, question", [
    ("en", "how much sugar should I eat"), ("en", "how much juice should I drink"),
    ("fr", "combien de sucre je dois manger"), ("fr", "combien de morceaux de sucre je dois prendre"),
])
def test_food_sugar_gets_the_rule_of_fifteen_not_the_dosing_refusal(chat, lang, question):
    reply = chat(lang).say(question)
    assert "fifteen grams" in reply or "quinze grammes" in reply
    assert "dose" not in reply


@pytest.mark.parametrize("lang, question, then", [
    ("en", "can I take my pills now", "yes"),
    ("en", "should I skip my insulin tonight", "yes"),
    ("en", "is it ok to double my metformin", "metformin"),
    ("fr", "est-ce que je peux prendre mes cachets maintenant", "oui"),
    ("fr", "dois-je doubler ma dose de Lantus", "oui"),
])
def test_a_dosing_question_logs_nothing_sets_nothing_and_offers_the_human_route(chat, store, lang, question, then):
    """Issue nlu20: "can I take my pills now" once became a reminder, "can I up my dose" a dose taken."""
    c = chat(lang)
    reply = c.say(question)
    assert c.expects == ANYTHING, reply  # nothing is read back to be confirmed: nothing is on its way to be stored
    assert "dose" in reply
    assert c.manager.ctx.human_route() in reply  # whom to call (the caregiver, the doctor), said by name
    c.say(then)  # a yes (or a name) now answers nothing
    assert store.medication_events() == [] and store.active_reminders() == [] and queued(store) == []


@pytest.mark.parametrize("lang, said", [
    ("en", "I had a coffee"), ("en", "I took a walk"), ("en", "I had my breakfast"),
    ("fr", "j'ai pris mon café"), ("fr", "j'ai dormi 8 heures"), ("fr", "j'ai fait une sieste"),
])
def test_taking_something_that_is_no_medicine_logs_no_dose(chat, store, lang, said):
    c = chat(lang)
    c.say(said)
    assert c.expects == ANYTHING, c.transcript[-1]
    c.say(YES[lang])
    assert store.medication_events() == [] and queued(store) == []


# --- 7. a turn never kills the conversation ---------------------------------------------------------------

def test_an_unexpected_error_is_one_sentence_and_a_private_log_without_health_data(chat, store, monkeypatch,
                                                                                    tmp_path):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    c = chat("en")

    secret = "123 mmol"

    def broken(*args):
        raise RuntimeError(f"boom {secret}")

    c.manager.handlers["glucose_history"] = broken
    reply = c.say("what was my last reading")
    assert reply == "Sorry, something went wrong. Your readings are safe. Please say it again."
    log = tmp_path / "state" / "voice-assistant" / "errors.log"
    assert stat.S_IMODE(os.stat(log).st_mode) == 0o600
    text = log.read_text()
    assert "RuntimeError" in text and "broken" in text  # the traceback
    assert "123" not in text and "last reading" not in text  # neither the message nor what was said
    c.log("my sugar is one twenty", "yes")  # the conversation goes on
    assert len(store.readings()) == 1


_NOT_SAVED = {"en": "Sorry, I could not save it.", "fr": "Désolé, je n'ai pas pu l'enregistrer."}


@pytest.mark.parametrize("lang, request_", [
    ("en", "my sugar is one twenty"), ("en", "I took my metformin"), ("en", "remind me to take my metformin at eight"),
    ("en", "I had a hypo last night"),
    ("fr", "ma glycémie est de un gramme vingt"), ("fr", "j'ai pris ma metformine"),
    ("fr", "rappelle-moi de prendre ma metformine à huit heures"), ("fr", "j'ai fait une hypo cette nuit"),
])
def test_a_failure_to_save_is_said_never_reported_saved(chat, store, monkeypatch, lang, request_):
    """The yes of any read-back (a reading, a dose, a reminder, a past hypo) that the store refuses is said as not
    saved, and nothing is kept."""
    c = chat(lang)

    def full_disk(*args, **kwargs):
        raise StoreError("disk I/O error")

    monkeypatch.setattr(store, "enqueue", full_disk)
    c.say(request_)
    assert c.last_reply.expects == YES_NO, c.transcript[-1]
    reply = c.say(YES[lang])
    assert reply.startswith(_NOT_SAVED[lang]) and "save_failed" in c.last_reply.events, reply
    assert "Saved" not in reply and "enregistré :" not in reply and c.manager.ctx.pending is None
    # each rolled back with its outbox row
    assert store.readings() == [] and store.alerts() == [] and store.medication_events() == []
    assert store.active_reminders() == []


@pytest.mark.parametrize("lang, text", [
    ("en", "it was ⓽"), ("en", "my sugar is ➒"), ("fr", "ma glycémie est de ፫"), ("fr", "❻ ❻ ❻"),
    ("en", "my sugar is " + "9" * 400), ("fr", "ma glycémie est de " + "1" * 400 + " grammes"),
    ("en", "my sugar is 120 \udcff\udcfe"), ("fr", "\x00\x01 glycémie \u202e 1,20"),
    ("en", "my sugar is 0.0001 mmol"), ("fr", "ma glycémie est de 90 grammes"),
])
def test_bad_input_never_crashes_and_impossible_values_are_refused(chat, store, lang, text):
    c = chat(lang)
    c.say(text)
    assert "error" not in c.last_reply.events
    c.say(YES[lang])
    assert all(10 <= r.glucose_mg_dl <= 1000 for r in store.readings())
    assert all(r.transcript.encode("utf-8") for r in store.readings())


def test_a_glucose_far_outside_what_a_body_can_have_is_refused_with_a_sentence(chat, store):
    c = chat("en")
    assert c.say("my sugar is " + "9" * 400) == \
        "That number cannot be a sugar reading. What number does your meter show?"
    assert c.say("my sugar is 2000 milligrams").startswith("That number cannot be a sugar reading.")
    assert store.readings() == []


def test_lab_values_no_lab_gives_are_read_as_no_number(chat, store):
    for i, value in enumerate((1e308, float("inf"), float("nan"), -1e300)):
        store.upsert_lab_result(LabResult(id=f"x{i}", report_status="final", loinc="4548-4", display="HbA1c",
                                          effective_at="2025-03-01", value=value, unit="%", ref_low=4.0,
                                          ref_high=value))
        c = chat("fr")
        c.say("lis mes résultats d'analyses")
        assert "n'a pas donné de chiffre" in c.say("suivant")
        assert "error" not in c.last_reply.events


@pytest.mark.parametrize("lang, taken, unknown, example", [
    ("en", "I took my pill", ["foo bar", "blah blah"], "For example: metformin."),
    ("fr", "j'ai pris mon comprimé", ["bidule truc", "machin chose"], "Par exemple : metformine."),
])
def test_unknown_names_twice_get_help_with_an_example_not_a_crash(chat, store, lang, taken, unknown, example):
    c = chat(lang)
    c.say(taken)
    for word in unknown:
        reply = c.say(word)
    assert example in reply and "error" not in c.last_reply.events
    assert store.medication_events() == []


# --- hands-free: what answers an open question without the wake phrase --------------------------------------

@pytest.mark.parametrize("lang, said, answers, not_answers", [
    ("en", "my sugar is one twenty",
     ["yes", "yes that's right", "no", "no it was one thirty", "a hundred and thirty", "stop", "say that again",
      "call an ambulance"],
     ["every clearance is greeted with a huge cheer from the crowd at the far end of the ground tonight",
      "the weather will be mild tomorrow", "welcome back to the kitchen",
      "and there's the final whistle two one and they go top of the table with sixty one points",
      ""]),
    ("fr", "ma glycémie est de un gramme vingt",
     ["oui", "oui c'est ça", "non", "non c'était un gramme trente", "stop", "répète", "appelle le quinze"],
     ["le temps sera doux demain sur toute la moitié nord du pays avec quelques averses en soirée",
      "bienvenue dans la cuisine", "et voici le coup de sifflet final deux à un ils prennent la tête avec soixante et un points"]),
])
def test_hands_free_only_an_answer_answers_an_open_question(chat, lang, said, answers, not_answers):
    """The read-back is open; hands-free, words said without the wake phrase are taken only when they answer it
    (short, and a yes, a no, a stop, a value, a call for help): the television talking on is not."""
    c = chat(lang)
    c.say(said)
    assert c.expects == YES_NO
    for text in answers:
        assert c.manager.answers_question(text), text
    for text in not_answers:
        assert not c.manager.answers_question(text), text
    assert c.manager.ctx.pending is not None  # asking changed nothing


def test_hands_free_with_no_question_open_nothing_is_an_answer(chat):
    c = chat("en")
    assert not c.manager.answers_question("yes")


@pytest.mark.parametrize("lang, said, answer", [
    ("en", "remind me to take metformin", "at eight in the evening"),
    ("en", "remind me at eight pm", "metformin"),
    ("fr", "rappelle-moi de prendre la metformine", "à vingt heures"),
])
def test_hands_free_a_value_asked_for_answers(chat, lang, said, answer):
    c = chat(lang)
    c.say(said)
    assert c.manager.ctx.pending is not None
    assert c.manager.answers_question(answer)


# --- issue nlu21: what is declined, a word only a guess made, a bare number, a question --------------------------

@pytest.mark.parametrize("lang, reminder, said", [
    ("en", "remind me to take my metformin at 8 pm", "I don't need an ambulance"),
    ("en", "remind me to take my metformin at 8 pm", "I don't need help"),
    ("en", "remind me to take my metformin at 8 pm", "no need to call anyone"),
    ("en", "remind me to take my metformin at 8 pm", "I'm not dizzy anymore"),
    ("fr", "rappelle-moi de prendre ma metformine à 20 heures", "je n'ai pas besoin d'une ambulance"),
    ("fr", "rappelle-moi de prendre ma metformine à 20 heures", "pas la peine d'appeler les pompiers"),
    ("fr", "rappelle-moi de prendre ma metformine à 20 heures", "je ne tremble plus"),
])
def test_what_is_declined_calls_no_one_and_cancels_nothing(chat, store, lang, reminder, said):
    c = chat(lang)
    c.say(reminder)
    c.say(YES[lang])
    assert len(store.active_reminders()) == 1
    before = queued(store)
    c.say(said)
    assert c.expects != YES_NO, c.transcript[-1]  # no clarification about reminders, no alert to confirm
    c.say(YES[lang])
    assert store.alerts() == [] and len(store.active_reminders()) == 1 and queued(store) == before


@pytest.mark.parametrize("lang, said, read_back", [
    ("en", "no I don't need an ambulance my sugar is 120", "one hundred and twenty"),
    ("fr", "non je n'ai pas besoin d'ambulance ma glycémie est à 1,20", "un virgule deux"),
])
def test_a_reading_said_with_a_declined_call_is_read_back(chat, store, lang, said, read_back):
    c = chat(lang)
    assert read_back in c.say(said) and c.expects == YES_NO
    c.say(YES[lang])
    if not store.readings():  # « 1,20 »: its unit is asked first
        c.say(YES[lang])
    assert [r.glucose_mg_dl for r in store.readings()] == [120] and store.alerts() == []


@pytest.mark.parametrize("lang, said", [
    ("en", "I don't feel well"),
    ("en", "I'm not feeling well"),
    ("en", "I don't feel too good"),
    ("en", "I don't need an ambulance but I feel dizzy"),
    ("en", "I don't know what to do call an ambulance"),
    ("fr", "je sais pas appelle le samu"),
    ("fr", "pas besoin d'ambulance mais j'ai la tête qui tourne"),
])
def test_a_call_for_help_beside_a_negation_still_offers_the_emergency_path(chat, store, lang, said):
    c = chat(lang)
    c.say(said)
    assert c.expects == YES_NO and store.alerts() == []
    c.say(YES[lang])
    assert len(store.alerts()) == 1


@pytest.mark.parametrize("lang, said", [
    ("en", "I took a shower"), ("en", "I had a shower"), ("en", "I took a bath"),
])
def test_a_word_a_spelling_guess_makes_a_command_changes_nothing(chat, store, lang, said):
    # "shower" is one letter from "slower": a guess is no request to speak slower, and no dose either
    c = chat(lang)
    rate = c.profile.words_per_minute
    c.say(said)
    c.say(YES[lang])
    assert c.profile.words_per_minute == rate and store.medication_events() == []


@pytest.mark.parametrize("lang, said, question, yes, saved", [
    ("fr", "c'était 7 ce matin", "J'ai compris sept. C'est bien en millimoles par litre ?", "oui", 126.1),
    ("fr", "j'avais 7 ce matin", "J'ai compris sept. C'est bien en millimoles par litre ?", "oui", 126.1),
    ("fr", "ma glycémie est de douze", "J'ai compris douze. C'est bien en millimoles par litre ?", "oui", 216.2),
    ("en", "I had 7 this morning", "I heard seven. Is that in millimoles per liter?", "yes", 126.1),
    ("en", "my sugar is 0.9", "I heard zero point nine. Is that in grams per liter?", "yes", 90),
])
def test_a_bare_number_is_asked_in_the_unit_it_can_be_a_reading_in(chat, store, lang, said, question, yes, saved):
    # 7 g/L (700 mg/dL) is no reading, 7 mmol/L is: the question names millimoles, and the yes stores it; never a dose
    c = chat(lang)
    assert c.say(said) == question
    assert store.readings() == [] and store.medication_events() == []
    c.say(yes)
    assert [r.glucose_mg_dl for r in store.readings()] == [saved] and store.medication_events() == []


def test_no_to_a_unit_guessed_from_the_number_guesses_the_next_number_afresh(chat, store):
    c = chat("fr")
    c.say("c'était 7 ce matin")
    c.say("non")
    assert c.expects == VALUE
    assert c.say("1,20") == "J'ai compris un virgule deux. C'est bien en grammes par litre ?"
    c.say("oui")
    assert [r.glucose_mg_dl for r in store.readings()] == [120]


@pytest.mark.parametrize("lang, reading, question, answer", [
    ("fr", "ma glycémie est de un gramme vingt", "tu peux me dire ma dernière glycémie", "un gramme vingt"),
    ("fr", "ma glycémie est de un gramme vingt", "tu sais me dire ma dernière glycémie", "un gramme vingt"),
    ("en", "my sugar is 7 mmol", "can you tell me my last sugar reading", "seven millimoles"),
    ("en", "my sugar is 7 mmol", "what was my last reading", "seven millimoles"),
])
def test_asking_for_the_last_reading_answers_it_and_records_nothing(chat, store, lang, reading, question, answer):
    c = chat(lang)
    c.say(reading)
    c.say(YES[lang])
    assert len(store.readings()) == 1
    assert answer in c.say(question)
    assert c.expects != YES_NO and len(store.readings()) == 1


@pytest.mark.parametrize("lang, words", [
    ("en", ["morning", "the morning", "hi how are you", "hi there how are you", "good morning", "thank you",
            "thank you very much", "hello"]),
    ("fr", ["le soir", "du matin", "coucou", "merci mille fois", "bonjour ça va", "merci beaucoup", "hi ça va"]),
])
def test_a_greeting_or_a_piece_of_a_dose_sentence_records_nothing(chat, store, lang, words):
    c = chat(lang)
    for said in words:
        c.say(said)
        assert c.expects != YES_NO, (said, c.transcript[-1])
        assert store.medication_events() == [] and store.alerts() == [] and store.readings() == [], said


@pytest.mark.parametrize("lang, said", [
    ("en", "it was 7 this morning"), ("en", "I had 7 this morning"), ("fr", "j'avais 7 ce matin"),
])
def test_the_number_of_a_reading_is_not_also_the_time_it_was_taken(chat, store, lang, said):
    # 7 is the reading (7 mmol/L), taken this morning: not a reading taken at 7 o'clock
    c = chat(lang)
    c.say(said)
    c.say(YES[lang])
    [reading] = store.readings()
    assert reading.glucose_mg_dl == 126.1
    assert reading.measured_at.astimezone(c.profile.zone).strftime("%H:%M") != "07:00"


@pytest.mark.parametrize("lang, taken, reminder", [
    ("en", "I took my pills", "I need to take my lantus at ten"),
    ("fr", "j'ai pris mes médicaments", "rappelle-moi de prendre mon lantus à dix heures"),
])
def test_a_reminder_asked_while_which_medicine_was_taken_is_asked_is_no_dose(chat, store, lang, taken, reminder):
    c = chat(lang)
    c.say(taken)  # "Which medicine did you take?"
    reply = c.say(reminder)
    assert "took" not in reply and "pris" not in reply.replace("prise", ""), reply  # no dose read back
    assert ("ten" in reply or "dix" in reply) and c.expects == YES_NO  # the reminder read back
    c.say(YES[lang])
    assert store.medication_events() == []
    assert [r.medication_id for r in store.active_reminders()] == ["insulin_glargine"]


@pytest.mark.parametrize("lang, check, taken, name", [
    ("fr", "est-ce que j'ai pris mon diamicron", "je l'ai pris ce matin", "gliclazide"),
    ("en", "did I take my lipitor", "oh I took it this morning", "atorvastatin"),
])
def test_i_took_it_right_after_asking_about_a_medicine_is_read_back_with_its_name(chat, store, lang, check, taken,
                                                                                   name):
    c = chat(lang)
    c.say(check)
    reply = c.say(taken)
    assert name in reply and c.expects == YES_NO and store.medication_events() == []  # read back, not noted yet
    c.say(YES[lang])
    assert [e.medication_id for e in store.medication_events()] == [name]


def test_i_took_it_long_after_asking_about_a_medicine_asks_which(chat, store):
    c = chat("en")
    c.say("did I take my lipitor")
    c.now += timedelta(minutes=10)
    assert c.say("I took it") == "Which medicine did you take? Say its name."


@pytest.mark.parametrize("lang, wrong, value, cannot", [
    ("en", "you saved the wrong number", "one hundred and twenty", "I cannot change a saved reading"),
    ("en", "my last reading was wrong", "one hundred and twenty", "I cannot change a saved reading"),
    ("fr", "ma dernière glycémie était fausse", "un gramme vingt", "Je ne peux pas changer une glycémie enregistrée"),
])
def test_a_saved_reading_said_wrong_is_named_and_the_care_team_is_the_route(chat, store, lang, wrong, value, cannot):
    c = chat(lang)
    c.say("my sugar is 120" if lang == "en" else "ma glycémie est de 1,20")
    c.say(YES[lang])
    reply = c.say(wrong)
    assert reply.startswith(cannot) and value in reply and "Marc" in reply and c.expects == ANYTHING
    assert [r.glucose_mg_dl for r in store.readings()] == [120.0]  # nothing changed, nothing new


def test_a_reading_said_wrong_with_nothing_saved_says_there_is_none(chat, store):
    assert "no readings" in chat("en").say("my last reading was wrong")


@pytest.mark.parametrize("lang, first, more, hour, time_words", [
    ("en", "remind me to take metformin at eight am", "and my lipitor at night", "at ten", "ten at night"),
    ("fr", "rappelle-moi de prendre ma metformine à huit heures", "et le tahor le soir", "à dix heures",
     "vingt-deux heures"),
])
def test_and_a_medicine_right_after_a_reminder_is_another_reminder_in_the_part_of_the_day_said(
        chat, store, lang, first, more, hour, time_words):
    c = chat(lang)
    c.say(first)
    c.say(YES[lang])
    asked = c.say(more)
    assert c.expects == VALUE and store.medication_events() == [], asked  # « At what time? », no dose read back
    reply = c.say(hour)
    assert time_words in reply and c.expects == YES_NO, reply
    c.say(YES[lang])
    assert sorted(r.time_of_day for r in store.active_reminders()) == ["08:00", "22:00"]
    assert store.medication_events() == []


@pytest.mark.parametrize("lang, first, taken", [
    ("en", "remind me to take metformin at eight am", "and I took my lipitor"),
    ("fr", "rappelle-moi de prendre ma metformine à huit heures", "et j'ai pris mon tahor"),
])
def test_and_a_dose_told_right_after_a_reminder_is_still_a_dose(chat, store, lang, first, taken):
    c = chat(lang)
    c.say(first)
    c.say(YES[lang])
    reply = c.say(taken)
    assert "atorvastatin" in reply and c.expects == YES_NO  # the dose read back
    c.say(YES[lang])
    assert [e.medication_id for e in store.medication_events()] == ["atorvastatin"]


def test_at_ten_after_at_night_is_ten_at_night(chat, store):
    c = chat("en")
    assert c.say("remind me to take my lipitor at night") == "At what time?"
    assert "ten at night" in c.say("at ten")
