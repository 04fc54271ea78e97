"""The reminder_announcements table (migration step 2) and its repository methods."""

import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from voice_assistant.store import MedicationEvent, Store, reminder_event_id
from voice_assistant.store import db, schema

PARIS_SUMMER = timezone(timedelta(hours=2))
EIGHT = datetime(2026, 3, 29, 8, 0, tzinfo=PARIS_SUMMER)


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "assistant.db"


@pytest.fixture
def store(db_path):
    with Store.open(db_path) as opened:
        yield opened


def test_counts_go_up_once_per_announcement_number(store):
    reminder = store.add_reminder("metformin", "08:00")
    first = store.record_announcement(reminder.id, "2026-03-29T08:00", 1, EIGHT)
    assert (first.count, first.kind, first.first_at, first.last_at) == (1, "reminder", EIGHT, EIGHT)
    assert first.event_id == reminder_event_id(reminder.id, "2026-03-29T08:00")
    again = store.record_announcement(reminder.id, "2026-03-29T08:00", 1, EIGHT + timedelta(minutes=1))
    assert again == first  # a retried write changes nothing
    second = store.record_announcement(reminder.id, "2026-03-29T08:00", 2, EIGHT + timedelta(minutes=10))
    assert (second.count, second.first_at, second.last_at) == (2, EIGHT, EIGHT + timedelta(minutes=10))
    lower = store.record_announcement(reminder.id, "2026-03-29T08:00", 1, EIGHT + timedelta(minutes=11),
                                      "catch_up")
    assert lower == second  # never lowered; the kind stays the first one's
    assert store.reminder_announcement(reminder.id, "2026-03-29T08:00") == second
    assert store.reminder_announcement(reminder.id, "2026-03-30T08:00") is None


def test_offsets_are_kept_as_said(store):
    reminder = store.add_reminder("metformin", "08:00")
    winter = datetime(2026, 3, 28, 8, 0, tzinfo=timezone(timedelta(hours=1)))
    stored = store.record_announcement(reminder.id, "2026-03-28T08:00", 1, winter, "catch_up")
    assert stored.last_at.isoformat() == "2026-03-28T08:00:00+01:00" and stored.kind == "catch_up"


def test_listing_by_time_and_unanswered(store):
    reminder = store.add_reminder("metformin", "08:00")
    for day in (27, 28, 29):
        store.record_announcement(reminder.id, f"2026-03-{day}T08:00", 1, EIGHT.replace(day=day))
    store.add_medication_event(MedicationEvent(
        id=reminder_event_id(reminder.id, "2026-03-28T08:00"), medication_id="metformin", status="taken",
        at=EIGHT.replace(day=28), source="reminder", reminder_id=reminder.id, occurrence="2026-03-28T08:00"))
    assert [a.occurrence for a in store.reminder_announcements()] == [
        "2026-03-27T08:00", "2026-03-28T08:00", "2026-03-29T08:00"]
    assert [a.occurrence for a in store.reminder_announcements(unanswered_only=True)] == [
        "2026-03-27T08:00", "2026-03-29T08:00"]
    assert [a.occurrence for a in store.reminder_announcements(EIGHT.replace(day=28), unanswered_only=True)] == [
        "2026-03-29T08:00"]


def test_malformed_announcements_are_refused(store):
    reminder = store.add_reminder("metformin", "08:00")
    with pytest.raises(ValueError):
        store.record_announcement(reminder.id, "2026-03-29T08:00", 0, EIGHT)
    with pytest.raises(ValueError):
        store.record_announcement(reminder.id, "2026-03-29T08:00", 1, EIGHT, "loud")
    with pytest.raises(ValueError, match="time zone"):
        store.record_announcement(reminder.id, "2026-03-29T08:00", 1, datetime(2026, 3, 29, 8))


def test_medication_event_by_id(store):
    event = MedicationEvent(medication_id="metformin", status="taken", at=EIGHT, source="voice")
    store.add_medication_event(event)
    assert store.medication_event(event.id).at == EIGHT
    assert store.medication_event("nope") is None


def test_a_version_one_database_is_upgraded_and_keeps_its_data(db_path, monkeypatch):
    with monkeypatch.context() as patched:
        patched.setattr(db, "MIGRATIONS", schema.MIGRATIONS[:1])
        patched.setattr(db, "LATEST_VERSION", 1)
        with Store.open(db_path) as old:
            old.add_reminder("metformin", "08:00")
    connection = sqlite3.connect(db_path)
    assert db.schema_version(connection) == 1
    connection.close()
    with Store.open(db_path) as store:
        [reminder] = store.active_reminders()
        store.record_announcement(reminder.id, "2026-03-29T08:00", 1, EIGHT)
        assert store.reminder_announcements()[0].reminder_id == reminder.id
    connection = sqlite3.connect(db_path)
    assert db.schema_version(connection) == schema.LATEST_VERSION >= 2
    connection.close()
