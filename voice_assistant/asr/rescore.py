"""Re-check what a recogniser heard against the language pack.

A pack language model (or a Vosk phrase list) is an n-gram model, not a strict grammar: the best path can
be a word salad of pack words. `PackFit` scores how closely a text reads as one of the pack's sentences
(the same slot grammars and template matcher as understanding), and `pick` uses it to choose among a
recogniser's n-best hypotheses: the first one unless a later one reads clearly better.
"""

from __future__ import annotations

from typing import Callable, Iterable, Sequence

from voice_assistant.nlu.matcher import IntentMatcher
from voice_assistant.nlu.packs import Pack
from voice_assistant.nlu.slots import SlotExtractor
from voice_assistant.profile import Medication

Rescorer = Callable[[str], float]

#: A later hypothesis must read this much better than the first to replace it...
MARGIN = 0.1
#: ...after losing this much per rank (the recogniser's own order counts).
RANK_PENALTY = 0.01


def as_medications(medications: Iterable, lang: str) -> tuple[Medication, ...]:
    """Profile `Medication`s as they are, plain names as one medication each."""
    out = []
    for m in medications:
        if isinstance(m, Medication):
            out.append(m)
        else:
            out.append(Medication(id=str(m), names={lang: (str(m),)}))
    return tuple(out)


class PackFit:
    """0..1: how closely a text reads as a sentence of the pack (best template score over all intents,
    the pack's out-of-scope sentences included)."""

    def __init__(self, pack: Pack, medications: Iterable = ()):
        self.extractor = SlotExtractor(pack, as_medications(medications, pack.lang), None)
        self.matcher = IntentMatcher(pack)
        self._cache: dict[str, float] = {}

    def __call__(self, text: str) -> float:
        if text not in self._cache:
            if len(self._cache) > 4096:
                self._cache.clear()
            scores = self.matcher.score(self.extractor.extract(text).tokens) if text.strip() else []
            self._cache[text] = max((s.score for s in scores), default=0.0)
        return self._cache[text]


def pick(hypotheses: Sequence[str], rescorer: Rescorer | None, margin: float = MARGIN,
         rank_penalty: float = RANK_PENALTY) -> tuple[int, float]:
    """Index of the hypothesis to keep, and its fit (1.0 without a rescorer)."""
    if not hypotheses or rescorer is None:
        return 0, 1.0
    best, best_fit = 0, rescorer(hypotheses[0])
    for k, text in enumerate(hypotheses[1:], start=1):
        fit = rescorer(text)
        if fit - rank_penalty * k > best_fit + margin:
            best, best_fit = k, fit
    return best, best_fit
