"""The one recording service (voice_assistant/records.py): the row, its alert and their outbox rows in one
transaction, for every kind of record; and no dialogue handler or reminder code records by itself."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from voice_assistant import records
from voice_assistant.health.glucose import GlucoseUnit, GlucoseValue
from voice_assistant.reminders import ReminderEngine
from voice_assistant.store import MedicationEvent, StoreError

from .conftest import START

PACKAGE = Path(records.__file__).resolve().parent


def keys(store) -> list[str]:
    return sorted(i.resource_type for i in store.outbox_items())


def now(profile):
    from datetime import datetime
    return datetime(*START, tzinfo=profile.zone)


def test_a_low_reading_its_alert_and_their_outbox_rows_together(store, profile):
    value = GlucoseValue.said(0.6, GlucoseUnit.G_L, True, "zéro gramme soixante")
    done = records.reading(store, profile, value, measured_at=now(profile), transcript="j'avais 0,60",
                           asr_confidence=None, nlu_confidence=0.9)
    assert done.alert is not None and done.alert.kind == "hypoglycaemia" and done.assessment.advise_fast_sugar
    assert [r.glucose_mg_dl for r in store.readings()] == [60]
    assert keys(store) == ["Flag", "Observation", "Provenance", "Provenance"]
    typed = next(i for i in store.outbox_items() if i.resource_key.startswith("Provenance/Observation"))
    assert typed.payload["activity"]["text"] == "typed"


def test_an_impossible_value_is_never_recorded(store, profile):
    with pytest.raises(ValueError):
        records.reading(store, profile, GlucoseValue.said(1e400, GlucoseUnit.MG_DL, True, "9" * 400),
                        measured_at=now(profile), transcript="x")
    assert store.readings() == [] and store.outbox_items() == []


def test_a_failed_write_leaves_nothing_half_written(store, profile, monkeypatch):
    def broken(*args, **kwargs):
        raise StoreError("disk full")

    monkeypatch.setattr(store, "add_alert", broken)
    value = GlucoseValue.said(40, GlucoseUnit.MG_DL, True, "forty")
    with pytest.raises(StoreError):
        records.reading(store, profile, value, measured_at=now(profile), transcript="forty")
    assert store.readings() == [] and store.outbox_items() == []


def test_doses_alerts_and_plans_are_queued_once(store, profile):
    event = MedicationEvent(medication_id="metformin", status="taken", at=now(profile), source="voice")
    assert records.dose(store, profile, event)
    assert not records.dose(store, profile, event)  # the same event again: nothing more
    records.alert(store, profile, records.CAREGIVER_MESSAGE, "appelle mon fils", now(profile))
    plan = records.reminder_set(store, profile, "metformin", "08:00")
    records.reminders_cancelled(store, profile, [plan.id])
    assert keys(store).count("MedicationAdministration") == 1
    assert keys(store).count("Flag") == 1 and keys(store).count("MedicationRequest") == 2


def test_the_reminder_engine_records_through_the_service(store, profile):
    store.add_reminder("metformin", "08:00")
    engine = ReminderEngine(store, profile)
    [item] = engine.due(now(profile).replace(hour=8, minute=0))
    engine.acknowledge(item, now(profile).replace(hour=8, minute=1))
    assert "MedicationAdministration" in keys(store)
    [missed] = engine.due(now(profile).replace(hour=8, minute=0) + timedelta(days=1))
    engine.record_missed(missed, now(profile).replace(hour=9) + timedelta(days=1))
    assert keys(store).count("MedicationAdministration") == 2 and "Flag" in keys(store)  # the caregiver alert


@pytest.mark.parametrize("module", sorted(str(p.relative_to(PACKAGE)) for p in
                                          [*(PACKAGE / "dialogue").glob("*.py"), PACKAGE / "reminders" / "engine.py"]))
def test_no_handler_writes_a_record_or_the_outbox_itself(module):
    source = (PACKAGE / module).read_text(encoding="utf-8")
    found = re.findall(r"store\.(add_reading|add_alert|add_medication_event|add_reminder|cancel_reminders)\(|"
                       r"\benqueue_\w+\(", source)
    assert not found, f"{module} records by itself: use voice_assistant.records"


@pytest.mark.parametrize("lang, said", [
    ("en", ["my meter shows LO", "yes"]), ("en", ["I had a hypo last night", "yes"]),
    ("en", ["can you call my son", "yes"]), ("fr", ["appelle mon fils", "oui"]),
    ("fr", ["j'ai fait une hypo cette nuit", "oui"]), ("fr", ["au secours", "oui"]),
])
def test_every_alert_raised_in_a_conversation_is_marked_confirmed(chat, store, lang, said):
    c = chat(lang)
    for text in said:
        c.say(text)
    [alert] = store.alerts()
    assert alert.confirmed is True
