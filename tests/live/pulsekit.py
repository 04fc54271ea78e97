"""A private PulseAudio daemon for the live tests: a virtual microphone and a virtual speaker (null sinks), the
environment PortAudio needs to find them, recordings of a monitor source, and audio matching helpers.

    virtmic  (null sink)  <- paplay request.wav           the patient speaks into it
    virtmic.monitor       -> default source -> ALSA "pulse" -> PortAudio -> the assistant's microphone
    the assistant's speaker -> PortAudio -> ALSA "pulse" -> default sink: speaker (null sink)
    speaker.monitor       -> parec -> reply.raw           what the patient hears, checked afterwards
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
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


def echo_path(pulse: Pulse, volume: float = 0.3, latency_ms: int = 60) -> int:
    """The assistant's own voice leaking back into the microphone, as from a loudspeaker in the room: the speaker's
    monitor looped into the virtual microphone, `volume` times as loud (0.3: -10 dB), `latency_ms` later. Returns
    the module's index (pactl unload-module it to take the echo away)."""
    out = pulse.run("pactl", "load-module", "module-loopback", "source=speaker.monitor", "sink=virtmic",
                    f"latency_msec={latency_ms}", "source_dont_move=true", "sink_dont_move=true",
                    "remix=false").stdout.decode().strip()
    module = int(out.split()[0])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        listing = pulse.run("pactl", "list", "sink-inputs").stdout.decode()
        for index, owner in re.findall(r"Sink Input #(\d+)\s.*?Owner Module: (\d+)", listing, re.S):
            if owner == str(module):
                pulse.run("pactl", "set-sink-input-volume", index, f"{round(volume * 65536)}")
                return module
        time.sleep(0.05)
    raise RuntimeError("the echo loopback did not start")


CHUNK = SAMPLE_RATE // 50  #: 20 ms


class Mouth:
    """The patient's voice into the virtual microphone: a pacat process fed 20 ms at a time in real time (room
    noise between requests), so what is said starts when it is queued, give or take PulseAudio's 40 ms buffer."""

    LEAD_S = 0.05  #: from say() to the clip reaching the microphone, about (a chunk's wait + 40 ms written ahead)

    def __init__(self, pulse: Pulse, device: str = "virtmic"):
        self.proc = pulse.popen("pacat", "--playback", f"--device={device}", "--format=s16le",
                                f"--rate={SAMPLE_RATE}", "--channels=1", "--raw", "--latency-msec=40",
                                stdin=subprocess.PIPE)
        self._queue: list[np.ndarray] = []
        self._lock = threading.Lock()
        self._running = True
        self.spoke_at: list[float] = []  #: monotonic time each clip starts reaching the microphone (about)
        self._noise = np.random.default_rng(3).normal(0, 25, SAMPLE_RATE * 4)
        self._thread = threading.Thread(target=self._run, daemon=True, name="mouth")
        self._thread.start()

    def say(self, samples: np.ndarray) -> None:
        with self._lock:
            self._queue.append(samples.astype(np.float64))

    @property
    def speaking(self) -> bool:
        with self._lock:
            return bool(self._queue)

    def _run(self) -> None:
        t0 = time.monotonic()
        k = 0
        current, pos = None, 0
        while self._running:
            chunk = self._noise[(k * CHUNK) % (len(self._noise) - CHUNK):][:CHUNK].copy()
            if current is None:
                with self._lock:
                    if self._queue:
                        current, pos = self._queue[0], 0
                        # this chunk is heard 40 ms ahead of the clock's pace (see below)
                        self.spoke_at.append(max(time.monotonic(), t0 + k * CHUNK / SAMPLE_RATE))
            if current is not None:
                piece = current[pos:pos + CHUNK]
                chunk[:len(piece)] += piece
                pos += CHUNK
                if pos >= len(current):
                    with self._lock:
                        self._queue.pop(0)
                    current = None
            try:
                self.proc.stdin.write(np.clip(np.round(chunk), -32768, 32767).astype("<i2").tobytes())
                self.proc.stdin.flush()
            except (BrokenPipeError, ValueError):
                return
            k += 1
            time.sleep(max(0.0, t0 + k * CHUNK / SAMPLE_RATE - 0.04 - time.monotonic()))  # 40 ms ahead

    def close(self) -> None:
        self._running = False
        self._thread.join(2)
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        self.proc.terminate()
        self.proc.wait(5)


@dataclass
class Listen:
    """`voice-assistant listen` running, its console lines collected as they come."""

    proc: subprocess.Popen
    lines: list[tuple[float, str]] = field(default_factory=list)
    cond: threading.Condition = field(default_factory=threading.Condition)

    def read(self) -> None:
        for raw in self.proc.stdout:
            with self.cond:
                self.lines.append((time.monotonic(), raw.rstrip("\n")))
                self.cond.notify_all()

    def wait(self, pattern: str, after: int, timeout: float = 60) -> tuple[int, str]:
        """The first console line from index `after` on that matches `pattern` (its index and text)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for i in range(after, len(self.lines)):
                    if re.search(pattern, self.lines[i][1]):
                        return i, self.lines[i][1]
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    raise AssertionError(f"no console line /{pattern}/ after line {after}:\n" + self.text())
                self.cond.wait(min(left, 0.05))

    def press(self) -> None:
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()

    def text(self) -> str:
        with self.cond:
            return "\n".join(line for _, line in self.lines)

    @property
    def count(self) -> int:
        with self.cond:
            return len(self.lines)


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


