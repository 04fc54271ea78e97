"""How close, in sounds, a recogniser's first words are to a phrase: a weighted phoneme edit distance.

Whisper writes the wake phrase « assistant » said by an unusual voice as other words ("that's instant", "assessed
in", "a system"); compared letter by letter those are far from it, compared sound by sound they are near. Each
word's pronunciations come from the general English dictionary pocketsphinx ships (the cmudict, looked up in the
file itself, not loaded), a letter-to-sound guess for a word it lacks (vocabulary.guess_pronunciation); stress is
dropped. Substitutions between vowels are cheap (an unstressed vowel is reduced to about the same sound whatever
its spelling: « a », « as », « in » in fast speech), and so are those between consonants that differ by voicing
alone (S/Z, T/D) or between nasals; a vowel or a T dropped or added costs less than another consonant.
"""

from __future__ import annotations

import itertools
import mmap
import re
from functools import lru_cache
from pathlib import Path
from typing import Sequence

VOWELS = frozenset("AA AE AH AO AW AY EH ER EY IH IY OW OY UH UW".split())
#: the vowels fast or unstressed speech reduces towards a schwa: swapped among themselves at the lowest cost
REDUCED = frozenset("AH IH EH AE UH ER AA".split())
#: consonants that differ by voicing only, or in place only among nasals
_PAIRS = [("S", "Z"), ("T", "D"), ("P", "B"), ("K", "G"), ("F", "V"), ("TH", "DH"), ("SH", "ZH"), ("CH", "JH"),
          ("M", "N"), ("N", "NG"), ("M", "NG"), ("T", "TH"), ("D", "DH"), ("S", "SH")]
CLOSE_CONSONANTS = frozenset(frozenset(p) for p in _PAIRS)

#: costs of the edit distance (a different consonant costs 1)
REDUCED_SWAP = 0.3
VOWEL_SWAP = 0.6
CONSONANT_SWAP = 0.5
VOWEL_GAP = 0.6  #: a vowel dropped or added
SOFT_GAP = 0.6  #: a T, D or HH dropped or added (said weakly, « assistan' »)
SOFT = frozenset({"T", "D", "HH"})
#: at most this many pronunciations of one word are tried (the cmudict has up to 4 or 5 for a few words)
VARIANTS = 3


def substitution(a: str, b: str) -> float:
    if a == b:
        return 0.0
    if a in VOWELS and b in VOWELS:
        return REDUCED_SWAP if a in REDUCED and b in REDUCED else VOWEL_SWAP
    if a in VOWELS or b in VOWELS:
        return 1.5  # a vowel for a consonant: never better than dropping one and adding the other
    return CONSONANT_SWAP if frozenset((a, b)) in CLOSE_CONSONANTS else 1.0


def gap(phone: str) -> float:
    if phone in VOWELS:
        return VOWEL_GAP
    return SOFT_GAP if phone in SOFT else 1.0


def distance(a: Sequence[str], b: Sequence[str]) -> float:
    """Weighted edit distance between two phone sequences (stress marks ignored)."""
    a = [strip(p) for p in a]
    b = [strip(p) for p in b]
    row = [0.0]
    for p in b:
        row.append(row[-1] + gap(p))
    for x in a:
        nxt = [row[0] + gap(x)]
        for j, y in enumerate(b, 1):
            nxt.append(min(row[j] + gap(x), nxt[j - 1] + gap(y), row[j - 1] + substitution(x, y)))
        row = nxt
    return row[-1]


def strip(phone: str) -> str:
    return phone.rstrip("012").upper()


def dictionary_path() -> Path | None:
    """The cmudict pocketsphinx ships, None without pocketsphinx."""
    try:
        from voice_assistant.asr.pocketsphinx_engine import bundled_model_dir

        path = bundled_model_dir() / "cmudict-en-us.dict"
    except Exception:  # noqa: BLE001 - pocketsphinx missing: letter-to-sound guesses only
        return None
    return path if path.exists() else None


@lru_cache(maxsize=2048)
def pronunciations(word: str) -> tuple[tuple[str, ...], ...]:
    """The dictionary's pronunciations of `word` (stress dropped), else a letter-to-sound guess; () for no letters."""
    word = re.sub(r"[^a-z']", "", word.lower()).strip("'")
    if not word:
        return ()
    found: list[tuple[str, ...]] = []
    path = dictionary_path()
    if path is not None:
        found = [tuple(strip(p) for p in line.split()) for line in _entries(word, path)]
    if not found:
        from voice_assistant.asr.vocabulary import guess_pronunciation

        found = [tuple(guess_pronunciation(word.replace("'", ""), "en").split())]
    return tuple(dict.fromkeys(found))[:VARIANTS]


def _entries(word: str, path: Path) -> list[str]:
    """The phone strings of `word`'s lines in a CMU-style dictionary ("word phones", "word(2) phones"; the variants
    follow the first line), found in the file itself, not loaded."""
    key = word.encode("utf-8")
    out: list[str] = []
    try:
        with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            starts = [data.find(b"\n" + key + sep) + 1 for sep in (b" ", b"\t")]
            starts += [0 for sep in (b" ", b"\t") if data[:len(key) + 1] == key + sep]  # the first line
            found = [s for s in starts if s > 0 or (s == 0 and data[:len(key)] == key)]
            if not found:
                return []
            at = min(found)
            while at < len(data):
                end = data.find(b"\n", at)
                end = len(data) if end < 0 else end
                name, *phones = data[at:end].decode("utf-8", "replace").split()
                if re.sub(r"\(\d+\)$", "", name) != word:
                    break
                out.append(" ".join(phones))
                at = end + 1
    except (OSError, ValueError):
        return []
    return out


def phrase_phones(words: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    """Every pronunciation of a phrase (its words' pronunciations one after the other)."""
    choices = [pronunciations(w) for w in words]
    choices = [c for c in choices if c]
    if not choices:
        return ()
    return tuple(tuple(itertools.chain.from_iterable(p)) for p in itertools.product(*choices))


def closest_opening(words: Sequence[str], phrase: Sequence[str], max_words: int = 4) -> tuple[float, int]:
    """(distance per phone of the phrase, how many words) of the opening of `words` (1 to `max_words` of them)
    that sounds nearest to `phrase`; (inf, 0) when nothing can be compared."""
    targets = phrase_phones(phrase)
    best = (float("inf"), 0)
    if not targets:
        return best
    for k in range(1, min(max_words, len(words)) + 1):
        for heard in phrase_phones(words[:k]):
            for target in targets:
                d = distance(heard, target) / len(target)
                if d < best[0]:
                    best = (d, k)
    return best
