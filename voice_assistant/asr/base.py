"""The one small protocol every speech recogniser implements; the rest of the code never imports an engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Word:
    text: str
    confidence: float  #: 0..1 as the engine reports it (1.0 when it reports none)
    start: float = 0.0  #: seconds from the start of the utterance
    end: float = 0.0


@dataclass(frozen=True)
class Transcript:
    """What a recogniser heard."""

    text: str  #: the words, lowercase, as the engine wrote them ("" when nothing was heard)
    words: tuple[Word, ...] = ()
    confidence: float = 0.0  #: 0..1 for the whole utterance
    final: bool = True  #: False for a partial result while the person is still speaking
    engine: str = ""  #: "vosk", "pocketsphinx"... for logs and the clinician's provenance
    constrained: bool = True  #: True when decoded against the pack's vocabulary, False for the open pass
    info: dict = field(default_factory=dict, compare=False)


class Recognizer(Protocol):
    """Streaming recognition of one utterance at a time: feed 16 kHz mono 16-bit PCM, read results."""

    language: str
    sample_rate: int

    def accept(self, pcm: bytes) -> Transcript | None:
        """Feed audio; returns a partial Transcript (final=False) when the engine has one, else None."""

    def finish(self) -> Transcript:
        """End of the utterance (the endpointer decided): the final Transcript; the recogniser is reset."""

    def reset(self) -> None:
        """Drop any audio fed so far."""


class BufferedRecognizer:
    """A recogniser that decodes a whole utterance at once (whisper; two engines combined): `accept()` keeps
    the audio, `finish()` decodes what was kept and starts afresh. Subclasses set `engine` and write `decode()`."""

    engine = ""

    def __init__(self) -> None:
        self._audio = bytearray()

    def accept(self, pcm: bytes) -> Transcript | None:
        self._audio.extend(pcm)
        return None

    def finish(self) -> Transcript:
        audio = bytes(self._audio)
        self.reset()
        return self.decode(audio) if audio else Transcript("", engine=self.engine)

    def reset(self) -> None:
        self._audio = bytearray()

    def recognize(self, pcm: bytes) -> Transcript:
        """One whole utterance given at once (what came before is dropped)."""
        self.reset()
        return self.decode(pcm)

    def decode(self, audio: bytes) -> Transcript:
        """The transcript of one whole utterance (16 kHz 16-bit mono)."""
        raise NotImplementedError


#: How much audio one `accept()` gets when a whole utterance is fed: 0.25 s of 16 kHz 16-bit mono.
FEED_BYTES = 8000


def feed(recognizer: Recognizer, pcm: bytes, chunk: int = FEED_BYTES) -> None:
    """Give `pcm` to the recogniser in chunks, as a microphone would (the one feed loop; partials dropped)."""
    for i in range(0, len(pcm), chunk):
        recognizer.accept(pcm[i:i + chunk])


def transcribe(recognizer: Recognizer, pcm: bytes, chunk: int = FEED_BYTES) -> Transcript:
    """One whole utterance: forget what came before, feed it, and the final transcript."""
    recognizer.reset()
    feed(recognizer, pcm, chunk)
    return recognizer.finish()
