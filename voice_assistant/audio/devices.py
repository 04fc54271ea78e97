"""Microphone and speaker through sounddevice (PortAudio), for the live loop; the speaker through the sound
server itself (audio/pulse.py) wherever PulseAudio or PipeWire's pulse layer answers.

sounddevice is imported inside the functions: it raises OSError at import when PortAudio is missing, and the rest
of the package (files, demo, eval) must work without it. Every failure becomes one AudioDeviceError whose message
says what is wrong and how to fix it.
"""

from __future__ import annotations

import importlib
import logging
from time import monotonic as _monotonic  # noqa: I001
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from voice_assistant.audio.clip import SAMPLE_RATE, AudioClip
from voice_assistant.audio.convert import float_to_int16, resample, to_float_mono
from voice_assistant.audio.errors import AudioDeviceError
from voice_assistant.audio.player import LATENCY_S, Player

log = logging.getLogger(__name__)

DEMO_HINT = "or run `voice-assistant demo` which needs none."
PORTAUDIO_MISSING = ("The sound library PortAudio is not installed, so I cannot use a microphone or a speaker. "
                     "Install it (Debian, Ubuntu, Raspberry Pi OS: `sudo apt install libportaudio2`; "
                     "macOS: `brew install portaudio`), " + DEMO_HINT)
SOUNDDEVICE_MISSING = ("The Python package sounddevice is not installed, so I cannot use a microphone or a speaker. "
                       "Install it with `pip install sounddevice`, " + DEMO_HINT)
NO_MICROPHONE = "No microphone found. Plug one in, " + DEMO_HINT
NO_SPEAKER = ("No speaker found. Plug in a speaker or headphones, or run `voice-assistant demo --out DIR`, "
              "which writes the replies to WAV files.")
MIC_BLOCK_S = 0.030  #: default microphone block: one endpointer frame
PLAY_BLOCK_S = 0.050  #: playback is written in blocks this long, so barge-in stops it within about this delay


class StopFlag(Protocol):
    def is_set(self) -> bool: ...


@dataclass(frozen=True)
class Device:
    """One PortAudio device."""

    index: int  #: PortAudio device number
    name: str  #: as the system names it ("USB PnP Sound Device", "pulse")
    sample_rate: float  #: the device's default rate, Hz
    channels: int  #: input or output channels, depending on the use


@dataclass(frozen=True)
class AudioDevices:
    """The devices the live loop will use; None for a side that was not asked for."""

    input: Device | None = None
    output: Device | None = None


def check_audio_devices(*, need_input: bool = True, need_output: bool = True) -> AudioDevices:
    """Find the default microphone and speaker, or raise AudioDeviceError with one clear message and the fix."""
    sd = _sounddevice()
    try:
        devices = list(sd.query_devices())
    except Exception as e:  # sd.PortAudioError: the host audio system itself is broken
        raise AudioDeviceError(f"The sound system does not answer ({e}). Check that audio works on this computer, "
                               + DEMO_HINT, reason="no_audio_system") from e
    found = AudioDevices(
        input=_pick(sd, devices, "input") if need_input else None,
        output=_pick(sd, devices, "output") if need_output else None,
    )
    if need_input and found.input is None:
        raise AudioDeviceError(NO_MICROPHONE, reason="no_microphone")
    if need_output and found.output is None:
        raise AudioDeviceError(NO_SPEAKER, reason="no_speaker")
    return found


def open_microphone(callback: Callable[..., None], sample_rate: int = SAMPLE_RATE,
                    blocksize: int | None = None, device: int | str | None = None, timed: bool = False,
                    latency: float | str | None = None) -> Any:
    """An input stream (not started: use it in a `with` block, or call .start()) that calls `callback` with each
    block as a fresh 1-D int16 array at `sample_rate` (the device's own rate is resampled when it differs).
    `timed`: `callback(block, t0)` with t0 the time its first sample reached the microphone, on
    time.monotonic()'s clock (from PortAudio's ADC time; estimated from the arrival time when it gives none).

    `blocksize` is in samples at `sample_rate` (default 30 ms). The callback runs on PortAudio's thread: keep it
    short (put the block on a queue).
    """
    sd = _sounddevice()
    if device is None:
        device = check_audio_devices(need_input=True, need_output=False).input.index
    rate = _supported_rate(sd, "input", device, sample_rate)
    blocksize = blocksize or round(sample_rate * MIC_BLOCK_S)
    stream_block = max(1, round(blocksize * rate / sample_rate))
    resampler = None
    if rate != sample_rate:
        import soxr

        resampler = soxr.ResampleStream(rate, sample_rate, 1, dtype="int16")
        log.info("microphone runs at %s Hz; resampling to %s Hz", rate, sample_rate)

    clock = _SampleClock(rate)

    def _on_block(indata, frames, time_info, status) -> None:  # noqa: ARG001 - PortAudio's signature
        arrived = _monotonic()
        if status:
            log.debug("microphone: %s", status)
        t_first = clock.place(frames, arrived, overflow=bool(getattr(status, "input_overflow", False)))
        block = np.array(indata[:, 0], dtype=np.int16)  # a copy: PortAudio reuses its buffer
        if resampler is not None:
            block = resampler.resample_chunk(block)
        if not len(block):
            return
        if not timed:
            callback(block)
            return
        # the block ends where the captured buffer ends (a resampler's output may be a little shorter or longer)
        callback(block, t_first + frames / rate - len(block) / sample_rate)

    try:
        return sd.InputStream(samplerate=rate, blocksize=stream_block, device=device, channels=1, dtype="int16",
                              callback=_on_block, **({} if latency is None else {"latency": latency}))
    except Exception as e:  # sd.PortAudioError and ValueError for a bad device
        raise AudioDeviceError(f"The microphone could not be opened ({e}). Check that it is plugged in and not used "
                               "by another program, " + DEMO_HINT, reason="microphone_failed") from e


def play(clip: AudioClip, stop_event: StopFlag | None = None, device: int | str | None = None) -> bool:
    """Play a clip and return True when it played to the end, False when `stop_event` was set (barge-in).

    Blocks while playing; checks `stop_event` (a threading.Event or anything with is_set()) every 50 ms and
    drops what is still buffered as soon as it is set.
    """
    sd = _sounddevice()
    if device is None:
        device = check_audio_devices(need_input=False, need_output=True).output.index
    rate = _supported_rate(sd, "output", device, clip.sample_rate)
    samples = np.asarray(clip.samples)
    if rate != clip.sample_rate or samples.dtype != np.int16:
        samples = float_to_int16(resample(to_float_mono(samples), clip.sample_rate, rate))
    block = max(1, round(rate * PLAY_BLOCK_S))
    try:
        stream = sd.OutputStream(samplerate=rate, device=device, channels=1, dtype="int16")
    except Exception as e:
        raise AudioDeviceError(f"The speaker could not be opened ({e}). Check that it is plugged in and switched "
                               "on, or run `voice-assistant demo --out DIR`, which writes the replies to WAV files.",
                               reason="speaker_failed") from e
    with stream:
        for start in range(0, len(samples), block):
            if stop_event is not None and stop_event.is_set():
                stream.abort()
                return False
            stream.write(np.ascontiguousarray(samples[start:start + block]).reshape(-1, 1))
        if stop_event is not None and stop_event.is_set():
            stream.abort()
            return False
    return True


def sounddevice_stream(device: int | str | None = None) -> Callable[..., Any]:
    """A stream_factory for Player on a real device."""
    sd = _sounddevice()

    def make(callback, rate, blocksize, latency):
        return sd.OutputStream(samplerate=rate, blocksize=blocksize, device=device, channels=1, dtype="int16",
                               latency=latency, callback=callback)

    return make


def open_player(device: int | str | None = None, sample_rate: int = 22050, latency_s: float | None = None,
                backend: str = "auto") -> Player:
    """The session's one output stream (audio/player.py), started: `player.play(clip, stop_event) -> bool`.

    `backend`: "pulse", the sound server's own buffer written ahead (PulseAudio, or PipeWire's pulse layer: the
    server PULSE_SERVER names, else the user's), so a busy CPU cannot make the speaker run dry; "portaudio", a
    PortAudio callback stream on `device`; "auto" (the default): the sound server when one answers and no PortAudio
    device was named, else PortAudio."""
    if backend not in ("auto", "pulse", "portaudio"):
        raise ValueError(f"unknown speaker backend {backend!r}")
    if backend == "pulse" or (backend == "auto" and device is None):
        from voice_assistant.audio.pulse import PulseSink, PulseUnavailable

        try:
            return Player(sample_rate, sink=PulseSink(sample_rate))
        except PulseUnavailable as e:
            if backend == "pulse":
                raise AudioDeviceError(f"The sound server cannot play ({e}). Check that PulseAudio or PipeWire runs, "
                                       "or run `voice-assistant demo --out DIR`, which writes the replies to WAV "
                                       "files.", reason="speaker_failed") from e
            log.info("no sound server (%s): the speaker goes through PortAudio", e)
    sd = _sounddevice()
    if device is None:
        device = check_audio_devices(need_input=False, need_output=True).output.index
    rate = _supported_rate(sd, "output", device, sample_rate)
    try:
        return Player(rate, sounddevice_stream(device), latency_s=LATENCY_S if latency_s is None else latency_s)
    except Exception as e:  # sd.PortAudioError and ValueError for a bad device
        raise AudioDeviceError(f"The speaker could not be opened ({e}). Check that it is plugged in and switched "
                               "on, or run `voice-assistant demo --out DIR`, which writes the replies to WAV files.",
                               reason="speaker_failed") from e


class _SampleClock:
    """Places each captured sample on time.monotonic()'s clock from the count of samples and the callbacks'
    arrival times (PortAudio's ADC times through ALSA's pulse plugin jump by a tenth of a second).

    A buffer's last sample cannot have been captured after its callback began, and callbacks are only ever late:
    so the earliest "arrival - samples so far / rate" seen is the stream's start. It may rise by 200 ppm of the
    time elapsed (a sound card's clock running slow); an overflow (samples lost) starts it afresh."""

    DRIFT = 2e-4

    def __init__(self, rate: int):
        self.rate = rate
        self.count = 0
        self.offset: float | None = None
        self.last: float | None = None

    def place(self, frames: int, arrived: float, overflow: bool = False) -> float:
        """The time of the first sample of a buffer of `frames` that arrived at `arrived`."""
        candidate = arrived - (self.count + frames) / self.rate
        if self.offset is None or overflow:
            self.offset = candidate
        else:
            self.offset = min(self.offset + (arrived - self.last) * self.DRIFT, candidate)
        self.last = arrived
        first = self.offset + self.count / self.rate
        self.count += frames
        return first


def _sounddevice() -> Any:
    """Import sounddevice, turning a missing PortAudio or package into AudioDeviceError."""
    try:
        return importlib.import_module("sounddevice")
    except OSError as e:  # "PortAudio library not found", raised by sounddevice at import
        raise AudioDeviceError(PORTAUDIO_MISSING, reason="no_portaudio") from e
    except ImportError as e:
        raise AudioDeviceError(SOUNDDEVICE_MISSING, reason="no_sounddevice") from e


def _pick(sd: Any, devices: list[dict], kind: str) -> Device | None:
    key = f"max_{kind}_channels"
    usable = [i for i, d in enumerate(devices) if d.get(key, 0) > 0]
    if not usable:
        return None
    try:
        info = sd.query_devices(kind=kind)  # the system default; fails when there is none
        index = int(info["index"]) if "index" in info else usable[0]
        if info.get(key, 0) <= 0:
            raise ValueError("default device has no channels of this kind")
    except Exception:  # no default device: take the first usable one
        index = usable[0]
        info = devices[index]
    return Device(index=index, name=str(info.get("name", "")), sample_rate=float(info.get("default_samplerate", 0)),
                  channels=int(info.get(key, 0)))


def _supported_rate(sd: Any, kind: str, device: int | str | None, wanted: int) -> int:
    """`wanted` if the device takes it, else the device's default rate (the caller resamples)."""
    check = sd.check_input_settings if kind == "input" else sd.check_output_settings
    try:
        check(device=device, channels=1, dtype="int16", samplerate=wanted)
        return int(wanted)
    except Exception:
        try:
            return int(sd.query_devices(device, kind=kind)["default_samplerate"])
        except Exception as e:
            side = "microphone" if kind == "input" else "speaker"
            raise AudioDeviceError(f"The {side} cannot be used ({e}). Check that it is plugged in, " + DEMO_HINT,
                                   reason=f"{side}_failed") from e
