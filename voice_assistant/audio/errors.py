"""The two ways audio can fail, each with a message a patient or a caregiver can act on."""

from __future__ import annotations

from voice_assistant.errors import VoiceAssistantError


class AudioError(VoiceAssistantError):
    """Audio could not be read, written or converted; `str(err)` is a plain sentence with the fix."""

    def __init__(self, message: str, *, path: str | None = None, reason: str = "") -> None:
        super().__init__(message)
        self.path = path  #: the file concerned, when there is one
        self.reason = reason  #: short code for logs and eval: "missing", "empty", "not_audio", "no_sound"...


class AudioDeviceError(AudioError):
    """No usable microphone or speaker (PortAudio missing, no device, device busy); the message gives the fix."""
