"""Understanding: one utterance in, one intent with normalised slots and a confidence out.

The same object serves the live assistant, `chat`, `understand` and `eval`: there is no other path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from voice_assistant.nlu.matcher import IntentMatcher, IntentScore
from voice_assistant.nlu.packs import SLOT_OUTPUT_NAMES, Pack, load_pack
from voice_assistant.nlu.slots import FEWER_TIMES, MORE_TIMES, WORDS_ONLY, Extraction, SlotExtractor
from voice_assistant.profile import Profile, default_profile

NONE = "none"
#: `matched` of an utterance made only of politeness and hesitation (« bonjour », "thank you", « euh »).
SMALL_TALK = "small_talk"
EMERGENCY = "emergency"
TIE_BREAK = 0.001
#: Words before an alarm word that make it no call ("i don't need an ambulance").
NEGATION_REACH = 3
#: How much better another reading of the numbers must make the sentence before it is preferred.
READING_MARGIN = 0.05


@dataclass(frozen=True)
class Understanding:
    """What the patient asked for."""

    intent: str  #: an intent name of the contract, or "none"
    slots: dict[str, Any]  #: normalised slot values; slots not said are absent
    confidence: float  #: 0..1; under the pack threshold the intent is "none"
    text: str = ""  #: the utterance as heard
    said: dict[str, Any] = field(default_factory=dict)  #: how values were said (glucose value, unit, words)
    alternatives: tuple[tuple[str, float], ...] = ()  #: next-best intents, for the dialogue's clarifications
    matched: str = NONE  #: the intent whose sentences came closest, even under the threshold ("none" when
    #: the pack's out-of-scope sentences did: the dialogue then says what it cannot do)

    def to_json(self) -> dict:
        return {"intent": self.intent, "slots": dict(self.slots), "confidence": round(self.confidence, 3)}


class Understander:
    """Understands one language for one patient (the medication names come from the profile)."""

    def __init__(self, lang: str, profile: Profile | None = None, pack: Pack | None = None):
        profile = profile or default_profile()
        self.lang = lang
        self.pack = pack or load_pack(lang)
        self.extractor = SlotExtractor(self.pack, profile.medications, profile.meter_unit)
        self.matcher = IntentMatcher(self.pack)
        self._alarms = [self.extractor.phrase_tokens(" ".join(p)) for p in self.pack.alarm_words]

    def understand(self, text: str) -> Understanding:
        extraction = self.extractor.extract(text or "")
        if not extraction.tokens:
            return Understanding(NONE, {}, 1.0, text, matched=SMALL_TALK if (text or "").strip() else NONE)
        scores = self._score(extraction)
        # The same numbers read as more or fewer times: kept only if it makes a clearly better sentence
        # for an intent that takes the slot it created ("lantus nine thirty" -> time; "one thirty three
        # this morning" after "my sugar was" -> glucose).
        for reading, slot in ((MORE_TIMES, "time"), (FEWER_TIMES, "glucose"), (WORDS_ONLY, None)):
            other = self.extractor.extract(text or "", reading)
            if other.tokens == extraction.tokens:
                continue
            other_scores = self._score(other)
            if other_scores[0].score > scores[0].score + READING_MARGIN and (
                    slot is None or slot in self.pack.intents[other_scores[0].intent].slots):
                extraction, scores = other, other_scores
        best = scores[0] if scores else IntentScore(NONE, 0.0, "")
        second = scores[1].score if len(scores) > 1 else 0.0
        confidence = calibrate(best.score, second)
        alternatives = tuple((s.intent, round(s.score, 3)) for s in scores[1:3])
        if best.intent == NONE:  # the pack's own out-of-scope sentences: confidently out of scope
            return Understanding(NONE, {}, confidence, text, {}, alternatives, NONE)
        if best.score < self.pack.threshold:
            return Understanding(NONE, {}, round(1.0 - confidence, 3), text, {}, alternatives, best.intent)
        if best.intent != EMERGENCY and EMERGENCY in self.pack.intents and self._calls_for_help(extraction.words):
            # A recogniser that mangles "call an ambulance" into "tell an ambulance" must not turn a call for
            # help into a request for instructions: the emergency path is offered (a spoken one is confirmed
            # before anyone is alerted, see dialogue/emergency.py).
            runner_up = ((best.intent, round(best.score, 3)),) + alternatives[:1]
            return Understanding(EMERGENCY, {}, max(confidence, self.pack.threshold), text, {}, runner_up, EMERGENCY)
        slots, said = self._slots_for(best.intent, extraction)
        return Understanding(best.intent, slots, confidence, text, said, alternatives, best.intent)

    def _calls_for_help(self, words: tuple[str, ...]) -> bool:
        """An alarm word of the pack, not just after a negation."""
        for alarm in self._alarms:
            n = len(alarm)
            for i in range(len(words) - n + 1):
                if words[i:i + n] == alarm and not self.pack.negations & set(words[max(0, i - NEGATION_REACH):i]):
                    return True
        return False

    def _score(self, extraction: Extraction) -> list[IntentScore]:
        """Matcher scores, ties broken towards the intent that needs fewer slots the patient did not say."""
        said = {s.slot for s in extraction.spans}
        scores = [IntentScore(s.intent, s.score - TIE_BREAK * len(self.pack.intents[s.intent].slots - said), s.template)
                  for s in self.matcher.score(extraction.tokens)]
        return sorted(scores, key=lambda s: s.score, reverse=True) or [IntentScore(NONE, 0.0, "")]

    def _slots_for(self, intent: str, extraction: Extraction) -> tuple[dict[str, Any], dict[str, Any]]:
        wanted = self.pack.intents[intent].slots
        slots: dict[str, Any] = {}
        said: dict[str, Any] = {}
        for span in extraction.spans:
            if span.slot not in wanted:
                continue
            name = SLOT_OUTPUT_NAMES.get(span.slot, span.slot)
            if span.slot == "glucose":
                value = span.value
                # A correction (« non, cent vingt-huit ») or a run-on sentence can hold several numbers:
                # a value with its unit said beats one without; otherwise the last one said wins.
                current = said.get("glucose")
                if current is not None and current.unit_said and not value.unit_said:
                    continue
                slots[name] = value.as_slot()
                said["glucose"] = value
            elif name not in slots:
                slots[name] = span.value
        if "glucose" in said:
            g = said["glucose"]
            said["glucose"] = {"value": g.value, "unit": g.unit.value, "unit_said": g.unit_said, "words": g.words}
        return slots, said


def calibrate(best: float, second: float) -> float:
    """Matcher score -> confidence that the intent is right.

    A template match is trustworthy when it is both close (high score) and unambiguous (clear margin over
    the next intent). The mapping is checked against the corpora by `scripts/bench_nlu.py`, which prints
    accuracy per confidence band.
    """
    margin = max(0.0, best - second)
    return round(max(0.0, min(1.0, best * (0.6 + 0.4 * min(1.0, margin / 0.25)))), 3)


_cache: dict[tuple[str, int], Understander] = {}


def understand(text: str, lang: str, profile: Profile | None = None) -> Understanding:
    """Convenience for one-off calls: `understand("ma glycémie est de cent vingt", "fr")`."""
    key = (lang, id(profile))
    if key not in _cache:
        _cache[key] = Understander(lang, profile)
    return _cache[key].understand(text)
