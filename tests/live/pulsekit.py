"""A private PulseAudio daemon for the live tests: a virtual microphone and a virtual speaker (null sinks), the
environment PortAudio needs to find them, recordings of a monitor source, and audio matching helpers.

    virtmic  (null sink)  <- paplay request.wav           the patient speaks into it
    virtmic.monitor       -> default source -> ALSA "pulse" -> PortAudio -> the assistant's microphone
    the assistant's speaker -> PortAudio -> ALSA "pulse" -> default sink: speaker (null sink)
    speaker.monitor       -> parec -> reply.raw           what the patient hears, checked afterwards
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

from voice_assistant.audio.clip import SAMPLE_RATE

MISSING = [p for p in ("pulseaudio", "paplay", "parec", "pactl") if shutil.which(p) is None]
SKIP_WITHOUT_PULSE = pytest.mark.skipif(
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


def pulse_daemon():
    """A module-scoped fixture body: the daemon, PortAudio pointed at it, everything undone afterwards."""
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


