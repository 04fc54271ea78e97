"""What the device sends to the clinician, as FHIR R4 resources (plain JSON dicts, no server specifics).

Each resource carries an identifier unique on any server (a UUID, or the device's id in front of its local
number: see voice_assistant/fhir/identifiers.py), so a server can create it conditionally (`If-None-Exist`), a
resource sent twice is stored once, and two patients with the same reminder schedule never collide. The codes,
systems and units come from the shared contract (voice_assistant/fhir/codes.py). Glucose follows the French
ANS « Mesures de santé » profile MesObservationGlucose: vital-signs category, LOINC 41653-7 plus the guide's
« Glucose sanguin » code, mg/dL (UCUM), the meal context as the MesMomentOfMeasurement extension; how the patient
said it is kept alongside.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from voice_assistant.store import Alert, MedicationEvent, Reading, Reminder

from voice_assistant.fhir.codes import (  # noqa: F401 - the contract, re-exported under its old names
    ALERT_SYSTEM, ANS_GLUCOSE_CODE, ANS_LOINC, ANS_MOMENT, ANS_MOMENT_URL, CODES, CONFIRMATION_URL, CONTEXT_SNOMED,
    DEVICE_SYSTEM, DOSE_SYSTEM, GLUCOSE_DISPLAY, GLUCOSE_LOINC, LOINC, MEDICATION_CODES, OBSERVATION_CATEGORY,
    PROVENANCE_SYSTEM, READING_SYSTEM, RECOGNITION_URL, REMINDER_SYSTEM, SNOMED, SYSTEM_BASE, UCUM, UCUM_UNITS,
    WORDS_URL, MEDICATION_NAMES_URL, PATIENT_SYSTEM, TARGETS_URL,
)
from voice_assistant.fhir.identifiers import device_scoped

ALERT_FLAG = {
    "hypoglycaemia": "Hypoglycaemia reported by the patient",
    "severe_hypoglycaemia": "Severe hypoglycaemia reported by the patient",
    "hyperglycaemia": "High glucose reported by the patient",
    "emergency": "The patient asked for help (emergency)",
    "missed_dose": "Missed medication dose",
    "sync_dead_letter": "A reading could not be delivered",
    "caregiver_message": "The patient asked to let their caregiver know",
}


@dataclass(frozen=True)
class Parties:
    """Who the resources are about and what produced them."""

    patient_id: str  #: the patient's id on the clinician's server
    device_id: str  #: this assistant's id (one per installation)

    @property
    def patient(self) -> dict:
        return {"reference": f"Patient/{self.patient_id}"}

    def scoped(self, local: str) -> str:
        """The identifier value of a thing this device numbered `local` (see fhir.identifiers)."""
        return device_scoped(self.device_id, local)

    @property
    def device(self) -> dict:
        return {"identifier": {"system": DEVICE_SYSTEM, "value": self.device_id},
                "display": "voice-assistant"}


def identifier(system: str, value: str) -> dict:
    return {"system": system, "value": value}


def if_none_exist(resource: dict) -> str:
    """The conditional-create query for a resource: its first identifier, or its device tag (a Provenance
    has no identifier in R4, so it carries its key as a `meta.tag`, which every server can search)."""
    if resource.get("identifier"):
        ident = resource["identifier"][0]
        return f"identifier={ident['system']}|{ident['value']}"
    tag = resource["meta"]["tag"][0]
    return f"_tag={tag['system']}|{tag['code']}"


def _time(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("FHIR times need a UTC offset")
    return moment.isoformat(timespec="seconds")


def glucose_observation(reading: Reading, parties: Parties) -> dict:
    components = []
    if reading.context:
        code, display = CONTEXT_SNOMED[reading.context]
        components.append({
            "code": {"coding": [{"system": CODES, "code": "measurement-context",
                                 "display": "Measurement context relative to meals"}]},
            "valueCodeableConcept": {"coding": [{"system": SNOMED, "code": code, "display": display},
                                                {"system": CODES, "code": reading.context}],
                                     "text": reading.context},
        })
    unit = reading.unit_said.value
    extensions = []
    if reading.context in ANS_MOMENT:
        moment_code, moment_display = ANS_MOMENT[reading.context]
        extensions.append({"url": ANS_MOMENT_URL, "valueCodeableConcept": {
            "coding": [{"system": ANS_LOINC, "code": moment_code, "display": moment_display}],
            "text": reading.context}})
    components.append({
        "code": {"coding": [{"system": CODES, "code": "value-as-said", "display": "Value and unit as said"}],
                 "text": reading.words_said},
        "valueQuantity": {"value": reading.value_said, "unit": unit, "system": UCUM, "code": UCUM_UNITS[unit]},
    })
    return {
        "resourceType": "Observation",
        **({"extension": extensions} if extensions else {}),
        "identifier": [identifier(READING_SYSTEM, parties.scoped(reading.uuid))],
        "status": "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "vital-signs", "display": "vital-signs"}]}],
        "code": {"coding": [{"system": LOINC, "code": GLUCOSE_LOINC, "display": GLUCOSE_DISPLAY},
                            {"system": ANS_LOINC, "code": ANS_GLUCOSE_CODE[0], "display": ANS_GLUCOSE_CODE[1]}],
                 "text": "Capillary blood glucose"},
        "subject": parties.patient,
        "performer": [parties.patient],
        "device": parties.device,
        "effectiveDateTime": _time(reading.measured_at),
        "valueQuantity": {"value": reading.glucose_mg_dl, "unit": "mg/dL", "system": UCUM, "code": "mg/dL"},
        "component": components,
        "note": [{"text": f"Said: \u201c{reading.transcript}\u201d"}],
    }


def medication_administration(event: MedicationEvent, parties: Parties) -> dict:
    resource = {
        "resourceType": "MedicationAdministration",
        "identifier": [identifier(DOSE_SYSTEM, parties.scoped(event.id))],
        "status": "completed" if event.status == "taken" else "not-done",
        "medicationCodeableConcept": {"coding": [{"system": MEDICATION_CODES, "code": event.medication_id}],
                                      "text": event.medication_id.replace("_", " ")},
        "subject": parties.patient,
        "effectiveDateTime": _time(event.at),
        "performer": [{"actor": parties.patient}],
        "note": [{"text": f"Recorded by voice ({event.source})"}],
    }
    if event.status != "taken":
        resource["statusReason"] = [{"text": "No answer to the reminder"}]
    if event.reminder_id is not None:
        resource["request"] = {"identifier": identifier(REMINDER_SYSTEM, parties.scoped(str(event.reminder_id)))}
    return resource


_DAY_CODES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def medication_request(reminder: Reminder, parties: Parties, identifier_value: str | None = None) -> dict:
    """The reminder plan as the patient set it: a daily (or weekly) time of day, or once on a day at a time. `identifier_value`: the one a
    server already holds the plan under, when it was sent before identifiers were scoped (a revision must
    name the plan the server knows)."""
    once = reminder.once_on
    if once is not None:  # a one-off ("in 30 minutes"): that day at that time, once
        timing = {"repeat": {"count": 1, "boundsPeriod": {"start": once.isoformat(), "end": once.isoformat()},
                             "timeOfDay": [f"{reminder.time_of_day}:00"]}}
    else:
        days = list(_DAY_CODES) if reminder.days == "daily" else reminder.days.split(",")
        timing = {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d" if reminder.days == "daily" else "wk",
                             "dayOfWeek": days, "timeOfDay": [f"{reminder.time_of_day}:00"]}}
    return {
        "resourceType": "MedicationRequest",
        "identifier": [identifier(REMINDER_SYSTEM, identifier_value or parties.scoped(str(reminder.id)))],
        "status": "active" if reminder.active else "stopped",
        "intent": "plan",
        "medicationCodeableConcept": {"coding": [{"system": MEDICATION_CODES, "code": reminder.medication_id}],
                                      "text": reminder.medication_id.replace("_", " ")},
        "subject": parties.patient,
        "authoredOn": _time(reminder.created_at),
        "dosageInstruction": [{
            "timing": timing,
        } | ({"text": reminder.dose_text} if reminder.dose_text else {})],
        "note": [{"text": "Reminder set by the patient by voice"}],
    }


def alert_flag(alert: Alert, parties: Parties) -> dict:
    """An alert for the care team, with the words that raised it and whether the patient confirmed them
    (a reading read back and confirmed, an emergency confirmed by "yes"; false when nobody answered)."""
    extensions = [{"url": WORDS_URL, "valueString": alert.message}] if alert.message else []
    confirmed = alert.confirmed
    if confirmed is None and alert.reading_uuid is not None:
        confirmed = True  # a reading is only saved once the patient said yes to its read-back
    if confirmed is not None:
        extensions.append({"url": CONFIRMATION_URL, "valueBoolean": bool(confirmed)})
    return {
        "resourceType": "Flag",
        **({"extension": extensions} if extensions else {}),
        "identifier": [identifier(ALERT_SYSTEM, parties.scoped(alert.id))],
        "status": "active",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/flag-category",
                                  "code": "clinical", "display": "Clinical"}]}],
        "code": {"coding": [{"system": CODES, "code": alert.kind}], "text": ALERT_FLAG.get(alert.kind, alert.kind)},
        "subject": parties.patient,
        "period": {"start": _time(alert.at)},
        "author": parties.device,
    }


def provenance(target: dict, recorded: datetime, parties: Parties, asr_confidence: float | None,
               nlu_confidence: float | None, origin: str) -> dict:
    """Where a resource came from: the recogniser's confidence and whether it was spoken or typed."""
    ident = target["identifier"][0]
    entity_detail = []
    if asr_confidence is not None:
        entity_detail.append({"url": "asr-confidence", "valueDecimal": round(asr_confidence, 3)})
    if nlu_confidence is not None:
        entity_detail.append({"url": "nlu-confidence", "valueDecimal": round(nlu_confidence, 3)})
    resource = {
        "resourceType": "Provenance",
        "meta": {"tag": [{"system": PROVENANCE_SYSTEM, "code": f"{target['resourceType']}/{ident['value']}"}]},
        "target": [{"type": target["resourceType"], "identifier": ident}],
        "recorded": _time(recorded),
        "activity": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-DataOperation",
                                 "code": "CREATE"}], "text": origin},
        "agent": [{"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
                                        "code": "author"}]}, "who": parties.patient},
                  {"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
                                        "code": "assembler"}]}, "who": parties.device}],
    }
    if entity_detail:
        resource["extension"] = [{"url": RECOGNITION_URL, "extension": entity_detail}]
    return resource


def patient(parties: Parties, *, name: str | None, targets: dict[str, float],
            medication_names: dict[str, dict[str, str]]) -> dict:
    """The patient as the clinician's dashboard shows them: their display name (only when the patient agreed
    to share it, profile `clinician.share_name`), their own glucose targets (mg/dL), and the names of their
    medicines in each language (so a French page says « metformine », not `metformin`). Identified by the
    patient id the device sends for (or, with none, the device id), like the references of every resource."""
    extensions: list[dict] = [{"url": TARGETS_URL, "extension": [
        {"url": key, "valueQuantity": {"value": value, "unit": "mg/dL", "system": UCUM, "code": "mg/dL"}}
        for key, value in targets.items()]}]
    for code, by_language in sorted(medication_names.items()):
        extensions.append({"url": MEDICATION_NAMES_URL, "extension": [{"url": "code", "valueCode": code}] + [
            {"url": lang, "valueString": text} for lang, text in sorted(by_language.items())]})
    resource: dict = {
        "resourceType": "Patient",
        "extension": extensions,
        "identifier": [identifier(PATIENT_SYSTEM, parties.patient_id)],
        "active": True,
    }
    if name:
        resource["name"] = [{"text": name}]
    return resource
