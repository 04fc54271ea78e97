"""`labs import` applies the limits the hub applies (voice_assistant/fhir): a value no laboratory could have
measured, or a date in the future, refuses the whole file with a sentence naming it; nothing is saved."""

from __future__ import annotations

import json

import pytest
from labkit import FIXTURES, load_json

from voice_assistant.labs import LabImportError, import_fhir


def _with(tmp_path, name: str, text: str):
    path = tmp_path / f"{name}.json"
    path.write_text(text, encoding="utf-8")
    return path


def _hba1c_text(value: str = "7.9", date: str = "2024-11-20", unit: str = "%") -> str:
    data = load_json(FIXTURES / "observation_hba1c.json")
    data["effectiveDateTime"] = date
    data["valueQuantity"] = {"value": 0, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit}
    return json.dumps(data).replace('"value": 0,', f'"value": {value},', 1)


@pytest.mark.parametrize("value, date, unit, said", [
    ("1e308", "2024-11-20", "%", "not a finite number"),
    ("1" + "0" * 400, "2024-11-20", "%", "not a finite number"),
    ("79", "2024-11-20", "%", "outside the plausible range of LOINC 4548-4"),
    ("7.9", "9999-12-31", "%", "in the future"),
    ("7.9", "1800-01-01", "%", "before 1900"),
])
def test_implausible_results_refuse_the_file(tmp_path, store, value, date, unit, said):
    path = _with(tmp_path, "bad", _hba1c_text(value, date, unit))
    with pytest.raises(LabImportError) as refused:
        import_fhir(path, store)
    assert said in str(refused.value) and "Nothing was imported" in str(refused.value)
    assert store.lab_results() == []


def test_nan_is_refused(tmp_path, store):
    with pytest.raises(LabImportError) as refused:
        import_fhir(_with(tmp_path, "nan", _hba1c_text("NaN")), store)
    assert "nan" in str(refused.value).lower()
    assert store.lab_results() == []


def test_plausible_results_are_imported(tmp_path, store):
    report = import_fhir(_with(tmp_path, "good", _hba1c_text("12.5")), store)
    assert report.added == 1 and store.lab_results()[0].value == 12.5


def test_a_deeply_nested_file_is_refused_in_words(tmp_path, store):
    path = _with(tmp_path, "deep", "[" * 100_000 + "]" * 100_000)
    with pytest.raises(LabImportError) as refused:
        import_fhir(path, store)
    assert "nested" in str(refused.value) or "not" in str(refused.value)
