"""PulseAudio's WebRTC echo canceller (audio/echo_cancel.py, `listen --echo-cancel`), loaded for real on a private
PulseAudio daemon with a virtual microphone and speaker (pulsekit.py):

- the canceller's source and sink exist, this process's audio is pointed at them, and closing it undoes both; one
  already loaded is used as it is and left loaded;
- a voice said into the microphone flows through the cancelled source;
- `listen --echo-cancel` where the canceller cannot be had says so and goes on.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pulsekit import SKIP_WITHOUT_PULSE, Recording, best_match, pulse_daemon
from voice_assistant.audio.clip import SAMPLE_RATE
from voice_assistant.audio.convert import float_to_int16, resample, to_float_mono

REPO = Path(__file__).resolve().parents[2]
pulse = pytest.fixture(scope="module")(pulse_daemon)


def speech(synth, text: str) -> np.ndarray:
    parts = [float_to_int16(resample(to_float_mono(s.audio.samples), s.audio.sample_rate, SAMPLE_RATE))
             for s in synth.speak(text, 150)]
    return (np.concatenate(parts).astype(np.float64) * 0.6).astype("<i2")


def play(pulse, device: str, samples: np.ndarray) -> subprocess.Popen:
    proc = pulse.popen("pacat", "--playback", f"--device={device}", "--format=s16le", f"--rate={SAMPLE_RATE}",
                       "--channels=1", "--raw", "--latency-msec=40", stdin=subprocess.PIPE)
    proc.stdin.write(samples.tobytes())
    proc.stdin.close()
    return proc


def names(pulse, kind: str) -> list[str]:
    out = pulse.run("pactl", "list", "short", kind).stdout.decode()
    return [line.split("\t")[1] for line in out.splitlines() if "\t" in line]


@SKIP_WITHOUT_PULSE
def test_the_echo_canceller_loads_and_the_patients_voice_flows_through_it(pulse, tmp_path, quick_voice):
    from voice_assistant.audio.echo_cancel import SINK, SOURCE, start_echo_canceller

    before = {k: os.environ.get(k) for k in ("PULSE_SOURCE", "PULSE_SINK")}
    canceller = start_echo_canceller(source_master="virtmic.monitor", sink_master="speaker")
    try:
        assert SOURCE in names(pulse, "sources") and SINK in names(pulse, "sinks")
        assert (os.environ["PULSE_SOURCE"], os.environ["PULSE_SINK"]) == (SOURCE, SINK)
        # one already loaded (a system-wide one, or a benchmark's warmed-up one) is used as it is, and kept
        again = start_echo_canceller(aec_args="digital_gain_control=0")
        assert again.module is None and (again.source, again.sink) == (SOURCE, SINK)
        again.close()
        assert SOURCE in names(pulse, "sources") and SINK in names(pulse, "sinks")
        assert (os.environ["PULSE_SOURCE"], os.environ["PULSE_SINK"]) == (SOURCE, SINK)
        request = speech(quick_voice, "my glucose is ninety five")
        gap = np.zeros(SAMPLE_RATE, dtype="<i2")
        said = np.concatenate([gap, request] * 8)
        cancelled = Recording(pulse, SOURCE, tmp_path / "voice.raw")
        # the assistant's output stream runs the whole session (silence between sounds), as the Player's does: the
        # canceller paces its source on its sink. On these clockless null sinks it needs some 10-25 s to line the
        # two up (its log says "Doing resync"), so the patient says the request again and again meanwhile.
        output = play(pulse, SINK, np.zeros(len(said) + 2 * SAMPLE_RATE, dtype="<i2"))
        play(pulse, "virtmic", said).wait(120)
        output.wait(60)
        heard = cancelled.stop()
        window = 3 * SAMPLE_RATE
        scores = [best_match(heard[k:k + window], request)[0] for k in range(0, len(heard) - window, window // 2)]
        assert scores and max(scores) > 0.8, \
            f"the patient's voice never came through the cancelled source (best match {max(scores, default=0):.2f})"
    finally:
        canceller.close()
    assert SOURCE not in names(pulse, "sources") and SINK not in names(pulse, "sinks")
    assert {k: os.environ.get(k) for k in ("PULSE_SOURCE", "PULSE_SINK")} == before


@SKIP_WITHOUT_PULSE
def test_listen_with_echo_cancel_and_no_canceller_says_so_and_goes_on(pulse, tmp_path):
    """The sound works but the canceller cannot be had (here: `pactl` is not on the PATH): listen says why, runs,
    and stops cleanly when the talk key can no longer be read."""
    env = {**pulse.env, "PYTHONPATH": str(REPO), "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "XDG_DATA_HOME": str(tmp_path / "data"), "PATH": os.path.dirname(sys.executable),
           "PYTHONUNBUFFERED": "1"}
    proc = subprocess.run([sys.executable, "-m", "voice_assistant", "listen", "--lang", "en", "--echo-cancel"],
                          env=env, cwd=tmp_path, input="", capture_output=True, text=True, timeout=240)
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out, out
    assert "no echo canceller (pactl is not installed" in proc.stderr, out
    assert "only the key or the wake phrase can interrupt" in proc.stderr, out
    assert "[speaking]" in proc.stdout, out  # it went on: the greeting was said
    assert proc.returncode == 0, out
