"""Audio in and out: files, devices, resampling, endpointing, earcons."""

from voice_assistant.audio.clip import SAMPLE_RATE, AudioClip

__all__ = ["SAMPLE_RATE", "AudioClip"]
