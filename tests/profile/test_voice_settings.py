"""Settings changed by voice live in their own file (settings.yaml, 0600): "speak slower" never rewrites
profile.yaml, which keeps its comments and its mode (it holds the clinician's token)."""

from __future__ import annotations

import os
import stat
from datetime import datetime

from voice_assistant.dialogue.manager import DialogueManager
from voice_assistant.profile import (
    load_profile,
    load_profile_with_voice_settings,
    voice_settings_path,
)
from voice_assistant.store import Store

PROFILE = """\
# Written by the nurse on 3 March. Do not share: it holds the practice's token.
name: Claire
language: en
clinician:
  fhir_base_url: https://hub.example.org/fhir
  token: vah_secret   # the device token
"""


def test_speak_slower_writes_its_own_file_and_leaves_the_profile_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    folder = tmp_path / "config" / "voice-assistant"
    folder.mkdir(parents=True)
    profile_file = folder / "profile.yaml"
    profile_file.write_text(PROFILE, encoding="utf-8")
    os.chmod(profile_file, 0o600)
    old_umask = os.umask(0o022)
    try:
        profile = load_profile_with_voice_settings()
        rate = profile.words_per_minute
        with Store.open(tmp_path / "assistant.db") as store:
            manager = DialogueManager(profile, store, "en")  # saves changes, as the assistant does
            manager.handle("speak slower", datetime(2025, 3, 12, 7, 40, tzinfo=profile.zone))
            slower = manager.profile.words_per_minute
    finally:
        os.umask(old_umask)
    assert slower < rate
    assert profile_file.read_text(encoding="utf-8") == PROFILE  # comments and all
    assert stat.S_IMODE(profile_file.stat().st_mode) == 0o600
    settings = voice_settings_path()
    assert settings.parent == folder and stat.S_IMODE(settings.stat().st_mode) == 0o600
    # the next start speaks at the rate the patient chose; the profile alone still says the nurse's rate
    assert load_profile_with_voice_settings().words_per_minute == slower
    assert load_profile().words_per_minute == rate
