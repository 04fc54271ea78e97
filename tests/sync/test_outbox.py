"""Queueing: in the caller's transaction, with a Provenance, once per thing; who the resources are about."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from fhir.resources.R4B import get_fhir_model_class
from synckit import make_reading, new_patient

from voice_assistant.profile import default_profile
from voice_assistant.store import Alert, MedicationEvent, Store, StoreError
from voice_assistant.sync import fhir
from voice_assistant.sync.outbox import (
    DEVICE_ID_SETTING,
    PATIENT_SYSTEM,
    device_parties,
    enqueue_alert,
    enqueue_dose,
    enqueue_reading,
    enqueue_reminder_plan,
    is_revision,
)


def valid(resource: dict) -> None:
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def test_reading_and_its_provenance_are_queued_with_the_reading(store):
    parties = new_patient()
    r = make_reading(1)
    with store.transaction():
        assert store.add_reading(r)
        assert enqueue_reading(store, r, parties)
    obs, prov = store.outbox_items()
    assert (obs.resource_type, obs.resource_key) == ("Observation", f"Observation/{r.uuid}")
    assert (prov.resource_type, prov.resource_key) == ("Provenance", f"Provenance/Observation/{r.uuid}")
    assert obs.payload == fhir.glucose_observation(r, parties)
    recognition = {e["url"]: e["valueDecimal"] for e in prov.payload["extension"][0]["extension"]}
    assert recognition == {"asr-confidence": 0.9, "nlu-confidence": 0.95}
    assert prov.payload["activity"]["text"] == "spoken"
    for item in (obs, prov):
        valid(item.payload)


def test_nothing_is_queued_when_the_save_fails(store):
    parties = new_patient()
    r = make_reading(2)
    with pytest.raises(RuntimeError), store.transaction():
        store.add_reading(r)
        enqueue_reading(store, r, parties)
        raise RuntimeError("the process fails before the end of the turn")
    assert store.readings() == [] and store.outbox_items() == []
    # and a failed enqueue takes the reading back with it
    with pytest.raises(ValueError), store.transaction():
        store.add_reading(r)
        enqueue_reading(store, replace(r, measured_at=datetime(2026, 1, 1)), parties)  # naive time: refused
    assert store.readings() == [] and store.outbox_items() == []


def test_queueing_twice_keeps_one(store):
    parties = new_patient()
    r = make_reading(3)
    for _ in range(2):
        with store.transaction():
            store.add_reading(r)
            enqueue_reading(store, r, parties)
    assert len(store.outbox_items()) == 2
    assert not enqueue_reading(store, r, parties)


def test_dose_plan_and_alert(store):
    parties = new_patient()
    at = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    reminder = store.add_reminder("metformin", "08:00")
    event = MedicationEvent(medication_id="metformin", status="missed", at=at, source="reminder",
                            reminder_id=reminder.id)
    alert = Alert(kind="hypoglycaemia", message="soixante", at=at)
    with store.transaction():
        store.add_medication_event(event)
        enqueue_dose(store, event, parties)
        enqueue_reminder_plan(store, reminder, parties)
        store.add_alert(alert)
        enqueue_alert(store, alert, parties)
    [stopped] = store.cancel_reminders(reminder_id=reminder.id)
    assert enqueue_reminder_plan(store, stopped, parties)
    keys = [i.resource_key for i in store.outbox_items()]
    assert keys == [
        f"MedicationAdministration/{event.id}", f"Provenance/MedicationAdministration/{event.id}",
        f"MedicationRequest/{parties.scoped(str(reminder.id))}",
        f"Provenance/MedicationRequest/{parties.scoped(str(reminder.id))}",
        f"Flag/{alert.id}", f"Provenance/Flag/{alert.id}",
        f"MedicationRequest/{parties.scoped(str(reminder.id))}@stopped",
    ]
    assert [is_revision(k) for k in keys] == [False] * 6 + [True]
    for item in store.outbox_items():
        valid(item.payload)
    assert store.outbox_items()[1].payload["activity"]["text"] == "reminder"  # the dose's origin


def test_device_id_is_made_once_and_kept(tmp_path):
    path = tmp_path / "a.db"
    profile = default_profile()
    with Store.open(path) as store:
        first = device_parties(store, profile)
    with Store.open(path) as store:
        again = device_parties(store, profile)
        assert store.get_setting(DEVICE_ID_SETTING) == first.device_id
    assert first.device_id == again.device_id and len(first.device_id) == 36


def test_patient_from_the_profile_or_by_identifier(store):
    profile = default_profile()  # clinician.patient_id: null
    parties = device_parties(store, profile)
    assert parties.patient == {"identifier": {"system": PATIENT_SYSTEM, "value": parties.device_id},
                               "display": f"The patient using voice-assistant device {parties.device_id}"}
    obs = fhir.glucose_observation(make_reading(4), parties)
    valid(obs)
    assert obs["subject"]["identifier"]["value"] == parties.device_id
    with_id = replace(profile, clinician={"patient_id": "pat-9", "fhir_base_url": None})
    named = device_parties(store, with_id)
    assert named.patient == {"reference": "Patient/pat-9"} and named.device_id == parties.device_id


def test_store_errors_propagate(tmp_path):
    store = Store.open(tmp_path / "b.db")
    store.close()
    with pytest.raises(StoreError):
        enqueue_reading(store, make_reading(7), new_patient())
