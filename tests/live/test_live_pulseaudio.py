"""The live loop through a real sounddevice (PortAudio) stream: a PulseAudio daemon started for the test with a
virtual microphone and a virtual speaker.

    virtmic  (null sink)  <- paplay request.wav           the patient speaks into it
    virtmic.monitor       -> default source -> ALSA "pulse" -> PortAudio -> devices.open_microphone -> LiveLoop
    LiveLoop -> devices.play -> PortAudio -> ALSA "pulse" -> default sink: speaker (null sink)
    speaker.monitor       -> parec -> reply.raw           what the patient hears, checked afterwards

Needs Debian's pulseaudio, pulseaudio-utils (paplay, parec, pactl), libasound2-plugins (ALSA's pulse device) and
libportaudio2; skipped only when the PulseAudio programs are not installed.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from livekit import FakePlayer, Harness, make_session, real_recognizer
from voice_assistant.audio.clip import SAMPLE_RATE, AudioClip
from voice_assistant.audio.convert import float_to_int16, resample, to_float_mono
from voice_assistant.audio.earcons import Earcon, earcon
from voice_assistant.live import LiveOptions

MISSING = [p for p in ("pulseaudio", "paplay", "parec", "pactl") if shutil.which(p) is None]
pytestmark = pytest.mark.skipif(
    bool(MISSING), reason=f"PulseAudio is not installed ({', '.join(MISSING)} missing): "
                          "apt-get install pulseaudio pulseaudio-utils libasound2-plugins libportaudio2")

CONFIG = """
load-module module-native-protocol-unix auth-anonymous=1 socket={socket}
load-module module-null-sink sink_name=virtmic rate=16000 channels=1 sink_properties=device.description=virtual-microphone
load-module module-null-sink sink_name=speaker rate=16000 channels=1 sink_properties=device.description=virtual-speaker
set-default-source virtmic.monitor
set-default-sink speaker
"""


class Pulse:
    """A private PulseAudio daemon: its socket, the environment its clients need, its log."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.socket = folder / "native"
        self.log = folder / "pulseaudio.log"
        self.env = {**os.environ, "HOME": str(folder), "PULSE_RUNTIME_PATH": str(folder / "run"),
                    "PULSE_STATE_PATH": str(folder / "state"), "PULSE_SERVER": f"unix:{self.socket}",
                    "XDG_RUNTIME_DIR": str(folder / "run")}
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        (self.folder / "run").mkdir(mode=0o700)
        script = self.folder / "virtual.pa"
        script.write_text(CONFIG.format(socket=self.socket))
        with open(self.log, "wb") as log:
            # as root PulseAudio only warns ("not intended to be run as root"); -n: no default script, so no
            # hardware is probed; no D-Bus, no autospawn, no idle exit.
            self.process = subprocess.Popen(
                ["pulseaudio", "--daemonize=no", "-n", f"--file={script}", "--exit-idle-time=-1",
                 "--use-pid-file=no", "--disallow-exit", "--log-target=stderr", "--log-level=notice"],
                env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"pulseaudio exited with {self.process.returncode}: {self.log.read_text()}")
            if self.run("pactl", "info", check=False).returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError(f"pulseaudio did not answer within 15 s: {self.log.read_text()}")

    def run(self, *cmd: str, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess:
        return subprocess.run(cmd, env=self.env, capture_output=True, timeout=timeout, check=check)

    def popen(self, *cmd: str, **kwargs) -> subprocess.Popen:
        return subprocess.Popen(cmd, env=self.env, **kwargs)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="module")
def pulse():
    folder = Path(tempfile.mkdtemp(prefix="va-pulse-"))  # short: the socket path must fit in sun_path
    daemon = Pulse(folder)
    daemon.start()
    keep = {k: os.environ.get(k) for k in ("PULSE_SERVER", "PULSE_RUNTIME_PATH")}
    os.environ.update(PULSE_SERVER=daemon.env["PULSE_SERVER"], PULSE_RUNTIME_PATH=daemon.env["PULSE_RUNTIME_PATH"])
    sd = _rescan_devices()  # PortAudio lists devices once, when sounddevice is imported: list them again now
    try:
        yield daemon
    finally:
        daemon.stop()
        for k, v in keep.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        if sd is not None:
            _rescan_devices()
        shutil.rmtree(folder, ignore_errors=True)


def _rescan_devices():
    try:
        import sounddevice as sd
    except OSError:  # no PortAudio: devices.check_audio_devices says so, and the test fails with its message
        return None
    sd._terminate()
    sd._initialize()
    return sd


class Recording:
    """parec on a monitor source: 16 kHz mono int16, like everything else here."""

    def __init__(self, pulse: Pulse, source: str, path: Path):
        self.path = path
        self._file = open(path, "wb")
        self._process = pulse.popen("parec", f"--device={source}", "--format=s16le", f"--rate={SAMPLE_RATE}",
                                    "--channels=1", "--raw", "--latency-msec=20", stdout=self._file)
        deadline = time.monotonic() + 10
        while not pulse.run("pactl", "list", "short", "source-outputs").stdout.strip():
            assert self._process.poll() is None and time.monotonic() < deadline, "parec did not start recording"
            time.sleep(0.05)

    def stop(self) -> np.ndarray:
        self._process.send_signal(signal.SIGINT)
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._file.close()
        data = self.path.read_bytes()
        return np.frombuffer(data[:len(data) // 2 * 2], dtype="<i2")


def dbfs(samples: np.ndarray) -> float:
    rms = np.sqrt(np.mean(np.square(samples.astype(np.float64)))) if len(samples) else 0.0
    return 20 * np.log10(max(rms, 1e-9) / 32768)


def best_match(recording: np.ndarray, clip: np.ndarray) -> tuple[float, int]:
    """Normalised cross-correlation of `clip` against `recording`: (best score 0..1, its offset in samples)."""
    r, c = recording.astype(np.float64), clip.astype(np.float64)
    n = 1 << int(np.ceil(np.log2(len(r) + len(c))))
    correlation = np.fft.irfft(np.fft.rfft(r, n) * np.conj(np.fft.rfft(c, n)), n)[:len(r) - len(c) + 1]
    energy = np.concatenate([[0.0], np.cumsum(r * r)])
    window = np.sqrt(np.maximum(energy[len(c):] - energy[:-len(c)], 1e-9))
    score = correlation / (window * np.linalg.norm(c))
    k = int(np.argmax(score))
    return float(score[k]), k


def coverage(recording: np.ndarray, clip: np.ndarray, piece_s: float = 0.4) -> float:
    """Share of the clip's audible pieces found in the recording (each matched on its own, so a glitch of the
    virtual sound card in one place does not hide the rest)."""
    n = int(piece_s * SAMPLE_RATE)
    pieces = [clip[i:i + n] for i in range(0, len(clip) - n + 1, n) if dbfs(clip[i:i + n]) > -45]
    found = [best_match(recording, piece)[0] > 0.8 for piece in pieces]
    return sum(found) / max(1, len(found))


def test_a_request_spoken_into_the_virtual_microphone_is_answered_on_the_virtual_speaker(
        pulse, tmp_path, patient, assistant_voice, clock):
    from voice_assistant.audio import devices

    found = devices.check_audio_devices()  # what run_live checks first
    assert found.input is not None and found.output is not None
    session = make_session(tmp_path, real_recognizer(), assistant_voice, clock)
    session.text("my glucose is one twenty")
    assert session.text("yes").text.startswith("Saved:")
    request = patient.wav("assistant, what was my last reading")
    player = FakePlayer(device_play=devices.play)  # devices.play does the playing; this only keeps a record
    h = Harness(session, LiveOptions(push_to_talk=True, idle_every_s=0.1), mic=devices.open_microphone,
                player=player)
    speaker = Recording(pulse, "speaker.monitor", tmp_path / "speaker.raw")

    def patient_acts(h: Harness) -> None:
        h.wait_until(lambda: bool(player.speech()), "the greeting to start")
        time.sleep(0.2)
        h.loop.press()  # barge-in on a real stream: the greeting stops, the microphone opens
        h.wait_until(lambda: any(p.kind == Earcon.LISTENING.value and p.completed for p in player.played),
                     "the listening chime to have played")
        time.sleep(0.2)
        pulse.run("paplay", "--device=virtmic", str(request))
        h.wait_said(2)
        time.sleep(0.5)  # the end of the reply leaves the null sink

    try:
        h.run(patient_acts, timeout=40)
    finally:
        heard_by_patient = speaker.stop()
        session.manager.ctx.store.close()

    greeting, reply = h.said
    assert greeting.completed is False, "the key stopped the greeting"
    assert reply.text.startswith("Your last reading was one hundred and twenty milligrams per deciliter"), \
        (h.heard, reply.text)
    assert reply.completed and [p.kind for p in player.played][-len(reply.played) - 1:] == \
        [Earcon.UNDERSTOOD.value] + ["speech"] * len(reply.played)

    # What reached the virtual speaker: loud enough, and the reply itself, sentence by sentence.
    assert len(heard_by_patient) > 3 * SAMPLE_RATE, "the speaker recording is too short"
    for played in reply.played:
        expected = _at_16k(played.clip)
        found = coverage(heard_by_patient, expected)
        assert found > 0.8, f"a sentence of the reply is not in the speaker's recording ({found:.0%} of it found)"
        assert dbfs(heard_by_patient[best_match(heard_by_patient, expected)[1]:][:len(expected)]) > -40
    # The key cut the greeting: the end of its first sentence never reached the speaker (the null sink's monitor
    # sends nothing while nothing plays, so the recording has no timeline to measure; what it holds is enough).
    first = _at_16k(greeting.played[0].clip)
    assert len(first) > SAMPLE_RATE, "the greeting's first sentence lasts more than a second"
    tail_score, _ = best_match(heard_by_patient, first[-SAMPLE_RATE // 2: -SAMPLE_RATE // 10])
    assert tail_score < 0.6, f"the greeting went on after the key (its end matches at {tail_score:.2f})"
    chime_score, _ = best_match(heard_by_patient, earcon(Earcon.LISTENING).samples)
    assert chime_score > 0.8, f"the listening chime is not in the recording (match {chime_score:.2f})"

    # And a recogniser listening to the virtual speaker hears the reading read back.
    reply_at = best_match(heard_by_patient, _at_16k(reply.played[0].clip))[1]
    transcript = real_recognizer().recognize(AudioClip(heard_by_patient[reply_at:]).pcm())
    # the value is what the patient must hear; the words around it are left to the recogniser's mood
    assert "one hundred and twenty" in transcript.text, transcript.text


def _at_16k(clip: AudioClip) -> np.ndarray:
    return float_to_int16(resample(to_float_mono(clip.samples), clip.sample_rate, SAMPLE_RATE))
