"""Putting what the clinician must receive into the outbox, in the same transaction as the row it carries.

The dialogue saves a reading and queues it together, so a crash can never leave a saved reading that is
never sent (or a queued one that was never saved):

    with store.transaction():
        store.add_reading(reading)
        enqueue_reading(store, reading, parties)

Each `enqueue_*` queues the FHIR resource and its `Provenance` (how it was captured: spoken or typed, and for
readings the recogniser's and the understanding's confidence). Queueing is keyed by the thing itself (the
reading's uuid, the dose's event id...), so queueing it again, after a crash or a retried turn, changes
nothing. The functions open a transaction of their own, which joins the caller's when there is one; called
outside one they still queue the resource and its Provenance together.

Who the resources are about (`device_parties`):
- the device has an id of its own, a uuid made on first use and kept in the settings table;
- the patient is `Patient/<clinician.patient_id>` from the profile. When the profile has no patient id yet,
  the resources name the patient by a *logical reference*, an identifier rather than a server id:
  `{"identifier": {"system": "urn:voice-assistant:patient", "value": <device id>}}` ("the patient who uses
  this device"). Nothing is held back or lost while the practice has not set the id up: the server keeps the
  reference as sent, and the clinician links it by giving their `Patient` that identifier. Items already
  queued keep the reference they were queued with.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from voice_assistant.fhir import codes
from voice_assistant.fhir.identifiers import device_scoped, is_scoped
from voice_assistant.store import Alert, MedicationEvent, OutboxItem, Reading, Reminder, Store
from voice_assistant.sync import fhir
from voice_assistant.sync.fhir import Parties

#: The settings key holding this installation's device id.
DEVICE_ID_SETTING = "sync.device_id"
#: Identifier system for the patient when the profile has no `clinician.patient_id` (value: the device id).
PATIENT_SYSTEM = codes.PATIENT_SYSTEM
#: The settings key recording that queued items carry device-scoped identifiers (see `scope_identifiers`).
IDENTIFIER_SCHEME_SETTING = "sync.identifier_scheme"
IDENTIFIER_SCHEME = "device-scoped"
#: The systems whose values a device numbers itself (readings already have UUIDs).
_SCOPED_SYSTEMS = (codes.READING_SYSTEM, codes.DOSE_SYSTEM, codes.REMINDER_SYSTEM, codes.ALERT_SYSTEM)
#: What a resource key ends with when the item replaces an earlier version (sent as a conditional update).
REVISION_MARK = "@"


@dataclass(frozen=True)
class PatientByIdentifier(Parties):
    """Parties whose patient is named by an identifier (a logical reference), for a profile with no
    `clinician.patient_id` yet; `patient_id` then holds the identifier's value (the device id)."""

    @property
    def patient(self) -> dict:
        return {"identifier": {"system": PATIENT_SYSTEM, "value": self.patient_id},
                "display": "The patient using voice-assistant device " + self.device_id}


def device_id(store: Store) -> str:
    """This installation's id: made once (a uuid), then kept in the settings table. The first call also
    brings what is already queued to device-scoped identifiers (`scope_identifiers`)."""
    with store.transaction():
        existing = store.get_setting(DEVICE_ID_SETTING)
        if not existing:
            existing = str(uuid4())
            store.set_setting(DEVICE_ID_SETTING, existing)
        if store.get_setting(IDENTIFIER_SCHEME_SETTING) != IDENTIFIER_SCHEME:
            scope_identifiers(store, existing)
        return existing


def scope_identifiers(store: Store, device: str) -> int:
    """The migration to identifiers unique on any server: every queued item whose identifiers a device
    numbered locally (reminder "1", dose "reminder-1-2026-03-02T08:00", alert "missed-dose-...") gets this
    device's id in front, in the resource, its Provenance and its outbox key. Returns how many items changed.

    - pending items are rewritten and keep waiting;
    - dead letters refused as a conflict (HTTP 409: another patient's device had sent the same identifier)
      are rewritten and queued again: with the new identifier the server takes them;
    - items already sent stay as they were, and so does what refers to them later (a reminder plan the
      server holds under its old identifier is stopped under that identifier: see `enqueue_reminder_plan`).
    Runs once per database (setting `sync.identifier_scheme`), inside the caller's transaction."""
    changed = 0
    with store.transaction():
        items = store.outbox_items()
        sent_keys = {_base_key(i.resource_key) for i in items if i.state == "sent"}
        for item in items:
            if item.state == "sent":
                continue
            conflict = item.state == "dead" and (item.last_error or "").startswith("HTTP 409")
            if item.state == "dead" and not conflict:
                continue
            if _target_key(item) in sent_keys:
                continue  # the server knows this thing by its old identifier
            payload = _scoped_payload(item.payload, device)
            if payload == item.payload and not conflict:
                continue
            key = resource_key(payload) + _revision_suffix(item.resource_key)
            store.rekey_outbox_item(item.id, key, payload, requeue=conflict)
            changed += 1
        store.set_setting(IDENTIFIER_SCHEME_SETTING, IDENTIFIER_SCHEME)
    return changed


def _base_key(key: str) -> str:
    return key.split(REVISION_MARK, 1)[0]


def _revision_suffix(key: str) -> str:
    base = _base_key(key)
    return key[len(base):]


def _target_key(item: OutboxItem) -> str:
    """The key of the thing an item is about: itself, or for a Provenance its target."""
    if item.resource_type == "Provenance":
        target = (item.payload.get("target") or [{}])[0]
        return f"{target.get('type')}/{(target.get('identifier') or {}).get('value')}"
    return _base_key(item.resource_key)


def _scope(ident: object, device: str) -> None:
    if isinstance(ident, dict) and ident.get("system") in _SCOPED_SYSTEMS and isinstance(ident.get("value"), str) \
            and not is_scoped(ident["value"]):
        ident["value"] = device_scoped(device, ident["value"])


def _scoped_payload(payload: dict, device: str) -> dict:
    resource = json.loads(json.dumps(payload))
    for ident in resource.get("identifier") or []:
        _scope(ident, device)
    _scope((resource.get("request") or {}).get("identifier"), device)
    if resource.get("resourceType") == "Provenance":
        for target in resource.get("target") or []:
            _scope(target.get("identifier"), device)
        target = (resource.get("target") or [{}])[0]
        for tag in (resource.get("meta") or {}).get("tag") or []:
            if tag.get("system") == codes.PROVENANCE_SYSTEM:
                tag["code"] = f"{target.get('type')}/{(target.get('identifier') or {}).get('value')}"
    return resource


def device_parties(store: Store, profile: Any) -> Parties:
    """Who the resources are about (the profile's `clinician.patient_id`, else a logical reference by
    identifier, see the module doc) and which device made them."""
    device = device_id(store)
    clinician = getattr(profile, "clinician", None) or {}
    patient_id = clinician.get("patient_id")
    if patient_id is not None and str(patient_id).strip():
        return Parties(patient_id=str(patient_id).strip(), device_id=device)
    return PatientByIdentifier(patient_id=device, device_id=device)


def resource_key(resource: dict) -> str:
    """The outbox key of a resource: '<type>/<identifier value>', or for a Provenance
    'Provenance/<target type>/<target identifier value>' (its device tag)."""
    if resource.get("identifier"):
        return f"{resource['resourceType']}/{resource['identifier'][0]['value']}"
    return f"{resource['resourceType']}/{resource['meta']['tag'][0]['code']}"


def is_revision(key: str) -> bool:
    """Whether an outbox key carries a later version of a resource (sent as a conditional update)."""
    return REVISION_MARK in key


def _now() -> datetime:
    return datetime.now(UTC)


def _enqueue_with_provenance(store: Store, resource: dict, key: str, recorded: datetime, parties: Parties,
                             origin: str, asr: float | None = None, nlu: float | None = None) -> bool:
    with store.transaction():
        new = store.enqueue(resource["resourceType"], key, resource)
        prov = fhir.provenance(resource, recorded, parties, asr, nlu, origin)
        store.enqueue("Provenance", resource_key(prov), prov)
        return new


def enqueue_reading(store: Store, reading: Reading, parties: Parties, origin: str = "spoken",
                    recorded: datetime | None = None) -> bool:
    """Queue a glucose reading (Observation) and its Provenance (origin, ASR and NLU confidence).
    Call it in the transaction that saves the reading. True if newly queued, False if already queued."""
    obs = fhir.glucose_observation(reading, parties)
    return _enqueue_with_provenance(store, obs, resource_key(obs), recorded or reading.created_at or _now(), parties,
                                    origin, reading.asr_confidence, reading.nlu_confidence)


def enqueue_dose(store: Store, event: MedicationEvent, parties: Parties, origin: str | None = None,
                 recorded: datetime | None = None) -> bool:
    """Queue a dose taken or missed (MedicationAdministration) and its Provenance (origin: the event's source
    unless given). Call it in the transaction that records the event."""
    res = fhir.medication_administration(event, parties)
    return _enqueue_with_provenance(store, res, resource_key(res), recorded or event.created_at or _now(), parties,
                                    origin or event.source)


def enqueue_reminder_plan(store: Store, reminder: Reminder, parties: Parties, origin: str = "spoken",
                          recorded: datetime | None = None) -> bool:
    """Queue a reminder plan (MedicationRequest) and its Provenance. A stopped (cancelled) reminder is queued
    as a revision of the plan, sent as a conditional update, so the server's copy becomes `stopped`."""
    legacy = f"MedicationRequest/{reminder.id}"
    sent_before = any(i.resource_key == legacy for i in store.outbox_items("sent"))
    # A plan the server holds under the identifier of before device-scoped identifiers keeps it.
    res = fhir.medication_request(reminder, parties, identifier_value=str(reminder.id) if sent_before else None)
    key = resource_key(res)
    if not reminder.active:
        key += f"{REVISION_MARK}stopped"
    return _enqueue_with_provenance(store, res, key, recorded or reminder.created_at or _now(), parties, origin)


def enqueue_alert(store: Store, alert: Alert, parties: Parties, origin: str = "device",
                  recorded: datetime | None = None) -> bool:
    """Queue an alert (Flag) and its Provenance. Call it in the transaction that records the alert."""
    res = fhir.alert_flag(alert, parties)
    return _enqueue_with_provenance(store, res, resource_key(res), recorded or alert.created_at or _now(), parties,
                                    origin)


def enqueue_patient(store: Store, profile: Any, parties: Parties) -> bool:
    """Queue the patient as the dashboard shows them (fhir.patient: display name only with the patient's
    consent `clinician.share_name: true`, their targets, their medicine names), when it changed since it was
    last queued: sent as a conditional update, so the server keeps one Patient. True if queued."""
    clinician = getattr(profile, "clinician", None) or {}
    share = clinician.get("share_name") is True
    targets_obj = getattr(profile, "glucose_targets", None)
    targets = {key: float(getattr(targets_obj, key)) for key in ("target_low", "target_high", "low", "severe_low",
                                                                   "high") if targets_obj is not None
               and isinstance(getattr(targets_obj, key, None), (int, float))}
    names = {}
    for medication in getattr(profile, "medications", ()) or ():
        by_language = {lang: ns[0] for lang, ns in (getattr(medication, "names", {}) or {}).items() if ns}
        if by_language:
            names[medication.id] = by_language
    resource = fhir.patient(parties, name=(getattr(profile, "name", None) or None) if share else None,
                            targets=targets, medication_names=names)
    digest = hashlib.sha256(json.dumps(resource, sort_keys=True).encode("utf-8")).hexdigest()[:16]
    return store.enqueue("Patient", f"{resource_key(resource)}{REVISION_MARK}{digest}", resource)

