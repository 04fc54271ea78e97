"""Score an utterance against every intent's templates, word by word, with rapidfuzz.

Each pack word becomes one character, so rapidfuzz's C edit-distance code compares *word* sequences:
a missing or extra word costs one edit whatever its length, and all templates of all intents are scored
in one vectorised call (well under a millisecond for a few thousand templates). Heard words the pack does
not know are first corrected to the nearest pack word when they are close in spelling ("glycemi",
"reminde"), otherwise they count as one unknown word, which is what makes out-of-scope requests score low.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Indel

from voice_assistant.nlu.packs import Pack

#: How close a misheard word must be to a pack word to count as it (rapidfuzz ratio, 0-100). 80 lets one
#: wrong sound in a five-letter word through ("bills" for "pills", whisper's b/p): bench_nlu en 98.5 -> 98.7 %.
WORD_SIMILARITY = 80
#: Words shorter than this are never spelling-corrected: "mi" -> "mg" would be a guess.
CORRECT_MIN_CHARS = 4
#: A word spelling-corrected is a guess: no score is above 1 - GUESS_COST x the share of the sentence's meaningful
#: words that were guessed (all scaled alike), so a sentence resting on one guessed word ("and that *means* now" -> "mean") is no
#: request, and a sentence with a guess never scores 1.
GUESS_COST = 0.55
#: A word the pack does not know counts as this many words: unknown words are the mark of a request
#: the assistant cannot serve ("tell me a *joke*"), so they weigh more than a missing template word.
UNKNOWN_WEIGHT = 3
_UNKNOWN = "\U000f0000" * UNKNOWN_WEIGHT
#: A word appearing in this many intents' templates or more counts as a common word.
COMMON_WORD_INTENTS = 3
#: A slot value ("{glucose}", "{medication}") is the strongest sign of what a sentence is about.
SLOT_WEIGHT = 2
MISSING_COST = 0.5
EXTRA_COST = 0.5
ORDER_WEIGHT = 0.3
#: A template whose sense is turned around by a "not" the sentence lacks (or that lacks the sentence's "not") is
#: that far from it: "I haven't taken my insulin" is no dose taken, « je me sens bien » no « pas bien ».
POLARITY_FACTOR = 0.5
LONG_QUERY_CHARS = 14
PARTIAL_MIN_CHARS = 4
PARTIAL_FACTOR = 0.7
_FIRST_CODE = 0xE000  # the Unicode private use area: never a real character of a template


@dataclass(frozen=True)
class IntentScore:
    intent: str
    score: float  #: 0..1 similarity of the best template
    template: str  #: the template text that matched best, for explanations and debugging


class IntentMatcher:
    def __init__(self, pack: Pack):
        self.pack = pack
        self.intents = list(pack.intents)
        # A word used by many intents ("quel", "fait") says little about which one is meant: it weighs
        # one character, a distinctive word ("glycémie", "rappel", a slot) weighs two.
        used_by: dict[str, set[str]] = {}
        for name in self.intents:
            for template in pack.intents[name].templates:
                for token in template.tokens:
                    used_by.setdefault(token, set()).add(name)
        vocab: dict[str, str] = {}
        for n, (token, intents) in enumerate(used_by.items()):
            weight = SLOT_WEIGHT if token.startswith("{") else 1 if len(intents) >= COMMON_WORD_INTENTS else 2
            vocab[token] = chr(_FIRST_CODE + n) * weight
        encoded: list[str] = []
        owners: list[int] = []
        self.templates = []
        for index, name in enumerate(self.intents):
            for template in pack.intents[name].templates:
                encoded.append("".join(vocab[t] for t in template.tokens))
                owners.append(index)
                self.templates.append(template)
        self.vocab = vocab
        # a "not" is never spelling-corrected into another word ("didnt" is no "didn")
        self.known = {w for w in vocab if not w.startswith(("{", "<"))} | pack.classes.words() | pack.ignore \
            | pack.not_words
        # ... nor is a word spelling-corrected into a "not" ("mais" is no « jamais »), nor into a verb that creates,
        # records or deletes something ("rate my reminders" is no "create")
        # (sorted: of two words as close, the same one is chosen in every run)
        self._correctable = tuple(sorted(w for w in self.known if len(w) >= CORRECT_MIN_CHARS
                                         and w not in pack.not_words and w not in pack.never_guessed))
        self.encoded = encoded
        self.negated = np.asarray([any(t in pack.not_words for t in tpl.tokens) for tpl in self.templates])
        self._holding: dict[str, np.ndarray] = {}  # word -> which templates hold it
        for k, tpl in enumerate(self.templates):
            for t in tpl.tokens:
                self._holding.setdefault(t, np.zeros(len(self.templates), dtype=bool))[k] = True
        # per group of contrary words (pack.contraries): which templates hold one of its words
        self._holding_group = [self._any_holding(group) for group in pack.contraries]
        # Word order matters little to meaning (« le rappel de 8 h, tu l'annules »): templates are also
        # compared as sorted word multisets, where the edit distance gives the shared-word count.
        self.sorted_encoded = ["".join(sorted(e)) for e in encoded]
        self.lengths = np.asarray([len(e) for e in encoded], dtype=np.float32)
        self.owners = np.asarray(owners)
        # Templates are grouped by intent (built in order), so a per-intent maximum is one reduceat.
        self._starts = np.flatnonzero(np.r_[True, self.owners[1:] != self.owners[:-1]])

    def words(self, tokens: tuple[str, ...]) -> list[str]:
        """Heard tokens as the templates hold theirs: spelling fixed, synonyms grouped, small words left out."""
        return self._words_and_guesses(tokens)[0]

    def _words_and_guesses(self, tokens: tuple[str, ...]) -> tuple[list[str], float]:
        """`words`, and the share of the meaningful words heard that spelling correction guessed."""
        words, share, _ = self._read(tokens)
        return words, share

    def _read(self, tokens: tuple[str, ...]) -> tuple[list[str], float, set[str]]:
        """`words`, the share of the meaningful words heard that spelling correction guessed, and the words (as
        the templates hold them) that only a guess made."""
        fixed, guessed, unsure = [], 0, []
        for t in tokens:
            corrected = None if t in self.known or t.startswith("{") else _correct(t, self._correctable)
            fixed.append(corrected or t)
            unsure.append("\U000f0001" if corrected else corrected or t)
            guessed += corrected is not None and corrected not in self.pack.ignore
        words = self._reduce(fixed)
        meaningful = sum(1 for t in fixed if t not in self.pack.ignore)
        if not guessed:
            return words, 0.0, set()
        heard = set(self._reduce(unsure))
        return words, guessed / meaningful, {w for w in words if w not in heard}

    def _reduce(self, tokens: list[str]) -> list[str]:
        """Word groups, then small words left out, then word groups again: as the templates were reduced (each
        part of a template on its own, then the whole), so that "my heart *is* racing" holds the group phrase
        "heart racing" as "(my) (heart is racing)" in a template does."""
        ignore, classes = self.pack.ignore, self.pack.classes
        once = [t for t in classes.canonical(tokens) if t not in ignore]
        return [t for t in classes.canonical(once) if t not in ignore]

    def guessed_share(self, tokens: tuple[str, ...]) -> float:
        """The share of the meaningful words heard that spelling correction guessed (0 when all were known)."""
        return self._words_and_guesses(tokens)[1]

    def _any_holding(self, words) -> np.ndarray:
        held = np.zeros(len(self.templates), dtype=bool)
        for word in words:
            if word in self._holding:
                held |= self._holding[word]
        return held

    def _contradicted(self, words: list[str]) -> np.ndarray | None:
        """Templates the sentence contradicts: it says words of one group of `pack.contraries` only ("my sugar was
        *fine* this morning"), they hold another group's words and none of its own ("my sugar was *low* this
        morning"). A word after a "not" is not said ("not fine" says nothing is well). None: nothing contradicted."""
        said = {k for k, group in enumerate(self.pack.contraries)
                for i, w in enumerate(words) if w in group and not (i and words[i - 1] in self.pack.not_words)}
        if len(said) != 1:
            return None
        (k,) = said
        others = [held for j, held in enumerate(self._holding_group) if j != k]
        return np.logical_or.reduce(others) & ~self._holding_group[k]

    def _turned_around(self, words: list[str]) -> np.ndarray:
        """`_negated`, and the templates the sentence `_contradicted`."""
        turned = self._negated(words)
        contradicted = self._contradicted(words)
        return turned if contradicted is None else turned | contradicted

    def _negated(self, words: list[str]) -> np.ndarray:
        """Templates whose sense the sentence turns around: the template says "not" and the sentence does not
        ("I feel well" against "I feel not well"), or the sentence says "not" before a word the template
        holds without one ("I haven't *taken* my insulin" against "I have taken my insulin"). A "not" about
        something else ("help, I can't find my sugar") leaves a template alone."""
        nots = [k for k, w in enumerate(words) if w in self.pack.not_words]
        if not nots:
            return self.negated
        denied = [words[k + 1] for k in nots if k + 1 < len(words) and words[k + 1] not in self.pack.not_words]
        turned = np.zeros(len(self.templates), dtype=bool)
        for word in denied:
            if word in self._holding:
                turned |= self._holding[word]
        return turned & ~self.negated

    def score(self, tokens: tuple[str, ...]) -> list[IntentScore]:
        """Every intent's best score, best first."""
        words, guessed, only_guessed = self._read(tokens)
        query = "".join(self.vocab.get(t, _UNKNOWN) for t in words)  # one character per meaningful word
        if not query or not self.encoded:
            return [IntentScore(name, 0.0, "") for name in self.intents]
        ordered = process.cdist([query], self.encoded, scorer=fuzz.ratio, dtype=np.float32, workers=1)[0] / 100
        distance = process.cdist(["".join(sorted(query))], self.sorted_encoded, scorer=Indel.distance,
                                 dtype=np.float32, workers=1)[0]
        q, t = float(len(query)), self.lengths
        shared = (q + t - distance) / 2
        # Tversky similarity: a template word the patient did not say costs MISSING_COST, a word said that
        # the template lacks costs EXTRA_COST (less: people add words, run sentences on).
        unordered = shared / np.maximum(shared + MISSING_COST * (t - shared) + EXTRA_COST * (q - shared), 1e-6)
        row = ORDER_WEIGHT * ordered + (1 - ORDER_WEIGHT) * unordered
        if len(query) >= LONG_QUERY_CHARS:
            # A long, rambling sentence (« ben là j'ai fait le test... et ça me met cent soixante-trois mais
            # j'ai mangé un gâteau... »): a template whose words all appear in it counts, a little less than a match
            # of the whole sentence. Short templates are left out: "remind" alone is inside too much.
            inside = shared / np.maximum(t, 1.0)  # how much of the template the sentence holds
            row = np.maximum(row, np.where(self.lengths >= PARTIAL_MIN_CHARS, inside * PARTIAL_FACTOR, 0))
        if self.pack.not_words or self.pack.contraries:
            row = np.where(self._turned_around(words), row * POLARITY_FACTOR, row)
        if only_guessed:
            # A template that holds none of the words heard as said, only words a guess made, rests on the guess
            # alone: "I took a *shower*" is no "slower" (speak_slower), whatever else the sentence says.
            heard = np.zeros(len(self.templates), dtype=bool)
            for w in set(words) - only_guessed:
                if w in self._holding:
                    heard |= self._holding[w]
            row = np.where(heard, row, row * (1.0 - GUESS_COST))
        if guessed:  # every score scaled alike: the order of the intents stays
            row = row * min(1.0, (1.0 - GUESS_COST * guessed) / max(float(row.max()), 1e-6))
        best = np.maximum.reduceat(row, self._starts)
        results = []
        for k, start in enumerate(self._starts):
            end = self._starts[k + 1] if k + 1 < len(self._starts) else len(row)
            arg = start + int(np.argmax(row[start:end]))
            results.append(IntentScore(self.intents[self.owners[start]], float(best[k]),
                                       self.templates[arg].text))
        results.sort(key=lambda s: s.score, reverse=True)
        return results


@lru_cache(maxsize=8192)
def _correct(word: str, vocabulary: tuple[str, ...]) -> str | None:
    if len(word) < CORRECT_MIN_CHARS or word.isdigit():
        return None
    hits = process.extract(word, vocabulary, scorer=fuzz.ratio, score_cutoff=WORD_SIMILARITY, limit=8)
    if not hits:
        return None
    # of words as close, the one the heard word begins like: "cancelled" is "cancel" (an ending added), not "called"
    best = max(h[1] for h in hits)
    return max((h[0] for h in hits if h[1] == best), key=lambda w: (_common_prefix(word, w), -vocabulary.index(w)))


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n
