"""The `models` sub-app as a user runs it (mounted by cli.py as `voice-assistant models`)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from voice_assistant.models import models_app

VOSK = "vosk-model-test-fr-0.1"
PIPER = "fr_FR-test-medium"
runner = CliRunner()


def test_list_json(registry):
    result = runner.invoke(models_app, ["list", "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert rows[VOSK]["installed"] is False and rows[VOSK]["engine"] == "vosk" and rows[VOSK]["language"] == "fr"


def test_install_list_remove(registry):
    result = runner.invoke(models_app, ["install", PIPER])
    assert result.exit_code == 0, result.output
    assert f"Installed {PIPER} (piper, fr)" in result.stdout
    again = runner.invoke(models_app, ["install", PIPER])
    assert again.exit_code == 0 and "already installed" in again.stdout
    listed = runner.invoke(models_app, ["list"])
    assert listed.exit_code == 0 and f"{PIPER}  fr  piper" in listed.stdout
    assert "installed (user data dir)" in listed.stdout
    removed = runner.invoke(models_app, ["remove", PIPER])
    assert removed.exit_code == 0 and f"Removed {PIPER}" in removed.stdout


def test_install_from_file(registry, tmp_path):
    archive = tmp_path / "m.zip"
    archive.write_bytes(registry.zip)
    registry.server.status = 500
    result = runner.invoke(models_app, ["install", VOSK, "--from", str(archive)])
    assert result.exit_code == 0, result.output
    assert registry.server.requests == []


def test_errors_are_one_clear_line(registry):
    registry.server.status = 500
    result = runner.invoke(models_app, ["install", VOSK])
    assert result.exit_code == 2
    assert "voice-assistant: " in result.stderr and "HTTP 500" in result.stderr
    assert "Traceback" not in result.output
    missing = runner.invoke(models_app, ["remove", VOSK])
    assert missing.exit_code == 2 and "is not installed" in missing.stderr
