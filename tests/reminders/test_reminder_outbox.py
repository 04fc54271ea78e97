"""Doses answered or missed through the reminder engine reach the outbox with the event, in one transaction."""

from datetime import datetime

from voice_assistant.profile import default_profile
from voice_assistant.reminders import ReminderEngine
from voice_assistant.store import Store

PROFILE = default_profile()
DAY = datetime(2030, 1, 15, 8, 0, tzinfo=PROFILE.zone)


def test_taken_and_missed_doses_are_queued_once(tmp_path):
    store = Store.open(tmp_path / "a.db")
    store.add_reminder("metformin", "08:00")
    store.add_reminder("ramipril", "09:00")
    engine = ReminderEngine(store, PROFILE)
    [item] = engine.due(DAY)
    engine.mark_announced(item, DAY)
    assert engine.acknowledge(item, DAY.replace(minute=2))
    assert not engine.acknowledge(item, DAY.replace(minute=3))  # said twice: recorded and queued once
    for minute in (0, 10, 20):
        for due in engine.due(DAY.replace(hour=9, minute=minute)):
            engine.mark_announced(due, DAY.replace(hour=9, minute=minute))
    engine.due(DAY.replace(hour=9, minute=31))  # no answer to the third: missed, with the caregiver alert
    keys = sorted(i.resource_key.split("/")[0] for i in store.outbox_items())
    assert keys.count("MedicationAdministration") == 2 and keys.count("Flag") == 1
    statuses = sorted(i.payload["status"] for i in store.outbox_items() if i.resource_type == "MedicationAdministration")
    assert statuses == ["completed", "not-done"]
    store.close()
