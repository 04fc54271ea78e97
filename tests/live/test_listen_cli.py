"""`voice-assistant listen` on a machine that cannot do audio: one clear message with the fix, a non-zero exit, no
traceback. Each case runs the real command in a subprocess with a stand-in `sounddevice` module first on its path:
one that fails at import the way sounddevice does when PortAudio is missing, or one whose PortAudio finds no device.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

NO_PORTAUDIO = 'raise OSError("PortAudio library not found")  # what sounddevice raises without libportaudio2\n'
NO_PACKAGE = 'raise ImportError("No module named sounddevice")\n'
DEVICES = '''
class PortAudioError(Exception):
    pass

_DEVICES = {devices!r}

def query_devices(device=None, kind=None):
    if kind is None and device is None:
        return list(_DEVICES)
    if kind is not None:
        raise PortAudioError("Error querying device -1")
    return _DEVICES[device]
'''
BROKEN = '''
class PortAudioError(Exception):
    pass

def query_devices(device=None, kind=None):
    raise PortAudioError("Error querying host API -9999")
'''


def listen(tmp_path: Path, stand_in: str, *args: str) -> subprocess.CompletedProcess:
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "sounddevice.py").write_text(stand_in)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(fake), str(REPO)]),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data")}
    return subprocess.run([sys.executable, "-m", "voice_assistant", "listen", *args], cwd=tmp_path, env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("stand_in, args, expected", [
    (NO_PORTAUDIO, (), ["PortAudio is not installed", "sudo apt install libportaudio2", "voice-assistant demo"]),
    (NO_PORTAUDIO, ("--hands-free",), ["PortAudio is not installed", "sudo apt install libportaudio2"]),
    (NO_PACKAGE, (), ["pip install sounddevice", "voice-assistant demo"]),
    (DEVICES.format(devices=[]), (), ["No microphone found. Plug one in", "voice-assistant demo"]),
    (BROKEN, (), ["The sound system does not answer", "voice-assistant demo"]),
], ids=["no-portaudio", "no-portaudio-hands-free", "no-sounddevice", "no-device", "broken-audio-system"])
def test_listen_without_audio_says_what_to_do(tmp_path, stand_in, args, expected):
    result = listen(tmp_path, stand_in, *args)
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "Traceback" not in out, out
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("voice-assistant: "), out  # one message, on stderr
    assert result.stdout == "", "nothing else is printed (no 'Press Enter to talk' before failing)"
    for words in expected:
        assert words in lines[0], lines[0]
