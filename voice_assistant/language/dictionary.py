"""A language's general dictionary: is a word a real word of the language, or one a recogniser made up?

A real word ("plants", "palace") is never read as a misheard medicine name, while a made-up one ("rample",
"lantis") may be: the understanding (nlu/slots.py) and the combiner (asr/combine.py) ask this one question here.
English uses the CMU pronouncing dictionary pocketsphinx ships (126k words). A language without an installed
dictionary has none: every word is then "not known", so nothing is refused for being a real word.
"""

from __future__ import annotations

import mmap
from functools import lru_cache
from pathlib import Path

from voice_assistant.language import base_language

__all__ = ["dictionary_file", "in_dictionary", "is_word"]


def in_dictionary(word: str, path: str | Path) -> bool:
    """Whether a CMU-style dictionary file has `word` (lowercase), found in the file itself, mapped, not loaded:
    asked only now and then (a word a recogniser may have made up), it costs no memory between the calls."""
    key = word.strip().lower().encode("utf-8")
    if not key or b" " in key:
        return False
    try:
        with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            # a line is "word phones", "word\tphones" or "word(2) phones"; the first line has no newline before it
            return any(data[:len(key) + 1] == key + end or data.find(b"\n" + key + end) >= 0
                       for end in (b" ", b"\t", b"("))
    except (OSError, ValueError):
        return False


@lru_cache(maxsize=None)
def dictionary_file(language: str) -> Path | None:
    """The installed general dictionary of `language`, or None (only English has one: pocketsphinx's CMUdict)."""
    if base_language(language) != "en":
        return None
    try:
        import pocketsphinx
    except ImportError:
        return None
    path = Path(pocketsphinx.get_model_path()) / "en-us" / "cmudict-en-us.dict"
    return path if path.is_file() else None


@lru_cache(maxsize=4096)
def is_word(language: str, word: str) -> bool:
    """Whether `word` is in `language`'s general dictionary (False when it has none installed). Each answer is kept:
    one look-up scans the file (about 3 ms for English), and the same words come back (the combiner asks of every
    engine's readings, the understanding of each misheard name)."""
    path = dictionary_file(language)
    return path is not None and in_dictionary(word, path)
