"""Speech recognition behind one small protocol: `recognizer_for(language, profile)` picks the engine."""

from voice_assistant.asr.base import Recognizer, Transcript, Word
from voice_assistant.asr.select import RecognizerUnavailable, recognizer_for

__all__ = ["Recognizer", "RecognizerUnavailable", "Transcript", "Word", "recognizer_for"]
