"""Device wrappers without hardware: PortAudio missing, no device, and the stream logic against a fake sounddevice.
The real device test (a virtual microphone and speaker) belongs to the live loop."""

from __future__ import annotations

import importlib.abc
import subprocess
import sys
import threading
import types

import numpy as np
import pytest

from voice_assistant.audio import AudioClip, AudioDeviceError, AudioError, devices
from voice_assistant.audio.devices import check_audio_devices, open_microphone, play


class _NoPortAudio(importlib.abc.MetaPathFinder):
    """Makes `import sounddevice` fail the way it does on a machine without PortAudio."""

    def find_spec(self, name, path=None, target=None):
        if name == "sounddevice":
            raise OSError("PortAudio library not found")
        return None


@pytest.fixture
def no_portaudio(monkeypatch):
    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    monkeypatch.setattr(sys, "meta_path", [_NoPortAudio(), *sys.meta_path])


@pytest.mark.parametrize("call", [
    lambda: check_audio_devices(),
    lambda: open_microphone(lambda block: None),
    lambda: play(AudioClip(np.zeros(160, dtype=np.int16))),
])
def test_missing_portaudio_is_one_clear_message(no_portaudio, call):
    with pytest.raises(AudioDeviceError) as err:
        call()
    msg = str(err.value)
    assert "PortAudio" in msg and "sudo apt install libportaudio2" in msg and "voice-assistant demo" in msg
    assert "\n" not in msg and err.value.reason == "no_portaudio"
    assert isinstance(err.value, AudioError) and isinstance(err.value.__cause__, OSError)


def test_missing_sounddevice_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "sounddevice", None)  # makes the import raise ImportError
    with pytest.raises(AudioDeviceError, match="pip install sounddevice") as err:
        check_audio_devices()
    assert err.value.reason == "no_sounddevice"


def test_the_package_imports_without_portaudio():
    code = (
        "import importlib.abc, sys\n"
        "class F(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'sounddevice': raise OSError('PortAudio library not found')\n"
        "sys.meta_path.insert(0, F())\n"
        "import voice_assistant.audio, voice_assistant.audio.devices, voice_assistant.audio.endpoint\n"
        "import voice_assistant.audio.earcons, voice_assistant.audio.files\n"
        "assert 'sounddevice' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# -- a fake sounddevice: enough of its API for the wrappers -------------------------------------------------------
class FakePortAudioError(Exception):
    pass


def fake_sounddevice(devices_list, *, rates=(16000,), default_in=None, default_out=None):
    sd = types.ModuleType("sounddevice")
    sd.PortAudioError = FakePortAudioError
    sd.streams = []

    def query_devices(device=None, kind=None):
        if device is None and kind is None:
            return [dict(d, index=i) for i, d in enumerate(devices_list)]
        if device is None:
            device = default_in if kind == "input" else default_out
            if device is None:
                raise FakePortAudioError("Error querying device -1")
        return dict(devices_list[device], index=device)

    def check(device=None, channels=None, dtype=None, samplerate=None, extra_settings=None):
        if samplerate not in rates:
            raise FakePortAudioError("Invalid sample rate")

    class Stream:
        def __init__(self, **kwargs):
            self.kwargs, self.written, self.aborted, self.active = kwargs, [], False, False
            sd.streams.append(self)

        def __enter__(self):
            self.active = True
            return self

        def __exit__(self, *exc):
            self.active = False

        def write(self, data):
            assert data.dtype == np.int16 and data.shape[1] == 1
            self.written.append(data.copy())

        def abort(self):
            self.aborted = True

    sd.query_devices = query_devices
    sd.check_input_settings = sd.check_output_settings = check
    sd.InputStream = sd.OutputStream = Stream
    return sd


MIC = {"name": "USB microphone", "max_input_channels": 1, "max_output_channels": 0, "default_samplerate": 48000.0}
SPEAKER = {"name": "Speaker", "max_input_channels": 0, "max_output_channels": 2, "default_samplerate": 44100.0}


def test_no_microphone(monkeypatch):
    monkeypatch.setitem(sys.modules, "sounddevice", fake_sounddevice([SPEAKER], default_out=0))
    with pytest.raises(AudioDeviceError) as err:
        check_audio_devices()
    assert str(err.value) == "No microphone found. Plug one in, or run `voice-assistant demo` which needs none."
    assert check_audio_devices(need_input=False).output.name == "Speaker"
    with pytest.raises(AudioDeviceError, match="No microphone found"):
        open_microphone(lambda block: None)


def test_no_speaker(monkeypatch):
    monkeypatch.setitem(sys.modules, "sounddevice", fake_sounddevice([MIC], default_in=0))
    with pytest.raises(AudioDeviceError, match="No speaker found") as err:
        play(AudioClip(np.zeros(160, dtype=np.int16)))
    assert err.value.reason == "no_speaker"


def test_devices_found_even_without_a_system_default(monkeypatch):
    monkeypatch.setitem(sys.modules, "sounddevice", fake_sounddevice([SPEAKER, MIC]))
    found = check_audio_devices()
    assert (found.input.index, found.input.name, found.input.sample_rate) == (1, "USB microphone", 48000.0)
    assert found.output.index == 0


def test_microphone_blocks_are_int16_mono_copies(monkeypatch):
    sd = fake_sounddevice([MIC], default_in=0)
    monkeypatch.setitem(sys.modules, "sounddevice", sd)
    got = []
    stream = open_microphone(got.append)
    assert stream.kwargs["samplerate"] == 16000 and stream.kwargs["blocksize"] == 480
    assert stream.kwargs["dtype"] == "int16" and stream.kwargs["channels"] == 1
    indata = np.arange(480, dtype=np.int16).reshape(-1, 1)
    stream.kwargs["callback"](indata, 480, None, None)
    indata[:] = 0  # PortAudio reuses its buffer
    assert got[0].shape == (480,) and got[0].dtype == np.int16 and got[0][-1] == 479


def test_microphone_at_another_rate_is_resampled(monkeypatch):
    sd = fake_sounddevice([MIC], default_in=0, rates=(48000,))
    monkeypatch.setitem(sys.modules, "sounddevice", sd)
    got = []
    stream = open_microphone(got.append)
    assert stream.kwargs["samplerate"] == 48000 and stream.kwargs["blocksize"] == 1440
    tone = (8000 * np.sin(2 * np.pi * 440 * np.arange(48000) / 48000)).astype(np.int16)
    for i in range(0, 48000, 1440):
        stream.kwargs["callback"](tone[i:i + 1440, None], 1440, None, None)
    out = np.concatenate(got)
    assert out.dtype == np.int16 and abs(len(out) - 16000) < 400


def test_play_to_the_end(monkeypatch):
    sd = fake_sounddevice([SPEAKER], default_out=0)
    monkeypatch.setitem(sys.modules, "sounddevice", sd)
    clip = AudioClip(np.arange(16000, dtype=np.int16))
    assert play(clip, threading.Event()) is True
    (stream,) = sd.streams
    np.testing.assert_array_equal(np.concatenate(stream.written)[:, 0], clip.samples)
    assert not stream.aborted


def test_play_is_interrupted_by_barge_in(monkeypatch):
    sd = fake_sounddevice([SPEAKER], default_out=0)
    monkeypatch.setitem(sys.modules, "sounddevice", sd)
    stop = threading.Event()
    written = []

    class Stream(sd.OutputStream):
        def write(self, data):
            written.append(len(data))
            if len(written) == 3:
                stop.set()  # the patient starts speaking during the third block

    sd.OutputStream = Stream
    assert play(AudioClip(np.zeros(16000 * 5, dtype=np.int16)), stop) is False
    assert len(written) == 3 and sd.streams[0].aborted  # buffered audio dropped at once


def test_play_resamples_for_a_device_without_the_clip_rate(monkeypatch):
    sd = fake_sounddevice([SPEAKER], default_out=0, rates=(44100,))
    monkeypatch.setitem(sys.modules, "sounddevice", sd)
    assert play(AudioClip(np.zeros(16000, dtype=np.int16))) is True
    (stream,) = sd.streams
    assert stream.kwargs["samplerate"] == 44100
    assert abs(sum(len(w) for w in stream.written) - 44100) < 10


def test_a_device_that_fails_to_open(monkeypatch):
    sd = fake_sounddevice([MIC, SPEAKER], default_in=0, default_out=1)

    def broken(**kwargs):
        raise FakePortAudioError("Device unavailable")

    sd.InputStream = sd.OutputStream = broken
    monkeypatch.setitem(sys.modules, "sounddevice", sd)
    with pytest.raises(AudioDeviceError, match="microphone could not be opened.*Device unavailable"):
        open_microphone(lambda block: None)
    with pytest.raises(AudioDeviceError, match="speaker could not be opened"):
        play(AudioClip(np.zeros(160, dtype=np.int16)))
    assert devices.NO_MICROPHONE.startswith("No microphone found")


def test_the_speaker_goes_through_portaudio_when_no_sound_server_answers(monkeypatch, tmp_path):
    sd = fake_sounddevice([MIC, SPEAKER], rates=(22050,), default_in=0, default_out=1)
    sd.OutputStream.start = sd.OutputStream.close = lambda self: None
    monkeypatch.setitem(sys.modules, "sounddevice", sd)
    monkeypatch.setenv("PULSE_SERVER", f"unix:{tmp_path}/no-server-here")  # never the user's own server
    player = devices.open_player()
    try:
        assert player.sink is None and player.stream is sd.streams[0]  # PortAudio's callback stream
        assert sd.streams[0].kwargs["samplerate"] == 22050 and callable(sd.streams[0].kwargs["callback"])
    finally:
        player.close()
    with pytest.raises(AudioDeviceError, match="sound server cannot play.*PulseAudio or PipeWire"):
        devices.open_player(backend="pulse")
    with pytest.raises(ValueError):
        devices.open_player(backend="alsa")
