"""The glucose Observation against the rules of the French ANS « Mesures de santé » guide, profile
MesObservationGlucose (ansforge/IG-fhir-mesures-de-sante, input/fsh/MesObservationGlucose.fsh, parent: the FHIR
vital-signs profile): code bound to JDV-J154-TypeGlucose, valueQuantity in UCUM from the closed list JDV-J163
(mg/dL or %), effective[x] only dateTime, the meal context as the MesMomentOfMeasurement extension with one
coding from JDV-J157-MomentGlucose; and a valid FHIR R4 resource."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from voice_assistant.health.glucose import GlucoseUnit
from voice_assistant.store import Reading
from voice_assistant.sync import fhir

PARIS = timezone(timedelta(hours=1))
PARTIES = fhir.Parties(patient_id="p-1", device_id="0f1e2d3c-4b5a-4968-8776-655443322110")
J154 = {(fhir.ANS_LOINC, "2345-7"), (fhir.ANS_LOINC, "4548-4"),
        ("https://mos.esante.gouv.fr/NOS/TRE_R308-TAASIP/FHIR/TRE-R308-TAASIP", "MED-969"),
        ("https://mos.esante.gouv.fr/NOS/TRE_R308-TAASIP/FHIR/TRE-R308-TAASIP", "MED-972")}
J157 = {"16915-1", "53049-3", "88365-2", "LA11865-5", "LA46-8"}
J163 = {"mg/dL", "%"}


def check_mes_observation_glucose(obs: dict) -> list[str]:
    """The rules of MesObservationGlucose (and of its vital-signs parent) a device's Observation must follow."""
    problems = []
    if obs.get("status") not in ("registered", "preliminary", "final", "amended", "corrected", "cancelled",
                                 "entered-in-error", "unknown"):
        problems.append("status")
    categories = [(c.get("system"), c.get("code")) for cat in obs.get("category") or [] for c in cat.get("coding") or []]
    if (fhir.OBSERVATION_CATEGORY, "vital-signs") not in categories:
        problems.append("category VSCat (vital-signs)")
    codings = obs.get("code", {}).get("coding") or []
    if not codings or not all(c.get("system") and c.get("code") for c in codings):
        problems.append("code.coding.system 1.. and code.coding.code 1..")
    if not any((c.get("system"), c.get("code")) in J154 for c in codings):
        problems.append("code from JDV-J154-TypeGlucose (extensible: one coding from it)")
    if "subject" not in obs:
        problems.append("subject (vital-signs 1..1)")
    if [k for k in obs if k.startswith("effective")] != ["effectiveDateTime"]:
        problems.append("effective[x] only dateTime")
    quantity = obs.get("valueQuantity")
    if not quantity or quantity.get("system") != fhir.UCUM or quantity.get("code") not in J163:
        problems.append("valueQuantity.system = UCUM and valueQuantity.code from JDV-J163-GlucoseUnits")
    if [k for k in obs if k.startswith("value")] != ["valueQuantity"]:
        problems.append("value[x] only Quantity")
    moments = [e for e in obs.get("extension") or [] if e.get("url") == fhir.ANS_MOMENT_URL]
    if len(moments) > 1:
        problems.append("MesMomentOfMeasurement 0..1")
    for moment in moments:
        concept = moment.get("valueCodeableConcept") or {}
        coding = concept.get("coding") or []
        if len(coding) != 1 or not coding[0].get("system") or coding[0].get("code") not in J157:
            problems.append("MesMomentOfMeasurement: one coding (system and code) from JDV-J157-MomentGlucose")
    return problems


def reading(context: str | None, unit: GlucoseUnit = GlucoseUnit.G_L) -> Reading:
    return Reading(glucose_mg_dl=132.0, unit_said=unit, value_said=1.32, words_said="un gramme trente-deux",
                   measured_at=datetime(2026, 11, 24, 7, 40, tzinfo=PARIS), transcript="un gramme trente-deux",
                   context=context, asr_confidence=0.9, nlu_confidence=0.95)


@pytest.mark.parametrize("context", [None, "fasting", "before_meal", "after_meal", "bedtime"])
def test_the_glucose_observation_follows_mes_observation_glucose(context):
    obs = fhir.glucose_observation(reading(context), PARTIES)
    assert check_mes_observation_glucose(obs) == []
    assert obs["valueQuantity"] == {"value": 132.0, "unit": "mg/dL", "system": fhir.UCUM, "code": "mg/dL"}
    moments = [e for e in obs.get("extension") or [] if e.get("url") == fhir.ANS_MOMENT_URL]
    assert len(moments) == (0 if context is None else 1)
    from fhir.resources.R4B.observation import Observation

    Observation.model_validate(obs)  # a valid FHIR resource as well


def test_the_checker_catches_what_the_guide_forbids():
    obs = fhir.glucose_observation(reading("fasting"), PARTIES)
    bad = {**obs, "valueQuantity": {**obs["valueQuantity"], "code": "mmol/L", "unit": "mmol/L"}}
    assert check_mes_observation_glucose(bad)
    bad = {**obs, "code": {"coding": [{"system": fhir.LOINC, "code": "41653-7"}]}}
    assert check_mes_observation_glucose(bad)
    bad = {**obs, "extension": [{"url": fhir.ANS_MOMENT_URL, "valueCodeableConcept": {"coding": [
        {"system": fhir.ANS_LOINC, "code": "fasting"}]}}]}
    assert check_mes_observation_glucose(bad)


def test_an_alert_carries_its_words_and_whether_it_was_confirmed(tmp_path):
    from voice_assistant.store import Alert, Store

    with Store.open(tmp_path / "a.db") as store:
        for confirmed in (True, False, None):
            store.add_alert(Alert(kind="emergency", message=f"help {confirmed}", at=datetime(2026, 1, 1, tzinfo=PARIS),
                                  confirmed=confirmed))
        kept = {a.message: a.confirmed for a in store.alerts()}
    assert kept == {"help True": True, "help False": False, "help None": None}
    for message, confirmed in kept.items():
        flag = fhir.alert_flag(Alert(kind="emergency", message=message, at=datetime(2026, 1, 1, tzinfo=PARIS),
                                     confirmed=confirmed), PARTIES)
        ext = {e["url"]: e for e in flag["extension"]}
        assert ext[fhir.WORDS_URL]["valueString"] == message
        assert ext.get(fhir.CONFIRMATION_URL, {}).get("valueBoolean") == confirmed
