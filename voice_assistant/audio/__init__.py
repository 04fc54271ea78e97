"""Audio in and out: files, devices, resampling, endpointing, earcons.

Importing this package never needs PortAudio: `devices` imports sounddevice only when a device is used.
"""

from voice_assistant.audio.clip import SAMPLE_RATE, AudioClip
from voice_assistant.audio.earcons import Earcon, earcon
from voice_assistant.audio.endpoint import (
    EndpointConfig,
    Endpointer,
    EndpointEvent,
    EventKind,
    segment,
    utterances,
)
from voice_assistant.audio.errors import AudioDeviceError, AudioError
from voice_assistant.audio.files import from_array, read_audio, write_wav

__all__ = [
    "SAMPLE_RATE",
    "AudioClip",
    "AudioDeviceError",
    "AudioError",
    "Earcon",
    "EndpointConfig",
    "EndpointEvent",
    "Endpointer",
    "EventKind",
    "earcon",
    "from_array",
    "read_audio",
    "segment",
    "utterances",
    "write_wav",
]
