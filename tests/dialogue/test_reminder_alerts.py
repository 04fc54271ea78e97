"""Reminders spoken on time by the dialogue, with an injected clock: acknowledged, repeated, missed, caught up."""

from datetime import datetime, timedelta

import pytest

from voice_assistant.dialogue.manager import DialogueManager
from voice_assistant.profile import default_profile
from voice_assistant.store import Store, reminder_event_id

PROFILE = default_profile()
DAY = datetime(2030, 1, 15, 7, 0, tzinfo=PROFILE.zone)  # after the reminder is created (real clock)


@pytest.fixture()
def manager(tmp_path):
    store = Store.open(tmp_path / "a.db")
    m = DialogueManager(PROFILE, store, "fr", save_profile_changes=False)
    m.handle("rappelle-moi la metformine à huit heures", DAY)
    assert "reminder_saved" in m.handle("oui", DAY).reply.events
    yield m
    store.close()


def at(hour, minute=0):
    return DAY.replace(hour=hour, minute=minute)


def test_announced_on_time_and_acknowledged_once(manager):
    assert manager.announce_due(at(7, 59)) is None
    reply = manager.announce_due(at(8))
    assert reply.text.startswith("Il est huit heures. C'est l'heure de votre metformine : un comprimé.")
    assert reply.expects == "yes_no"
    done = manager.handle("c'est fait", at(8, 1)).reply
    assert done.text == "C'est noté. Vous avez pris votre metformine."
    [event] = manager.ctx.store.medication_events()
    assert event.id == reminder_event_id(1, "2030-01-15T08:00") and event.status == "taken"
    assert manager.announce_due(at(8, 10)) is None and manager.announce_due(at(8, 30)) is None


def test_never_over_an_open_question(manager):
    manager.handle("ma glycémie est de cent dix", at(7, 59))  # read back, waiting for « oui »
    assert manager.announce_due(at(8)) is None
    manager.handle("oui", at(8))
    assert manager.announce_due(at(8, 1)).text.startswith("Il est huit heures")


def test_repeated_then_missed_with_an_alert_for_the_caregiver(manager):
    first = manager.announce_due(at(8)).text
    manager.tick(at(8, 0, ) + timedelta(seconds=9))  # re-prompt once
    manager.tick(at(8, 0) + timedelta(seconds=18))  # back to waiting
    assert manager.announce_due(at(8, 10)).text.startswith("Je vous le rappelle")
    manager.ctx.pending = None
    assert manager.announce_due(at(8, 20)).text.startswith("Je vous le rappelle")
    manager.ctx.pending = None
    assert manager.announce_due(at(8, 30)) is None
    [event] = manager.ctx.store.medication_events()
    assert event.status == "missed" and first
    assert [a.kind for a in manager.ctx.store.alerts()] == ["missed_dose"]


def test_catch_up_after_downtime_and_a_no(manager):
    question = manager.announce_due(at(10))
    assert question.text == "Vous aviez un rappel à huit heures pour votre metformine. Est-ce que c'est fait ?"
    reply = manager.handle("non", at(10, 1)).reply
    assert "Ne prenez pas de dose en plus" in reply.text
    [event] = manager.ctx.store.medication_events()
    assert event.status == "missed" and event.source == "catch_up"
    assert manager.announce_due(at(10, 30)) is None  # one question per medication


def test_not_yet_means_later(manager):
    manager.announce_due(at(8))
    assert manager.handle("non", at(8, 1)).reply.text == "D'accord. Je vous le rappelle dans dix minutes."
    assert manager.ctx.store.medication_events() == []
    assert manager.announce_due(at(8, 11)).text.startswith("Je vous le rappelle")


def test_emergency_alert_is_queued_for_the_clinician_with_the_alert(manager):
    manager.handle("au secours je fais une hypo", at(9))
    assert [i for i in manager.ctx.store.outbox_items() if i.resource_type == "Flag"] == []  # the question first
    reply = manager.handle("oui", at(9)).reply
    assert "alert_recorded" in reply.events
    [alert] = manager.ctx.store.alerts()
    flags = [i for i in manager.ctx.store.outbox_items() if i.resource_type == "Flag"]
    assert [f.payload["code"]["coding"][0]["code"] for f in flags] == ["emergency"]
    assert flags[0].payload["identifier"][0]["value"] == alert.id
