"""Lab results read aloud through the conversation: released values only, one per turn, by name."""

import json
from datetime import datetime
from pathlib import Path

import pytest

from voice_assistant.dialogue.manager import DialogueManager
from voice_assistant.labs import import_fhir
from voice_assistant.profile import default_profile
from voice_assistant.store import Store

FIXTURES = Path(__file__).resolve().parents[1] / "labs" / "fixtures"
BUNDLE = FIXTURES / "fr_bilan_final_et_preliminaire.json"


def preliminary_values() -> set[str]:
    """Values of the results whose report is not released, as they appear in the file."""
    bundle = json.loads(BUNDLE.read_text())
    by_ref = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}
    by_ref |= {f"Observation/{r['id']}": r for r in by_ref.values() if r["resourceType"] == "Observation"}
    pending = set()
    for report in (e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "DiagnosticReport"):
        if report["status"] in ("preliminary", "registered", "partial"):
            for ref in report.get("result", []):
                obs = by_ref[ref["reference"]]
                pending.add(obs["code"]["coding"][0]["code"])
    return pending


@pytest.fixture()
def manager(tmp_path):
    store = Store.open(tmp_path / "a.db")
    import_fhir(BUNDLE, store)
    yield DialogueManager(default_profile(), store, "fr", save_profile_changes=False)
    store.close()


NOW = datetime(2025, 3, 20, 10, 0, tzinfo=default_profile().zone)


def test_summary_then_one_result_per_turn(manager):
    summary = manager.handle("lis-moi mes résultats", NOW).reply.text
    assert "résultats du trois mars" in summary and "en dehors des valeurs de référence" in summary
    assert "pas encore validés" in summary
    first = manager.handle("suivant", NOW).reply.text
    assert first.startswith("Hémoglobine glyquée") and "sept virgule quatre pour cent" in first
    assert "au-dessus des valeurs de référence" in first
    second = manager.handle("suivant", NOW).reply.text
    assert second != first
    assert manager.handle("précédent", NOW).reply.text == first
    assert manager.handle("répète", NOW).reply.text == first


def test_a_test_by_name_and_never_a_preliminary_value(manager):
    ldl = manager.handle("et mon LDL", NOW).reply.text
    assert ldl.startswith("Mauvais cholestérol") and "grammes par litre" in ldl
    store = manager.ctx.store
    pending_loincs = preliminary_values()
    assert pending_loincs, "the fixture must hold a preliminary report"
    said = [manager.handle(t, NOW).reply.text for t in
            ("lis-moi mes résultats",) + ("suivant",) * 12 + ("c'est combien ma TSH", "et mon potassium")]
    withheld = [r for r in store.lab_results() if r.loinc in pending_loincs]
    for result in withheld:
        spoken_value = manager.ctx.speech.number(result.value)
        assert not any(spoken_value in text for text in said), (result.loinc, spoken_value)
    assert any("pas encore" in text for text in said[-2:])


def test_leaving_the_list(manager):
    manager.handle("lis-moi mes résultats", NOW)
    assert "arrête la lecture" in manager.handle("arrête", NOW).reply.text
    assert manager.handle("suivant", NOW).reply.text.startswith("Vous pouvez dire")


def test_hands_free_a_result_read_asks_nothing_so_only_browsing_is_heard_without_the_phrase(manager):
    """A result read aloud asks nothing: words said without the wake phrase are taken only when they move in the
    list (« suivant », a test's name) or call for help; a « oui », « répète » or « stop » from the television is
    not an answer (no follow-up but to a question the assistant asked)."""
    manager.handle("lis-moi mes résultats", NOW)
    assert manager.ctx.pending is not None
    for text in ("suivant", "appelle le quinze"):
        assert manager.answers_question(text), text
    for text in ("oui", "non", "répète", "stop"):
        assert not manager.answers_question(text), text
