"""The one small protocol every speech synthesiser implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Protocol

from voice_assistant.audio.clip import AudioClip
from voice_assistant.errors import EngineUnavailable

#: The speech rate a patient starts with, in words per minute (the profile holds theirs; about 100 to 350).
DEFAULT_WPM = 160
#: The slowest and fastest rates any engine here is asked for; requests outside are clamped to these.
MIN_WPM = 80
MAX_WPM = 450


class SynthesizerUnavailable(EngineUnavailable):
    """The requested engine or voice is not installed; the message names what is missing and how to get it."""


@dataclass(frozen=True)
class SpokenSentence:
    text: str  #: the sentence as written for the ear (after normalisation: words only, no digits)
    audio: AudioClip  #: its audio, at the engine's own sample rate (int16 mono)


class Synthesizer(Protocol):
    """Turns a reply into audio, one sentence at a time so playback starts before the whole reply is ready."""

    language: str  #: "fr", "en"
    sample_rate: int  #: Hz of every clip it yields

    def speak(self, text: str, words_per_minute: int = DEFAULT_WPM) -> Iterator[SpokenSentence]:
        """Sentence by sentence, in order; text is normalised for the ear first. (An engine may start a long
        first sentence with its first clause alone, to start talking sooner.)"""


def clamp_wpm(words_per_minute: float) -> float:
    return float(min(MAX_WPM, max(MIN_WPM, words_per_minute)))
