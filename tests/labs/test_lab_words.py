"""The lab language data (prompts/labs/<lang>.yaml): complete, the same in every language, matching the NLU."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from labkit import FIXTURES, VALID_FILES, load_json, pack

from voice_assistant.labs import LabPackError, load_lab_pack

REPO_ROOT = Path(__file__).resolve().parents[2]

LANGS = ("fr", "en")
REQUIRED_LOINCS = {
    "hba1c": ["4548-4", "17856-6"],
    "fasting glucose": ["1558-6", "2345-7"],
    "total cholesterol": ["2093-3"],
    "ldl": ["13457-7", "2089-1"],
    "hdl": ["2085-9"],
    "triglycerides": ["2571-8"],
    "creatinine": ["2160-0", "14682-9"],
    "egfr": ["33914-3", "62238-1", "48642-3", "98979-8"],
    "potassium": ["2823-3"],
    "sodium": ["2951-2"],
    "alt": ["1742-6"],
    "ast": ["1920-8"],
    "tsh": ["3016-3"],
    "haemoglobin": ["718-7"],
    "microalbuminuria": ["14957-5", "14959-1"],
}


def fixture_observations() -> list[dict]:
    observations = []
    for path in VALID_FILES:
        data = load_json(path)
        resources = [e["resource"] for e in data.get("entry", [])] if data["resourceType"] == "Bundle" else [data]
        observations += [r for r in resources if r["resourceType"] == "Observation"]
    return observations


def loinc_of(observation: dict) -> str:
    return next(c["code"] for c in observation["code"]["coding"] if c["system"] == "http://loinc.org")


def valued(observations: list[dict]) -> list[dict]:
    return [o for o in observations if any(key.startswith("value") for key in o)]


@pytest.mark.parametrize("lang", LANGS)
def test_every_loinc_of_the_fixtures_has_an_everyday_name(lang):
    codes = {loinc_of(o) for o in valued(fixture_observations())}
    assert len(codes) >= 20
    missing = sorted(code for code in codes if not pack(lang).name(code))
    assert not missing, f"prompts/labs/{lang}.yaml has no name for {missing}"


@pytest.mark.parametrize("lang", LANGS)
def test_every_unit_of_the_fixtures_has_a_spoken_name(lang):
    units = {o["valueQuantity"]["unit"] for o in valued(fixture_observations()) if "valueQuantity" in o}
    missing = sorted(unit for unit in units if not pack(lang).unit_name(unit))
    assert not missing, f"prompts/labs/{lang}.yaml has no spoken name for {missing}"


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("test", sorted(REQUIRED_LOINCS))
def test_the_required_tests_are_named(lang, test):
    for code in REQUIRED_LOINCS[test]:
        assert pack(lang).name(code), f"{lang}: no name for {test} ({code})"


def test_both_languages_know_the_same_codes_with_the_same_test_ids():
    fr, en = pack("fr"), pack("en")
    assert set(fr.tests) == set(en.tests)  # the order may differ: each language reads its usual unit first
    assert {c: t.test for c, t in fr.tests.items()} == {c: t.test for c, t in en.tests.items()}


def test_both_languages_have_the_same_sentences_with_the_same_fields():
    fr, en = pack("fr"), pack("en")
    assert fr.template_keys() == en.template_keys()
    for key in fr.template_keys():
        assert fr.fields(key) == en.fields(key), key
    assert set(fr.raw("say.comparators")) == {"<", "<=", ">", ">="}


@pytest.mark.parametrize("lang", LANGS)
def test_the_nlu_test_ids_and_the_pack_agree(lang):
    intents = yaml.safe_load((REPO_ROOT / "intents" / f"{lang}.yaml").read_text(encoding="utf-8"))
    nlu_ids = {key for key in intents["lists"]["test"] if key != "fuzzy"}
    pack_ids = {t.test for t in pack(lang).tests.values() if t.test}
    assert nlu_ids == pack_ids
    assert nlu_ids >= {  # the contract's ids, plus the other tests the issue lists
        "hba1c", "fasting_glucose", "cholesterol_total", "ldl", "hdl", "triglycerides", "creatinine", "egfr",
        "potassium", "sodium", "alt", "ast", "tsh", "haemoglobin", "microalbuminuria"}
    assert pack(lang).loincs("hba1c")[:2] == ("4548-4", "17856-6")


@pytest.mark.parametrize(
    ("unit", "fr", "en"),
    [
        ("µmol/L", "micromoles par litre", "micromoles per liter"),
        ("umol/l", "micromoles par litre", "micromoles per liter"),
        ("μmol/L", "micromoles par litre", "micromoles per liter"),   # Greek mu
        ("mL/min/1.73m2", "millilitres par minute", "milliliters per minute"),
        ("mL/min/1,73 m²", "millilitres par minute", "milliliters per minute"),
        ("mL/min/{1.73_m2}", "millilitres par minute", "milliliters per minute"),
        ("%", "pour cent", "percent"),
        ("g/L", "grammes par litre", "grams per liter"),
        ("mmol/L", "millimoles par litre", "millimoles per liter"),
        ("mg/dL", "milligrammes par décilitre", "milligrams per deciliter"),
    ],
)
def test_spoken_unit_names(unit, fr, en):
    assert (pack("fr").unit_name(unit), pack("en").unit_name(unit)) == (fr, en)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "cannot read"),
        ("tests: [unclosed", "not valid YAML"),
        ("language: xx\ntests: {}\nunits: {}\ndate: {}\n", "'say' must be a mapping"),
        ("language: xx\ntests: {'1-1': {test: x}}\nunits: {}\ndate: {}\nsay: {}\n", "tests.1-1 needs a name"),
    ],
)
def test_a_broken_lab_file_is_named(tmp_path: Path, content, expected):
    if content is not None:
        (tmp_path / "xx.yaml").write_text(content, encoding="utf-8")
    with pytest.raises(LabPackError) as caught:
        load_lab_pack("xx", str(tmp_path))
    assert "xx.yaml" in str(caught.value) and expected in str(caught.value)


def test_a_missing_sentence_is_named(tmp_path: Path):
    (tmp_path / "xx.yaml").write_text("language: xx\ntests: {}\nunits: {}\ndate: {}\nsay: {}\n", encoding="utf-8")
    with pytest.raises(LabPackError, match=r"xx\.yaml: missing 'say\.summary_one'"):
        load_lab_pack("xx", str(tmp_path)).say("summary_one")


def test_the_invalid_fixtures_are_really_invalid_json_or_fhir():
    assert (FIXTURES / "invalid_not_json.json").read_text(encoding="utf-8").startswith("Résultats")
