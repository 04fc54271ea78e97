"""The one small protocol every speech synthesiser implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Protocol

from voice_assistant.audio.clip import AudioClip

#: The speech rates a patient can choose, in words per minute (the profile holds theirs).
DEFAULT_WPM = 160


@dataclass(frozen=True)
class SpokenSentence:
    text: str  #: the sentence as written for the ear
    audio: AudioClip  #: its audio, at the engine's own sample rate


class Synthesizer(Protocol):
    """Turns a reply into audio, one sentence at a time so playback starts before the whole reply is ready."""

    language: str
    sample_rate: int

    def speak(self, text: str, words_per_minute: int = DEFAULT_WPM) -> Iterator[SpokenSentence]:
        """Sentence by sentence, in order; text is normalised for the ear first."""
