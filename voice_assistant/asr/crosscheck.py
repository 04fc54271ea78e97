"""Evidence about two readings of one utterance from the *other* model: pocketsphinx's forced alignment of a
given text (how well its acoustic model fits that exact word sequence to the audio), and the texts worth
scoring (a reading with the other reading's glucose value written in, so that only the number differs).

The combiner (combine.py) asks whisper how likely pocketsphinx's reading is (`WhisperRecognizer.score`); the
aligner here asks pocketsphinx the same of whisper's reading. Digits are said in words the ways a patient says
them ("142": "one forty two", "one hundred forty two"...), and the best fitting way counts.

Measured on the two audio dev sets (scripts/cache_asr_pairs.py --align, 270 clips): where exactly one engine
was right, the alignment score favoured the right reading in 42 of 74 clips (chance), whisper's score in 68 of
84; so the combiner does not use the aligner (it stays for the evaluation scripts). `value_variants` is used.
"""

from __future__ import annotations

import itertools
import logging
import math
import re
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_MAX_VARIANTS = 8


def number_sayings(token: str) -> list[list[str]]:
    """The ways a written number is said in English: "142" -> one hundred forty two / one forty two / ..."""
    from voice_assistant.asr.vocabulary import number_words

    if "." in token:
        whole, frac = token.split(".", 1)
        return [number_words(int(whole), "en") + ["point"] + [w for d in frac for w in number_words(int(d), "en")]]
    n = int(token)
    out = [number_words(n, "en")]
    if 100 < n < 1000 and n % 100:
        hundreds, rest = divmod(n, 100)
        head = number_words(hundreds, "en")
        tail = number_words(rest, "en") if rest >= 10 else ["oh"] + number_words(rest, "en")
        out.append(head + tail)  # "one forty two", "one oh five"
        out.append(head + ["hundred"] + number_words(rest, "en"))  # "one hundred forty two"
    seen: list[list[str]] = []
    for s in out:
        if s not in seen:
            seen.append(s)
    return seen


def spoken_forms(text: str) -> list[str]:
    """`text` with every number written out the ways it may have been said (at most a few variants)."""
    tokens = text.split()
    choices = [number_sayings(t) if _NUMBER.fullmatch(t) else [[t]] for t in tokens]
    forms = []
    for combo in itertools.islice(itertools.product(*choices), _MAX_VARIANTS):
        forms.append(" ".join(w for part in combo for w in part))
    return forms


def value_variants(own: Any, other: Any) -> list[str]:
    """`own`'s sentence with `other`'s glucose value written in place of its own (only the number differs), or
    nothing when either has no glucose value or the words cannot be found."""
    words = getattr(getattr(own, "glucose", None), "words", None)
    value = getattr(getattr(other, "glucose", None), "value", None)
    text = getattr(own, "text", "")
    if not words or value is None or str(words) not in text:
        return []
    swapped = text.replace(str(words), f"{float(value):g}", 1)
    return [swapped] if swapped != text else []


class PocketsphinxAligner:
    """Pocketsphinx's forced alignment of a text to the audio: the acoustic fit of that exact word sequence."""

    def __init__(self, model_dir: Path | None = None, sample_rate: int = 16000):
        from pocketsphinx import Decoder

        from voice_assistant.asr.pocketsphinx_engine import bundled_model_dir

        folder = Path(model_dir) if model_dir else bundled_model_dir()
        self._decoder = Decoder(hmm=str(folder / "en-us"), dict=str(folder / "cmudict-en-us.dict"), lm=None,
                                samprate=sample_rate, loglevel="FATAL")
        self._known: set[str] = set()
        self._lock = threading.Lock()

    def _ensure_words(self, words: list[str]) -> None:
        from voice_assistant.asr.vocabulary import guess_pronunciation

        for w in words:
            if w in self._known:
                continue
            if self._decoder.lookup_word(w) is None:
                phones = guess_pronunciation(w)
                if not phones:
                    raise ValueError(f"no pronunciation for {w!r}")
                self._decoder.add_word(w, phones, True)
            self._known.add(w)

    def _align(self, pcm: bytes, text: str) -> float | None:
        words = text.split()
        if not words:
            return None
        self._ensure_words(words)
        d = self._decoder
        d.set_align_text(text)
        d.start_utt()
        d.process_raw(pcm, full_utt=True)
        d.end_utt()
        hyp = d.hyp()
        if hyp is None or hyp.score <= 0:
            return None
        return math.log(hyp.score)

    def score(self, pcm: bytes, text: str) -> float | None:
        """The best alignment log-score over the ways `text` may have been said; None when it cannot be aligned."""
        best = None
        with self._lock:
            for form in spoken_forms(text):
                try:
                    s = self._align(pcm, form)
                except (RuntimeError, ValueError) as exc:
                    log.debug("cannot align %r: %s", form, exc)
                    continue
                if s is not None and (best is None or s > best):
                    best = s
        return best
