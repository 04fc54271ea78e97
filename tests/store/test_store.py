"""Repositories, migrations, location and failure modes of voice_assistant.store."""

import os
import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import platformdirs
import pytest

from voice_assistant.health.glucose import GlucoseUnit
from voice_assistant.store import (
    Alert,
    LabResult,
    MedicationEvent,
    Reading,
    Store,
    StoreError,
    default_db_path,
    reminder_event_id,
)
from voice_assistant.store import db, schema

PARIS_SUMMER = timezone(timedelta(hours=2))
NEW_YORK_WINTER = timezone(timedelta(hours=-5))
MAY_1 = datetime(2024, 5, 1, 8, 0, tzinfo=PARIS_SUMMER)


def make_reading(**changes) -> Reading:
    fields = dict(
        glucose_mg_dl=120.0, unit_said=GlucoseUnit.G_L, value_said=1.2, words_said="un gramme vingt",
        measured_at=MAY_1, transcript="ma glycémie est de un gramme vingt à jeun", context="fasting",
        asr_confidence=0.91, nlu_confidence=0.88,
    )
    return Reading(**{**fields, **changes})


def make_lab(**changes) -> LabResult:
    fields = dict(
        id="obs-hba1c-1", report_id="report-1", report_status="final", loinc="4548-4",
        display="Hemoglobin A1c", value=7.2, unit="%", ref_low=4.0, ref_high=6.0, interpretation="H",
        effective_at="2024-04-20T09:30:00+02:00",
    )
    return LabResult(**{**fields, **changes})


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "assistant.db"


@pytest.fixture
def store(db_path):
    with Store.open(db_path) as opened:
        yield opened


# --- location -------------------------------------------------------------------------------------


def test_default_path_is_under_xdg_data_home(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_db_path() == tmp_path / "data" / "voice-assistant" / "assistant.db"


def test_default_path_falls_back_to_the_platform_data_dir(monkeypatch):
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    assert default_db_path() == Path(platformdirs.user_data_dir(), "voice-assistant", "assistant.db")


def test_open_without_path_creates_the_default_database_and_its_folders(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "fresh" / "data"))
    with Store.open() as store:
        store.set_setting("last_run", "x")
    assert (tmp_path / "fresh" / "data" / "voice-assistant" / "assistant.db").is_file()


# --- connection and migrations --------------------------------------------------------------------


def test_connection_is_durable_wal_with_foreign_keys(db_path):
    connection = db.connect(db_path)
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert connection.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert connection.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert connection.execute("PRAGMA busy_timeout").fetchone()[0] == db.BUSY_TIMEOUT_S * 1000
    connection.close()


def test_fresh_database_reaches_the_latest_version(db_path):
    connection = db.connect(db_path)
    assert db.schema_version(connection) == schema.LATEST_VERSION
    tables = {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"readings", "medication_events", "reminders", "lab_results", "alerts", "outbox", "settings",
                      "reminder_announcements"}
    connection.close()


def test_reopening_changes_nothing(db_path):
    with Store.open(db_path) as store:
        store.add_reading(make_reading(uuid="kept"))
    statements = []
    connection = sqlite3.connect(db_path, isolation_level=None)
    connection.set_trace_callback(statements.append)
    db.migrate(connection)
    assert not any("CREATE" in statement or "user_version =" in statement for statement in statements)
    connection.close()
    with Store.open(db_path) as store:
        assert [reading.uuid for reading in store.readings()] == ["kept"]


def test_a_database_from_newer_code_is_refused_untouched(db_path):
    Store.open(db_path).close()
    connection = sqlite3.connect(db_path)
    connection.execute(f"PRAGMA user_version = {schema.LATEST_VERSION + 1}")
    connection.close()
    with pytest.raises(StoreError, match="newer version") as raised:
        Store.open(db_path)
    assert raised.value.reason == "too_new"
    connection = sqlite3.connect(db_path)
    assert connection.execute("PRAGMA user_version").fetchone()[0] == schema.LATEST_VERSION + 1
    connection.close()


def test_an_appended_step_upgrades_an_existing_database_and_keeps_its_data(db_path, monkeypatch):
    with Store.open(db_path) as store:
        store.add_reading(make_reading(uuid="old"))
    step = ("ALTER TABLE readings ADD COLUMN meter_serial TEXT",)
    monkeypatch.setattr(db, "MIGRATIONS", schema.MIGRATIONS + (step,))
    monkeypatch.setattr(db, "LATEST_VERSION", schema.LATEST_VERSION + 1)
    with Store.open(db_path) as store:
        assert store.last_reading().uuid == "old"
    connection = sqlite3.connect(db_path)
    assert db.schema_version(connection) == schema.LATEST_VERSION + 1
    assert "meter_serial" in {row[1] for row in connection.execute("PRAGMA table_info(readings)")}
    connection.close()


def test_a_failing_step_is_rolled_back_whole(db_path, monkeypatch):
    Store.open(db_path).close()
    broken = ("CREATE TABLE half_done (x)", "THIS IS NOT SQL")
    monkeypatch.setattr(db, "MIGRATIONS", schema.MIGRATIONS + (broken,))
    monkeypatch.setattr(db, "LATEST_VERSION", schema.LATEST_VERSION + 1)
    with pytest.raises(StoreError):
        Store.open(db_path)
    connection = sqlite3.connect(db_path)
    assert db.schema_version(connection) == schema.LATEST_VERSION
    assert connection.execute("SELECT count(*) FROM sqlite_master WHERE name = 'half_done'").fetchone()[0] == 0
    connection.close()


# --- readings -------------------------------------------------------------------------------------


def test_a_reading_is_stored_once_per_uuid(store):
    reading = make_reading()
    assert store.add_reading(reading) is True
    assert store.add_reading(reading) is False
    assert store.add_reading(make_reading(uuid=reading.uuid, glucose_mg_dl=999)) is False
    [stored] = store.readings()
    assert stored.glucose_mg_dl == 120.0


def test_a_reading_comes_back_as_it_was_said(store):
    reading = make_reading()
    store.add_reading(reading)
    stored = store.last_reading()
    assert stored == make_reading(uuid=reading.uuid, created_at=stored.created_at)
    assert stored.unit_said is GlucoseUnit.G_L
    assert stored.created_at.tzinfo is not None


def test_measured_at_keeps_its_time_zone(store):
    store.add_reading(make_reading(uuid="paris", measured_at=MAY_1))
    store.add_reading(make_reading(uuid="new-york", measured_at=datetime(2024, 1, 5, 7, 30, tzinfo=NEW_YORK_WINTER)))
    by_uuid = {reading.uuid: reading for reading in store.readings()}
    assert by_uuid["paris"].measured_at.isoformat() == "2024-05-01T08:00:00+02:00"
    assert by_uuid["new-york"].measured_at.isoformat() == "2024-01-05T07:30:00-05:00"


def test_a_reading_without_time_zone_is_refused(store):
    with pytest.raises(ValueError, match="time zone"):
        store.add_reading(make_reading(measured_at=datetime(2024, 5, 1, 8, 0)))


def test_readings_are_newest_first_by_instant_not_by_text(store):
    # 08:00+02:00 is 06:00 UTC: earlier than 07:00+00:00 although it sorts later as text.
    store.add_reading(make_reading(uuid="earlier", measured_at=MAY_1))
    store.add_reading(make_reading(uuid="later", measured_at=datetime(2024, 5, 1, 7, 0, tzinfo=UTC)))
    assert [reading.uuid for reading in store.readings()] == ["later", "earlier"]
    assert store.last_reading().uuid == "later"


def test_readings_since_until_and_limit(store):
    for day in range(1, 6):
        store.add_reading(make_reading(uuid=f"day{day}", measured_at=MAY_1.replace(day=day)))
    since, until = MAY_1.replace(day=2), MAY_1.replace(day=4)
    assert [r.uuid for r in store.readings(since=since, until=until)] == ["day3", "day2"]
    assert [r.uuid for r in store.readings(since=since.astimezone(UTC))] == ["day5", "day4", "day3", "day2"]
    assert [r.uuid for r in store.readings(limit=2)] == ["day5", "day4"]


def test_no_last_reading_in_an_empty_store(store):
    assert store.last_reading() is None
    assert store.readings() == []


# --- transactions ---------------------------------------------------------------------------------


def test_a_reading_and_its_outbox_entry_commit_together(store, db_path):
    reading = make_reading()
    with store.transaction():
        store.add_reading(reading)
        store.enqueue("Observation", f"Observation/{reading.uuid}", {"resourceType": "Observation"})
        # Not visible to another connection before the block ends.
        other = sqlite3.connect(db_path)
        assert other.execute("SELECT count(*) FROM readings").fetchone()[0] == 0
    assert other.execute("SELECT count(*) FROM readings").fetchone()[0] == 1
    assert other.execute("SELECT count(*) FROM outbox").fetchone()[0] == 1
    other.close()


def test_a_failing_block_saves_nothing(store):
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.add_reading(make_reading())
            store.enqueue("Observation", "Observation/x", {})
            raise RuntimeError("the FHIR mapping failed")
    assert store.readings() == []
    assert store.outbox_items() == []
    store.add_reading(make_reading())  # the store is usable afterwards
    assert len(store.readings()) == 1


def test_nested_blocks_commit_with_the_outermost(store):
    with pytest.raises(RuntimeError):
        with store.transaction():
            with store.transaction():
                store.add_reading(make_reading())
            raise RuntimeError
    assert store.readings() == []


# --- medication events ----------------------------------------------------------------------------


def test_a_medication_event_is_recorded_once_per_id(store):
    reminder = store.add_reminder("metformin", "08:00")
    event = MedicationEvent(
        id=reminder_event_id(reminder.id, "2024-05-01T08:00"), medication_id="metformin", status="taken",
        at=MAY_1.replace(minute=5), source="reminder", reminder_id=reminder.id, occurrence="2024-05-01T08:00",
    )
    assert event.id == f"reminder-{reminder.id}-2024-05-01T08:00"
    assert store.add_medication_event(event) is True
    assert store.add_medication_event(event) is False
    [stored] = store.medication_events()
    assert stored == MedicationEvent(**{**event.__dict__, "created_at": stored.created_at})
    assert stored.at.utcoffset() == timedelta(hours=2)


def test_medication_events_filter_by_time_and_medication(store):
    for hour, medication in [(8, "metformin"), (12, "aspirin"), (20, "metformin")]:
        store.add_medication_event(
            MedicationEvent(medication_id=medication, status="taken", at=MAY_1.replace(hour=hour), source="voice")
        )
    assert [e.at.hour for e in store.medication_events()] == [20, 12, 8]
    assert [e.at.hour for e in store.medication_events(medication_id="metformin")] == [20, 8]
    noon, evening = MAY_1.replace(hour=12), MAY_1.replace(hour=20)
    assert [e.at.hour for e in store.medication_events(since=noon, until=evening)] == [12]
    assert [e.at.hour for e in store.medication_events(since=noon, medication_id="metformin")] == [20]


def test_a_medication_event_needs_an_existing_reminder(store):
    with pytest.raises(StoreError):
        store.add_medication_event(
            MedicationEvent(medication_id="metformin", status="missed", at=MAY_1, source="catch_up", reminder_id=42)
        )


# --- reminders ------------------------------------------------------------------------------------


def test_add_and_list_active_reminders_in_the_order_of_the_day(store):
    evening = store.add_reminder("insulin_glargine", "22:00", dose_text="12 units")
    morning = store.add_reminder("metformin", "08:00", days="mon,wed,fri")
    assert morning.id != evening.id
    assert (morning.medication_id, morning.time_of_day, morning.days, morning.active) == (
        "metformin", "08:00", "mon,wed,fri", True
    )
    assert evening.dose_text == "12 units" and evening.days == "daily"
    assert store.active_reminders() == [morning, evening]


@pytest.mark.parametrize("time_of_day, days", [("8:00", "daily"), ("24:00", "daily"), ("08:00", "monday")])
def test_a_malformed_reminder_is_refused(store, time_of_day, days):
    with pytest.raises(ValueError):
        store.add_reminder("metformin", time_of_day, days=days)


def test_cancel_reminders_by_id_medication_or_time(store):
    morning = store.add_reminder("metformin", "08:00")
    evening = store.add_reminder("metformin", "20:00")
    bedtime = store.add_reminder("insulin_glargine", "22:00")
    statin = store.add_reminder("atorvastatin", "20:00")

    [cancelled] = store.cancel_reminders(time_of_day="22:00")
    assert cancelled.id == bedtime.id and cancelled.active is False
    assert [r.id for r in store.cancel_reminders(medication_id="metformin", time_of_day="20:00")] == [evening.id]
    assert [r.id for r in store.cancel_reminders(reminder_id=statin.id)] == [statin.id]
    assert store.cancel_reminders(reminder_id=statin.id) == []  # already cancelled
    assert store.active_reminders() == [morning]
    assert [r.id for r in store.cancel_reminders(medication_id="metformin")] == [morning.id]
    assert store.active_reminders() == []


def test_cancel_reminders_needs_a_criterion(store):
    store.add_reminder("metformin", "08:00")
    with pytest.raises(ValueError):
        store.cancel_reminders()
    assert len(store.active_reminders()) == 1


# --- lab results ----------------------------------------------------------------------------------


def test_importing_a_lab_result_twice_changes_nothing(store):
    assert store.upsert_lab_result(make_lab()) is True
    [first] = store.lab_results()
    assert store.upsert_lab_result(make_lab()) is False
    assert store.lab_results() == [first]
    assert first == make_lab(imported_at=first.imported_at)


def test_an_amended_lab_result_is_updated_in_place(store):
    store.upsert_lab_result(make_lab(report_status="preliminary", value=7.0))
    assert store.upsert_lab_result(make_lab(report_status="amended", value=7.2)) is True
    [stored] = store.lab_results()
    assert (stored.report_status, stored.value) == ("amended", 7.2)


def test_lab_results_by_test_most_recent_first(store):
    store.upsert_lab_result(make_lab(id="a1c-old", effective_at="2023-11-02"))
    store.upsert_lab_result(make_lab(id="a1c-new", effective_at="2024-04-20T09:30:00+02:00"))
    store.upsert_lab_result(
        make_lab(id="egfr", loinc="33914-3", display="eGFR", value=None, value_text="> 90", unit=None,
                 ref_low=None, ref_high=None, interpretation=None, report_id=None)
    )
    assert [r.id for r in store.lab_results(loinc="4548-4")] == ["a1c-new", "a1c-old"]
    [egfr] = store.lab_results(loinc="33914-3")
    assert (egfr.value, egfr.value_text, egfr.unit) == (None, "> 90", None)
    assert len(store.lab_results()) == 3


# --- alerts ---------------------------------------------------------------------------------------


def test_an_alert_is_recorded_once_and_listed_newest_first(store):
    reading = make_reading(glucose_mg_dl=52.0)
    store.add_reading(reading)
    low = Alert(kind="hypoglycaemia", message="52 mg/dL", at=MAY_1, reading_uuid=reading.uuid)
    assert store.add_alert(low) is True
    assert store.add_alert(low) is False
    store.add_alert(Alert(kind="emergency", message="patient asked for help", at=MAY_1 + timedelta(hours=1)))
    assert [a.kind for a in store.alerts()] == ["emergency", "hypoglycaemia"]
    assert [a.kind for a in store.alerts(limit=1)] == ["emergency"]
    [only_low] = store.alerts(since=MAY_1, limit=5)[1:]
    assert only_low == Alert(**{**low.__dict__, "created_at": only_low.created_at})
    assert store.alerts(since=MAY_1 + timedelta(minutes=30))[0].kind == "emergency"


def test_an_alert_about_an_unknown_reading_is_refused(store):
    with pytest.raises(StoreError):
        store.add_alert(Alert(kind="hyperglycaemia", message="x", at=MAY_1, reading_uuid="nope"))


# --- outbox ---------------------------------------------------------------------------------------


def test_a_resource_is_enqueued_once(store):
    assert store.enqueue("Observation", "Observation/1", {"value": 1, "note": "à jeun"}) is True
    assert store.enqueue("Observation", "Observation/1", {"value": 2}) is False
    [item] = store.outbox_items()
    assert (item.resource_type, item.resource_key, item.payload) == ("Observation", "Observation/1",
                                                                     {"value": 1, "note": "à jeun"})
    assert (item.state, item.attempts, item.next_attempt_at, item.sent_at) == ("pending", 0, None, None)


def test_outbox_retry_then_sent(store):
    now = datetime(2024, 5, 1, 6, 0, tzinfo=UTC)
    store.enqueue("Observation", "Observation/1", {})
    store.enqueue("Observation", "Observation/2", {})
    first, second = store.pending_outbox(now)
    assert [item.id for item in store.pending_outbox(now, limit=1)] == [first.id]

    store.mark_retry(first.id, "connection refused", now + timedelta(minutes=5))
    assert store.pending_outbox(now) == [second]
    due, _ = store.pending_outbox(now + timedelta(minutes=5))
    assert (due.id, due.attempts, due.last_error) == (first.id, 1, "connection refused")
    assert due.next_attempt_at == now + timedelta(minutes=5)

    store.mark_sent(first.id, now + timedelta(minutes=6))
    [sent] = store.outbox_items(state="sent")
    assert (sent.attempts, sent.sent_at, sent.last_error) == (2, now + timedelta(minutes=6), None)
    assert store.pending_outbox(now + timedelta(hours=1)) == [second]


def test_outbox_dead_letter(store):
    store.enqueue("Observation", "Observation/1", {})
    [item] = store.outbox_items()
    store.mark_dead(item.id, "422 Unprocessable Entity")
    assert store.pending_outbox(datetime.now(UTC)) == []
    [dead] = store.outbox_items(state="dead")
    assert (dead.attempts, dead.last_error) == (1, "422 Unprocessable Entity")


def test_marking_an_unknown_outbox_item_fails(store):
    with pytest.raises(KeyError):
        store.mark_sent(404, datetime.now(UTC))


# --- settings -------------------------------------------------------------------------------------


def test_settings_are_kept_and_overwritten(store, db_path):
    assert store.get_setting("last_run_at") is None
    store.set_setting("last_run_at", "2024-05-01T08:00:00+02:00")
    store.set_setting("last_run_at", "2024-05-02T08:00:00+02:00")
    store.close()
    with Store.open(db_path) as reopened:
        assert reopened.get_setting("last_run_at") == "2024-05-02T08:00:00+02:00"


# --- failures -------------------------------------------------------------------------------------


def test_writing_to_a_read_only_database_raises_store_error(db_path):
    with Store.open(db_path) as store:
        store.add_reading(make_reading(uuid="kept"))
    read_only = Store(sqlite3.connect(f"{db_path.as_uri()}?mode=ro", uri=True, isolation_level=None))
    with pytest.raises(StoreError, match="read-only") as raised:
        read_only.add_reading(make_reading())
    assert raised.value.reason == "read_only"
    assert [reading.uuid for reading in read_only.readings()] == ["kept"]
    read_only.close()


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores file permissions")
def test_a_database_in_a_read_only_folder_raises_store_error(tmp_path):
    folder = tmp_path / "locked"
    with Store.open(folder / "assistant.db") as store:
        store.add_reading(make_reading())
    for path in folder.iterdir():
        path.chmod(0o444)
    folder.chmod(0o555)
    try:
        with pytest.raises(StoreError):
            with Store.open(folder / "assistant.db") as store:
                store.add_reading(make_reading())
    finally:
        folder.chmod(0o755)


def test_a_full_disk_raises_store_error_and_keeps_what_was_saved(db_path):
    connection = db.connect(db_path)
    store = Store(connection)
    saved = [make_reading(uuid=f"saved-{n}") for n in range(3)]
    for reading in saved:
        store.add_reading(reading)
    # Simulate a full disk: the file may not grow by more than a couple of pages.
    pages = connection.execute("PRAGMA page_count").fetchone()[0]
    connection.execute(f"PRAGMA max_page_count = {pages + 2}")
    with pytest.raises(StoreError, match="full") as raised:
        for n in range(1000):
            with store.transaction():
                reading = make_reading(transcript="x" * 2000)
                store.add_reading(reading)
                store.enqueue("Observation", f"Observation/{reading.uuid}", {})
    assert raised.value.reason == "full"
    stored = store.readings()
    assert {r.uuid for r in saved} <= {r.uuid for r in stored}
    assert len(store.outbox_items()) == len(stored) - len(saved)  # the failed pair was rolled back whole
    assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    connection.execute("PRAGMA max_page_count = 1073741823")  # space freed: saving works again
    assert store.add_reading(make_reading()) is True
    store.close()


def test_a_file_that_is_not_a_database_raises_store_error(db_path):
    db_path.write_bytes(b"this is a text file, not SQLite" * 100)
    with pytest.raises(StoreError) as raised:
        Store.open(db_path)
    assert raised.value.reason == "corrupt"


def test_a_folder_that_cannot_be_created_raises_store_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(StoreError) as raised:
        Store.open(blocker / "voice-assistant" / "assistant.db")
    assert raised.value.reason == "cannot_open"
