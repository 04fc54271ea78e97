"""Shared helpers for the lab results tests: FHIR files and the language data (fixtures are in conftest)."""

from __future__ import annotations

import json
from pathlib import Path

from voice_assistant.dialogue.prompts import load_prompts
from voice_assistant.labs import load_lab_pack

FIXTURES = Path(__file__).parent / "fixtures"
FR_BUNDLE = FIXTURES / "fr_bilan_final_et_preliminaire.json"
EN_BUNDLE = FIXTURES / "en_lab_report.json"
SINGLE_OBSERVATION = FIXTURES / "observation_hba1c.json"
OBSERVATIONS_ONLY = FIXTURES / "bundle_observations_only.json"
VALID_FILES = (FR_BUNDLE, EN_BUNDLE, SINGLE_OBSERVATION, OBSERVATIONS_ONLY)


def load_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def write_json(path: Path, data: dict) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def resources(bundle: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def by_id(bundle: dict, resource_id: str) -> dict:
    return next(e["resource"] for e in bundle["entry"] if e["resource"].get("id") == resource_id)




def pack(lang: str):
    return load_lab_pack(lang)


def speech(lang: str):
    return load_prompts(lang).speech
