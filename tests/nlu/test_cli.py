"""The `understand` and `eval` commands, as a user or the judge runs them."""

import json
import subprocess
import sys
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "corpora" / "fr" / "glucose.yaml"


def run(*args):
    return subprocess.run([sys.executable, "-m", "voice_assistant", *args], capture_output=True, text=True,
                          timeout=60)


def test_understand_json():
    out = run("understand", "--lang", "fr", "ma glycémie est de cent vingt à jeun", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) | {"confidence": 0} == {
        "intent": "log_glucose", "slots": {"glucose_mg_dl": 120, "context": "fasting"}, "confidence": 0}


def test_understand_text():
    out = run("understand", "--lang", "en", "remind me to take metformin at 8 pm")
    assert out.returncode == 0
    assert out.stdout.startswith("set_medication_reminder (medication=metformin, time=20:00)")


def test_eval_json_follows_the_contract(tmp_path):
    out = run("eval", str(CORPUS), "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["language"] == "fr" and report["cases"] >= 50
    assert 0 <= report["intent_accuracy"] <= 1 and 0 <= report["slot_accuracy"] <= 1
    first = report["results"][0]
    assert {"text", "expected_intent", "expected_slots", "predicted_intent", "predicted_slots", "confidence",
            "latency_ms"} <= set(first)


def test_eval_bad_corpus_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("language: fr\ncases: [oops\n")
    out = run("eval", str(bad), "--json")
    assert out.returncode == 2 and "not valid YAML" in out.stderr and "Traceback" not in out.stderr


def test_unknown_language_is_refused():
    out = run("understand", "--lang", "de", "hallo")
    assert out.returncode == 2 and "unknown language" in out.stderr
