"""What the device sends to the clinician, as FHIR R4 resources (plain JSON dicts, no server specifics).

Each resource carries an identifier made from the device's own id for the thing it describes (the
reading's UUID, the reminder occurrence), so a server can create it conditionally (`If-None-Exist`) and a
resource sent twice is stored once. Glucose goes as LOINC 41653-7 in mg/dL (UCUM), the unit the French
*Mesures de santé* guide accepts; how the patient said it is kept alongside.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from voice_assistant.store import Alert, MedicationEvent, Reading, Reminder

#: Identifier systems: one URI per kind of thing the device numbers itself.
SYSTEM_BASE = "urn:voice-assistant"
READING_SYSTEM = f"{SYSTEM_BASE}:reading"
DOSE_SYSTEM = f"{SYSTEM_BASE}:dose"
REMINDER_SYSTEM = f"{SYSTEM_BASE}:reminder"
ALERT_SYSTEM = f"{SYSTEM_BASE}:alert"
PROVENANCE_SYSTEM = f"{SYSTEM_BASE}:provenance"
CODES = f"{SYSTEM_BASE}:codes"  #: the device's own codes, where no standard one fits

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
GLUCOSE_LOINC = "41653-7"
GLUCOSE_DISPLAY = "Glucose [Mass/volume] in Capillary blood by Glucometer"

#: Measurement context -> SNOMED CT concept (the component value), with the device code as the text.
CONTEXT_SNOMED = {
    "fasting": ("16985007", "Fasting"),
    "before_meal": ("307165006", "Before meal"),
    "after_meal": ("24863003", "Postprandial"),
    "bedtime": ("21029003", "At bedtime"),
}
ALERT_FLAG = {
    "hypoglycaemia": "Hypoglycaemia reported by the patient",
    "severe_hypoglycaemia": "Severe hypoglycaemia reported by the patient",
    "hyperglycaemia": "High glucose reported by the patient",
    "emergency": "The patient asked for help (emergency)",
    "missed_dose": "Missed medication dose",
    "sync_dead_letter": "A reading could not be delivered",
}
UCUM_UNITS = {"mg/dL": "mg/dL", "g/L": "g/L", "mmol/L": "mmol/L"}


@dataclass(frozen=True)
class Parties:
    """Who the resources are about and what produced them."""

    patient_id: str  #: the patient's id on the clinician's server
    device_id: str  #: this assistant's id (one per installation)

    @property
    def patient(self) -> dict:
        return {"reference": f"Patient/{self.patient_id}"}

    @property
    def device(self) -> dict:
        return {"identifier": {"system": f"{SYSTEM_BASE}:device", "value": self.device_id},
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
    components.append({
        "code": {"coding": [{"system": CODES, "code": "value-as-said", "display": "Value and unit as said"}],
                 "text": reading.words_said},
        "valueQuantity": {"value": reading.value_said, "unit": unit, "system": UCUM, "code": UCUM_UNITS[unit]},
    })
    return {
        "resourceType": "Observation",
        "identifier": [identifier(READING_SYSTEM, reading.uuid)],
        "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                  "code": "vital-signs", "display": "Vital Signs"}]}],
        "code": {"coding": [{"system": LOINC, "code": GLUCOSE_LOINC, "display": GLUCOSE_DISPLAY}],
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
        "identifier": [identifier(DOSE_SYSTEM, event.id)],
        "status": "completed" if event.status == "taken" else "not-done",
        "medicationCodeableConcept": {"coding": [{"system": f"{CODES}:medication", "code": event.medication_id}],
                                      "text": event.medication_id.replace("_", " ")},
        "subject": parties.patient,
        "effectiveDateTime": _time(event.at),
        "performer": [{"actor": parties.patient}],
        "note": [{"text": f"Recorded by voice ({event.source})"}],
    }
    if event.status != "taken":
        resource["statusReason"] = [{"text": "No answer to the reminder"}]
    if event.reminder_id is not None:
        resource["request"] = {"identifier": identifier(REMINDER_SYSTEM, str(event.reminder_id))}
    return resource


_DAY_CODES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def medication_request(reminder: Reminder, parties: Parties) -> dict:
    """The reminder plan as the patient set it: a daily (or weekly) time of day."""
    days = list(_DAY_CODES) if reminder.days == "daily" else reminder.days.split(",")
    return {
        "resourceType": "MedicationRequest",
        "identifier": [identifier(REMINDER_SYSTEM, str(reminder.id))],
        "status": "active" if reminder.active else "stopped",
        "intent": "plan",
        "medicationCodeableConcept": {"coding": [{"system": f"{CODES}:medication", "code": reminder.medication_id}],
                                      "text": reminder.medication_id.replace("_", " ")},
        "subject": parties.patient,
        "authoredOn": _time(reminder.created_at),
        "dosageInstruction": [{
            "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d" if reminder.days == "daily" else "wk",
                                  "dayOfWeek": days, "timeOfDay": [f"{reminder.time_of_day}:00"]}},
        } | ({"text": reminder.dose_text} if reminder.dose_text else {})],
        "note": [{"text": "Reminder set by the patient by voice"}],
    }


def alert_flag(alert: Alert, parties: Parties) -> dict:
    return {
        "resourceType": "Flag",
        "identifier": [identifier(ALERT_SYSTEM, alert.id)],
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
        resource["extension"] = [{"url": f"{SYSTEM_BASE}:recognition", "extension": entity_detail}]
    return resource
