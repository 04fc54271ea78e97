"""import_fhir: FHIR R4 files in, lab results stored exactly as written; bad files named and refused."""

from __future__ import annotations

import json

import pytest
from labkit import (
    EN_BUNDLE,
    FIXTURES,
    FR_BUNDLE,
    OBSERVATIONS_ONLY,
    SINGLE_OBSERVATION,
    VALID_FILES,
    by_id,
    load_json,
    write_json,
)

from voice_assistant.labs import LabImportError, import_fhir, parse_fhir


def stored(store) -> dict:
    return {result.id: result for result in store.lab_results()}


# --- a French laboratory's Bundle: a final and a preliminary report ---------------------------------


def test_french_bundle_keeps_values_units_ranges_dates_and_report_status(store):
    report = import_fhir(FR_BUNDLE, store)

    # 9 results of the final report (the lipid panel itself holds no value) and 2 of the preliminary one
    assert (report.added, report.updated, report.unchanged) == (11, 0, 0)
    assert report.report_ids == ("cr-bio-2025-0303-0412", "cr-bio-2025-0303-0413")
    results = stored(store)
    assert "obs-bilan-lipidique-20250303" not in results

    hba1c = results["obs-hba1c-20250303"]
    assert (hba1c.loinc, hba1c.value, hba1c.unit) == ("4548-4", 7.4, "%")
    assert (hba1c.ref_low, hba1c.ref_high, hba1c.interpretation) == (4.0, 6.0, "H")
    assert hba1c.effective_at == "2025-03-03T08:10:00+01:00"
    assert (hba1c.report_id, hba1c.report_status) == ("cr-bio-2025-0303-0412", "final")
    assert hba1c.display == "Hémoglobine glyquée (HbA1c)"

    glucose = results["obs-gaj-20250303"]
    assert (glucose.loinc, glucose.value, glucose.unit) == ("1558-6", 1.26, "g/L")
    creatinine = results["obs-creat-20250303"]  # referenced as "Observation/<id>"
    assert (creatinine.loinc, creatinine.value, creatinine.unit) == ("14682-9", 78.0, "µmol/L")
    assert creatinine.report_status == "final"
    egfr = results["obs-dfg-20250303"]
    assert (egfr.value, egfr.unit, egfr.interpretation) == (82.0, "mL/min/1.73m2", "N")
    assert (egfr.ref_low, egfr.ref_high) == (None, None)

    # members of the lipid panel belong to the final report through hasMember
    for member in ("obs-ct-20250303", "obs-ldl-20250303", "obs-hdl-20250303", "obs-tg-20250303"):
        assert results[member].report_id == "cr-bio-2025-0303-0412"
        assert results[member].report_status == "final"
    assert (results["obs-hdl-20250303"].ref_low, results["obs-hdl-20250303"].ref_high) == (0.40, None)

    # the preliminary report's results carry the REPORT's status
    for preliminary in ("obs-tsh-20250303", "obs-k-20250303"):
        assert results[preliminary].report_status == "preliminary"
        assert results[preliminary].report_id == "cr-bio-2025-0303-0413"
    assert (results["obs-tsh-20250303"].value, results["obs-tsh-20250303"].unit) == (5.8, "mUI/L")


def test_importing_the_same_file_twice_changes_nothing(store):
    first = import_fhir(FR_BUNDLE, store)
    before = store.lab_results()
    second = import_fhir(FR_BUNDLE, store)

    assert first.changed and not second.changed
    assert (second.added, second.updated, second.unchanged) == (0, 0, 11)
    assert store.lab_results() == before  # not even the import times moved


def test_every_valid_fixture_imports_idempotently(store):
    for path in VALID_FILES:
        import_fhir(path, store)
    before = store.lab_results()
    for path in VALID_FILES:
        assert not import_fhir(path, store).changed
    assert store.lab_results() == before


def test_an_amended_report_updates_its_results_in_place(store, tmp_path):
    import_fhir(FR_BUNDLE, store)
    bundle = load_json(FR_BUNDLE)
    by_id(bundle, "cr-bio-2025-0303-0412")["status"] = "amended"
    by_id(bundle, "obs-hba1c-20250303")["valueQuantity"]["value"] = 7.3
    report = import_fhir(write_json(tmp_path / "amended.json", bundle), store)

    assert (report.added, report.updated, report.unchanged) == (0, 9, 2)
    results = stored(store)
    assert len(results) == 11
    assert results["obs-hba1c-20250303"].value == 7.3
    assert results["obs-hba1c-20250303"].report_status == "amended"


def test_a_preliminary_report_made_final_is_released_on_reimport(store, tmp_path):
    import_fhir(FR_BUNDLE, store)
    bundle = load_json(FR_BUNDLE)
    by_id(bundle, "cr-bio-2025-0303-0413")["status"] = "final"
    import_fhir(write_json(tmp_path / "report_final.json", bundle), store)
    # the Observation itself still says preliminary: it stays unread
    assert stored(store)["obs-tsh-20250303"].report_status == "preliminary"

    for observation_id in ("obs-tsh-20250303", "obs-k-20250303"):
        by_id(bundle, observation_id)["status"] = "final"
    report = import_fhir(write_json(tmp_path / "all_final.json", bundle), store)
    assert report.updated == 2
    assert stored(store)["obs-tsh-20250303"].report_status == "final"


@pytest.mark.parametrize("own_status", ["preliminary", "registered", "entered-in-error", "cancelled"])
def test_an_observation_less_final_than_its_report_keeps_its_own_status(store, tmp_path, own_status):
    bundle = load_json(FR_BUNDLE)
    by_id(bundle, "obs-ldl-20250303")["status"] = own_status
    import_fhir(write_json(tmp_path / "mixed.json", bundle), store)
    results = stored(store)
    assert results["obs-ldl-20250303"].report_status == own_status
    assert results["obs-hba1c-20250303"].report_status == "final"


# --- an English (US) searchset: relative and absolute references, a comparator --------------------


def test_english_bundle_resolves_relative_and_absolute_references(store):
    report = import_fhir(EN_BUNDLE, store)
    results = stored(store)
    assert report.added == 12
    assert results["creat-0612"].report_id == "rpt-0612-chem"  # .../Observation/creat-0612/_history/2
    assert (results["a1c-0612"].value, results["a1c-0612"].unit) == (6.8, "%")
    assert (results["glu-0612"].value, results["glu-0612"].unit) == (112.0, "mg/dL")
    assert results["hdl-0612"].report_status == "partial"
    assert results["tg-0612"].report_status == "partial"
    # listed by the final report and by the partial one: the clinician released it
    assert results["ldl-0612"].report_status == "final"


def test_a_value_given_as_a_bound_keeps_its_comparator(store):
    import_fhir(EN_BUNDLE, store)
    egfr = stored(store)["egfr-0612"]
    assert (egfr.value, egfr.value_text, egfr.unit) == (60.0, ">", "mL/min/{1.73_m2}")


# --- single Observations and Bundles of Observations ------------------------------------------------


def test_a_single_observation_uses_its_own_status(store):
    import_fhir(SINGLE_OBSERVATION, store)
    (result,) = store.lab_results()
    assert result.id == "hba1c-2024-11-20"
    assert (result.report_id, result.report_status) == (None, "final")
    assert (result.value, result.unit, result.effective_at) == (7.9, "%", "2024-11-20")


def test_a_bundle_of_observations_only(store):
    report = import_fhir(OBSERVATIONS_ONLY, store)
    assert report.added == 3 and report.report_ids == ()
    results = stored(store)
    sodium = results["urn:oid:1.2.250.1.999.1.2|250115-NA"]  # no id: its identifier
    assert (sodium.value, sodium.unit, sodium.report_status) == (138.0, "mmol/L", "final")
    assert results["obs-k-20250115"].report_status == "preliminary"
    (hashed,) = [r for r in results.values() if r.loinc == "14957-5"]  # neither id nor identifier
    assert hashed.id.startswith("obs-sha256-")
    again, _, _ = parse_fhir(load_json(OBSERVATIONS_ONLY))
    assert hashed.id in {r.id for r in again}


def test_results_without_ids_stay_distinct_and_stable(tmp_path, store):
    bundle = load_json(OBSERVATIONS_ONLY)
    twin = json.loads(json.dumps(bundle["entry"][1]))
    twin["resource"]["valueQuantity"]["value"] = 46  # same test, same date, no id: two distinct rows
    bundle["entry"].append(twin)
    path = write_json(tmp_path / "twins.json", bundle)
    first = import_fhir(path, store)
    assert first.added == 4 and len({r.id for r in first.results}) == 4
    assert not import_fhir(path, store).changed


# --- files that cannot be imported -------------------------------------------------------------------


def refused(path, store) -> str:
    with pytest.raises(LabImportError) as caught:
        import_fhir(path, store)
    assert store.lab_results() == [], "nothing is saved from a refused file"
    message = str(caught.value)
    assert "errors.pydantic.dev" not in message and "Traceback" not in message
    return message


def test_not_json(store):
    message = refused(FIXTURES / "invalid_not_json.json", store)
    assert "invalid_not_json.json" in message and "not valid JSON" in message and "line 1" in message


def test_wrong_resource_type(store):
    message = refused(FIXTURES / "invalid_patient.json", store)
    assert "invalid_patient.json" in message and "Patient" in message and "not a lab result" in message


def test_observation_missing_status(store):
    message = refused(FIXTURES / "invalid_observation_no_status.json", store)
    assert "invalid_observation_no_status.json" in message
    assert "Observation 'obs-no-status'" in message and "'status'" in message and "missing" in message


def test_observation_missing_code_in_a_bundle(store):
    message = refused(FIXTURES / "invalid_bundle_observation_no_code.json", store)
    assert "invalid_bundle_observation_no_code.json" in message
    assert "Observation 'obs-no-code' (Bundle entry 0)" in message and "'code'" in message and "missing" in message


def test_report_pointing_nowhere(store):
    message = refused(FIXTURES / "invalid_dangling_reference.json", store)
    assert "invalid_dangling_reference.json" in message
    assert "DiagnosticReport 'cr-dangling'" in message and "result[1]" in message
    assert "Observation/obs-absente" in message and "not in this file" in message


def test_report_pointing_to_something_else_than_an_observation(store, tmp_path):
    bundle = load_json(FR_BUNDLE)
    patient = "urn:uuid:3f1c2a8e-5b7d-4c21-9e55-0a1b2c3d4e5f"
    by_id(bundle, "cr-bio-2025-0303-0412")["result"].append({"reference": patient})
    message = refused(write_json(tmp_path / "to_patient.json", bundle), store)
    assert "points to a Patient, not an Observation" in message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda o: o.update(effectiveDateTime="3 mars 2025"), ["effectiveDateTime", "wrong format", "3 mars 2025"]),
        (lambda o: o.update(valueQuantiy=o.pop("valueQuantity")), ["valueQuantiy", "not a FHIR R4 element"]),
        (lambda o: o["referenceRange"][0]["low"].update(value="quatre"), ["referenceRange[0].low.value"]),
        (lambda o: o.update(status="validé"), ["status 'validé'", "Observation"]),
    ],
)
def test_validation_problems_name_the_resource_and_the_field(store, tmp_path, change, expected):
    bundle = load_json(FR_BUNDLE)
    change(by_id(bundle, "obs-hba1c-20250303"))
    message = refused(write_json(tmp_path / "bad.json", bundle), store)
    assert "bad.json" in message and "obs-hba1c-20250303" in message
    for words in expected:
        assert words in message


def test_unknown_report_status(store, tmp_path):
    bundle = load_json(FR_BUNDLE)
    by_id(bundle, "cr-bio-2025-0303-0413")["status"] = "en cours"
    message = refused(write_json(tmp_path / "status.json", bundle), store)
    assert "DiagnosticReport 'cr-bio-2025-0303-0413'" in message and "status 'en cours'" in message


def test_unknown_resource_type_in_a_bundle(store, tmp_path):
    bundle = load_json(FR_BUNDLE)
    bundle["entry"][0]["resource"]["resourceType"] = "Patiente"
    message = refused(write_json(tmp_path / "entry.json", bundle), store)
    assert "Bundle entry 0" in message and "'Patiente' is not a FHIR resource type" in message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ([1, 2], "JSON list"),
        ({"status": "final"}, "no 'resourceType'"),
        ({"resourceType": "DiagnosticReport", "status": "final", "code": {"text": "x"}}, "DiagnosticReport alone"),
        ({"resourceType": "Bundle", "type": "collection", "entry": []}, "holds no Observation"),
        ({"resourceType": "Bundle", "entry": []}, "field 'type' is required but missing"),
    ],
)
def test_other_files_that_are_not_lab_results(store, tmp_path, content, expected):
    path = tmp_path / "other.json"
    path.write_text(json.dumps(content), encoding="utf-8")
    message = refused(path, store)
    assert "other.json" in message and expected in message


def test_missing_file(store, tmp_path):
    assert "no such file" in refused(tmp_path / "absent.json", store)


def test_report_as_dict_is_json(store):
    report = import_fhir(FR_BUNDLE, store)
    data = json.loads(json.dumps(report.as_dict(), ensure_ascii=False))
    assert data["added"] == 11 and len(data["results"]) == 11
    assert report.describe() == (
        "11 results imported from fr_bilan_final_et_preliminaire.json: 11 new, 0 updated, 0 unchanged")


# --- Observations contained in their report ---------------------------------------------------------


def contained_report(observation: dict) -> dict:
    contained = dict(observation, id="c1")
    return {"resourceType": "DiagnosticReport", "id": "rep-contained", "status": "final",
            "code": {"text": "Hémoglobine glyquée"}, "effectiveDateTime": "2025-05-02",
            "contained": [contained], "result": [{"reference": "#c1"}]}


def test_a_report_with_contained_observations(store, tmp_path):
    report = contained_report(load_json(SINGLE_OBSERVATION))
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": report}]}
    import_fhir(write_json(tmp_path / "contained.json", bundle), store)
    (result,) = store.lab_results()
    assert (result.id, result.report_id, result.report_status, result.value) == (
        "rep-contained#c1", "rep-contained", "final", 7.9)


def test_a_lone_report_with_contained_observations(store, tmp_path):
    report = contained_report(load_json(SINGLE_OBSERVATION))
    report["status"] = "preliminary"
    import_fhir(write_json(tmp_path / "lone.json", report), store)
    (result,) = store.lab_results()
    assert result.report_status == "preliminary"
    assert not import_fhir(tmp_path / "lone.json", store).changed


def test_a_contained_observation_missing_its_code(store, tmp_path):
    report = contained_report(load_json(SINGLE_OBSERVATION))
    del report["contained"][0]["code"]
    message = refused(write_json(tmp_path / "lone.json", report), store)
    assert "DiagnosticReport 'rep-contained'" in message and "contained[0].code" in message
