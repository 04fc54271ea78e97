"""The small vocabulary shared by the slot grammars: token phrases and the spans they find."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Collection, Iterable, Iterator, Sequence

Phrase = tuple[str, ...]


@dataclass(frozen=True)
class Span:
    """A stretch of the utterance's tokens that carries one slot value."""

    start: int  #: index of the first token
    end: int  #: index one past the last token
    slot: str  #: slot name as the templates write it: "glucose", "time", "medication", ...
    value: Any  #: normalised value ("08:30", "metformin", a GlucoseReading...)
    certain: bool = True  #: False when the grammar guessed (a bare "at 8" could be a time or not)
    info: dict = field(default_factory=dict, compare=False)


class PhraseSet:
    """Multi-word phrases looked up at a token position, longest first."""

    def __init__(self, phrases: Iterable[Phrase]):
        self._by_first: dict[str, list[Phrase]] = {}
        for phrase in sorted(set(phrases), key=len, reverse=True):
            if phrase:
                self._by_first.setdefault(phrase[0], []).append(phrase)

    def match(self, tokens: Sequence[str], i: int) -> int:
        """Length of the longest phrase starting at tokens[i], 0 if none."""
        if i >= len(tokens):
            return 0
        for phrase in self._by_first.get(tokens[i], ()):
            if tuple(tokens[i : i + len(phrase)]) == phrase:
                return len(phrase)
        return 0

    def __bool__(self) -> bool:
        return bool(self._by_first)

    def __iter__(self) -> Iterator[Phrase]:
        """Every phrase, longest first within each first word."""
        return (p for group in self._by_first.values() for p in group)

    def words(self) -> set[str]:
        """Every word of every phrase."""
        return {w for p in self for w in p}


_NUMBER = re.compile(r"[0-9]+(?:[.,][0-9]+)?")  # only ASCII digits are numbers (not ⓽, ➒, ፫)


def is_number(token: str) -> bool:
    """"120", "1,20", "6.5"; not "1,2.3" (a recogniser's or a keyboard's accident)."""
    return _NUMBER.fullmatch(token) is not None


def as_number(token: str) -> float:
    return float(token.replace(",", "."))


def is_int(token: str, low: int = 0, high: int = 10**9) -> bool:
    return token.isascii() and token.isdigit() and len(token) <= 10 and low <= int(token) <= high


class LoosePhraseSet:
    """Phrases matched while skipping small words on both sides.

    « avant le petit déjeuner », « avant mon petit déjeuner » and « avant petit déjeuner » (a recogniser
    dropped the article) all match the same list entry.
    """

    def __init__(self, phrases: Iterable[tuple[Phrase, Any]], skip: frozenset[str],
                 meaningful: Collection[str] = frozenset()):
        """`meaningful`: words that mean something of their own elsewhere (a verb of the templates, a time
        word): a phrase of several words is never shortened to one of them alone."""
        self.skip = skip
        self._by_first: dict[str, list[tuple[Phrase, bool, Any]]] = {}
        phrases = list(phrases)
        listed = {(phrase, value) for phrase, value in phrases}
        entries: dict[tuple[Phrase, bool], Any] = {}
        for phrase, value in phrases:
            # Spelled letters ("h d l", "a 1 c") are matched exactly: with their small words dropped they
            # would shrink to a lone letter found everywhere.
            strict = any(len(w) == 1 for w in phrase)
            core = phrase if strict else (tuple(w for w in phrase if w not in skip) or phrase)
            # "wake up" (fasting) without its small word is "wake", the verb of "wake me at 6 for my pills";
            # « au réveil » is « réveil », an alarm clock: such a phrase is matched as written, unless the
            # lone word is listed with the same value anyway ("at bedtime" and "bedtime").
            if len(core) == 1 < len(phrase) and core[0] in meaningful and (core, value) not in listed:
                core, strict = phrase, True
            entries.setdefault((core, strict), value)
        for (core, strict), value in sorted(entries.items(), key=lambda e: len(e[0][0]), reverse=True):
            self._by_first.setdefault(core[0], []).append((core, strict, value))

    def match(self, tokens: Sequence[str], i: int) -> tuple[int, Any]:
        """(end index, value) of the longest entry starting at tokens[i], (i, None) if none."""
        for core, strict, value in self._by_first.get(tokens[i], ()):
            k, j = i, 0
            while j < len(core) and k < len(tokens):
                if tokens[k] == core[j]:
                    j += 1
                    k += 1
                elif j > 0 and not strict and tokens[k] in self.skip:
                    k += 1
                else:
                    break
            if j == len(core):
                return k, value
        return i, None

    def first_words(self) -> set[str]:
        return set(self._by_first)
