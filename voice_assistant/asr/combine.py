"""Two recognisers heard the same utterance: one reading per utterance, chosen from evidence, and the
disagreements that matter left for the patient to settle.

`CombinedRecognizer` takes any two engines behind the `Recognizer` protocol (pocketsphinx + whisper here, Vosk +
whisper where a Vosk model is installed). Both decode every utterance, in parallel; the first streams partials
while the patient speaks. `choose()` then weighs what each reading *means* (the pack's understanding of it),
never the particular words:

- both understood the same request and values: that reading (they agree: right 96-97 % of the time);
- one heard a request and the other nothing the pack knows, or nothing at all: the request, unless its engine
  was unsure of it (noise read as words);
- they differ: each reading gets support from the other engine where it exists (it is among the other's
  alternative readings; its words score well under the other model: whisper can score any text on the same
  audio), from the engine's own confidence and from how well it reads as a pack sentence; the best supported
  reading comes first;
- they agree on the request but not on a value the patient is giving (a glucose value, a time): the first
  choice stands, and both readings are passed on (`Transcript.info["choices"]`) so the dialogue asks which one
  was said instead of guessing ("Was it one hundred eighteen, or one hundred eighty?"); whatever is then
  chosen is read back before anything is stored, as always.

The Transcript returned carries each engine's reading in `info["engines"]` (eval reports them).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import Callable, Sequence

from voice_assistant.asr.base import Recognizer, Transcript

log = logging.getLogger(__name__)

ENGINE = "combined"
#: Slots whose value the patient gives and the assistant stores: a disagreement on one is asked about.
VALUE_SLOTS = ("glucose_mg_dl", "time")
GLUCOSE_TOLERANCE = 1.0  #: mg/dL: two readings this close are the same value (6.5 mmol/L = 117.1 mg/dL)


@dataclass(frozen=True)
class Reading:
    """One engine's transcript and what the pack makes of it."""

    transcript: Transcript
    intent: str
    slots: dict
    nlu_confidence: float

    @property
    def text(self) -> str:
        return self.transcript.text

    @property
    def empty(self) -> bool:
        return not self.transcript.text.strip()

    @property
    def request(self) -> bool:
        """Something the assistant can act on (not `none`)."""
        return not self.empty and self.intent != "none"


def same_meaning(a: Reading, b: Reading) -> bool:
    if a.intent != b.intent or set(a.slots) != set(b.slots):
        return False
    return all(_same_value(k, a.slots[k], b.slots[k]) for k in a.slots)


def _same_value(name: str, x, y) -> bool:
    if name == "glucose_mg_dl":
        try:
            return math.isclose(float(x), float(y), abs_tol=GLUCOSE_TOLERANCE)
        except (TypeError, ValueError):
            return False
    return str(x) == str(y)


def value_disagreement(a: Reading, b: Reading) -> str | None:
    """The value slot two readings of the same request give differently (the rest agreeing), or None."""
    if a.intent != b.intent or a.intent == "none":
        return None
    differ = [k for k in set(a.slots) | set(b.slots)
              if k not in a.slots or k not in b.slots or not _same_value(k, a.slots[k], b.slots[k])]
    if len(differ) == 1 and differ[0] in VALUE_SLOTS and differ[0] in a.slots and differ[0] in b.slots:
        return differ[0]
    return None


@dataclass(frozen=True)
class Choice:
    first: Reading
    second: Reading | None  #: the other reading, when it is a real alternative
    reason: str
    ask: str | None = None  #: the value slot the patient should be asked about


class Combiner:
    """Decides between two engines' readings of one utterance (see the module's notes)."""

    def __init__(self, understand: Callable[[str], object], scorer: Callable[[bytes, Sequence[str]], list] | None
                 = None, *, scorer_engine: str = "whisper", min_request_confidence: float = 0.35):
        """`understand`: text -> Understanding (the assistant's own); `scorer`: (audio, texts) -> objects with a
        `logprob` (whisper's `score`), used to weigh the other engine's reading; `scorer_engine`: whose model
        that is."""
        self.understand = understand
        self.scorer = scorer
        self.scorer_engine = scorer_engine
        self.min_request_confidence = min_request_confidence

    def reading(self, transcript: Transcript) -> Reading:
        u = self.understand(transcript.text) if transcript.text.strip() else None
        if u is None:
            return Reading(transcript, "none", {}, 0.0)
        return Reading(transcript, u.intent, dict(u.slots), float(u.confidence))

    def choose(self, audio: bytes, a: Transcript, b: Transcript) -> Choice:
        ra, rb = self.reading(a), self.reading(b)
        if ra.empty and rb.empty:
            return Choice(ra, None, "both heard nothing")
        if same_meaning(ra, rb):
            first = ra if ra.nlu_confidence >= rb.nlu_confidence else rb
            return Choice(first, None, "agree")
        if not ra.request or not rb.request:
            return self._one_request(ra, rb)
        support = {id(ra): self._support(audio, ra, rb), id(rb): self._support(audio, rb, ra)}
        first, second = (ra, rb) if support[id(ra)] >= support[id(rb)] else (rb, ra)
        slot = value_disagreement(ra, rb)
        return Choice(first, second, f"support {support[id(first)]:.2f} vs {support[id(second)]:.2f}", ask=slot)

    def _one_request(self, ra: Reading, rb: Reading) -> Choice:
        """One engine heard a request, the other nothing the pack knows."""
        req, other = (ra, rb) if ra.request else (rb, ra)
        if not req.request:  # neither is a request: the non-empty one, as heard
            first = ra if not ra.empty else rb
            return Choice(first, None, "neither is a request")
        confident = min(req.transcript.confidence, 1.0) * req.nlu_confidence
        if confident >= self.min_request_confidence or other.empty and req.nlu_confidence >= 0.9:
            return Choice(req, other, "only one heard a request")
        return Choice(other, req, "request too unsure")

    def _support(self, audio: bytes, mine: Reading, theirs: Reading) -> float:
        """How much the evidence backs `mine` against `theirs` (higher is better)."""
        score = mine.nlu_confidence + 0.5 * min(max(mine.transcript.confidence, 0.0), 1.0)
        fit = mine.transcript.info.get("fit")
        if fit is not None:
            score += 0.3 * float(fit)
        # the other engine considered this meaning among its alternative readings
        for alt in theirs.transcript.info.get("alternatives", ()) or ():
            if same_meaning(self.reading(Transcript(alt)), mine):
                score += 0.4
                break
        return score


class CombinedRecognizer:
    """Two recognisers behind the one `Recognizer` protocol; `decode()` runs both in parallel."""

    engine = ENGINE

    def __init__(self, first: Recognizer, second: Recognizer, combiner: Combiner):
        self.first, self.second, self.combiner = first, second, combiner
        self.language = first.language
        self.sample_rate = first.sample_rate
        self._audio = bytearray()
        self._lock = threading.Lock()

    def accept(self, pcm: bytes) -> Transcript | None:
        self._audio.extend(pcm)
        return self.first.accept(pcm)

    def finish(self) -> Transcript:
        audio = bytes(self._audio)
        self.reset()
        return self.decode(audio) if audio else Transcript("", engine=ENGINE)

    def reset(self) -> None:
        self._audio = bytearray()
        self.first.reset()
        self.second.reset()

    def recognize(self, pcm: bytes) -> Transcript:
        self.reset()
        return self.decode(pcm)

    def decode(self, audio: bytes) -> Transcript:
        with self._lock:
            started = time.perf_counter()
            other: dict = {}

            def run_second() -> None:
                try:
                    other["t"] = _decode(self.second, audio)
                except Exception as exc:  # one engine failing must not silence the other
                    log.warning("%s failed on an utterance: %s", _name(self.second), exc)
                    other["t"] = Transcript("", engine=_name(self.second), info={"error": str(exc)})

            thread = threading.Thread(target=run_second, daemon=True, name="second-recogniser")
            thread.start()
            try:
                a = _decode(self.first, audio)
            except Exception as exc:
                log.warning("%s failed on an utterance: %s", _name(self.first), exc)
                a = Transcript("", engine=_name(self.first), info={"error": str(exc)})
            thread.join()
            b = other["t"]
            choice = self.combiner.choose(audio, a, b)
            t = choice.first.transcript
            info = dict(t.info)
            info.update(engine=t.engine, reason=choice.reason,
                        engines={_name(self.first): _summary(a), _name(self.second): _summary(b)},
                        decode_seconds=round(time.perf_counter() - started, 4))
            if choice.ask and choice.second is not None:
                info["choices"] = [choice.first.text, choice.second.text]
                info["ask"] = choice.ask
            return Transcript(t.text, t.words, t.confidence, True, t.engine or ENGINE, t.constrained, info)


def _decode(recognizer: Recognizer, audio: bytes) -> Transcript:
    decode = getattr(recognizer, "decode", None)
    if decode is not None:
        return decode(audio)
    recognizer.reset()
    for i in range(0, len(audio), 8000):
        recognizer.accept(audio[i:i + 8000])
    return recognizer.finish()


def _name(recognizer) -> str:
    return getattr(recognizer, "engine", type(recognizer).__name__)


def _summary(t: Transcript) -> dict:
    return {"text": t.text, "confidence": t.confidence}
