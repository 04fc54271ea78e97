"""The one place that records: the store, any alert, and the outbox rows for the clinician, in one transaction.

Anything that goes into the store or to the care team passes through here, after a confirmed turn (the
dialogue reads it back and hears "yes", or the patient answers a reminder): a glucose reading, a dose taken
or missed, a reported hypo, a message for the caregiver, a meter HI/LO, a call for help, a reminder plan. Each
function commits the row, its alert and their outbox rows together, so the clinician receives each exactly
once and no caller can forget the outbox. A failure raises `StoreError` and leaves nothing half written: the
dialogue then says "I could not save it", never "saved".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from voice_assistant.health.glucose import GlucoseValue
from voice_assistant.health.safety import GlucoseAssessment, assess_glucose
from voice_assistant.store import Alert, MedicationEvent, Reading, Reminder, Store
from voice_assistant.store.models import AlertKind, GlucoseContext
from voice_assistant.sync.outbox import device_parties, enqueue_alert, enqueue_dose, enqueue_reading, \
    enqueue_reminder_plan

Origin = Literal["spoken", "typed"]

#: Alert kinds the dialogue records (the store keeps any kind; the FHIR Flag names each).
CAREGIVER_MESSAGE: AlertKind = "caregiver_message"
REPORTED_HYPO: AlertKind = "hypoglycaemia"
EMERGENCY: AlertKind = "emergency"


@dataclass(frozen=True)
class RecordedReading:
    reading: Reading
    assessment: GlucoseAssessment  #: what the value means for this patient (the dialogue says the guidance)
    alert: Alert | None  #: the alert recorded with it, if the value called for one


def origin_of(asr_confidence: float | None) -> Origin:
    """A turn with a recogniser's confidence was spoken; one without was typed (chat, the tablet's keyboard)."""
    return "spoken" if asr_confidence is not None else "typed"


def reading(store: Store, profile: Any, value: GlucoseValue, *, measured_at: datetime, transcript: str,
            context: GlucoseContext | None = None, asr_confidence: float | None = None,
            nlu_confidence: float | None = None) -> RecordedReading:
    """A confirmed glucose value: the reading, the alert its level calls for, and their outbox rows."""
    if not value.physical:
        raise ValueError("a glucose value outside what a body can have is never recorded")
    row = Reading(glucose_mg_dl=value.mg_dl, unit_said=value.unit, value_said=value.value, words_said=value.words,
                  measured_at=measured_at, transcript=transcript, context=context,
                  asr_confidence=asr_confidence,
                  nlu_confidence=nlu_confidence)
    assessment = assess_glucose(value.mg_dl, profile.glucose_targets)
    alert = None
    if assessment.alert_kind is not None:
        alert = Alert(kind=assessment.alert_kind.value, message=transcript, at=measured_at, reading_uuid=row.uuid)
    with store.transaction():
        parties = device_parties(store, profile)
        store.add_reading(row)
        enqueue_reading(store, row, parties, origin=origin_of(asr_confidence))
        if alert is not None:
            store.add_alert(alert)
            enqueue_alert(store, alert, parties)
    return RecordedReading(row, assessment, alert)


def alert(store: Store, profile: Any, kind: AlertKind, message: str, at: datetime,
          confirmed: bool | None = None) -> Alert:
    """An alert for the care team (a meter HI/LO, a call for help, a reported hypo, a message for the
    caregiver) and its outbox row. `confirmed`: whether the patient confirmed it (None: not asked)."""
    row = Alert(kind=kind, message=message, at=at, confirmed=confirmed)
    with store.transaction():
        store.add_alert(row)
        enqueue_alert(store, row, device_parties(store, profile))
    return row


def dose(store: Store, profile: Any, event: MedicationEvent, alert_row: Alert | None = None) -> bool:
    """A dose taken or missed (and the alert a missed dose may carry), with their outbox rows; True if new.
    Recording the same event id again records nothing and queues nothing."""
    with store.transaction():
        if not store.add_medication_event(event):
            return False
        parties = device_parties(store, profile)
        enqueue_dose(store, event, parties)
        if alert_row is not None:
            store.add_alert(alert_row)
            enqueue_alert(store, alert_row, parties)
        return True


def reminder_set(store: Store, profile: Any, medication_id: str, time_of_day: str,
                 dose_text: str | None = None, days: str = "daily") -> Reminder:
    """A reminder plan the patient confirmed (`days`: "daily", or the date of a one-off), and its outbox row."""
    with store.transaction():
        row = store.add_reminder(medication_id, time_of_day, days=days, dose_text=dose_text)
        enqueue_reminder_plan(store, row, device_parties(store, profile))
    return row


def one_off_over(store: Store, reminder_id: int) -> list[Reminder]:
    """A one-off reminder ("in 30 minutes") whose single occurrence is over, made inactive. Nothing is queued: the plan
    the care team received already says it rings once, on that day (a revision would read as cancelled); the dose
    answering it went out as its own event."""
    with store.transaction():
        return store.cancel_reminders(reminder_id=reminder_id)


def reminders_cancelled(store: Store, profile: Any, reminder_ids: list[int]) -> list[Reminder]:
    """Reminders the patient confirmed removing, each queued as the stopped plan."""
    with store.transaction():
        cancelled = [r for rid in reminder_ids for r in store.cancel_reminders(reminder_id=rid)]
        parties = device_parties(store, profile)
        for row in cancelled:
            enqueue_reminder_plan(store, row, parties)
    return cancelled
