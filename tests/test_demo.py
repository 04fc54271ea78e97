"""`demo`: a spoken conversation through the real recogniser, dialogue, store and synthesiser."""

import json

import soundfile as sf

from voice_assistant.demo import run_demo

EXPECTED = ["log_glucose", "affirm", "set_medication_reminder", "affirm", "glucose_history", "help"]


def test_english_demo_runs_end_to_end(tmp_path):
    lines = []
    turns = run_demo("en", tmp_path, lines.append)
    assert len(turns) == len(EXPECTED)
    report = json.loads((tmp_path / "transcript.json").read_text())
    # faster-whisper and its tiny.en model are dependencies: `auto` hears with both engines, combined
    assert report["recogniser"] == "combined" and report["synthesiser"] == "PiperSynthesizer"
    for turn in report["turns"]:
        for name in (turn["patient_wav"], turn["assistant_wav"]):
            info = sf.info(tmp_path / name)
            assert info.duration > 0.3
        assert turn["heard"] and turn["reply"]
    right = sum(t.intent == want for t, want in zip(turns, EXPECTED))
    assert right >= 4, [(t.said, t.heard, t.intent) for t in turns]
    assert any("patient:" in line for line in lines) and any("assistant:" in line for line in lines)


def test_french_demo_without_french_models_says_so_and_still_talks(tmp_path):
    lines = []
    turns = run_demo("fr", tmp_path, lines.append)
    assert [t.intent for t in turns] == ["log_glucose", "affirm", "set_medication_reminder", "affirm",
                                         "glucose_history", "help"]
    assert any("models install" in line for line in lines)
    report = json.loads((tmp_path / "transcript.json").read_text())
    assert report["stored_readings"][0]["glucose_mg_dl"] == 120
