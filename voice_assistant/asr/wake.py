"""The wake phrase, spotted on the continuous microphone stream (hands-free `listen`).

A recogniser that decodes every utterance against the pack's language model hears its favourite word
("assistant") in a television's talk far too often (about 80 false wakes per hour were measured with the word
allowed anywhere in an utterance). Here a dedicated spotter, pocketsphinx's keyphrase search on the bundled en-US
acoustic model, runs on everything the microphone hears; an utterance is for the assistant only when

1. the spotter heard the phrase end near the utterance's start (`WINDOW`), and
2. the recogniser's transcript of that utterance opens with the phrase too (both must agree).

The threshold is chosen from `scripts/bench_wake.py` (false wakes per hour on long TV-like speech against misses
on spoken requests; figures in the README). Languages without a keyphrase model (French here: pocketsphinx ships
English only) keep rule 2 alone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Sequence

import numpy as np

log = logging.getLogger(__name__)

#: keyphrase threshold per language (a smaller value hears the phrase more easily); see the module docstring.
#: 1e-60 is as loose as pocketsphinx's keyphrase score goes (1e-70 to 1e-90 give the same hits): the transcript's
#: first word is the gate that keeps the television out, the spotter should miss as few requests as it can
THRESHOLDS: dict[str, float] = {"en": 1e-60}
#: the spotter's hit must end this long before ... after the utterance's detected start (seconds): the endpointer
#: starts ~150 ms into speech and « assistant » lasts up to about a second when said slowly
WINDOW = (-0.6, 1.6)


@dataclass(frozen=True)
class WakeRule:
    """Whether an utterance opens with the wake phrase, from the spotter's hits and the transcript."""

    wake_words: tuple[str, ...]
    window: tuple[float, float] = WINDOW
    need_transcript: bool = True  #: the transcript must open with the phrase too

    def spotted_near(self, start_s: float | None, hits: Sequence[float]) -> bool:
        if start_s is None:
            return False
        return any(start_s + self.window[0] <= t <= start_s + self.window[1] for t in hits)

    def transcript_opens(self, words: Sequence[str]) -> bool:
        return bool(words) and words[0] in self.wake_words

    def opens(self, start_s: float | None, hits: Sequence[float] | None, words: Sequence[str]) -> bool:
        """`hits` None: no spotter for this language; the transcript alone decides."""
        if hits is None:
            return self.transcript_opens(words)
        if not self.spotted_near(start_s, hits):
            return False
        return self.transcript_opens(words) if self.need_transcript else True


class KeyphraseSpotter:
    """pocketsphinx keyphrase search over a never-ending stream of 16 kHz int16 samples."""

    def __init__(self, phrase: str, threshold: float, model_dir=None):
        from pocketsphinx import Decoder

        from voice_assistant.asr.pocketsphinx_engine import bundled_model_dir

        model = bundled_model_dir() if model_dir is None else model_dir
        self.phrase = phrase.lower()
        self.threshold = threshold
        self._decoder = Decoder(hmm=str(model / "en-us"), dict=str(model / "cmudict-en-us.dict"),
                                keyphrase=self.phrase, kws_threshold=threshold, loglevel="FATAL")
        self._decoder.start_utt()
        self._fed = 0
        self.max_utt = 16000 * 60  #: the search restarts after this much audio with no hit (bounded memory)

    def process(self, samples: np.ndarray) -> bool:
        """Feed samples; True when the phrase was heard ending in them."""
        samples = np.asarray(samples, dtype="<i2")
        if not len(samples):
            return False
        self._decoder.process_raw(samples.tobytes())
        self._fed += len(samples)
        if self._decoder.hyp() is not None:
            self._restart()
            return True
        if self._fed > self.max_utt:
            self._restart()
        return False

    def _restart(self) -> None:
        self._decoder.end_utt()
        self._decoder.start_utt()
        self._fed = 0

    def reset(self) -> None:
        self._restart()


def spotter_for(language: str, wake_words: Sequence[str], threshold: float | None = None):
    """A factory of spotters for `language`'s wake phrase, or None when none can be built (the loop then uses the
    transcript rule alone, and says so in the log)."""
    threshold = THRESHOLDS.get(language) if threshold is None else threshold
    if threshold is None or not wake_words:
        return None
    phrase = " ".join(wake_words)
    try:
        KeyphraseSpotter(phrase, threshold)  # fails now, not in the loop, when the model or a word is missing
    except Exception as e:  # noqa: BLE001 - pocketsphinx missing, a word not in its dictionary
        log.warning("no wake-phrase spotter for %s (%s): the transcript alone decides", language, e)
        return None
    return lambda: KeyphraseSpotter(phrase, threshold)
