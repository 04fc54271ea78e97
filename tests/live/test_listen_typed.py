"""The real `voice-assistant listen --lang fr` without a French recogniser (none is installed on a clean machine:
`models install` is the only way) on a private PulseAudio daemon: it starts anyway, says and prints which model to
install, and takes typed sentences from its standard input as the patient's turns: a reading is read back, stored
only after a typed "oui", and the replies are spoken on the (virtual) speaker."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time

import pytest

from pulsekit import SKIP_WITHOUT_PULSE, Recording, dbfs, pulse_daemon
from voice_assistant.store import Store, default_db_path

pytestmark = SKIP_WITHOUT_PULSE
pulse = pytest.fixture(scope="module")(pulse_daemon)
INSTALL = "voice-assistant models install vosk-model-small-fr-0.22"


def readings() -> list[float]:
    if not default_db_path().exists():
        return []
    with Store.open(default_db_path()) as store:
        return [r.glucose_mg_dl for r in store.readings()]


class Console:
    """The command's standard output, line by line, read in a thread (so a wait can time out)."""

    def __init__(self, stream):
        self.lines: list[str] = []
        self._queue: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream) -> None:
        for line in stream:
            self._queue.put(line)
        self._queue.put(None)

    def wait_for(self, words: str, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._queue.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"no line with {words!r} within {timeout} s; printed: {''.join(self.lines)}")
            if line is None:
                pytest.fail(f"the command ended before saying {words!r}; printed: {''.join(self.lines)}")
            self.lines.append(line)
            if words in line:
                return line


def test_listen_without_the_recogniser_says_the_model_and_takes_typed_turns(pulse, tmp_path):
    speaker = Recording(pulse, "speaker.monitor", tmp_path / "speaker.raw")
    proc = subprocess.Popen([sys.executable, "-m", "voice_assistant", "listen", "--lang", "fr"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=pulse.env | {k: os.environ[k] for k in ("XDG_CONFIG_HOME", "XDG_DATA_HOME")})
    try:
        console = Console(proc.stdout)
        console.wait_for("Je ne sais pas encore entendre cette langue : français")
        console.wait_for("Écrivez ce que vous voulez dire")
        proc.stdin.write("ma glycémie est à 120\n")
        proc.stdin.flush()
        console.wait_for("cent vingt milligrammes par décilitre. C'est bien ça ?")
        assert readings() == []  # read back, not stored before the "oui"
        proc.stdin.write("oui\n")
        proc.stdin.flush()
        console.wait_for("C'est enregistré : cent vingt milligrammes par décilitre.")
        proc.stdin.close()  # Ctrl+D: the end
        assert proc.wait(timeout=120) == 0
        err = proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        heard = speaker.stop()
    assert INSTALL in err and "Traceback" not in err, err
    assert readings() == [120.0]
    loud = [dbfs(heard[i:i + 1600]) > -40 for i in range(0, len(heard) - 1600, 1600)]
    assert sum(loud) > 50, f"the replies were not spoken: {sum(loud)} loud tenths of a second"  # > 5 s of voice
