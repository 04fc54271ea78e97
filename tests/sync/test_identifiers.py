"""Identifiers unique everywhere: two patients' devices with the same reminder schedule deliver everything,
once, to the hub and to Medplum; what was queued with the old local identifiers is migrated; a conflict that
never goes away becomes a dead letter instead of being retried forever."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime

import httpx
from synckit import sender_for

from voice_assistant.fhir.identifiers import is_scoped
from voice_assistant.store import Alert, MedicationEvent, Store, reminder_event_id
from voice_assistant.sync import fhir
from voice_assistant.sync.outbox import (
    IDENTIFIER_SCHEME_SETTING,
    device_id,
    enqueue_alert,
    enqueue_dose,
    enqueue_reminder_plan,
    scope_identifiers,
)
from voice_assistant.sync.sender import MAX_4XX_ATTEMPTS, OutboxSender, RetryPolicy, sync_status

AT = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def same_schedule(store: Store, parties: fhir.Parties) -> None:
    """Reminder 1, metformin at 08:00, its dose missed on the same day, the missed-dose alert: what every
    device numbers the same way."""
    reminder = store.add_reminder("metformin", "08:00")
    assert reminder.id == 1
    event = MedicationEvent(id=reminder_event_id(reminder.id, "2026-11-24T08:00"), medication_id="metformin",
                            status="missed", at=AT, source="reminder", reminder_id=reminder.id,
                            occurrence="2026-11-24T08:00")
    alert = Alert(id=f"missed-dose-{event.id}", kind="missed_dose", at=AT, message="metformin 2026-11-24T08:00")
    with store.transaction():
        enqueue_reminder_plan(store, reminder, parties)
        store.add_medication_event(event)
        enqueue_dose(store, event, parties)
        store.add_alert(alert)
        enqueue_alert(store, alert, parties)


def test_two_patients_with_the_same_schedule_both_deliver_everything_once(fhir_target, tmp_path):
    devices = []
    for name in ("a", "b"):
        store = Store.open(tmp_path / f"{name}.db")
        target_parties = fhir_target.new_patient()
        parties = fhir.Parties(patient_id=target_parties.patient_id, device_id=device_id(store))
        same_schedule(store, parties)
        devices.append((store, parties, sender_for(store, fhir_target)))
    try:
        for _ in range(2):  # a second pass changes nothing
            for store, _parties, sender in devices:
                sender.send_pending(force=True)
        values = set()
        for store, parties, _sender in devices:
            status = sync_status(store)
            assert status["pending"] == 0 and status["dead"] == 0, status
            assert status["sent"] == 6
            for kind in ("MedicationRequest", "MedicationAdministration", "Flag"):
                [found] = fhir_target.for_patient(kind, parties.patient_id)
                value = found["identifier"][0]["value"]
                assert value.startswith(parties.device_id + ":")
                values.add(value)
        assert len(values) == 6  # nothing shared between the two patients
    finally:
        for store, _parties, sender in devices:
            sender.close()
            store.close()


def _legacy(payload: dict, device: str) -> dict:
    """The payload as a device queued it before identifiers carried the device id."""
    return json.loads(json.dumps(payload).replace(f"{device}:", ""))


def test_queued_and_sent_items_are_migrated(tmp_path):
    store = Store.open(tmp_path / "old.db")
    device = "0f1e2d3c-4b5a-4968-8776-655443322110"
    parties = fhir.Parties(patient_id="p-1", device_id=device)
    same_schedule(store, parties)
    # Rewrite the queue as an older version left it: local identifiers, one dead 409, one plan already sent.
    items = store.outbox_items()
    for item in items:
        legacy = _legacy(item.payload, device)
        key = item.resource_key.replace(f"{device}:", "")
        store.rekey_outbox_item(item.id, key, legacy)
    by_key = {i.resource_key: i for i in store.outbox_items()}
    assert "MedicationRequest/1" in by_key and "Flag/missed-dose-reminder-1-2026-11-24T08:00" in by_key
    store.mark_sent(by_key["MedicationRequest/1"].id, AT)
    store.mark_dead(by_key["MedicationAdministration/reminder-1-2026-11-24T08:00"].id,
                    "HTTP 409 Conflict: duplicate")
    store.set_setting("sync.device_id", device)
    store.set_setting(IDENTIFIER_SCHEME_SETTING, "")

    assert device_id(store) == device  # the first use migrates
    after = {i.resource_key: i for i in store.outbox_items()}
    assert after["MedicationRequest/1"].state == "sent"  # the server holds it so: left as it was
    dose = after[f"MedicationAdministration/{device}:reminder-1-2026-11-24T08:00"]
    assert dose.state == "pending" and dose.attempts == 0  # the conflict is queued again, now unique
    assert dose.payload["identifier"][0]["value"] == f"{device}:reminder-1-2026-11-24T08:00"
    flag_key = f"Flag/{device}:missed-dose-reminder-1-2026-11-24T08:00"
    assert after[flag_key].state == "pending"
    prov = after[f"Provenance/{flag_key}"]
    assert prov.payload["target"][0]["identifier"]["value"] == f"{device}:missed-dose-reminder-1-2026-11-24T08:00"
    assert prov.payload["meta"]["tag"][0]["code"] == flag_key
    for item in store.outbox_items("pending"):
        values = [i["value"] for i in item.payload.get("identifier") or []]
        assert all(is_scoped(v) for v in values), item.resource_key
    # Running it again changes nothing.
    assert scope_identifiers(store, device) == 0
    # Stopping the plan the server holds as "1" updates that plan, not a new one.
    [stopped] = store.cancel_reminders(reminder_id=1)
    enqueue_reminder_plan(store, stopped, parties)
    revision = next(i for i in store.outbox_items("pending") if i.resource_key.endswith("@stopped"))
    assert revision.resource_key == "MedicationRequest/1@stopped"
    assert revision.payload["identifier"][0]["value"] == "1"
    store.close()


def test_a_conflict_that_never_resolves_becomes_a_dead_letter(tmp_path):
    store = Store.open(tmp_path / "c.db")
    parties = fhir.Parties(patient_id="p-2", device_id=device_id(store))
    same_schedule(store, parties)
    calls = []

    def conflict(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(409, json={"resourceType": "OperationOutcome", "issue": [
            {"severity": "error", "code": "duplicate", "diagnostics": "already stored"}]})

    client = httpx.Client(transport=httpx.MockTransport(conflict))
    sender = OutboxSender(store, "http://127.0.0.1:9/fhir", client=client, sleep=lambda s: None,
                          policy=RetryPolicy(rng=random.Random(1), inline_wait=0.0))
    for _ in range(MAX_4XX_ATTEMPTS + 2):
        sender.send_pending(force=True)
    status = sync_status(store)
    assert status["pending"] == 0 and status["dead"] == 6
    assert all("409" in d["error"] for d in status["dead_letters"])
    assert len(calls) == 6 * MAX_4XX_ATTEMPTS  # never more: no retry forever
    store.close()
