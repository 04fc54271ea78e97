"""One-off reminders ("remind me in 30 minutes"): a reminder whose `days` is one local date fires once, at that date
and time, is repeated and recorded missed like a daily one, then is gone (made inactive)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from voice_assistant.reminders import acknowledge, catch_up, due, mark_announced, next_occurrence, retire_one_offs
from voice_assistant.store import Reminder, reminder_event_id
from voice_assistant.sync.fhir import Parties, medication_request


def t(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_a_one_off_is_announced_once_at_its_instant_and_never_on_other_days(store, profile):
    reminder = store.add_reminder("metformin", "10:45", days="2026-12-07")
    assert reminder.once_on is not None and reminder.once_on.isoformat() == "2026-12-07"
    start = t("2026-12-07T10:00+01:00")
    said = []
    for minute in range(0, 24 * 60 * 3, 5):  # three days, every five minutes
        at = start + timedelta(minutes=minute)
        items = due(store, profile, at)
        for item in items:
            mark_announced(store, item, at)
            if item.kind == "reminder":
                acknowledge(store, item, at + timedelta(minutes=1), profile=profile)
        said += [(at.strftime("%d %H:%M"), d.kind, d.occurrence_id) for d in items]
    assert said == [("07 10:45", "reminder", "2026-12-07T10:45")]
    [taken] = store.medication_events()
    assert (taken.id, taken.status) == (reminder_event_id(reminder.id, "2026-12-07T10:45"), "taken")
    assert store.active_reminders() == []  # answered: gone
    assert catch_up(store, profile, start + timedelta(days=1)) == []


def test_an_unanswered_one_off_is_repeated_then_missed_once_then_gone(store, profile):
    reminder = store.add_reminder("metformin", "00:20", days="2026-12-08")  # set at 23:50 the day before
    at = t("2026-12-07T23:50+01:00")
    assert due(store, profile, at) == []
    kinds = []
    for minute in range(0, 120):
        now = at + timedelta(minutes=minute)
        items = due(store, profile, now)
        for item in items:
            mark_announced(store, item, now)
        kinds += [(now.strftime("%H:%M"), d.kind, d.announcement) for d in items]
    assert kinds == [("00:20", "reminder", 1), ("00:30", "repeat", 2), ("00:40", "repeat", 3)]
    [missed] = store.medication_events()
    assert (missed.status, missed.occurrence, missed.reminder_id) == ("missed", "2026-12-08T00:20", reminder.id)
    assert store.active_reminders() == []


def test_a_one_off_still_ahead_or_still_being_said_stays_and_a_daily_one_is_never_retired(store, profile):
    daily = store.add_reminder("metformin", "08:00")
    once = store.add_reminder("insulin_glargine", "10:45", days="2026-12-07")
    assert retire_one_offs(store, profile, t("2026-12-07T10:00+01:00")) == []
    [item] = due(store, profile, t("2026-12-07T10:45+01:00"))
    mark_announced(store, item, t("2026-12-07T10:45+01:00"))
    assert retire_one_offs(store, profile, t("2026-12-07T10:50+01:00")) == []  # waiting for the answer
    assert {r.id for r in store.active_reminders()} == {daily.id, once.id}
    assert next_occurrence(once, t("2026-12-07T11:00+01:00"), profile.zone) is None
    # never said (the assistant was off) and past its catch-up window: nothing to chase, gone
    late = store.add_reminder("aspirin", "09:00", days="2026-12-07")
    retired = retire_one_offs(store, profile, t("2026-12-07T22:00+01:00"))
    assert [r.id for r in retired] == [late.id]


def test_a_one_off_is_sent_as_a_plan_that_rings_once():
    reminder = Reminder(id=3, medication_id="metformin", time_of_day="10:45", days="2026-12-07", dose_text=None,
                        active=True, created_at=t("2026-12-07T10:15+01:00"))
    request = medication_request(reminder, Parties(patient_id="p-42", device_id="device-7"))
    repeat = request["dosageInstruction"][0]["timing"]["repeat"]
    assert repeat == {"count": 1, "boundsPeriod": {"start": "2026-12-07", "end": "2026-12-07"},
                      "timeOfDay": ["10:45:00"]}


@pytest.mark.parametrize("days", ["2026-02-30", "2026-12-7", "tomorrow"])
def test_a_one_off_needs_a_real_date(store, days):
    with pytest.raises(ValueError):
        store.add_reminder("metformin", "10:45", days=days)
