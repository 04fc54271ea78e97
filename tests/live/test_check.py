"""`voice-assistant check` for the helper who sets the device up: the real command on a PulseAudio virtual
microphone and speaker (a voice played into the microphone, the speaker recorded), the clinician link against a
real hub (token accepted, token unknown, server down), and the words in both languages."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from pulsekit import SKIP_WITHOUT_PULSE, Recording, best_match, pulse_daemon
from voice_assistant.audio.earcons import Earcon, earcon
from voice_assistant.check import clinician_link, microphone, run_check
from voice_assistant.profile import default_profile

REPO = Path(__file__).resolve().parents[2]
pulse = pytest.fixture(scope="module")(pulse_daemon)


def check(pulse, tmp_path: Path, *args: str, speak: Path | None = None) -> subprocess.CompletedProcess:
    env = {**pulse.env, "PYTHONPATH": str(REPO), "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "XDG_DATA_HOME": str(tmp_path / "data")}
    proc = subprocess.Popen([sys.executable, "-m", "voice_assistant", "check", *args], cwd=tmp_path, env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if speak is not None:
        def recording() -> int:
            return len(pulse.run("pactl", "list", "short", "source-outputs").stdout.strip().splitlines())

        before = recording()  # (the test's own recording of the speaker)

        def talk() -> None:  # the helper speaks once the command opens the microphone ("say something now")
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and proc.poll() is None:
                if recording() > before:
                    time.sleep(0.3)
                    pulse.run("paplay", "--device=virtmic", str(speak))
                    return
                time.sleep(0.05)
        threading.Thread(target=talk, daemon=True).start()
    out, err = proc.communicate(timeout=180)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@SKIP_WITHOUT_PULSE
def test_check_hears_the_microphone_plays_on_the_speaker_and_names_what_to_install(pulse, tmp_path, patient):
    speaker = Recording(pulse, "speaker.monitor", tmp_path / "speaker.raw")
    try:
        result = check(pulse, tmp_path, "--lang", "en", "--silent", speak=patient.wav("what was my last reading"))
    finally:
        heard = speaker.stop()
    out = result.stdout
    assert "The microphone works. I heard you clearly." in out, out + result.stderr
    assert "I can hear English speech." in out and "I can speak English." in out
    assert "-- I cannot hear French speech yet." in out and "voice-assistant models install vosk-model-small-fr" in out
    assert "No care team link is set." in out and "There is enough free space." in out
    assert "The clock says" in out and "Everything needed works." in out
    assert result.returncode == 0, out + result.stderr  # French is not needed for an English patient
    score, _ = best_match(heard, earcon(Earcon.LISTENING).samples)
    assert score > 0.8, f"the chime did not reach the speaker (match {score:.2f})"
    assert len(heard) > 2 * 16000  # and the sentence after it


@SKIP_WITHOUT_PULSE
def test_a_silent_microphone_and_a_missing_recogniser_make_check_fail(pulse, tmp_path):
    result = check(pulse, tmp_path, "--lang", "fr", "--silent")  # nobody speaks; French has no recogniser here
    out = result.stdout
    assert "Je n'entends rien dans le micro." in out, out + result.stderr
    assert "!! Je ne sais pas encore entendre cette langue : français." in out
    assert "Il manque quelque chose d'indispensable." in out
    assert result.returncode == 1


def test_microphone_levels_in_plain_words():
    rng = np.random.default_rng(0)
    room = rng.normal(0, 20, 48000)
    voice = room.copy()
    voice[16000:32000] += 6000 * np.sin(np.arange(16000) * 0.05)
    assert microphone(lambda s: voice.astype(np.int16)).key == "mic_ok"
    assert microphone(lambda s: (room + 0.5).astype(np.int16) * 0).key == "mic_silent"
    quiet = room.copy()
    quiet[16000:32000] += 200 * np.sin(np.arange(16000) * 0.05)
    finding = microphone(lambda s: quiet.astype(np.int16))
    assert finding.key == "mic_quiet" and finding.ok and not finding.needed
    assert microphone(None).key == "mic_missing" and not microphone(None).ok


def test_the_clinician_link_is_reachable_and_the_token_accepted(tmp_path):
    from voice_assistant.hub.server import HubServer
    from voice_assistant.hub.tokens import TokenStore

    server = HubServer(tmp_path / "hub.db", host="127.0.0.1", port=0, lang="en", quiet=True)
    token = TokenStore(server.app.db).add("device", "kitchen", patient="p-42")
    server.start()
    try:
        profile = default_profile()
        good = replace(profile, clinician={"fhir_base_url": server.fhir_base_url, "token": token})
        assert clinician_link(good).key == "link_ok"
        wrong = replace(profile, clinician={"fhir_base_url": server.fhir_base_url, "token": "vah_not-a-token"})
        refused = clinician_link(wrong)
        assert refused.key == "link_refused" and refused.needed and not refused.ok
        assert clinician_link(profile).key == "link_not_set"
    finally:
        server.stop()
    down = clinician_link(good)
    assert down.key == "link_unreachable" and not down.needed


def test_check_without_devices_says_everything_and_fails(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    lines: list[str] = []
    report = run_check("en", default_profile(), echo=lines.append, record=None, play=None)
    assert not report.ready
    assert "!! There is no microphone I can use." in lines and "!! There is no speaker I can use." in lines
    assert lines[-1] == "Something needed is missing. The details are on the screen."


def test_both_languages_have_the_same_setup_words():
    from voice_assistant.command import setup_words

    en, fr = setup_words("en"), setup_words("fr")

    def keys(node, prefix=""):
        return {prefix + k for k, v in node.items() if not isinstance(v, dict)} | {
            x for k, v in node.items() if isinstance(v, dict) and k != "languages" for x in keys(v, prefix + k + ".")}

    assert keys(en.data) == keys(fr.data)
    for key in keys(en.data) - {"language"}:
        assert en.fields(key) == fr.fields(key), key
