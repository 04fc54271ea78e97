"""voice-assistant: an offline, voice-first diabetes assistant for people who cannot use a screen."""

__version__ = "0.1.0"
