"""The intent contract lives in the repository (docs/INTENTS.md) and both language packs honour its names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from voice_assistant.nlu import load_pack

CONTRACT = Path(__file__).resolve().parents[2] / "docs" / "INTENTS.md"


def contract_intents() -> set[str]:
    text = CONTRACT.read_text(encoding="utf-8")
    table = text.split("## Intents", 1)[1].split("##", 1)[0]
    names: set[str] = set()
    for row in table.splitlines():
        if row.startswith("| `"):
            names |= set(re.findall(r"`(\w+)`", row.split("|")[1]))
    return names


def test_the_contract_lists_the_intents():
    assert {"log_glucose", "glucose_history", "read_lab_results", "emergency", "affirm", "deny", "none"} <= \
        contract_intents()


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_contract_intent_is_in_the_pack(lang):
    missing = contract_intents() - {"none"} - set(load_pack(lang).intents)
    assert not missing, f"intents/{lang}.yaml lacks {sorted(missing)} (docs/INTENTS.md)"
