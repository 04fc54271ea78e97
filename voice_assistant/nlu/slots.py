"""Find the slot values in an utterance and replace them by "{slot}" tokens for the intent matcher.

Order matters and is fixed here: fillers go first, then times (they have the clearest markers), then
glucose values, then the pack's lists (context, period, lab test...) and the patient's medication names,
matched with spelling tolerance because recognisers mangle drug names (« met formine », "lantis").
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from voice_assistant.health.glucose import GlucoseUnit
from voice_assistant.nlu.normalize import clean
from voice_assistant.nlu.numbers import find_glucose, tokens_with_digits
from voice_assistant.nlu.packs import Pack, phrase
from voice_assistant.nlu.spans import LoosePhraseSet, Span
from voice_assistant.nlu.times import find_times
from voice_assistant.profile import Medication

#: How close a heard word must be to a medication or lab test name (rapidfuzz ratio, 0-100).
NAME_SIMILARITY = 84
#: Names shorter than this must be heard exactly: fuzzy matching "ldl" would find it everywhere.
FUZZY_MIN_CHARS = 5


@dataclass(frozen=True)
class Extraction:
    """What the slot grammars found."""

    tokens: tuple[str, ...]  #: the utterance with fillers removed and slot values as "{slot}"
    spans: tuple[Span, ...]  #: every slot value found, in order
    words: tuple[str, ...]  #: the utterance's tokens before replacement (fillers removed)

    def first(self, slot: str) -> Span | None:
        return next((s for s in self.spans if s.slot == slot), None)

    def all(self, slot: str) -> list[Span]:
        return [s for s in self.spans if s.slot == slot]


class SlotExtractor:
    """Slot grammars for one pack and one patient's medication list."""

    def __init__(self, pack: Pack, medications: tuple[Medication, ...], meter_unit: GlucoseUnit | None):
        self.pack = pack
        self.meter_unit = meter_unit
        entries = [(phrase(name), ("medication", med.id)) for med in medications for name in med.names_in(pack.lang)]
        for slot, values in pack.lists.items():
            entries += [(p, (slot, value)) for value, phrases in values.items() for p in phrases]
        self.lists = LoosePhraseSet(entries, pack.ignore)
        # Spelling-tolerant lookup: a name's words glued together ("insulineglargine"), so that a
        # recogniser's split ("met formine") or merge can be compared on characters.
        fuzzy = [(p, v) for p, v in entries if v[0] == "medication" or v[0] in pack.fuzzy_lists]
        self._fuzzy_names = {"".join(p): v for p, v in fuzzy if len("".join(p)) >= FUZZY_MIN_CHARS}
        self._fuzzy_keys = list(self._fuzzy_names)
        self._max_words = max((len(p) for p, _ in fuzzy), default=1)
        self._known_words = pack.vocabulary() | {w for p, _ in entries for w in p}

    def extract(self, text: str) -> Extraction:
        tokens = tokens_with_digits(clean(text), self.pack.numbers)
        tokens = self._drop_fillers(tokens)
        taken: set[int] = set()
        spans: list[Span] = []

        times = find_times(tokens, self.pack.time)
        glucose = find_glucose(tokens, self.pack.numbers, self.meter_unit, set())
        for span in times:
            clash = [g for g in glucose if g.start < span.end and span.start < g.end]
            # "at 8" alone is a time only if no glucose reading with a unit claims the same words
            if span.certain or not any(g.certain for g in clash):
                spans.append(span)
                taken.update(range(span.start, span.end))
        for span in find_glucose(tokens, self.pack.numbers, self.meter_unit, taken):
            spans.append(span)
            taken.update(range(span.start, span.end))
        spans += self._list_spans(tokens, taken)
        spans.sort(key=lambda s: s.start)

        out: list[str] = []
        i = 0
        for span in spans:
            out.extend(tokens[i:span.start])
            out.append("{" + span.slot + "}")
            i = span.end
        out.extend(tokens[i:])
        return Extraction(tokens=tuple(out), spans=tuple(spans), words=tuple(tokens))

    def _drop_fillers(self, tokens: list[str]) -> list[str]:
        fillers = self.pack.fillers
        if not fillers:
            return tokens
        out, i = [], 0
        while i < len(tokens):
            n = fillers.match(tokens, i)
            if n:
                i += n
            else:
                out.append(tokens[i])
                i += 1
        return out

    def _list_spans(self, tokens: list[str], taken: set[int]) -> list[Span]:
        spans = []
        i = 0
        while i < len(tokens):
            if i in taken:
                i += 1
                continue
            end, value = self.lists.match(tokens, i, taken)
            if value is None:
                end, value = self._fuzzy_name(tokens, i, taken)
            if value is None:
                i += 1
                continue
            slot, normalised = value
            spans.append(Span(i, end, slot, normalised))
            taken.update(range(i, end))
            i = end
        return spans

    def _fuzzy_name(self, tokens: list[str], i: int, taken: set[int]) -> tuple[int, tuple | None]:
        if tokens[i] in self.pack.ignore or tokens[i] in self._known_words or not self._fuzzy_keys:
            return i, None
        best: tuple[float, int, tuple | None] = (0.0, i, None)
        for n in range(1, self._max_words + 1):
            if i + n > len(tokens) or (i + n - 1) in taken:
                break
            glued = "".join(tokens[i:i + n])
            if len(glued) < FUZZY_MIN_CHARS:
                continue
            hit = _closest(glued, tuple(self._fuzzy_keys))
            if hit and hit[1] > best[0]:
                best = (hit[1], i + n, self._fuzzy_names[hit[0]])
        return best[1], best[2]


@lru_cache(maxsize=4096)
def _closest(word: str, keys: tuple[str, ...]) -> tuple[str, float] | None:
    hit = process.extractOne(word, keys, scorer=fuzz.ratio, score_cutoff=NAME_SIMILARITY)
    return (hit[0], hit[1]) if hit else None
