"""Every resource the device sends validates as FHIR (R4B models of fhir.resources, R4-compatible)."""

from datetime import datetime, timedelta, timezone

import pytest
from fhir.resources.R4B import get_fhir_model_class

from voice_assistant.health.glucose import GlucoseUnit
from voice_assistant.store import Alert, MedicationEvent, Reading, Reminder, reminder_event_id
from voice_assistant.sync import fhir

PARIS = timezone(timedelta(hours=1))
PARTIES = fhir.Parties(patient_id="p-42", device_id="device-7")
AT = datetime(2026, 11, 24, 7, 40, tzinfo=PARIS)


def reading(**kw):
    base = dict(glucose_mg_dl=120, unit_said=GlucoseUnit.G_L, value_said=1.2, words_said="un gramme vingt",
                measured_at=AT, transcript="ma glycémie est de un gramme vingt à jeun", context="fasting",
                asr_confidence=0.91, nlu_confidence=0.97)
    return Reading(**(base | kw))


def valid(resource: dict) -> dict:
    model = get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return model.model_dump(mode="json", exclude_none=True)


def test_glucose_observation_is_loinc_in_mg_dl_with_what_was_said():
    r = reading()
    obs = valid(fhir.glucose_observation(r, PARTIES))
    assert obs["code"]["coding"][0] == {"system": "http://loinc.org", "code": "41653-7",
                                        "display": fhir.GLUCOSE_DISPLAY}
    assert obs["valueQuantity"] == {"value": 120, "unit": "mg/dL", "system": "http://unitsofmeasure.org",
                                    "code": "mg/dL"}
    assert obs["effectiveDateTime"] == "2026-11-24T07:40:00+01:00"
    assert obs["identifier"] == [{"system": fhir.READING_SYSTEM, "value": r.uuid}]
    assert obs["subject"] == {"reference": "Patient/p-42"} and obs["performer"] == [obs["subject"]]
    context, said = obs["component"]
    assert context["valueCodeableConcept"]["coding"][0]["code"] == "16985007"
    assert said["valueQuantity"]["value"] == 1.2 and said["valueQuantity"]["code"] == "g/L"
    assert said["code"]["text"] == "un gramme vingt"
    assert "un gramme vingt à jeun" in obs["note"][0]["text"]
    assert fhir.if_none_exist(obs) == f"identifier={fhir.READING_SYSTEM}|{r.uuid}"


@pytest.mark.parametrize("context", [None, "before_meal", "after_meal", "bedtime"])
def test_every_context_and_none(context):
    obs = valid(fhir.glucose_observation(reading(context=context, unit_said=GlucoseUnit.MMOL_L, value_said=6.7,
                                                 glucose_mg_dl=120.7), PARTIES))
    codes = [c["code"]["coding"][0]["code"] for c in obs["component"]]
    assert ("measurement-context" in codes) == (context is not None)


def test_naive_time_is_refused():
    with pytest.raises(ValueError):
        fhir.glucose_observation(reading(measured_at=datetime(2026, 1, 1, 8, 0)), PARTIES)


@pytest.mark.parametrize("status, fhir_status", [("taken", "completed"), ("missed", "not-done")])
def test_medication_administration(status, fhir_status):
    event = MedicationEvent(id=reminder_event_id(3, "2026-11-24T08:00"), medication_id="metformin",
                            status=status, at=AT, source="reminder", reminder_id=3, occurrence="2026-11-24T08:00")
    res = valid(fhir.medication_administration(event, PARTIES))
    assert res["status"] == fhir_status
    assert res["identifier"][0]["value"] == f"{PARTIES.device_id}:reminder-3-2026-11-24T08:00"
    assert ("statusReason" in res) == (status == "missed")


def test_medication_request_timing():
    reminder = Reminder(id=3, medication_id="insulin_glargine", time_of_day="22:00", days="daily", dose_text=None,
                        active=True, created_at=AT)
    res = valid(fhir.medication_request(reminder, PARTIES))
    assert res["dosageInstruction"][0]["timing"]["repeat"]["timeOfDay"] == ["22:00:00"]
    assert res["intent"] == "plan"


def test_flag_and_provenance():
    alert = Alert(kind="severe_hypoglycaemia", message="j'ai fait quarante", at=AT)
    flag = valid(fhir.alert_flag(alert, PARTIES))
    assert flag["code"]["coding"][0]["code"] == "severe_hypoglycaemia"
    obs = fhir.glucose_observation(reading(), PARTIES)
    prov = valid(fhir.provenance(obs, AT, PARTIES, 0.91, 0.97, "spoken"))
    assert prov["target"][0]["identifier"] == obs["identifier"][0]
    values = {e["url"]: e["valueDecimal"] for e in prov["extension"][0]["extension"]}
    assert values == {"asr-confidence": 0.91, "nlu-confidence": 0.97}
    assert fhir.if_none_exist(prov) == f"_tag={fhir.PROVENANCE_SYSTEM}|Observation/{obs['identifier'][0]['value']}"
    typed = valid(fhir.provenance(obs, AT, PARTIES, None, None, "typed"))
    assert "extension" not in typed
